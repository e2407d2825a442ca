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
from .model import RATING_LABELS, ROLES, Framework, RollUpRule
from .numbers import ZERO, fmt_decimal, fmt_fraction, parse_exact
from .rules import round_once

__all__ = [
    "DEFAULT_LEAVE_STATUSES",
    "LEAVE_STATUSES",
    "MONTH_STATUSES",
    "MonthEntry",
    "RollUpResult",
    "roll_up",
    "year_is_rated",
]

MONTH_STATUSES = ("worked", "sick", "maternity", "unpaid", "not_worked")
# The statuses a framework may list in ``roll_up.leave_statuses``: kinds of leave. "worked"
# is not leave and "not_worked" is the ordinary absence the 6-month minimum is about.
LEAVE_STATUSES = ("sick", "maternity", "unpaid")
DEFAULT_LEAVE_STATUSES = ("sick", "maternity")

STATUS_LABELS: dict[str, tuple[str, str]] = {
    "worked": ("làm việc", "worked"),
    "sick": ("nghỉ ốm", "sick leave"),
    "maternity": ("nghỉ thai sản", "maternity leave"),
    "unpaid": ("nghỉ không lương", "unpaid leave"),
    "not_worked": ("không làm việc", "not worked"),
    "no_score": ("không có điểm", "no score"),
}


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


def year_is_rated(months_worked: int, leave_months: int, min_months_worked: int) -> bool:
    """Whether the year is rated (Decree 335/2025, Art. 11 and 19).

    Fewer than ``min_months_worked`` (6) months in the year → not rated. Months of sick or
    maternity leave (the framework's ``roll_up.leave_statuses``) count as time in service
    towards that minimum, and the year is then rated on the months actually worked: the
    leave months stay out of the mean, so at least one month worked with a score is needed.
    Any other absence (``not_worked``; ``unpaid`` unless the framework lists it) counts for
    nothing. ``months_worked`` are the months worked with a score (``worked_month:
    has_score``).
    """
    return months_worked > 0 and months_worked + leave_months >= min_months_worked


def _month_kind(m: MonthEntry, rule: RollUpRule) -> str:
    """``worked`` (in the mean), ``leave`` (time in service only) or why it is left out."""
    if m.status in rule.leave_statuses:
        return "leave"
    if m.status != "worked":
        return m.status
    if rule.worked_month != "has_score":  # validation allows nothing else
        raise ValueError(f"roll_up.worked_month: {rule.worked_month!r}")
    return "worked" if m.points is not None else "no_score"


def _leave_names(rule: RollUpRule) -> tuple[str, str]:
    vi = ", ".join(STATUS_LABELS.get(s, (s, s))[0] for s in rule.leave_statuses)
    en = ", ".join(STATUS_LABELS.get(s, (s, s))[1] for s in rule.leave_statuses)
    return (f" ({vi})", f" ({en})") if rule.leave_statuses else ("", "")


def roll_up(
    framework: Framework,
    months: Iterable[MonthEntry],
    *,
    role: str = "staff",
    flags: Iterable[str] = (),
    discipline: Iterable[str] = (),
) -> RollUpResult:
    """Year = mean of the months worked (or of the quarters, or weighted by days worked).

    A month is worked when its status is ``worked`` and it has a score; months of leave
    (``framework.roll_up.leave_statuses``) are left out of the mean but count towards
    ``min_months_worked`` (Art. 11, 19: see :func:`year_is_rated`).

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
    leave_months: set[int] = set()
    for m in entries:
        kind = _month_kind(m, rule)
        if kind == "worked" and m.points is not None:
            counted[m.month] = (parse_exact(m.points), m.days_worked or 0)
        else:
            if kind == "leave":
                leave_months.add(m.month)
            left_out.append((m.month, m.status if kind == "leave" else kind))
    quarters: list[Decimal | None] = []
    q_exact: list[Fraction] = []
    for q in range(4):
        vals = [counted[mo][0] for mo in range(3 * q + 1, 3 * q + 4) if mo in counted]
        mean = _mean(vals)
        quarters.append(round_once(mean, places) if mean is not None else None)
        if mean is not None:
            q_exact.append(mean)
    halves: list[Decimal | None] = []
    for h in range(2):
        vals = [counted[mo][0] for mo in range(6 * h + 1, 6 * h + 7) if mo in counted]
        mean = _mean(vals)
        halves.append(round_once(mean, places) if mean is not None else None)
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
            note_vi=f"không tính: {STATUS_LABELS.get(why, (why, why))[0]}"
            + (" — tính vào thời gian công tác tối thiểu" if mo in leave_months else ""),
            note_en=f"left out: {STATUS_LABELS.get(why, (why, why))[1]}"
            + (" — counts toward the minimum time in service" if mo in leave_months else ""),
        )
        for mo, why in left_out
    )
    children = tuple(sorted((*month_nodes, *left_nodes), key=lambda n: n.key))
    worked, leave = len(counted), len(leave_months)
    inputs = (
        ("months_counted", str(worked)),
        ("leave_months", str(leave)),
        ("months_in_service", str(worked + leave)),
        ("min_months_worked", str(rule.min_months_worked)),
    )
    if not year_is_rated(worked, leave, rule.min_months_worked) or exact is None:
        names_vi, names_en = _leave_names(rule)
        if worked + leave < rule.min_months_worked:
            reason_vi = (
                f"Làm việc {worked} tháng + {leave} tháng nghỉ{names_vi} tính vào thời gian "
                f"công tác = {worked + leave} tháng (< {rule.min_months_worked}): "
                "không xếp loại năm (Điều 11, 19)."
            )
            reason_en = (
                f"{worked} month(s) worked + {leave} month(s) of leave{names_en} counted toward "
                f"the minimum = {worked + leave} (< {rule.min_months_worked}): no year rating "
                "(Art. 11, 19)."
            )
        else:
            reason_vi = (
                f"Không có tháng làm việc nào có điểm ({leave} tháng nghỉ{names_vi} tính vào "
                "thời gian công tác): không có điểm để xếp loại năm (Điều 11, 19)."
            )
            reason_en = (
                f"No month worked with a score ({leave} month(s) of leave{names_en} counted "
                "toward the minimum): nothing to rate the year on (Art. 11, 19)."
            )
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
    points = round_once(exact, places)
    by_points = rate_points(framework, points, exact)
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
