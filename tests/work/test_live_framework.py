"""Live points use the framework in force for the person's agency (issue 12, point 6): the
period covering the month, else the agency's latest period's, else the agency's own
published version, else the national default. So an agency on `ban-cscl-2025` sees the
numbers its evaluation will give, and live points, the evaluation and the CLI agree on the
same facts and framework, whatever the preset."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.conftest import Cast
from tests.evaluations.conftest import Flow, open_period
from tests.work.conftest import Work, at
from thuocdo.core import clock
from thuocdo.evaluations import services as evaluations
from thuocdo.evaluations.compute import compute_person, evaluation_inputs, score_inputs
from thuocdo.evaluations.models import Evaluation, Period
from thuocdo.frameworks import services as frameworks
from thuocdo.frameworks.models import FrameworkVersion
from thuocdo.frameworks.selectors import (
    DEFAULT_FRAMEWORK,
    InForceCache,
    engine_framework,
    framework_in_force,
)
from thuocdo.scoring import KindFacts, PersonInputs, load_preset, run_scenario, score_person
from thuocdo.scoring.numbers import fmt_decimal, fmt_points
from thuocdo.work import live
from thuocdo.work.jobs import start_live_refresh
from thuocdo.work.models import LiveMonth, Task
from thuocdo.work.selectors import DateRange, live_kpi, task_facts, task_lines

D = dt.date
BAN = "ban-cscl-2025"
PRESETS = [DEFAULT_FRAMEWORK, BAN]
# The dates below are March 2026's: the test states its day (tests/clock.py).
pytestmark = [pytest.mark.django_db, pytest.mark.now("2026-03-18 09:30")]
MARCH = DateRange.month(2026, 3)
TODAY = D(2026, 3, 18)
GENERAL = 25  # the general criteria a self-assessment gives (30 at most)


@pytest.fixture
def presets(db: None) -> None:
    """The shipped presets stored as published national versions (from 1 January 2026)."""
    call_command("load_presets", stdout=StringIO())


def march_work(work: Work, owner: str = "staff_x") -> None:
    """A month of mixed work, all due by today: planned done, arising not done, other
    done. The decree weighs every kind alike (a = 2.5 / 3.5); the Ban weighs each kind
    (0.6, 0.3, 0.1), so the two frameworks give different points for the same facts."""
    boss = "head_x"
    planned = work.assign(
        owner, by=boss, kind=Task.Kind.PLANNED, product="CV", quantity=2,
        deadline=D(2026, 3, 10), on=D(2026, 3, 2),
    )  # fmt: skip
    work.act(work.act(planned, "submit", by=owner, on=D(2026, 3, 9)), "accept", by=boss,
             on=D(2026, 3, 9))  # fmt: skip
    work.assign(
        owner, by=boss, kind=Task.Kind.ARISING, product="TD", quantity=1,
        deadline=D(2026, 3, 12), on=D(2026, 3, 2), title="Thẩm định còn dở",
    )  # fmt: skip
    other = work.assign(
        owner, by=boss, kind=Task.Kind.OTHER, product="DX", quantity=1,
        deadline=D(2026, 3, 16), on=D(2026, 3, 3), title="Đề xuất được giao thêm",
    )  # fmt: skip
    work.act(work.act(other, "submit", by=owner, on=D(2026, 3, 13)), "accept", by=boss,
             on=D(2026, 3, 13))  # fmt: skip


def march_period(cast: Cast, key: str) -> Period:
    return evaluations.period_create(
        actor=cast.user("personnel_a"),
        agency=cast.agency_a,
        kind=Period.Kind.MONTH,
        year=2026,
        number=3,
        framework_key=key,
        at=at(D(2026, 3, 2)),
    )


def evaluated(work: Work, period: Period, name: str = "staff_x") -> Evaluation:
    """The person's evaluation of the period, self-assessed with GENERAL points."""
    flow = Flow(work.cast, work, period)
    flow.step("start_self_assessment", on=TODAY)
    return flow.self_assess(name, GENERAL, on=TODAY)


def kept(work: Work, name: str = "staff_x") -> live.Live:
    pid = work.cast.person(name).pk
    return live.live_points([pid], [MARCH], today=clock.today())[MARCH][pid]


def evaluation_task_points(ev: Evaluation) -> Decimal:
    """What the evaluation's compute gives for the task part: its points less the general
    criteria (whole points, so rounding the total or the part is the same)."""
    result, _data = compute_person(ev)
    assert result.status == "scored" and result.points is not None, result.reason_en
    return Decimal(result.points) - GENERAL


def scenario_task_points(work: Work, key: str, name: str = "staff_x") -> Decimal:
    """The CLI (`thuocdo score`, i.e. `run_scenario`) on the same tasks, line by line."""
    person = work.cast.person(name)
    lines = task_lines(person, MARCH, as_of=TODAY)
    general = {
        "g1_politics": 5, "g1_ethics": 5, "g2_culture": "2.5", "g2_discipline": "2.5",
        "g2_service": "2.5", "g2_coordination": "2.5", "g3_competence": "2.5",
        "g3_learning": "2.5", "g3_innovation": 0, "g3_daring": 0,
    }  # fmt: skip
    assert sum(Fraction(str(v)) for v in general.values()) == GENERAL
    doc: dict[str, Any] = {
        "scenario": "thuocdo/scenario@1",
        "framework": key,
        "period": {"kind": "month", "label": "2026-03"},
        "people": [
            {
                "id": name,
                "role": "staff",
                "general": general,
                "tasks": [
                    {
                        "key": line.key,
                        "title": line.title,
                        "kind": line.kind,
                        "quantity": fmt_decimal(line.quantity),
                        "coefficient": fmt_decimal(line.coefficient),
                        "done": fmt_decimal(line.done),
                        "failures": line.failures,
                        "exempt_failures": line.exempt_failures,
                        "delays": line.delays,
                        "exempt_delays": line.exempt_delays,
                        **({"extra": line.extra} if line.extra else {}),
                    }
                    for line in lines
                ],
            }
        ],
    }
    out = run_scenario(doc, explain=False)["people"][0]
    return Decimal(str(out["points"])) - GENERAL


def decree_points(work: Work, name: str = "staff_x") -> Decimal | None:
    """The same facts under the decree preset: what live points showed before the fix."""
    fw = load_preset(DEFAULT_FRAMEWORK)
    person = work.cast.person(name)
    facts: dict[str, KindFacts] = task_facts([person.pk], MARCH, fw, as_of=TODAY)[person.pk]
    inputs = PersonInputs(str(person.pk), "staff", tasks=facts, given_points={"general": 0})
    return score_person(fw, inputs).points


# --- the framework in force --------------------------------------------------------------------


def test_the_framework_in_force_follows_the_agencys_periods_then_its_own_versions(
    cast: Cast, presets: None
) -> None:
    agency = cast.agency_a
    # Nothing chosen: the national default, stored.
    found = framework_in_force(agency, MARCH.end)
    assert (found.framework.id, found.source) == (DEFAULT_FRAMEWORK, "national")
    # The agency's own published version, when it has no period yet.
    own = frameworks.framework_import(actor=None, agency=agency, document_or_preset_name=BAN)
    frameworks.framework_publish(actor=None, version=own, valid_from=D(2026, 1, 1))
    found = framework_in_force(agency, MARCH.end)
    assert (found.framework.id, found.source, found.version_id) == (BAN, "agency", own.pk)
    # A period on the decree covering January: it wins in January, and is the agency's
    # latest choice for the months after it.
    open_period(cast, framework_key=DEFAULT_FRAMEWORK)
    assert framework_in_force(agency, D(2026, 1, 31)).source == "period"
    assert framework_in_force(agency, D(2026, 1, 31)).framework.id == DEFAULT_FRAMEWORK
    after = framework_in_force(agency, MARCH.end)
    assert (after.framework.id, after.source) == (DEFAULT_FRAMEWORK, "latest_period")
    # A period on the Ban's framework covering March.
    march_period(cast, BAN)
    found = framework_in_force(agency, MARCH.end)
    assert (found.framework.id, found.source) == (BAN, "period")
    assert framework_in_force(agency, D(2026, 1, 15)).framework.id == DEFAULT_FRAMEWORK
    # Another agency is not touched; a unit answers for its agency.
    assert framework_in_force(cast.agency_b, MARCH.end).framework.id == DEFAULT_FRAMEWORK
    assert framework_in_force(cast.office_x1, MARCH.end).framework.id == BAN


def test_with_nothing_stored_it_is_the_shipped_default_preset(cast: Cast) -> None:
    assert not FrameworkVersion.objects.exists()
    found = framework_in_force(cast.agency_a, MARCH.end)
    assert found.source == "preset" and found.version_id is None
    assert found.framework == load_preset(DEFAULT_FRAMEWORK)


def test_resolving_for_many_months_reads_each_agency_once(
    cast: Cast, presets: None, django_assert_num_queries: Any
) -> None:
    march_period(cast, BAN)
    months = live.months_back(TODAY)
    cache = InForceCache()
    with django_assert_num_queries(1):  # the periods and the versions: one UNION
        found = {cache.get(cast.agency_a.pk, month.end).framework.id for month in months}
    assert found == {BAN}  # March's period, and the latest for the months before it


# --- live points are the evaluation's ----------------------------------------------------------


def test_an_agency_on_the_ban_framework_sees_its_evaluations_numbers_live(
    client: Client, work: Work, presets: None
) -> None:
    cast = work.cast
    march_work(work)
    period = march_period(cast, BAN)
    row = kept(work)
    ev = evaluated(work, period)
    assert ev.framework.key == BAN
    expected = evaluation_task_points(ev)
    assert row.points == expected
    assert expected != decree_points(work)  # the framework matters for these facts
    # a, b, c are the Ban's volume, quality and timeliness groups
    fw = engine_framework(ev.framework)
    result, _ = score_inputs(fw, ev.person_id, evaluation_inputs(ev, fw), explain=True)
    assert result.breakdown is not None
    groups = [result.breakdown.find(key) for key in live.part_keys(fw)]
    assert live.part_keys(fw) == ("volume", "quality", "timeliness")
    assert (row.a, row.b, row.c) == tuple(g.ratio for g in groups if g is not None)
    # The kept row says it was made with the framework in force: the Ban's
    stored = LiveMonth.objects.get(person=cast.person("staff_x"), month=MARCH.start)
    assert stored.framework == live.framework_key(fw, in_force=True)
    # My work and "Vì sao?" show the same points, and name the framework
    login = cast.user("staff_x")
    client.force_login(login)
    for name in ("web:work_mine", "web:work_why"):
        page = client.get(reverse(name)).content.decode()
        assert f'data-kpi="points">{fmt_points(Fraction(expected)).replace(".", ",")}' in page, name
        assert fw.title_vi in page
    # …and so does the personal dashboard (it scores the month with the same framework)
    page = client.get(reverse("web:dashboard")).content.decode()
    shown = fmt_points(Fraction(expected)).replace(".", ",")
    assert f'data-kpi="points"><a href="/work/why/">{shown}' in page
    # …and the per-person selector the pages use
    person = cast.person("staff_x")
    preview = live_kpi(person=person, period=MARCH, general_points=0, as_of=TODAY)
    assert preview.points == expected


@pytest.mark.parametrize("key", PRESETS)
def test_live_points_the_evaluation_and_the_cli_agree_on_the_same_facts(
    work: Work, presets: None, key: str
) -> None:
    march_work(work)
    march_work(work, owner="staff_x1")
    period = march_period(work.cast, key)
    agency = work.cast.agency_a.pk
    assert live.warm(agency, today=clock.today()) > 0  # the job's path fills the rows…
    live_points = {name: kept(work, name).points for name in ("staff_x", "staff_x1")}
    assert live.warm(agency, today=clock.today()) == 0  # …which are those read after
    flow = Flow(work.cast, work, period)
    flow.step("start_self_assessment", on=TODAY)
    for name in ("staff_x", "staff_x1"):
        ev = flow.self_assess(name, GENERAL, on=TODAY)
        assert ev.framework.content_hash == load_preset(key).content_hash  # the same framework
        from_evaluation = evaluation_task_points(ev)
        from_cli = scenario_task_points(work, key, name)
        assert live_points[name] == from_evaluation == from_cli, (name, key)


# --- a change of framework recomputes the kept rows ---------------------------------------------


def test_opening_a_period_on_another_framework_makes_the_kept_rows_stale(
    work: Work, presets: None
) -> None:
    march_work(work)
    before = kept(work)
    assert before.points == decree_points(work)  # nothing chosen yet: the national default
    pid = work.cast.person("staff_x").pk
    assert live.fresh_rows([pid], [MARCH], today=TODAY).count() == 1
    period = march_period(work.cast, BAN)
    assert live.fresh_rows([pid], [MARCH], today=TODAY).count() == 0
    after = kept(work)
    assert after.points != before.points
    assert after.points == evaluation_task_points(evaluated(work, period))


def test_moving_a_periods_deadlines_leaves_the_kept_rows_fresh(work: Work, presets: None) -> None:
    march_work(work)
    period = march_period(work.cast, BAN)
    kept(work)
    pid = work.cast.person("staff_x").pk
    assert live.fresh_rows([pid], [MARCH], today=TODAY).count() == 1
    evaluations.period_set_deadlines(
        actor=work.cast.user("personnel_a"),
        period=period,
        expected_version=period.version,
        deadlines={"decision_until": dt.date(2026, 4, 20)},
    )
    period.refresh_from_db()
    assert period.decision_until == dt.date(2026, 4, 20)
    assert live.fresh_rows([pid], [MARCH], today=TODAY).count() == 1  # same framework


def test_publishing_the_agencys_own_version_makes_the_kept_rows_stale(
    work: Work, presets: None
) -> None:
    march_work(work)
    pid = work.cast.person("staff_x").pk
    other = work.cast.person("staff_z").pk  # agency B: its rows stay
    kept(work)
    live.live_points([other], [MARCH], today=TODAY)
    own = frameworks.framework_import(
        actor=None, agency=work.cast.agency_a, document_or_preset_name=BAN
    )
    assert live.fresh_rows([pid], [MARCH], today=TODAY).count() == 1  # a draft: nothing yet
    frameworks.framework_publish(actor=None, version=own, valid_from=D(2026, 1, 1))
    assert live.fresh_rows([pid], [MARCH], today=TODAY).count() == 0
    assert live.fresh_rows([other], [MARCH], today=TODAY).count() == 1
    assert kept(work).points != decree_points(work)


def test_the_refresh_job_warms_with_the_agencys_framework(work: Work, presets: None) -> None:
    march_work(work)
    march_period(work.cast, BAN)
    start_live_refresh(agency=work.cast.agency_a, actor=work.cast.user("leader_a"))
    ban = load_preset(BAN)
    row = LiveMonth.objects.get(person=work.cast.person("staff_x"), month=MARCH.start)
    assert row.framework == live.framework_key(ban, in_force=True)
    assert row.points is not None and row.points != decree_points(work)
    # The rows read by someone naming the Ban's framework are the same rows
    pid = work.cast.person("staff_x").pk
    assert live.fresh_rows([pid], [MARCH], today=TODAY, fw=ban).count() == 1
    assert (
        live.fresh_rows([pid], [MARCH], today=TODAY, fw=load_preset(DEFAULT_FRAMEWORK)).count() == 0
    )
