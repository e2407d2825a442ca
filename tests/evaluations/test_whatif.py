"""Issue 14, point 3: a draft framework previewed over the agency's decided periods, side
by side with what was decided; nothing written to the evaluations."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from tests.conftest import Cast
from thuocdo.audit.models import AuditEntry
from thuocdo.core.errors import AccessDenied
from thuocdo.evaluations import whatif
from thuocdo.evaluations.models import Evaluation, QuotaGroup, WhatIfLine, WhatIfRun
from thuocdo.frameworks import services as frameworks
from thuocdo.frameworks.models import FrameworkVersion
from thuocdo.jobs.models import Job
from thuocdo.org import services as org
from thuocdo.org.models import Person
from thuocdo.scoring import preset_data

from .conftest import AGENCY_A, REVIEWER, Flow, make_flow

EXTRA_Y = ["y1", "y2", "y3", "y4"]


def _more_in_unit_y(cast: Cast) -> None:
    """Four more officials in unit Y: one excellent there keeps the quota (1 ≤ 20% × 7)."""
    for i, name in enumerate(EXTRA_Y, start=1):
        person = org.person_create(
            actor=None,
            agency=cast.agency_a,
            code=f"Y{i:02d}",
            full_name=f"Trần Thị {name.upper()}",
            category=Person.Category.CIVIL_SERVANT,
        )
        org.assignment_start(actor=None, person=person, unit=cast.unit_y, start_date=cast_start())
        cast.users[name] = org.person_set_login(
            actor=None, person=person, username=name, password="Mật-khẩu-thử-2025"
        )
        cast.people[name] = person
        REVIEWER[name] = "head_y"


def cast_start() -> Any:
    import datetime as dt

    return dt.date(2025, 1, 1)


@pytest.fixture
def decided(cast: Cast, presets: None) -> Flow:
    return decide_january(cast)


def decide_january(cast: Cast) -> Flow:
    """January 2026 decided and published: everyone 85 points (good) but staff_x and
    staff_y, 95 (excellent). Unit X's quota demotes staff_x; unit Y keeps staff_y."""
    _more_in_unit_y(cast)
    flow = make_flow(cast)
    names = AGENCY_A + EXTRA_Y
    AGENCY_A.extend(EXTRA_Y)
    try:
        for name in names:
            flow.task(name)  # 70 task points each
            flow.general[name] = 15
        flow.general.update({"staff_x": 25, "staff_y": 25})
        flow.to_decision()
        flow.rate_units()
        flow.decide_all()
        flow.publish()
    finally:
        del AGENCY_A[-len(EXTRA_Y) :]
    return flow


def draft(flow: Flow, change: Any = None, version: str = "2027-draft") -> FrameworkVersion:
    document = copy.deepcopy(preset_data("decree-335-2025"))
    document["version"] = version
    if change is not None:
        change(document)
    return frameworks.framework_import(
        actor=flow.user("personnel_a"), agency=flow.cast.agency_a, document_or_preset_name=document
    )


def run(flow: Flow, version: FrameworkVersion, by: str = "personnel_a") -> WhatIfRun:
    found = whatif.whatif_start(
        actor=flow.user(by), agency=flow.cast.agency_a, framework=version, periods=3
    )
    found.refresh_from_db()
    return found


def lines(found: WhatIfRun) -> dict[str, WhatIfLine]:
    return {
        line.person.user.username if line.person.user else line.person.code: line
        for line in found.lines.select_related("person__user")
    }


def test_a_draft_identical_to_the_current_framework_changes_nobody(decided: Flow) -> None:
    found = run(decided, draft(decided))
    assert found.state == WhatIfRun.State.DONE
    got = lines(found)
    decided_evs = Evaluation.objects.filter(period=decided.period, state="decided")
    assert len(got) == decided_evs.count() > 10
    for ev in decided_evs:
        line = found.lines.get(evaluation=ev)
        assert (line.draft_points, line.draft_rating) == (ev.points, ev.rating), line.reasons
        assert (line.current_points, line.current_rating) == (ev.points, ev.rating)
        assert line.direction == "same" and not line.changed and line.reasons == []
    assert got["staff_x"].current_demoted and got["staff_x"].draft_demoted
    period = found.summary["periods"][0]
    assert period["current"] == period["draft"]
    assert period["quota"]["current"] == period["quota"]["draft"] == 1


def _bands(document: dict[str, Any]) -> None:
    document["rating"]["bands"][0]["min"] = 96  # excellent from 96 points, not 90


def test_a_higher_excellent_band_drops_the_named_people_to_good(decided: Flow) -> None:
    found = run(decided, draft(decided, _bands))
    got = lines(found)
    line = got["staff_y"]
    assert (line.current_points, line.current_rating) == (Decimal("95.00"), "excellent")
    assert (line.draft_points, line.draft_rating) == (Decimal("95.00"), "good")
    assert line.direction == "down" and line.changed
    codes = [reason["code"] for reason in line.reasons]
    assert codes == ["band"]
    assert "từ 70 đến dưới 96 điểm" in line.reasons[0]["vi"]
    assert "from 70 to under 96 points" in line.reasons[0]["en"]
    # staff_x was demoted by the quota at decision; the draft's band rates him good anyway
    assert got["staff_x"].draft_rating == "good" and not got["staff_x"].draft_demoted
    assert [n for n, ln in got.items() if ln.changed] == ["staff_y"]
    period = found.summary["periods"][0]
    assert period["down"] == 1 and period["up"] == 0
    assert period["draft"].get("excellent", 0) == period["current"]["excellent"] - 1
    assert period["quota"] == {**period["quota"], "current": 1, "draft": 0}


def _ratio(document: dict[str, Any]) -> None:
    document["quota"]["ratio"] = "0.1"  # excellent ≤ 10% of good: 1 > 10% × 7 in unit Y


def test_a_smaller_quota_ratio_demotes_more(decided: Flow) -> None:
    found = run(decided, draft(decided, _ratio))
    got = lines(found)
    line = got["staff_y"]
    assert (line.current_rating, line.draft_rating) == ("excellent", "good")
    assert line.draft_demoted and not line.current_demoted
    assert line.draft_points == line.current_points == Decimal("95.00")
    assert [r["code"] for r in line.reasons] == ["quota"]
    assert "10%" in line.reasons[0]["vi"] and "Vượt tỷ lệ" in line.reasons[0]["vi"]
    quota = found.summary["periods"][0]["quota"]
    assert (quota["current"], quota["draft"]) == (1, 2)


def _weights(document: dict[str, Any]) -> None:
    root = document["individual"]["root"]
    root["combine"] = "weighted_mean"
    root["max_points"] = 100
    root["children"][0]["weight"] = 40  # general criteria
    root["children"][1]["weight"] = 60  # task results


def test_a_group_weight_changes_points_as_by_hand(decided: Flow) -> None:
    found = run(decided, draft(decided, _weights))
    line = lines(found)["staff_y"]
    # general 25 of 30, tasks 70 of 70: 100 × (40 × 25/30 + 60 × 1) ÷ 100 = 93.33
    assert line.draft_points == Decimal("93.33")
    assert line.current_points == Decimal("95.00")
    assert line.draft_rating == "excellent"
    assert line.reasons[0]["code"] == "points"
    assert line.reasons[0]["vi"] == "Điểm: 95 → 93,33."
    # an official at 85 (general 15): 100 × (40 × 15/30 + 60) ÷ 100 = 80
    assert lines(found)["y1"].draft_points == Decimal("80.00")


def _new_criterion(document: dict[str, Any]) -> None:
    general_3 = document["individual"]["root"]["children"][0]["children"][2]
    general_3["children"].append(
        {
            "key": "g3_digital",
            "type": "manual",
            "label_vi": "Kỹ năng số",
            "label_en": "Digital skills",
            "scale": {"max": "2.5", "step": "0.5"},
        }
    )
    document["individual"]["root"]["children"][1]["max_points"] = "67.5"


def test_a_criterion_new_in_the_draft_makes_people_not_comparable_by_name(
    decided: Flow,
) -> None:
    found = run(decided, draft(decided, _new_criterion))
    line = lines(found)["staff_y"]
    assert line.direction == "none" and not line.changed
    assert line.draft_points is None and line.draft_rating == ""
    assert line.reasons[0]["code"] == "not_comparable"
    assert "“Kỹ năng số”" in line.reasons[0]["vi"]
    assert "“Digital skills”" in line.reasons[0]["en"]
    period = found.summary["periods"][0]
    assert period["not_comparable"] == period["people"]
    assert period["missing_criteria"] == {"g3_digital": period["people"]}
    assert period["draft"] == {}
    assert "Trần Thị Y1" in period["not_comparable_people"]


def _bigger_politics_scale(document: dict[str, Any]) -> None:
    general_1 = document["individual"]["root"]["children"][0]["children"][0]
    general_1["children"][0]["scale"]["max"] = 10  # g1_politics: 0–10, not 0–5
    document["individual"]["root"]["children"][1]["max_points"] = 65


def test_a_changed_scale_keeps_the_share_given(decided: Flow) -> None:
    found = run(decided, draft(decided, _bigger_politics_scale))
    # y1, general 15: politics 5 of 5 → 10 of 10 (+5), tasks 70 of 70 → 65 of 65 (−5)
    line = lines(found)["y1"]
    assert (line.current_points, line.draft_points) == (Decimal("85.00"), Decimal("85.00"))
    assert line.detail["notes"] == [
        {"code": "rescaled", "key": "g1_politics", "from": "5/5", "to": "10/10"}
    ]


def _every_row() -> dict[str, Any]:
    return {
        "evaluations": list(Evaluation.objects.order_by("pk").values()),
        "groups": list(QuotaGroup.objects.order_by("pk").values()),
        "members": list(
            QuotaGroup.members.through.objects.order_by("pk").values_list(
                "quotagroup_id", "evaluation_id"
            )
        ),
        "evaluation_entries": AuditEntry.objects.filter(
            object_type__startswith="evaluations.evaluation"
        ).count(),
        "group_entries": AuditEntry.objects.filter(
            object_type__startswith="evaluations.quota"
        ).count(),
    }


def test_nothing_is_written_to_the_evaluations(decided: Flow) -> None:
    before = _every_row()
    entries = AuditEntry.objects.count()
    found = run(decided, draft(decided, _ratio))
    assert found.lines.filter(changed=True).exists()
    assert _every_row() == before
    new = AuditEntry.objects.order_by("pk")[entries:]
    actions = [entry.action for entry in new]
    # the draft's import, the run (once), and its job's start: nothing about evaluations
    assert actions.count("evaluations.whatif.run") == 1
    assert not [a for a in actions if a.startswith("evaluations.evaluation")]


def test_a_staff_member_is_refused(decided: Flow) -> None:
    from thuocdo.access.whatif import access_whatif_agency, access_whatif_run

    found = run(decided, draft(decided))
    for name in ("staff_x", "head_x", "auditor_a"):
        with pytest.raises(AccessDenied) as refused:
            access_whatif_agency(decided.user(name), decided.cast.agency_a.pk)
        assert "phòng tổ chức cán bộ và lãnh đạo cơ quan" in refused.value.message_vi
        with pytest.raises(AccessDenied):
            access_whatif_run(decided.user(name), found.pk)
    assert access_whatif_run(decided.user("leader_a"), found.pk) == found
    assert access_whatif_run(decided.user("personnel_a"), found.pk) == found


def test_the_preview_runs_as_a_job_with_progress(
    decided: Flow, monkeypatch: pytest.MonkeyPatch
) -> None:
    from thuocdo.jobs.progress import Progress

    seen: list[tuple[int, int | None]] = []
    original = Progress.set

    def spy(self: Progress, done: int, total: int | None = None, phase: str | None = None) -> None:
        seen.append((done, total))
        original(self, done, total, phase)

    monkeypatch.setattr(Progress, "set", spy)
    found = run(decided, draft(decided))
    assert found.job is not None
    job = Job.objects.get(pk=found.job_id)
    assert (job.kind, job.state) == ("evaluations.whatif", Job.State.DONE)
    people = found.lines.count()
    assert seen and seen[-1] == (people, people)
    assert (job.done, job.total) == (people, people)
    assert job.result["run"] == found.pk
    client = Client()
    client.force_login(decided.user("personnel_a"))
    page = client.get(f"/jobs/{job.pk}/")
    assert page.status_code == 200
    assert f"{people} / {people}" in page.content.decode()


def test_previewing_reads_in_a_fixed_number_of_queries(decided: Flow) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    version = draft(decided)
    agency = decided.cast.agency_a
    periods = whatif.decided_periods(agency, 3)
    with CaptureQueriesContext(connection) as queries:
        for _period, found, _summary in whatif.preview(
            draft=whatif.engine_framework(version), agency=agency, periods=periods
        ):
            assert found
    # count, units, stored framework; per period: rows, unit ratings, one chunk of
    # results, quota groups and their members
    assert len(queries) <= 3 + 5 * len(periods)


def test_the_previews_fast_reads_and_scoring_are_the_computes(decided: Flow) -> None:
    from thuocdo.evaluations.compute import inputs_from_data, score_inputs
    from thuocdo.frameworks.selectors import engine_framework

    exact = whatif.Exact()
    for ev in Evaluation.objects.filter(period=decided.period, state="decided"):
        fast, slow = whatif.kept_inputs(ev.result, exact), inputs_from_data(ev.result)
        assert fast is not None and slow is not None
        assert (fast.role, fast.facts, fast.manual, fast.overrides, fast.unit_rating) == (
            slow.role,
            slow.facts,
            slow.manual,
            slow.overrides,
            slow.unit_rating,
        )
        assert fast.leader_record == slow.leader_record
        assert (fast.leader is None) == (slow.leader is None)
        fw = engine_framework(ev.framework)
        assert whatif.scored(fw, ev.person_id, slow) == score_inputs(fw, ev.person_id, slow)[0]


def _weights_with_ranges(document: dict[str, Any]) -> None:
    _weights(document)
    root = document["individual"]["root"]
    root["children"][0]["weight_range"] = [30, 50]
    root["children"][1]["weight_range"] = [50, 70]


def test_a_position_s_criteria_set_is_previewed_for_its_officials(decided: Flow) -> None:
    from thuocdo.frameworks import criteria_sets

    version = draft(decided, _weights_with_ranges)
    criteria_sets.criteria_set_save(
        actor=decided.user("head_x"),
        base=version,
        job_position=decided.cast.job_x,
        unit=decided.cast.unit_x,
        weights={"general": Decimal("50"), "task_results": Decimal("50")},
    )
    found = lines(run(decided, version))
    # staff_x holds the position in unit X: 100 × (50 × 25/30 + 50 × 1) ÷ 100 = 91.67
    assert found["staff_x"].draft_points == Decimal("91.67")
    # staff_y has no position: the draft itself, 100 × (40 × 25/30 + 60) ÷ 100 = 93.33
    assert found["staff_y"].draft_points == Decimal("93.33")
    assert found["y1"].draft_points == Decimal("80.00")
    # the line's breakdown on demand uses the same set
    _current, drafted = whatif.line_breakdowns(found["staff_x"])
    assert drafted is not None
    assert drafted["points"]["display"] == "91.67"
    assert drafted["rule"]["detail"].startswith("(50×")
