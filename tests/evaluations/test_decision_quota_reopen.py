"""The decision: distribution and quota line, the engine's proposals, ties left to the
authority, a decision that breaks the quota refused whole; publish, reopen."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import Cast
from tests.work.conftest import at
from thuocdo.audit.models import AuditEntry
from thuocdo.core.errors import AccessDenied, Conflict, ValidationFailed
from thuocdo.evaluations import services
from thuocdo.evaluations.models import Evaluation, Notification, Period, PeriodEvent
from thuocdo.evaluations.selectors import decision_sheet
from thuocdo.org import services as org
from thuocdo.org.models import Person

from .conftest import AGENCY_A, PUBLISH, REVIEWER, D, Flow, make_flow, node, tree

EXTRA_Y = ["y1", "y2", "y3", "y4"]


def _big_unit_y(cast: Cast) -> None:
    """Four more officials in unit Y, so a tie can straddle the quota line."""
    for i, name in enumerate(EXTRA_Y, start=1):
        person = org.person_create(
            actor=None,
            agency=cast.agency_a,
            code=f"Y{i:02d}",
            full_name=f"Trần Thị {name.upper()}",
            category=Person.Category.CIVIL_SERVANT,
        )
        org.assignment_start(actor=None, person=person, unit=cast.unit_y, start_date=D(2025, 1, 1))
        cast.users[name] = org.person_set_login(
            actor=None, person=person, username=name, password="Mật-khẩu-thử-2025"
        )
        cast.people[name] = person
        REVIEWER[name] = "head_y"


@pytest.fixture
def quota_flow(cast: Cast, presets: None) -> Flow:
    _big_unit_y(cast)
    flow = make_flow(cast)
    names = AGENCY_A + EXTRA_Y
    AGENCY_A.extend(EXTRA_Y)  # the flow drives everyone (restored below)
    try:
        for name in names:
            flow.task(name)  # 70 task points each
            flow.general[name] = 15  # 85: good
        # excellent (95): staff_x in unit X; staff_y and y1 in unit Y, with equal points
        flow.general.update({"staff_x": 25, "staff_y": 25, "y1": 25})
        flow.to_decision()
        flow.rate_units()
    finally:
        del AGENCY_A[-len(EXTRA_Y) :]
    return flow


def test_the_decision_sheet_shows_distribution_line_proposals_and_ties(quota_flow: Flow) -> None:
    flow = quota_flow
    sheet = decision_sheet(flow.group("unit:Y"))
    assert sheet["distribution"] == {"excellent": 2, "good": 6}
    quota = sheet["quota"]
    assert (quota["before"], quota["demotion_count"]) == ({"excellent": 2, "good": 6}, 1)
    assert quota["demotions"] == []  # equal points at the cut: nobody chosen silently
    tie = quota["ties"][0]
    assert (
        sorted(tie["candidates"]) == sorted(str(flow.ev(n).pk) for n in ("staff_y", "y1"))
        and tie["choose"] == 1
    )

    sheet_x = decision_sheet(flow.group("unit:X"))
    assert sheet_x["quota"]["demotions"][0]["person_id"] == str(flow.ev("staff_x").pk)
    assert "Vượt tỷ lệ" in sheet_x["quota"]["demotions"][0]["reason_vi"]


def test_a_tie_waits_for_the_authority_then_the_choice_is_recorded(quota_flow: Flow) -> None:
    flow = quota_flow
    leader = flow.user("leader_a")
    with pytest.raises(Conflict, match="chọn 1 người"):
        services.group_decide(actor=leader, group=flow.group("unit:Y"))
    assert not Evaluation.objects.filter(period=flow.period, state="decided").exists()
    y1 = flow.ev("y1")
    services.group_decide(actor=leader, group=flow.group("unit:Y"), demote=[y1.pk])
    y1.refresh_from_db()
    assert (y1.state, y1.rating) == ("decided", "good")
    assert y1.result["rating_changes"][-1]["rule"] == "quota:unit:Y"
    assert flow.ev("staff_y").rating == "excellent"
    assert flow.group("unit:Y").decision["chosen_demotions"] == [y1.pk]


def test_a_decision_that_breaks_the_quota_is_not_saved(quota_flow: Flow) -> None:
    flow = quota_flow
    with pytest.raises(Conflict) as refused:
        services.group_decide(actor=flow.user("leader_a"), group=flow.group("unit:X"), demote=[])
    message = refused.value.message_vi
    assert "Vụ Xây dựng" in message and "1 người" in message and "× 2" in message
    assert "= 0,4." in message and "= 0.4." in refused.value.message_en  # each its own mark
    assert flow.ev("staff_x").state != "decided"
    # the engine's proposal holds: staff_x becomes good with the reason recorded
    services.group_decide(actor=flow.user("leader_a"), group=flow.group("unit:X"))
    assert flow.ev("staff_x").rating == "good"


def test_overrides_need_a_document_and_lower_the_rating(quota_flow: Flow) -> None:
    flow = quota_flow
    ev = flow.ev("staff_y")
    with pytest.raises(AccessDenied):
        services.override_add(
            actor=flow.user("head_y"),
            evaluation=ev,
            kind="discipline",
            value="reprimand",
            document_ref="QĐ 12/QĐ-BA",
        )
    with pytest.raises(ValidationFailed):
        services.override_add(
            actor=flow.user("personnel_a"),
            evaluation=ev,
            kind="discipline",
            value="reprimand",
            document_ref="",
        )
    services.override_add(
        actor=flow.user("personnel_a"),
        evaluation=ev,
        kind="discipline",
        value="reprimand",
        document_ref="Quyết định số 12/QĐ-BA",
        reason="Vi phạm quy chế làm việc",
    )
    services.period_compile(actor=flow.user("personnel_a"), period=flow.period)
    ev.refresh_from_db()
    assert ev.rating == "not_completed" and ev.points is not None
    assert ev.proposed["overrides"][0]["document_ref"] == "Quyết định số 12/QĐ-BA"
    assert ev.proposed["rating_changes"][0]["rule"] == "override:discipline"


def test_an_official_rated_not_completed_by_an_override_halves_the_head_s_d(
    quota_flow: Flow,
) -> None:
    """Art. 15(3)(d) read on the decree preset's basis (final_rating): the "not completed"
    level counts whether it comes from the points or from an override (Art. 20)."""
    flow = quota_flow
    ev = flow.ev("staff_y")
    services.override_add(
        actor=flow.user("personnel_a"),
        evaluation=ev,
        kind="discipline",
        value="reprimand",
        document_ref="Quyết định số 13/QĐ-BA",
        reason="Vi phạm quy chế làm việc",
    )
    services.period_compile(actor=flow.user("personnel_a"), period=flow.period)
    ev.refresh_from_db()
    assert ev.points is not None and ev.points >= 50 and ev.rating == "not_completed"
    head = flow.ev("head_y")
    staff = {s["evaluation"]: s for s in head.proposed["leader"]["d"]["staff"]}
    assert staff[ev.pk]["not_completed"] is True
    d = node(tree(head, decided=False), "d")
    assert d["ratio"]["exact"] == "1/2"
    assert dict(d["inputs"])["basis"] == "final_rating"


def test_decide_publish_reopen(quota_flow: Flow) -> None:
    flow = quota_flow
    leader = flow.user("leader_a")
    for code in ("unit:X1", "unit:X"):
        services.group_decide(actor=leader, group=flow.group(code))
    services.group_decide(actor=leader, group=flow.group("unit:Y"), demote=[flow.ev("y1").pk])
    with pytest.raises(AccessDenied):
        flow.step("publish", by="personnel_a", on=PUBLISH)
    flow.publish()
    results = Notification.objects.filter(link__startswith="/evaluations/")  # not task notices
    assert results.filter(recipient=flow.cast.person("y1")).count() == 1

    period = flow.refresh()
    with pytest.raises(AccessDenied):  # a decided period: only the authority reopens
        services.period_reopen(
            actor=flow.user("personnel_a"),
            period=period,
            to_state="decision",
            reason="Sai sót",
            expected_version=period.version,
        )
    with pytest.raises(ValidationFailed):
        services.period_reopen(
            actor=leader,
            period=period,
            to_state="decision",
            reason=" ",
            expected_version=period.version,
        )
    with pytest.raises(Conflict):
        services.period_reopen(
            actor=leader,
            period=period,
            to_state="open",
            reason="x",
            expected_version=period.version,
        )
    services.period_reopen(
        actor=leader,
        period=period,
        to_state="decision",
        reason="Kết luận thanh tra về nhiệm vụ tháng 1 của Vụ Yên Bình",
        expected_version=period.version,
        at=at(D(2026, 2, 12)),
    )
    period = flow.refresh()
    assert period.state == Period.State.DECISION
    assert not Evaluation.objects.filter(period=period, state="decided").exists()
    assert not period.quota_groups.filter(decided_at__isnull=False).exists()
    assert (
        PeriodEvent.objects.filter(period=period, action="reopen")
        .get()
        .reason.startswith("Kết luận")
    )
    entry = AuditEntry.objects.filter(action="evaluations.evaluation.reopen").first()
    assert entry is not None and entry.before["state"] == "decided" and entry.reason
    assert Notification.objects.filter(
        recipient=flow.cast.person("y1"), text__contains="mở lại"
    ).exists()
    # decided again, this time demoting staff_y instead
    flow.rate_units()
    for code in ("unit:X1", "unit:X"):
        services.group_decide(actor=leader, group=flow.group(code))
    services.group_decide(actor=leader, group=flow.group("unit:Y"), demote=[flow.ev("staff_y").pk])
    assert (flow.ev("staff_y").rating, flow.ev("y1").rating) == ("good", "excellent")


def test_reopen_before_decision_by_the_office_sends_evaluations_back(flow: Flow) -> None:
    for name in AGENCY_A:
        flow.task(name)
    flow.step("start_self_assessment", on=D(2026, 1, 26))
    for name in AGENCY_A:
        flow.self_assess(name)
    flow.step("start_review")
    flow.review("staff_x")
    period = flow.refresh()
    versions = dict(period.evaluations.values_list("pk", "version"))
    with CaptureQueriesContext(connection) as queries:
        services.period_reopen(
            actor=flow.user("personnel_a"),
            period=period,
            to_state="self_assessment",
            reason="Thiếu minh chứng tự đánh giá",
            expected_version=period.version,
        )
    # Every evaluation back at once: a fixed number of statements, not a few per person.
    assert len(versions) == len(AGENCY_A) and len(queries) <= 20, len(queries)
    assert set(period.evaluations.values_list("state", flat=True)) == {Evaluation.State.DRAFT}
    assert all(v == versions[pk] + 1 for pk, v in period.evaluations.values_list("pk", "version"))
    entries = AuditEntry.objects.filter(action="evaluations.evaluation.reopen")
    assert sorted(int(e.object_id) for e in entries) == sorted(versions)
    reviewed = entries.get(object_id=str(flow.ev("staff_x").pk))
    assert reviewed.before["state"] == "reviewed" and reviewed.after == {"state": "draft"}
    assert reviewed.reason == "Thiếu minh chứng tự đánh giá"
    assert flow.ev("staff_x").state == Evaluation.State.DRAFT
    assert flow.ev("staff_x").scores.count() == 10  # the self scores stay, to be resubmitted
