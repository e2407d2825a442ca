"""The product's one clock (thuocdo.core.clock) and the suite's pin over it (tests/clock.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.clock import Travel, base_moment
from thuocdo.core import clock
from thuocdo.reports.numbers import vn_date

UTC = dt.UTC


@pytest.mark.now("2026-12-02 06:30")
def test_today_is_the_agencys_date_while_utc_is_still_yesterday() -> None:
    assert clock.now().astimezone(UTC).date() == dt.date(2026, 12, 1)
    assert clock.today() == dt.date(2026, 12, 2)


@pytest.mark.now("2026-11-30 23:30")
def test_late_evening_in_hanoi_is_still_the_same_day_there() -> None:
    assert clock.today() == dt.date(2026, 11, 30)
    assert clock.now().astimezone(UTC).hour == 16


def test_a_stored_moment_is_dated_by_the_agencys_calendar() -> None:
    decided = dt.datetime(2026, 12, 1, 17, 30, tzinfo=UTC)  # 00:30 on 2 December in Hà Nội
    assert clock.local_date(decided) == dt.date(2026, 12, 2)
    assert vn_date(decided) == "02/12/2026"  # the PDF used to print the UTC date, 01/12
    assert clock.at(dt.date(2026, 12, 2), 0, 30) == decided


def test_an_unmarked_test_runs_at_the_pinned_moment() -> None:
    assert clock.today() == base_moment().date()
    # The pin holds for Python's own clock too, which Django and its libraries read.
    assert abs(dt.datetime.now(UTC) - base_moment()) < dt.timedelta(minutes=5)  # noqa: TID251


@pytest.mark.now("2028-02-29 09:30")
def test_a_marked_test_runs_at_its_own_moment() -> None:
    assert clock.today() == dt.date(2028, 2, 29)


def test_travel_moves_the_clock_within_a_test(travel: Travel) -> None:
    travel.to("2027-01-01 00:05")
    assert clock.today() == dt.date(2027, 1, 1) == travel.today()
    travel.shift(-dt.timedelta(minutes=10))
    assert clock.today() == dt.date(2026, 12, 31)


def test_the_clock_ticks_from_the_pinned_moment() -> None:
    first = clock.now()
    later = clock.now()
    assert dt.timedelta(0) <= later - first < dt.timedelta(seconds=5)
    assert abs(first - base_moment()) < dt.timedelta(minutes=5)
