"""Art. 11, 19 in the product: leave months recorded by the personnel office count as time in
service towards the 6-month minimum; the year is rated on the months actually worked."""

from __future__ import annotations

from decimal import Decimal

from tests.conftest import Cast
from thuocdo.evaluations import services
from thuocdo.evaluations.compute import compute_year

from .test_year_roll_up import _decided_month, _year_evaluation

FOUR = ((1, "80"), (2, "90"), (3, "70"), (4, "85"))  # mean 81.25


def _four_months_and(cast: Cast, status: str) -> dict[str, object]:
    for month, points in FOUR:
        _decided_month(cast.agency_a, cast.unit_x, "staff_x", cast, month, points)
    for month in range(5, 13):
        services.leave_month_set(
            actor=cast.user("personnel_a"),
            person=cast.person("staff_x"),
            year=2026,
            month=month,
            status=status,
        )
    return compute_year(_year_evaluation(cast, cast.agency_a, cast.unit_x, "staff_x"))


def test_four_months_worked_and_eight_of_maternity_leave_are_rated(
    cast: Cast, presets: None
) -> None:
    data = _four_months_and(cast, "maternity")
    assert data["status"] == "rated"
    assert data["months_counted"] == [1, 2, 3, 4]
    assert Decimal(data["points"]) == Decimal("81.25")
    assert data["breakdown"]["inputs"]["leave_months"] == "8"


def test_four_months_worked_and_eight_of_unpaid_leave_are_not_rated(
    cast: Cast, presets: None
) -> None:
    data = _four_months_and(cast, "unpaid")
    assert data["status"] == "not_rated" and data["rating"] is None
    assert "Làm việc 4 tháng + 0 tháng nghỉ" in data["reason_vi"]
