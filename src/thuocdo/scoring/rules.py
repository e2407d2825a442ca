"""The decree's rules, each written once and named after its article.

Both ways of scoring call these functions: the explained path (``engine``) with
``Fraction`` values, and the compiled hot path (``fastpath``) with its unnormalised
rationals. So the functions only use what both number types share: ``+ - * /`` and the
comparisons, with ``int`` or a number of the same type. The framework's settings arrive as
arguments: no rule reads a constant of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from math import gcd
from typing import Any, TypeVar

from .model import Node
from .numbers import round_half_up

__all__ = [
    "adjusted_total",
    "art12_cap_points",
    "art14_item_factor",
    "art14_task_ratio",
    "art15_leader_level",
    "art15_unit_result",
    "art16_mean",
    "art17_points",
    "art20_band",
    "art20_head_not_above_unit",
    "capped_adjustment",
    "change_needs_reason",
    "form01_group_step",
    "form01_on_scale",
    "form01_sum",
    "given_in_range",
    "round_once",
    "weighted_mean",
]

N = TypeVar("N", bound=Any)  # Fraction, or fastpath's unnormalised rational


@lru_cache(maxsize=1024)  # a handful of (count, deduction) pairs; a close asks ~10⁵ times
def art14_item_factor(count: int, deduction: Fraction, floor_at_zero: bool) -> Fraction:
    """Art. 14(2)–(3): q_i = 1 − 0.25 × f_i and t_i = 1 − 0.25 × l_i (the deduction is the
    framework's), each at least 0 when the framework floors items (a configurable default)."""
    value = 1 - deduction * count
    if floor_at_zero and value < 0:
        return Fraction(0)
    return value


def art14_task_ratio(
    numerator: N, assigned: N, *, anything_assigned: bool, no_assigned_work: str
) -> N | None:
    """Art. 14(1), 18(1)(d): a, b, c = Σ done (× q or t) ÷ Σ w, where Σ w is the assigned
    work only (extra work counts in the numerator). Nothing of the kind assigned → no ratio;
    nothing assigned at all → 0 when the framework says so (§3, configurable default)."""
    if assigned:
        result: N = numerator / assigned
        return result
    if not anything_assigned and no_assigned_work == "zero":
        zero: N = numerator * 0
        return zero
    return None


def form01_sum(points: Sequence[N]) -> N | None:
    """Form 01 (Appendix II): a group's points are the sum of its items' points."""
    if not points:
        return None
    total = points[0]
    for value in points[1:]:
        total = total + value
    return total


def art16_mean(ratios: Sequence[N]) -> N | None:
    """Art. 16(1)–(2): the task-result ratio = (a + b + c) ÷ 3; for leaders
    (a + b + c + d + đ + e) ÷ 6 — the mean of the components that apply."""
    total = form01_sum(ratios)
    if total is None:
        return None
    result: N = total / len(ratios)
    return result


def weighted_mean(pairs: Sequence[tuple[N, N]]) -> N | None:
    """A framework's weighted group (the Commission's KPI framework): Σ(weight × ratio) ÷
    Σ weight over the criteria that apply. ``pairs`` are (weight, ratio)."""
    if not pairs:
        return None
    num = pairs[0][0] * pairs[0][1]
    den = pairs[0][0]
    for weight, ratio in pairs[1:]:
        num = num + weight * ratio
        den = den + weight
    if not den:
        return None
    result: N = num / den
    return result


def art17_points(ratio: N | None, max_points: N | None) -> N | None:
    """Art. 17(1): points = ratio × the points the criterion is worth (× 70 for tasks)."""
    if ratio is None or max_points is None:
        return None
    result: N = ratio * max_points
    return result


def art12_cap_points(points: N, cap: Any) -> tuple[N, bool]:
    """Art. 12: task points are at most 70 (a, b, c themselves are not capped). Returns the
    points and whether the cap applied; ``cap`` is None when the group has none."""
    if cap is not None and points > cap:
        capped: N = cap
        return capped, True
    return points, False


def given_in_range(given: Fraction, top: Fraction | None, step: Fraction | None) -> bool:
    """Points entered for a whole group lie in 0 … the group's maximum and, when its
    criteria move in steps (Form 01: 0.5), on a total those steps can reach."""
    if top is None or given < 0 or given > top:
        return False
    return step is None or (given / step).denominator == 1


def form01_group_step(node: Node) -> Fraction | None:
    """The step a summed group's total moves in: the greatest common step of its scored
    criteria (0.5 for the decree's general criteria); None when a part has no step."""
    if node.type == "manual" and node.scale is not None:
        return node.scale.step
    if node.type != "group" or node.combine != "sum" or not node.children:
        return None
    step: Fraction | None = None
    for child in node.children:
        child_step = form01_group_step(child)
        if child_step is None:
            return None
        step = child_step if step is None else _gcd(step, child_step)
    return step


def _gcd(a: Fraction, b: Fraction) -> Fraction:
    return Fraction(
        gcd(a.numerator * b.denominator, b.numerator * a.denominator),
        a.denominator * b.denominator,
    )


def form01_on_scale(value: Fraction, top: Fraction, step: Fraction) -> bool:
    """Form 01: a criterion is scored 0 … its maximum in the framework's steps (0.5)."""
    # in integers (no Fraction built per check): 0 ≤ value ≤ top, value ÷ step whole
    vn, vd = value.numerator, value.denominator
    if vn < 0 or vn * top.denominator > top.numerator * vd:
        return False
    return (vn * step.denominator) % (vd * step.numerator) == 0


def change_needs_reason(
    self_score: Fraction | None, value: Fraction, reason: str, *, required: bool
) -> bool:
    """Workflow step 3: a reviewer who changes a self-assessed score gives a reason."""
    return required and self_score is not None and self_score != value and not reason.strip()


def capped_adjustment(values: Sequence[N], cap: N) -> N | None:
    """A framework's bonus (or penalty) points: their sum, at most the framework's cap (the
    decree itself has none: its caps are 0)."""
    total = form01_sum(values)
    if total is None:
        return None
    return cap if total > cap else total


def adjusted_total(points: N, bonus: N | None, penalty: N | None, max_points: N) -> N:
    """The period's points with the capped bonus and penalty, kept within 0 … the maximum."""
    total = points
    if bonus is not None:
        total = total + bonus
    if penalty is not None:
        total = total - penalty
    if total < 0:
        zero: N = total * 0
        return zero
    return max_points if total > max_points else total


def round_once(exact: Fraction, places: int) -> Decimal:
    """§8 (configurable default): exact arithmetic throughout, points rounded half-up to
    the framework's places once, at the end."""
    return round_half_up(exact, places)


def art20_band(
    bands: Iterable[tuple[Fraction, str]],
    rounded: Decimal | Fraction,
    exact: Fraction | None,
    *,
    rate_on: str,
    lowest: str,
) -> str:
    """Art. 20(1)–(4): the rating whose minimum the points reach (excellent ≥ 90, good ≥ 70,
    completed ≥ 50). ``rate_on`` says which points are compared: the rounded points (§8,
    a configurable default) or the exact value, when known. ``bands`` are (minimum,
    rating), best first."""
    value = exact if rate_on == "exact" and exact is not None else Fraction(rounded)
    for low, rating in bands:
        if value >= low:
            return rating
    return lowest


def art15_unit_result(
    staff_points: Sequence[Decimal] | None,
    staff_not_completed: Sequence[bool] | None,
    *,
    basis: str,
    completed_min: Fraction,
    levels: Sequence[Fraction],
) -> tuple[Fraction, int, int, str]:
    """Art. 15(3)(d): 100% when every official in the leader's charge is at the "completed"
    level or above in the period; 50% when any is "not completed". ``basis`` says how that
    level is read: ``points`` (below the completed band's minimum) or ``final_rating`` (rated
    "not completed", also by an override such as discipline); when only points are known,
    the points are read, and the basis returned says so. Returns (level, officials counted,
    officials below, basis read)."""
    if basis == "final_rating" and staff_not_completed is not None:
        flags = list(staff_not_completed)
        below = sum(1 for flag in flags if flag)
        counted = len(flags)
    else:
        basis = "points"
        points = list(staff_points or ())
        below = sum(1 for p in points if Fraction(p) < completed_min)
        counted = len(points)
    return art15_leader_level(below > 0, levels), counted, below, basis


def art15_leader_level(shortcoming: bool, levels: Sequence[Fraction]) -> Fraction:
    """Art. 15(3): d, đ and e are worth 100% or 50% and nothing else — the lower level when
    the shortcoming the article names is found."""
    return levels[-1] if shortcoming else levels[0]


def art20_head_not_above_unit(rating: str, unit_rating: str, order: Sequence[str]) -> str:
    """Art. 20(6): the head's rating is not higher than the rating of the unit they head.
    ``order`` lists the ratings best first."""
    return unit_rating if order.index(rating) < order.index(unit_rating) else rating
