"""Art. 11, 19: sick or maternity leave keeps the year rated on the months actually worked.

Months whose status is in ``roll_up.leave_statuses`` count as time in service towards
``min_months_worked`` but are left out of the mean; any other absence (``not_worked``, and
``unpaid`` unless the framework lists it) does not count towards the minimum. A month
counts as worked when it has a score (``worked_month: has_score``).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from thuocdo.scoring import (
    Framework,
    FrameworkError,
    MonthEntry,
    loads_document,
    preset_data,
    roll_up,
    run_scenario,
    validate_framework,
)
from thuocdo.scoring.rollup import year_is_rated

from .conftest import EXAMPLES


def year(worked: dict[int, str], **others: str) -> list[MonthEntry]:
    """Months with points (status worked) plus ``m<n>=status`` months without points."""
    out = [MonthEntry(m, Decimal(p)) for m, p in worked.items()]
    out += [MonthEntry(int(k[1:]), None, s) for k, s in others.items()]
    return out


def statuses(months: range, status: str) -> dict[str, str]:
    return {f"m{m}": status for m in months}


def with_roll_up(fw: Framework, **changes: Any) -> Framework:
    data = fw.to_data()
    data["roll_up"].update(changes)
    return validate_framework(data)


def inputs_of(r: Any) -> dict[str, str]:
    return dict(r.breakdown.inputs)


FOUR = {1: "80", 2: "90", 3: "70", 4: "85"}  # mean 81.25


# -- the rule -----------------------------------------------------------------------------
def test_the_rule_counts_leave_towards_the_minimum_and_needs_a_scored_month() -> None:
    assert year_is_rated(4, 8, 6)
    assert year_is_rated(6, 0, 6)
    assert year_is_rated(1, 5, 6)
    assert not year_is_rated(1, 4, 6)
    assert not year_is_rated(5, 0, 6)
    assert not year_is_rated(0, 12, 6)  # nothing to rate the year on


def test_the_decree_preset_lists_sick_and_maternity_leave(decree: Any, ban: Any) -> None:
    assert decree.roll_up.leave_statuses == ("sick", "maternity")
    assert ban.roll_up.leave_statuses == ("sick", "maternity")


# -- engine ---------------------------------------------------------------------------------
def test_four_months_worked_and_eight_of_maternity_leave_rate_on_the_four(decree: Any) -> None:
    r = roll_up(decree, year(FOUR, **statuses(range(5, 13), "maternity")))
    assert r.status == "rated"
    assert r.months_counted == (1, 2, 3, 4)
    assert r.exact == Fraction(325, 4)
    assert r.points == Decimal("81.25")
    assert r.rating == "good"
    assert r.months_left_out == tuple((m, "maternity") for m in range(5, 13))
    inputs = inputs_of(r)
    assert inputs["months_counted"] == "4"
    assert inputs["leave_months"] == "8"
    assert inputs["months_in_service"] == "12"
    assert inputs["min_months_worked"] == "6"


def test_four_months_worked_and_eight_not_worked_are_not_rated(decree: Any) -> None:
    r = roll_up(decree, year(FOUR, **statuses(range(5, 13), "not_worked")))
    assert (r.status, r.points, r.rating) == ("not_rated", None, None)
    assert "4 tháng" in r.reason_vi and "0 tháng nghỉ" in r.reason_vi
    assert "4 month(s) worked" in r.reason_en and "0 month(s) of leave" in r.reason_en
    assert inputs_of(r)["leave_months"] == "0"


def test_one_month_worked_and_four_sick_are_five_in_service_not_rated(decree: Any) -> None:
    others = {**statuses(range(2, 6), "sick"), **statuses(range(6, 13), "not_worked")}
    r = roll_up(decree, year({1: "90"}, **others))
    assert r.status == "not_rated"
    assert "Làm việc 1 tháng" in r.reason_vi
    assert "4 tháng nghỉ" in r.reason_vi and "= 5 tháng (< 6)" in r.reason_vi
    assert "1 month(s) worked + 4 month(s) of leave" in r.reason_en
    assert "= 5 (< 6)" in r.reason_en
    assert r.breakdown is not None and r.breakdown.note_vi == r.reason_vi


def test_one_month_worked_and_five_sick_reach_the_minimum(decree: Any) -> None:
    others = {**statuses(range(2, 7), "sick"), **statuses(range(7, 13), "not_worked")}
    r = roll_up(decree, year({1: "90"}, **others))
    assert r.status == "rated"
    assert r.months_counted == (1,)
    assert r.points == Decimal("90.00")
    assert inputs_of(r)["months_in_service"] == "6"


def test_a_year_all_on_leave_has_nothing_to_rate(decree: Any) -> None:
    r = roll_up(decree, year({}, **statuses(range(1, 13), "maternity")))
    assert r.status == "not_rated"
    assert "12 tháng nghỉ" in r.reason_vi
    assert "no month worked with a score" in r.reason_en.lower()


def test_months_not_given_are_not_time_in_service(decree: Any) -> None:
    r = roll_up(decree, year(FOUR, m5="maternity"))
    assert r.status == "not_rated"
    assert inputs_of(r)["months_in_service"] == "5"


def test_unpaid_leave_is_an_ordinary_absence_unless_the_framework_lists_it(
    decree: Any,
) -> None:
    entries = year(FOUR, **statuses(range(5, 7), "unpaid"))
    assert roll_up(decree, entries).status == "not_rated"
    agency = with_roll_up(decree, leave_statuses=["sick", "maternity", "unpaid"])
    r = roll_up(agency, entries)
    assert (r.status, r.points) == ("rated", Decimal("81.25"))


def test_a_framework_without_leave_statuses_does_not_rate_four_plus_eight(decree: Any) -> None:
    fw = with_roll_up(decree, leave_statuses=[])
    r = roll_up(fw, year(FOUR, **statuses(range(5, 13), "maternity")))
    assert r.status == "not_rated"
    assert inputs_of(r)["leave_months"] == "0"


def test_points_recorded_in_a_leave_month_stay_out_of_the_mean(decree: Any) -> None:
    entries = year({1: "80", 2: "80", 3: "80", 4: "80", 5: "80"})
    entries.append(MonthEntry(6, Decimal("40"), "maternity"))
    r = roll_up(decree, entries)
    assert (r.status, r.exact) == ("rated", Fraction(80))
    assert (6, "maternity") in r.months_left_out


def test_quarterly_agencies_rate_leave_years_too(decree: Any) -> None:
    fw = with_roll_up(decree, basis="quarters")
    r = roll_up(fw, year({1: "60", 2: "60", 4: "90"}, **statuses(range(5, 13), "sick")))
    assert r.status == "rated"
    assert r.exact == Fraction(60 + 90, 2)


def test_leave_months_say_they_count_towards_the_minimum(decree: Any) -> None:
    r = roll_up(decree, year(FOUR, m5="maternity", m6="not_worked"))
    notes = {c.key: (c.note_vi, c.note_en) for c in r.breakdown.children}
    assert "thời gian công tác" in notes["month_05"][0]
    assert "counts toward" in notes["month_05"][1]
    assert "thời gian công tác" not in notes["month_06"][0]


# -- worked_month: has_score -----------------------------------------------------------------
def test_a_worked_month_without_a_score_is_left_out_and_not_time_in_service(
    decree: Any,
) -> None:
    five = {1: "80", 2: "80", 3: "80", 4: "80", 5: "80"}
    r = roll_up(decree, year(five, m6="worked"))
    assert r.status == "not_rated"
    assert r.months_left_out == ((6, "no_score"),)
    six = {**five, 6: "92"}
    r = roll_up(decree, year(six, m7="worked"))
    assert r.status == "rated"
    assert r.exact == Fraction(80 * 5 + 92, 6)
    assert r.months_left_out == ((7, "no_score"),)


def test_worked_month_other_than_has_score_is_refused() -> None:
    data = preset_data("decree-335-2025")
    data["roll_up"]["worked_month"] = "days_worked"
    with pytest.raises(FrameworkError) as err:
        validate_framework(data)
    [issue] = err.value.issues
    assert (issue.path, issue.rule) == ("roll_up.worked_month", "enum")
    assert "has_score" in issue.message_vi and "has_score" in issue.message_en
    assert "weight_by_days" in issue.message_en


# -- validation of leave_statuses ------------------------------------------------------------
@pytest.mark.parametrize(
    ("leave", "path"),
    [
        (["sick", "vacation"], "roll_up.leave_statuses[1]"),
        (["worked"], "roll_up.leave_statuses[0]"),
        (["maternity", "not_worked"], "roll_up.leave_statuses[1]"),
        (["sick", "sick"], "roll_up.leave_statuses[1]"),
        ([3], "roll_up.leave_statuses[0]"),
    ],
)
def test_leave_statuses_refuse_anything_but_leave(leave: list[Any], path: str) -> None:
    data = preset_data("decree-335-2025")
    data["roll_up"]["leave_statuses"] = leave
    with pytest.raises(FrameworkError) as err:
        validate_framework(data)
    [issue] = err.value.issues
    assert issue.path == path
    assert issue.rule in ("enum", "duplicate")
    assert "tháng" in issue.message_vi and issue.message_en


def test_leave_statuses_default_to_sick_and_maternity() -> None:
    data = preset_data("decree-335-2025")
    del data["roll_up"]["leave_statuses"]
    fw = validate_framework(data)
    assert fw.roll_up.leave_statuses == ("sick", "maternity")


# -- the example scenario --------------------------------------------------------------------
def test_the_year_example_rates_maternity_and_not_absence() -> None:
    doc = loads_document((EXAMPLES / "year-roll-up.yaml").read_text("utf-8"))
    out = run_scenario(doc)
    by_id = {r["person_id"]: r for r in out["roll_ups"]}
    h = by_id["do-thi-h"]
    assert h["status"] == "rated" and len(h["months_counted"]) == 4
    assert {w["why"] for w in h["months_left_out"]} == {"maternity"}
    k = by_id["bui-van-k"]
    assert k["status"] == "not_rated" and len(k["months_counted"]) == 4
    assert {w["why"] for w in k["months_left_out"]} == {"not_worked"}
