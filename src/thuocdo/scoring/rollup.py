"""Roll-up of monthly points into quarters, half-years and the year (Art. 11, 17(3), 19)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from .engine import rate_points
from .errors import InputError, Issue
from .model import RATING_LABELS, Framework
from .numbers import ZERO, fmt_fraction, parse_exact, round_half_up

__all__ = ["MONTH_STATUSES", "MonthEntry", "RollUpResult", "roll_up"]

MONTH_STATUSES = ("worked", "sick", "maternity", "unpaid", "not_worked")


@dataclass(frozen=True, slots=True)
class MonthEntry:
    month: int  # 1..12
    points: Decimal | None  # the month's recorded (rounded) points; None when not scored
    status: str = "worked"
    days_worked: int | None = None


@dataclass(frozen=True, slots=True)
class RollUpResult:
    status: str  # rated | not_rated
    months_counted: tuple[int, ...]
    months_left_out: tuple[tuple[int, str], ...]
    quarters: tuple[Decimal | None, ...]  # Q1..Q4
    half_years: tuple[Decimal | None, ...]
    exact: Fraction | None
    points: Decimal | None
    rating: str | None
    rule_vi: str
    rule_en: str
    reason_vi: str = ""
    reason_en: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "months_counted": list(self.months_counted),
            "months_left_out": [{"month": m, "why": w} for m, w in self.months_left_out],
            "quarters": [str(q) if q is not None else None for q in self.quarters],
            "half_years": [str(h) if h is not None else None for h in self.half_years],
            "exact": fmt_fraction(self.exact) if self.exact is not None else None,
            "points": str(self.points) if self.points is not None else None,
            "rating": self.rating,
            "rating_label_vi": RATING_LABELS[self.rating][0] if self.rating else None,
            "rule_vi": self.rule_vi,
            "rule_en": self.rule_en,
            **(
                {"reason_vi": self.reason_vi, "reason_en": self.reason_en}
                if self.status != "rated"
                else {}
            ),
        }


def _mean(values: Sequence[Fraction]) -> Fraction | None:
    return sum(values, ZERO) / len(values) if values else None


def roll_up(framework: Framework, months: Iterable[MonthEntry]) -> RollUpResult:
    """Year = mean of the months worked (or of the quarters, or weighted by days worked)."""
    rule = framework.roll_up
    places = framework.settings.rounding_places
    entries = sorted(months, key=lambda m: m.month)
    issues: list[Issue] = []
    seen: set[int] = set()
    for i, m in enumerate(entries):
        if not 1 <= m.month <= 12 or m.month in seen:
            issues.append(
                Issue(
                    f"months[{i}].month",
                    "month",
                    "Tháng phải từ 1 đến 12 và không trùng.",
                    "A month is 1–12, once each.",
                )
            )
        seen.add(m.month)
        if m.status not in MONTH_STATUSES:
            issues.append(
                Issue(
                    f"months[{i}].status",
                    "enum",
                    "Trạng thái: " + ", ".join(MONTH_STATUSES) + ".",
                    "Status: " + ", ".join(MONTH_STATUSES) + ".",
                )
            )
        if (
            rule.weight_by_days
            and m.status == "worked"
            and m.points is not None
            and (m.days_worked is None or m.days_worked <= 0)
        ):
            issues.append(
                Issue(
                    f"months[{i}].days_worked",
                    "required",
                    "Khung tính bình quân theo ngày công: cần số ngày làm việc > 0.",
                    "The framework weights by days worked: days_worked > 0 needed.",
                )
            )
    if issues:
        raise InputError(issues)
    counted: dict[int, tuple[Fraction, int]] = {}
    left_out: list[tuple[int, str]] = []
    for m in entries:
        if m.status != "worked":
            left_out.append((m.month, m.status))
        elif m.points is None:
            left_out.append((m.month, "no_score"))
        else:
            counted[m.month] = (parse_exact(m.points), m.days_worked or 0)
    quarters: list[Decimal | None] = []
    q_exact: list[Fraction] = []
    for q in range(4):
        vals = [counted[mo][0] for mo in range(3 * q + 1, 3 * q + 4) if mo in counted]
        mean = _mean(vals)
        quarters.append(round_half_up(mean, places) if mean is not None else None)
        if mean is not None:
            q_exact.append(mean)
    halves: list[Decimal | None] = []
    for h in range(2):
        vals = [counted[mo][0] for mo in range(6 * h + 1, 6 * h + 7) if mo in counted]
        mean = _mean(vals)
        halves.append(round_half_up(mean, places) if mean is not None else None)
    if rule.basis == "quarters":
        rule_vi = "Điểm năm = trung bình cộng điểm các quý có tháng làm việc"
        rule_en = "Year points = mean of the quarters with months worked"
        exact = _mean(q_exact)
    elif rule.weight_by_days:
        rule_vi = "Điểm năm = Σ(điểm tháng × ngày làm việc) ÷ Σ ngày làm việc"
        rule_en = "Year points = Σ(monthly points × days worked) ÷ Σ days worked"
        days = sum(d for _, d in counted.values())
        exact = sum((p * d for p, d in counted.values()), ZERO) / days if days else None
    else:
        rule_vi = "Điểm năm = trung bình cộng điểm các tháng làm việc"
        rule_en = "Year points = mean of the monthly points of the months worked"
        exact = _mean([p for p, _ in counted.values()])
    common: dict[str, Any] = {
        "months_counted": tuple(sorted(counted)),
        "months_left_out": tuple(left_out),
        "quarters": tuple(quarters),
        "half_years": tuple(halves),
        "rule_vi": rule_vi,
        "rule_en": rule_en,
    }
    if len(counted) < rule.min_months_worked or exact is None:
        return RollUpResult(
            status="not_rated",
            exact=None,
            points=None,
            rating=None,
            **common,
            reason_vi=f"Làm việc {len(counted)} tháng (< {rule.min_months_worked}): "
            "không xếp loại năm.",
            reason_en=f"{len(counted)} month(s) worked (< {rule.min_months_worked}): "
            "no year rating.",
        )
    points = round_half_up(exact, places)
    return RollUpResult(
        status="rated", exact=exact, points=points, rating=rate_points(framework, points), **common
    )
