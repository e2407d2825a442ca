"""Roll-up of monthly points into quarters, half-years and the year (Art. 11, 17(3), 19)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from .breakdown import BreakdownNode, Rule
from .engine import RatingChange, apply_overrides, rate_points
from .errors import InputError, Issue
from .model import RATING_LABELS, ROLES, Framework
from .numbers import ZERO, fmt_decimal, fmt_fraction, parse_exact, round_half_up

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
    rating_by_points: str | None = None
    changes: tuple[RatingChange, ...] = ()
    breakdown: BreakdownNode | None = field(default=None, compare=False)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "status": self.status,
            "months_counted": list(self.months_counted),
            "months_left_out": [{"month": m, "why": w} for m, w in self.months_left_out],
            "quarters": [str(q) if q is not None else None for q in self.quarters],
            "half_years": [str(h) if h is not None else None for h in self.half_years],
            "exact": fmt_fraction(self.exact) if self.exact is not None else None,
            "points": str(self.points) if self.points is not None else None,
            "rating_by_points": self.rating_by_points,
            "rating": self.rating,
            "rating_label_vi": RATING_LABELS[self.rating][0] if self.rating else None,
            "rating_changes": [c.as_dict() for c in self.changes],
            "rule_vi": self.rule_vi,
            "rule_en": self.rule_en,
            **(
                {"reason_vi": self.reason_vi, "reason_en": self.reason_en}
                if self.status != "rated"
                else {}
            ),
        }
        if self.breakdown is not None:
            out["breakdown"] = self.breakdown.as_dict()
        return out


def _mean(values: Sequence[Fraction]) -> Fraction | None:
    return sum(values, ZERO) / len(values) if values else None


def roll_up(
    framework: Framework,
    months: Iterable[MonthEntry],
    *,
    role: str = "staff",
    flags: Iterable[str] = (),
    discipline: Iterable[str] = (),
) -> RollUpResult:
    """Year = mean of the months worked (or of the quarters, or weighted by days worked).

    The year's rating then takes the framework's overrides (Art. 20): discipline at the
    trigger level during the year, or a concluded degradation, gives their rating whatever
    the points. ``flags`` and ``discipline`` are everything recorded during the year.
    """
    rule = framework.roll_up
    flag_set = frozenset(flags)
    discipline_levels = tuple(discipline)
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
    if role not in ROLES:
        issues.append(
            Issue("role", "enum", "Vai trò: " + ", ".join(ROLES) + ".", "Role: " + ", ".join(ROLES))
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
        code = "year_mean_of_quarters"
        rule_vi = "Điểm năm = trung bình cộng điểm các quý có tháng làm việc"
        rule_en = "Year points = mean of the quarters with months worked"
        exact = _mean(q_exact)
        detail = f"({' + '.join(fmt_decimal(q) for q in q_exact)}) ÷ {len(q_exact)}"
    elif rule.weight_by_days:
        code = "year_weighted_by_days"
        rule_vi = "Điểm năm = Σ(điểm tháng × ngày làm việc) ÷ Σ ngày làm việc"
        rule_en = "Year points = Σ(monthly points × days worked) ÷ Σ days worked"
        days = sum(d for _, d in counted.values())
        exact = sum((p * d for p, d in counted.values()), ZERO) / days if days else None
        detail = (
            "(" + " + ".join(f"{fmt_decimal(p)}×{d}" for p, d in counted.values()) + f") ÷ {days}"
        )
    else:
        code = "year_mean_of_months"
        rule_vi = "Điểm năm = trung bình cộng điểm các tháng làm việc"
        rule_en = "Year points = mean of the monthly points of the months worked"
        exact = _mean([p for p, _ in counted.values()])
        detail = f"({' + '.join(fmt_decimal(p) for p, _ in counted.values())}) ÷ {len(counted)}"
    common: dict[str, Any] = {
        "months_counted": tuple(sorted(counted)),
        "months_left_out": tuple(left_out),
        "quarters": tuple(quarters),
        "half_years": tuple(halves),
        "rule_vi": rule_vi,
        "rule_en": rule_en,
    }
    month_nodes = tuple(
        BreakdownNode(
            key=f"month_{mo:02d}",
            label_vi=f"Tháng {mo}",
            label_en=f"Month {mo}",
            rule=Rule("month_points", "điểm tháng đã chấm / the month's points", fmt_decimal(p)),
            inputs=(("days_worked", str(d)),) if rule.weight_by_days else (),
            points=p,
        )
        for mo, (p, d) in sorted(counted.items())
    )
    left_nodes = tuple(
        BreakdownNode(
            key=f"month_{mo:02d}",
            label_vi=f"Tháng {mo}",
            label_en=f"Month {mo}",
            rule=Rule("month_left_out", "không tính vào bình quân / left out of the mean", why),
            applicable=False,
            note_vi=f"không tính: {why}",
            note_en=f"left out: {why}",
        )
        for mo, why in left_out
    )
    children = tuple(sorted((*month_nodes, *left_nodes), key=lambda n: n.key))
    inputs = (
        ("months_counted", str(len(counted))),
        ("min_months_worked", str(rule.min_months_worked)),
    )
    if len(counted) < rule.min_months_worked or exact is None:
        reason_vi = (
            f"Làm việc {len(counted)} tháng (< {rule.min_months_worked}): không xếp loại năm."
        )
        reason_en = f"{len(counted)} month(s) worked (< {rule.min_months_worked}): no year rating."
        return RollUpResult(
            status="not_rated",
            exact=None,
            points=None,
            rating=None,
            **common,
            reason_vi=reason_vi,
            reason_en=reason_en,
            breakdown=BreakdownNode(
                key="year",
                label_vi="Điểm năm",
                label_en="Year points",
                rule=Rule("year_not_rated", f"{rule_vi} / {rule_en}", ""),
                inputs=inputs,
                applicable=False,
                note_vi=reason_vi,
                note_en=reason_en,
                children=children,
            ),
        )
    points = round_half_up(exact, places)
    by_points = rate_points(framework, points)
    rating, changes = apply_overrides(
        framework, by_points, role=role, flags=flag_set, discipline=discipline_levels
    )
    note_vi, note_en = RATING_LABELS[by_points]
    if changes:
        # the reason stays beside the points so nobody reads 85 points as "good"
        note_vi = (
            f"{RATING_LABELS[rating][0]} — "
            + "; ".join(c.reason_vi for c in changes)
            + f" (theo điểm: {RATING_LABELS[by_points][0]})"
        )
        note_en = (
            f"{RATING_LABELS[rating][1]} — "
            + "; ".join(c.reason_en for c in changes)
            + f" (by points: {RATING_LABELS[by_points][1]})"
        )
    override_inputs = tuple(
        (k, v)
        for k, v in (
            ("discipline", ", ".join(discipline_levels)),
            ("flags", ", ".join(sorted(flag_set))),
        )
        if v
    )
    return RollUpResult(
        status="rated",
        exact=exact,
        points=points,
        rating=rating,
        **common,
        rating_by_points=by_points,
        changes=changes,
        breakdown=BreakdownNode(
            key="year",
            label_vi="Điểm năm",
            label_en="Year points",
            rule=Rule(code, f"{rule_vi} / {rule_en}", detail),
            inputs=inputs + override_inputs,
            points=exact,
            note_vi=note_vi,
            note_en=note_en,
            children=children,
        ),
    )
