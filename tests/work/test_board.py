"""The agency's kept per-unit totals (`work.board`) give the numbers the person-level
path gives: the same live summary per month, the same unit standings, the same work
counts; and they are replaced whole by each refresh."""

from __future__ import annotations

from dataclasses import astuple

from tests.work.conftest import Work
from tests.work.test_task_facts import life
from thuocdo.core import clock
from thuocdo.org.models import Assignment, Unit
from thuocdo.org.selectors import current
from thuocdo.web import dashboards as dash
from thuocdo.work import board, live
from thuocdo.work.models import Task, UnitMonth


def standing_facts(standings: list[dash.Standing]) -> list[tuple[object, ...]]:
    return [
        (s.unit.pk, s.headcount, s.staff, s.scored, s.hundredths, astuple(s.rates))
        for s in standings
    ]


def test_kept_unit_totals_are_the_person_level_numbers(work: Work) -> None:
    life(work)
    # work this month too, so that the open month and the ranked one are not empty
    today = clock.today()
    for owner in ("staff_x", "staff_x1", "deputy_x"):
        task = work.assign(owner, kind=Task.Kind.ARISING, deadline=today, on=today.replace(day=1))
        work.act(work.act(task, "submit", by=owner, on=today), "accept", by="head_x", on=today)
    agency = work.cast.agency_a
    stale, written = board.refresh(agency.pk, today=today)
    assert stale > 0 and written == UnitMonth.objects.filter(agency=agency).count() > 0

    units = list(Unit.objects.filter(agency=agency).order_by("path"))
    top = [u for u in units if u.depth == 1]
    members = list(
        Assignment.objects.filter(
            current(today), is_concurrent=False, unit__agency=agency
        ).values_list("person_id", "unit__path", "role")
    )
    rank_month = dash.rank_period(today)
    summary, points = live.summarise(
        [pid for pid, _path, _role in members],
        live.months_back(today),
        today=today,
        points_in=rank_month,
    )
    paths = {u.pk: u.path for u in units}
    kept = board.read(agency.pk, live.months_back(today), paths)
    assert kept.current(today) and kept.computed_at is not None
    assert dash.board_summary(kept, today) == summary
    assert any(month.scored for month in summary.values())

    tasks = Task.objects.filter(agency=agency)
    # the person-level path: every member a part of their unit
    ranked, thin = dash.standings(
        [
            dash.Part(path, 1, role not in live.LEADER_ROLES, pid in points, points.get(pid, 0))
            for pid, path, role in members
        ],
        top,
        dash.roll_up_rates(dash.rates_by_unit(tasks, rank_month, today), top, paths),
    )
    kept_ranked, kept_thin = dash.board_standings(
        board.unit_rows(agency.pk, rank_month, paths), paths, top
    )
    assert standing_facts(kept_ranked) == standing_facts(ranked)
    assert standing_facts(kept_thin) == standing_facts(thin)
    assert sum(s.headcount for s in ranked + thin) > 0
    # a department's rates take in its offices' work (staff_x1's task lies in office X1)
    x = next(s for s in kept_ranked + kept_thin if s.unit == work.cast.unit_x)
    assert rank_month != dash.month_of(today) or x.rates.counted == 3

    period = dash.month_of(today)
    expected = dash.Rates()
    for rates in dash.rates_by_unit(tasks, period, today).values():
        expected.add(rates)
    sums = kept.totals(period)
    assert tuple(sums[name] for name in board.COUNTS) == astuple(expected)[:-1]
    assert expected.counted == 3


def test_a_refresh_replaces_the_agencys_rows_and_no_other(work: Work) -> None:
    today = clock.today()
    board.refresh(work.cast.agency_a.pk, today=today)
    board.refresh(work.cast.agency_b.pk, today=today)
    mine = set(UnitMonth.objects.filter(agency=work.cast.agency_a).values_list("pk", flat=True))
    others = set(UnitMonth.objects.exclude(agency=work.cast.agency_a).values_list("pk", flat=True))
    assert mine and others
    board.refresh(work.cast.agency_a.pk, today=today)
    again = set(UnitMonth.objects.filter(agency=work.cast.agency_a).values_list("pk", flat=True))
    assert again and not again & mine  # replaced whole
    assert (
        set(UnitMonth.objects.exclude(agency=work.cast.agency_a).values_list("pk", flat=True))
        == others
    )
