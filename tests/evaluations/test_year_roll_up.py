"""The year: the mean of the monthly points over the months worked, wherever the person
worked; fewer than 6 months worked: not rated; the year period's deadline."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.conftest import Cast
from thuocdo.core.errors import Conflict
from thuocdo.evaluations import services
from thuocdo.evaluations.compute import compute_year
from thuocdo.evaluations.models import Evaluation, LeaveMonth, Period
from thuocdo.evaluations.selectors import year_months
from thuocdo.frameworks.models import FrameworkVersion
from thuocdo.org import services as org
from thuocdo.org.models import Unit

from .conftest import open_period

D = dt.date


def _decided_month(
    agency: Unit, unit: Unit, person_name: str, cast: Cast, month: int, points: str
) -> Evaluation:
    period, _ = Period.objects.get_or_create(
        agency=agency,
        kind="month",
        year=2026,
        number=month,
        defaults={
            "start": D(2026, month, 1),
            "end": D(2026, month, 28),
            "state": Period.State.LOCKED,
        },
    )
    return Evaluation.objects.create(
        period=period,
        person=cast.person(person_name),
        agency=agency,
        unit=unit,
        role="staff",
        framework=FrameworkVersion.objects.get(key="decree-335-2025", agency__isnull=True),
        state=Evaluation.State.DECIDED,
        decided_at=dt.datetime(2026, month, 28, tzinfo=dt.UTC),
        points=Decimal(points),
        rating="good",
    )


def _year_evaluation(cast: Cast, agency: Unit, unit: Unit, name: str) -> Evaluation:
    period = Period.objects.create(
        agency=agency,
        kind="year",
        year=2026,
        start=D(2026, 1, 1),
        end=D(2026, 12, 31),
        state=Period.State.DECISION,
    )
    return Evaluation.objects.create(
        period=period,
        person=cast.person(name),
        agency=agency,
        unit=unit,
        role="staff",
        framework=FrameworkVersion.objects.get(key="decree-335-2025", agency__isnull=True),
    )


def test_the_year_carries_months_across_a_transfer(cast: Cast, presets: None) -> None:
    for month, points in ((1, "80"), (2, "90"), (3, "70"), (4, "85")):
        _decided_month(cast.agency_a, cast.unit_x, "staff_x", cast, month, points)
    org.person_move(
        actor=None,
        person=cast.person("staff_x"),
        unit=cast.unit_z,
        start_date=D(2026, 5, 1),
        reason="Điều động",
    )
    for month, points in ((5, "95"), (6, "60"), (7, "75")):
        _decided_month(cast.agency_b, cast.unit_z, "staff_x", cast, month, points)
    LeaveMonth.objects.create(person=cast.person("staff_x"), year=2026, month=8, status="maternity")

    sources = year_months(cast.person("staff_x"), 2026)
    assert {s.agency_id for s in sources if s.points is not None} == {
        cast.agency_a.pk,
        cast.agency_b.pk,
    }
    ev = _year_evaluation(cast, cast.agency_b, cast.unit_z, "staff_x")
    data = compute_year(ev)
    assert data["status"] == "rated"
    assert data["months_counted"] == [1, 2, 3, 4, 5, 6, 7]
    assert {"month": 8, "why": "maternity"} in data["months_left_out"]
    assert Decimal(data["points"]) == Decimal("79.29")  # 555 ÷ 7
    assert data["rating"] == "good"


def test_fewer_than_six_months_is_not_rated(cast: Cast, presets: None) -> None:
    for month in (1, 2, 3, 4, 5):
        _decided_month(cast.agency_a, cast.unit_x, "staff_y", cast, month, "88")
    ev = _year_evaluation(cast, cast.agency_a, cast.unit_y, "staff_y")
    data = compute_year(ev)
    assert data["status"] == "not_rated" and data["rating"] is None
    assert "5 tháng" in data["reason_vi"]


def test_the_year_period_defaults_to_the_15_december_deadline(cast: Cast, presets: None) -> None:
    office = cast.user("personnel_a")
    period = services.period_create(actor=office, agency=cast.agency_a, kind="year", year=2026)
    assert period.decision_until == D(2026, 12, 15)
    assert str(period) == "Năm 2026"
    open_period(cast)  # January 2026: the agency evaluates by months
    with pytest.raises(Conflict, match="một cách"):
        services.period_create(
            actor=office, agency=cast.agency_a, kind="quarter", year=2026, number=1
        )


def test_closing_a_year_period_rolls_the_months_up(cast: Cast, presets: None) -> None:
    """The period's close scores a year as the roll-up of its months, not as a month."""
    from thuocdo.evaluations import close

    for month, points in ((1, "80"), (2, "90"), (3, "70"), (4, "85"), (5, "95"), (6, "60")):
        _decided_month(cast.agency_a, cast.unit_x, "staff_x", cast, month, points)
    ev = _year_evaluation(cast, cast.agency_a, cast.unit_x, "staff_x")
    close.compile_period(
        actor=cast.user("personnel_a"),
        period=ev.period,
        now=dt.datetime(2026, 12, 10, tzinfo=dt.UTC),
    )
    ev.refresh_from_db()
    assert ev.proposed == compute_year(ev)
    assert ev.proposed["months_counted"] == [1, 2, 3, 4, 5, 6] and ev.points == Decimal("80.00")
