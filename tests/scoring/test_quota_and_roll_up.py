"""Quota resolution and the roll-up of months into quarters and the year."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from thuocdo.scoring import (
    InputError,
    MonthEntry,
    QuotaMember,
    resolve_quota,
    roll_up,
    validate_framework,
)


def group(excellent: list[str], good: int) -> list[QuotaMember]:
    out = [QuotaMember(f"e{i}", Decimal(p), "excellent") for i, p in enumerate(excellent)]
    out += [QuotaMember(f"g{i}", Decimal(80), "good") for i in range(good)]
    return out


def test_the_quota_compares_with_good_not_good_or_better(decree: Any) -> None:
    q = resolve_quota(decree, group(["95", "96"], 10))
    assert q.holds_before
    assert not q.demotions


def test_with_no_one_good_no_one_may_be_excellent_alone(decree: Any) -> None:
    q = resolve_quota(decree, group(["95"], 0))
    assert [d.person_id for d in q.demotions] == ["e0"]
    assert q.after == (0, 1)


def test_a_tie_at_the_cut_is_shown_not_broken(decree: Any) -> None:
    q = resolve_quota(decree, group(["91", "93", "93", "99"], 5))
    # 4 > 1 → k: 4-k ≤ 0.2(5+k) → k ≥ 2.5 → 3 demotions: 91 certain, then 93 and 93 … all
    assert q.demotion_count == 3
    q = resolve_quota(decree, group(["91", "93", "93", "99"], 10))
    # 4-k ≤ 0.2(10+k) → k ≥ 5/3 → 2: 91 certain, one of the two 93s
    assert [d.person_id for d in q.demotions] == ["e0"]
    (tie,) = q.ties
    assert tie.candidates == ("e1", "e2")
    assert tie.choose == 1
    assert q.holds_after


def test_the_authority_may_allow_up_to_25_percent(decree: Any) -> None:
    members = group(["95", "96", "97"], 12)
    assert resolve_quota(decree, members).demotion_count == 1
    assert resolve_quota(decree, members, exception_ratio=Fraction(1, 4)).demotion_count == 0
    with pytest.raises(InputError):
        resolve_quota(decree, members, exception_ratio=Fraction(3, 10))


def months(points: dict[int, str], **status: str) -> list[MonthEntry]:
    out = [MonthEntry(m, Decimal(p)) for m, p in points.items()]
    out += [MonthEntry(int(m[1:]), None, s) for m, s in status.items()]
    return out


def test_the_year_is_the_mean_of_the_months_worked(decree: Any) -> None:
    r = roll_up(
        decree,
        months(
            {1: "80", 2: "90", 3: "70", 4: "85", 5: "75", 6: "89.99"},
            m7="maternity",
            m8="maternity",
        ),
    )
    assert r.status == "rated"
    assert r.exact == Fraction("489.99") / 6
    assert r.points == Decimal("81.67")
    assert r.quarters == (Decimal("80.00"), Decimal("83.33"), None, None)
    assert r.months_left_out == ((7, "maternity"), (8, "maternity"))


def test_fewer_than_six_months_worked_is_not_rated(decree: Any) -> None:
    # an ordinary absence; a sick month would count towards the minimum (test_leave_months)
    r = roll_up(decree, months({1: "95", 2: "95", 3: "95", 4: "95", 5: "95"}, m6="not_worked"))
    assert r.status == "not_rated"
    assert r.rating is None


def test_weighting_by_days_worked_is_an_option(decree: Any) -> None:
    data = decree.to_data()
    data["roll_up"]["weight_by_days"] = True
    fw = validate_framework(data)
    entries = [
        MonthEntry(m, Decimal(60 if m == 1 else 90), days_worked=(2 if m == 1 else 20))
        for m in range(1, 7)
    ]
    r = roll_up(fw, entries)
    assert r.exact == Fraction(60 * 2 + 90 * 100, 102)
    with pytest.raises(InputError):
        roll_up(fw, [MonthEntry(1, Decimal(60))])


def test_an_agency_that_evaluates_quarterly_averages_its_quarters(decree: Any) -> None:
    data = decree.to_data()
    data["roll_up"]["basis"] = "quarters"
    fw = validate_framework(data)
    r = roll_up(fw, months({1: "60", 2: "60", 3: "60", 4: "90", 5: "90", 6: "90", 7: "90"}))
    assert r.exact == (60 + 90 + 90) / Fraction(3)
