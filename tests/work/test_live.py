"""Live points kept per person and month (`work.live`): the same numbers as scoring afresh,
read without recomputing, and recomputed whenever a task, a post, the day or the framework
changes them — also when a task changes while a request is computing."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.work.conftest import JAN_5, JAN_10, JAN_20, Work
from thuocdo.org.services import person_move
from thuocdo.work import live
from thuocdo.work.models import LiveMonth, LiveStamp
from thuocdo.work.selectors import DateRange, live_kpi

pytestmark = pytest.mark.django_db

JAN = DateRange.month(2026, 1)
FEB_15 = dt.date(2026, 2, 15)


def expected_points(work: Work, person: str = "staff_x", as_of: dt.date = JAN.end) -> Fraction:
    result = live_kpi(person=work.cast.person(person), period=JAN, general_points=0, as_of=as_of)
    assert result.points is not None
    return Fraction(result.points)


def read(work: Work, person: str = "staff_x", today: dt.date = FEB_15) -> tuple[live.Live, int]:
    """The kept month and how many queries reading it took."""
    pid = work.cast.person(person).pk
    with CaptureQueriesContext(connection) as queries:
        month = live.live_points([pid], [JAN], today=today)[JAN][pid]
    return month, len(queries.captured_queries)


def two_tasks(work: Work) -> None:
    done = work.assign(quantity=2)
    work.act(work.act(done, "submit"), "accept", by="head_x")
    work.assign(title="Công văn còn dở", quantity=2)


def test_kept_points_are_the_engines_and_are_read_in_one_query(work: Work) -> None:
    two_tasks(work)
    first, cold = read(work)
    assert first.points is not None and Fraction(first.points) == expected_points(work)
    assert first.a == Fraction(1, 2) and first.counted == 2
    again, warm = read(work)
    assert warm == 1 < cold  # the fresh row, nothing recomputed
    assert (again.points, again.ratios, again.counted) == (
        first.points,
        first.ratios,
        first.counted,
    )
    assert LiveMonth.objects.filter(person=work.cast.person("staff_x"), month=JAN.start).exists()


def test_a_task_write_makes_the_owners_month_stale(work: Work) -> None:
    two_tasks(work)
    before, _ = read(work)
    token = LiveStamp.objects.get(person=work.cast.person("staff_x")).token
    late = work.assign(title="Thêm một báo cáo", quantity=1)
    work.act(work.act(late, "submit"), "accept", by="head_x")
    assert LiveStamp.objects.get(person=work.cast.person("staff_x")).token != token
    after, queries = read(work)
    assert queries > 1  # recomputed
    assert after.points != before.points
    assert after.points is not None and Fraction(after.points) == expected_points(work)


def test_the_open_month_moves_with_the_day(work: Work) -> None:
    work.assign(title="Việc hạn 20/01", deadline=JAN_20)  # open: counts once due
    early, _ = read(work, today=JAN_10)
    assert early.counted == 0 and early.points is None and early.reason_vi
    due, queries = read(work, today=dt.date(2026, 1, 25))
    assert queries > 1 and due.counted == 1  # the kept row of the 10th was not reused
    assert due.points is not None and Fraction(due.points) == expected_points(
        work, as_of=dt.date(2026, 1, 25)
    )


def test_a_new_post_changes_the_role_behind_the_points(work: Work) -> None:
    two_tasks(work)
    staff, _ = read(work)
    assert staff.role == "staff" and not staff.leader_pending and staff.points is not None
    cast = work.cast
    person_move(
        actor=None,
        person=cast.person("staff_x"),
        unit=cast.office_x1,
        role="head",
        start_date=JAN_5 + dt.timedelta(days=10),
    )
    head, queries = read(work)
    assert queries > 1
    assert head.role == "head" and head.leader_pending and head.points is None
    assert head.a == staff.a  # the same tasks: a, b, c stay; d, đ, e wait for the evaluation


def test_a_task_written_while_a_request_computes_is_not_lost(
    work: Work, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The facts are read, then a task is accepted and committed, then the row is kept:
    it carries the token read before, so the next read recomputes it."""
    two_tasks(work)
    pending = work.assign(title="Nghiệm thu chen ngang", quantity=2)
    real = live.task_facts

    def facts_then_a_write(*args: object, **kwargs: object) -> object:
        facts = real(*args, **kwargs)  # type: ignore[arg-type]
        work.act(work.act(pending, "submit"), "accept", by="head_x")
        return facts

    monkeypatch.setattr(live, "task_facts", facts_then_a_write)
    stale, _ = read(work)
    monkeypatch.setattr(live, "task_facts", real)
    fresh, queries = read(work)
    assert queries > 1
    assert fresh.points != stale.points
    assert fresh.points is not None and Fraction(fresh.points) == expected_points(work)


def test_another_framework_formula_recomputes(work: Work, monkeypatch: pytest.MonkeyPatch) -> None:
    two_tasks(work)
    read(work)
    monkeypatch.setattr(live, "FORMULA", live.FORMULA + 1)
    _, queries = read(work)
    assert queries > 1


def test_the_summary_in_sql_matches_the_kept_rows(work: Work) -> None:
    two_tasks(work)
    other = work.assign("staff_x1", by="head_x", quantity=3)
    work.act(work.act(other, "submit", by="staff_x1"), "accept", by="head_x")
    cast = work.cast
    ids = [cast.person(name).pk for name in ("staff_x", "staff_x1", "head_x", "staff_y")]
    months = [DateRange.month(2025, 12), JAN]
    rows = live.live_points(ids, months, today=FEB_15)
    summary, last = live.summarise(ids, months, today=FEB_15)
    for month in months:
        points = [Fraction(r.points) for r in rows[month].values() if r.points is not None]
        assert summary[month].scored == len(points)
        assert summary[month].people == len(ids)
        assert summary[month].mean == (sum(points) / len(points) if points else None)
    assert {pid: Fraction(h, 100) for pid, h in last.items()} == {
        pid: Fraction(r.points) for pid, r in rows[JAN].items() if r.points is not None
    }
    assert len(last) == 2  # the two officials with work; the head waits for d, đ, e
