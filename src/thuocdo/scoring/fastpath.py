"""The hot path: ``score_person(..., explain=False)`` compiled once per framework and role.

The explained path (``engine._eval``) builds a breakdown and works in ``Fraction``s, which
normalise (a gcd) after every operation. Scoring thousands of people needs neither, so a
framework's individual part is compiled once per role into closures that:

- drop the criteria that do not apply to the role, and precompute every rule constant
  (maxima, caps, weights, scales, band minimums) as integer pairs;
- put a person's task facts over one common denominator, so Σw, Σdone, … are sums of ints;
- carry every other value as an unnormalised pair ``(numerator, denominator)`` and build one
  ``Fraction`` at the end, then round half-up with integer arithmetic.

The value is the same exact rational, so the points, rating and ``exact`` are identical to
the explained path (a property test checks it). Anything unusual (an input that breaks a
rule, nothing to score, a root that does not apply) returns ``None`` and the caller takes
the explained path, which raises the same bilingual issues as ever.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction
from math import ceil, lcm
from typing import Any

from .engine import (
    PersonResult,
    RatingChange,
    _Ctx,
    _leader,
    _target,
    _uses_tasks,
    apply_overrides,
)
from .inputs import KindFacts, PersonInputs
from .model import RATINGS, Framework, Node
from .numbers import ZERO

__all__ = ["score_fast"]

# A node's value: (ratio numerator, ratio denominator, points numerator, points denominator);
# a denominator of 0 means "none" (not applicable, or not sized).
_Value = tuple[int, int, int, int]
_NONE: _Value = (0, 0, 0, 0)
_MEASURE_INDEX = {"quantity": 1, "quality": 2, "timeliness": 3}


class _Fallback(Exception):
    """The compiled path cannot decide alone; the explained path will (and explain why)."""


class _Call:
    """One person-period: the inputs and the task sums over the common denominator."""

    __slots__ = ("ctx", "fw", "given", "inputs", "manual", "sums", "total_w")

    def __init__(self, fw: Framework, inputs: PersonInputs) -> None:
        self.fw = fw
        self.inputs = inputs
        self.given = inputs.given_points
        self.manual = inputs.manual
        self.ctx: _Ctx | None = None
        self.sums: dict[tuple[str, ...] | None, tuple[int, ...]] = {}
        self.total_w = 0

    def slow_ctx(self, facts: Mapping[str, KindFacts]) -> _Ctx:
        """The explained path's context, for the rare criteria evaluated there (d/đ/e,
        targets): their rules stay written once."""
        if self.ctx is None:
            i = self.inputs
            self.ctx = _Ctx(
                self.fw, i.role, facts, i.manual, i.given_points, i.targets, i.leader, False
            )
        return self.ctx


_Eval = Callable[[_Call], _Value]


def _pair(x: Fraction) -> tuple[int, int]:
    return x.numerator, x.denominator


def _add(an: int, ad: int, bn: int, bd: int) -> tuple[int, int]:
    if ad == bd:
        return an + bn, ad
    m = lcm(ad, bd)
    return an * (m // ad) + bn * (m // bd), m


# -- compilation -----------------------------------------------------------------------------
def _compile(node: Node, role: str, kinds_used: set[tuple[str, ...] | None]) -> _Eval | None:
    if not node.applies(role):
        return None
    if node.type == "group":
        return _compile_group(node, role, kinds_used)
    if node.type == "task_ratio":
        return _compile_task_ratio(node, kinds_used)
    if node.type == "manual":
        return _compile_manual(node)
    return _compile_slow_leaf(node)


def _size_pair(node: Node) -> tuple[int, int]:
    return _pair(node.max_points) if node.max_points is not None else (0, 0)


def _compile_task_ratio(node: Node, kinds_used: set[tuple[str, ...] | None]) -> _Eval:
    kinds = node.kinds
    kinds_used.add(kinds)
    index = _MEASURE_INDEX[node.measure or "quantity"]
    mn, md = _size_pair(node)

    def task_ratio(call: _Call) -> _Value:
        s = call.sums[kinds]
        w = s[0]
        if w == 0:
            if call.total_w == 0 and call.fw.settings.no_assigned_work == "zero":
                return (0, 1, 0, md) if md else (0, 1, 0, 0)
            return _NONE
        num = s[index]
        if md:
            return num, w, num * mn, w * md
        return num, w, 0, 0

    return task_ratio


def _compile_manual(node: Node) -> _Eval:
    scale = node.scale
    assert scale is not None
    key = node.key
    top = scale.max
    step = scale.step
    tn, td = _pair(top)
    sn, sd = _pair(step)
    needs_reason = node.reason_required_on_change

    def manual(call: _Call) -> _Value:
        score = call.manual.get(key)
        if score is None:
            raise _Fallback
        value = score.value
        vn, vd = value.numerator, value.denominator
        # 0 ≤ value ≤ top, on the scale's steps: in integers (no Fraction per check)
        if vn < 0 or vn * td > tn * vd or (vn * sd) % (vd * sn):
            raise _Fallback
        if (
            score.self_score is not None
            and score.self_score != value
            and needs_reason
            and call.fw.settings.manual_change_needs_reason
            and not score.reason.strip()
        ):
            raise _Fallback
        return vn * td, vd * tn, vn, vd

    return manual


def _compile_slow_leaf(node: Node) -> _Eval:
    """d/đ/e and targets: few per person; evaluated by the explained path's own rules."""
    run = _leader if node.type == "leader_component" else _target

    def slow_leaf(call: _Call) -> _Value:
        ctx = call.slow_ctx(call.inputs.tasks or {})
        ratio, points, _ = run(ctx, node)
        if ctx.issues:
            raise _Fallback
        rn, rd = (ratio.numerator, ratio.denominator) if ratio is not None else (0, 0)
        pn, pd = (points.numerator, points.denominator) if points is not None else (0, 0)
        return rn, rd, pn, pd

    return slow_leaf


def _compile_group(node: Node, role: str, kinds_used: set[tuple[str, ...] | None]) -> _Eval:
    children: list[tuple[_Eval, Node]] = []
    for child in node.children:
        ev = _compile(child, role, kinds_used)
        if ev is not None:
            children.append((ev, child))
    evals = tuple(ev for ev, _ in children)
    key = node.key
    top = node.points_max
    topn, topd = _pair(top) if top is not None else (0, 0)
    mn, md = _size_pair(node)
    cap = node.cap_points
    capn, capd = _pair(cap) if cap is not None else (0, 0)
    combine = node.combine
    weights = tuple(
        _pair(child.weight) if child.weight is not None else None for _, child in children
    )

    def given_value(call: _Call) -> _Value | None:
        given = call.given.get(key) if call.given else None
        if given is None:
            return None
        gn, gd = given.as_integer_ratio()
        if not topd or gn < 0 or gn * topd > topn * gd:
            raise _Fallback  # the explained path names the rule broken
        return gn * topd, gd * topn, gn, gd

    def capped(rn: int, rd: int, pn: int, pd: int) -> _Value:
        if capd and pd and pn * capd > capn * pd:
            if md:
                return capn * md, capd * mn, capn, capd
            return rn, rd, capn, capd
        return rn, rd, pn, pd

    if combine == "sum":

        def group_sum(call: _Call) -> _Value:
            g = given_value(call)
            if g is not None:
                return g
            pn, pd = 0, 0
            for ev in evals:
                v = ev(call)
                if v[3]:
                    if pd:
                        pn, pd = _add(pn, pd, v[2], v[3])
                    else:
                        pn, pd = v[2], v[3]
            if not pd:
                return _NONE
            if topn:
                return capped(pn * topd, pd * topn, pn, pd)
            return capped(0, 0, pn, pd)

        return group_sum

    if combine == "mean":

        def group_mean(call: _Call) -> _Value:
            g = given_value(call)
            if g is not None:
                return g
            rn, rd, k = 0, 0, 0
            for ev in evals:
                v = ev(call)
                if v[1]:
                    k += 1
                    if rd:
                        rn, rd = _add(rn, rd, v[0], v[1])
                    else:
                        rn, rd = v[0], v[1]
            if not k:
                return _NONE
            rd *= k
            if md:
                return capped(rn, rd, rn * mn, rd * md)
            return capped(rn, rd, 0, 0)

        return group_mean

    def group_weighted(call: _Call) -> _Value:
        g = given_value(call)
        if g is not None:
            return g
        nn, nd, wn, wd = 0, 0, 0, 0
        for ev, w in zip(evals, weights, strict=True):
            v = ev(call)  # every child, as the explained path does: its issues count
            if w is None or not v[1]:
                continue
            if nd:
                nn, nd = _add(nn, nd, w[0] * v[0], w[1] * v[1])
                wn, wd = _add(wn, wd, w[0], w[1])
            else:
                nn, nd = w[0] * v[0], w[1] * v[1]
                wn, wd = w[0], w[1]
        if not wn:
            return _NONE
        rn, rd = nn * wd, nd * wn  # (Σ w·r) ÷ (Σ w)
        if md:
            return capped(rn, rd, rn * mn, rd * md)
        return capped(rn, rd, 0, 0)

    return group_weighted


class _Plan:
    __slots__ = ("bands", "kinds", "max_points", "quantum", "root", "scale", "uses_tasks")

    def __init__(self, fw: Framework, role: str) -> None:
        kinds_used: set[tuple[str, ...] | None] = set()
        self.root = _compile(fw.individual.root, role, kinds_used)
        self.kinds = tuple(kinds_used)
        self.uses_tasks = _uses_tasks(fw.individual)
        self.max_points = _pair(fw.individual.max_points)
        places = fw.settings.rounding_places
        self.scale = 10**places
        self.quantum = Decimal(1).scaleb(-places)
        # rounded points q / 10^places reach a band when q ≥ ⌈min × 10^places⌉ (q is an int)
        self.bands = tuple((ceil(b.min * self.scale), b.rating) for b in fw.rating.bands)


_PLANS: dict[tuple[str, str], _Plan] = {}


def _plan(fw: Framework, role: str) -> _Plan:
    # Same content hash, same rules: a plan serves every equal Framework object.
    key = (fw.content_hash, role)
    plan = _PLANS.get(key)
    if plan is None:
        if len(_PLANS) > 512:
            _PLANS.clear()
        plan = _PLANS[key] = _Plan(fw, role)
    return plan


# -- evaluation ------------------------------------------------------------------------------
def _task_sums(call: _Call, facts: Mapping[str, KindFacts], kinds: tuple[Any, ...]) -> None:
    """Σw, Σdone, Σdone×q, Σdone×t per kinds selection, as ints over one denominator (the
    denominator cancels in every ratio)."""
    pairs = [
        (
            f.w.as_integer_ratio(),
            f.done.as_integer_ratio(),
            f.done_q.as_integer_ratio(),
            f.done_t.as_integer_ratio(),
        )
        for f in facts.values()
    ]
    den = lcm(*[d for row in pairs for _, d in row])
    rows = [tuple(n * (den // d) for n, d in row) for row in pairs]
    total = tuple(map(sum, zip(*rows, strict=True))) if rows else (0, 0, 0, 0)
    call.total_w = total[0]
    sums = call.sums
    for sel in kinds:
        if sel is None:
            sums[None] = total
        else:
            picked = [row for code, row in zip(facts, rows, strict=True) if code in sel]
            sums[sel] = tuple(map(sum, zip(*picked, strict=True))) if picked else (0, 0, 0, 0)


def score_fast(
    fw: Framework, inputs: PersonInputs, facts: Mapping[str, KindFacts]
) -> PersonResult | None:
    """The result ``score_person(..., explain=False)`` gives, or None to take that path."""
    plan = _plan(fw, inputs.role)
    if plan.root is None:
        return None
    call = _Call(fw, inputs)
    _task_sums(call, facts, plan.kinds)
    if call.total_w == 0 and plan.uses_tasks and fw.settings.no_assigned_work == "not_scored":
        return None
    try:
        _, _, pn, pd = plan.root(call)
    except _Fallback:
        return None
    if not pd:
        return None
    mn, md = plan.max_points
    if inputs.bonus or inputs.penalty:
        exact = _adjusted(fw, Fraction(pn, pd), inputs)
    elif pn < 0:
        exact = ZERO
    elif pn * md > mn * pd:
        exact = fw.individual.max_points
    else:
        exact = Fraction(pn, pd)  # the one normalisation of the call
    pn, pd = exact.numerator, exact.denominator
    # half-up once, at the end: q = ⌊value × 10^places + ½⌋ (value ≥ 0 here)
    q = (2 * pn * plan.scale + pd) // (2 * pd)
    points = Decimal(q).scaleb(-fw.settings.rounding_places).quantize(plan.quantum)
    by_points = RATINGS[-1]
    for low, band in plan.bands:
        if q >= low:
            by_points = band
            break
    rating = by_points
    changes: tuple[RatingChange, ...] = ()
    if inputs.flags or inputs.discipline:
        rating, changes = apply_overrides(
            fw, by_points, role=inputs.role, flags=inputs.flags, discipline=inputs.discipline
        )
    return PersonResult(
        person_id=inputs.person_id,
        role=inputs.role,
        status="scored",
        exact=exact,
        points=points,
        rating_by_points=by_points,
        rating=rating,
        changes=changes,
        breakdown=None,
        tasks=(),
        framework=(fw.id, fw.version, fw.content_hash),
    )


def _adjusted(fw: Framework, points: Fraction, inputs: PersonInputs) -> Fraction:
    """Bonus and penalty, each capped, then 0 … max points (as the explained path does)."""
    part = fw.individual
    b = sum((a.points for a in inputs.bonus), ZERO)
    p = sum((a.points for a in inputs.penalty), ZERO)
    if b and b > part.adjustments.bonus_cap:
        b = part.adjustments.bonus_cap
    if p and p > part.adjustments.penalty_cap:
        p = part.adjustments.penalty_cap
    return min(max(points + b - p, ZERO), part.max_points)
