"""The hot path: ``score_person(..., explain=False)`` compiled once per framework and role.

The explained path (``engine._eval``) builds a breakdown and works in ``Fraction``s, which
normalise (a gcd) after every operation. Scoring thousands of people needs neither, so a
framework's individual part is compiled once per role into closures that:

- drop the criteria that do not apply to the role, and turn every rule constant (maxima,
  caps, weights) into the number type below once;
- put a person's task facts over one common denominator, so Σw, Σdone, … are sums of ints;
- compute with :class:`Lazy`, a rational that is not normalised, and build one ``Fraction``
  at the end.

The rules themselves are not written here: every combine, cap, ratio, rounding and band
is a call to the same function of ``rules`` the explained path calls, with ``Lazy``
numbers in place of ``Fraction``s. So the value is the same exact rational and the
points, rating and ``exact`` are identical (a property test checks it). Anything unusual
(an input that breaks a rule, nothing to score, a root that does not apply) returns
``None`` and the caller takes the explained path, which raises the same bilingual issues.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction
from math import lcm
from typing import Any

from .engine import (
    PersonResult,
    RatingChange,
    _Ctx,
    _leader,
    _target,
    _uses_tasks,
    apply_overrides,
    rate_points,
)
from .inputs import KindFacts, PersonInputs
from .model import Framework, Node
from .rules import (
    adjusted_total,
    art12_cap_points,
    art14_task_ratio,
    art16_mean,
    art17_points,
    capped_adjustment,
    change_needs_reason,
    form01_group_step,
    form01_on_scale,
    form01_sum,
    given_in_range,
    round_once,
    weighted_mean,
)

__all__ = ["Lazy", "score_fast"]

_MEASURE_INDEX = {"quantity": 1, "quality": 2, "timeliness": 3}


class Lazy:
    """An exact rational kept as an unnormalised pair (denominator > 0): arithmetic costs a
    few integer operations and no gcd. Mixes with ``int``; ``fraction()`` normalises."""

    __slots__ = ("d", "n")

    def __init__(self, n: int, d: int = 1) -> None:
        self.n = n
        self.d = d

    @classmethod
    def of(cls, value: Fraction) -> Lazy:
        return cls(value.numerator, value.denominator)

    def fraction(self) -> Fraction:
        return Fraction(self.n, self.d)

    def __add__(self, other: Lazy | int) -> Lazy:
        if isinstance(other, int):
            return Lazy(self.n + other * self.d, self.d)
        on, od = other.n, other.d
        if self.d == od:
            return Lazy(self.n + on, od)
        return Lazy(self.n * od + on * self.d, self.d * od)

    __radd__ = __add__

    def __neg__(self) -> Lazy:
        return Lazy(-self.n, self.d)

    def __sub__(self, other: Lazy | int) -> Lazy:
        if isinstance(other, int):
            return Lazy(self.n - other * self.d, self.d)
        on, od = other.n, other.d
        if self.d == od:
            return Lazy(self.n - on, od)
        return Lazy(self.n * od - on * self.d, self.d * od)

    def __rsub__(self, other: int) -> Lazy:
        return Lazy(other * self.d - self.n, self.d)

    def __mul__(self, other: Lazy | int) -> Lazy:
        if isinstance(other, int):
            return Lazy(self.n * other, self.d)
        return Lazy(self.n * other.n, self.d * other.d)

    __rmul__ = __mul__

    def __truediv__(self, other: Lazy | int) -> Lazy:
        if isinstance(other, int):
            n, d = 1, other
        else:
            n, d = other.d, other.n
        if d < 0:
            n, d = -n, -d
        return Lazy(self.n * n, self.d * d)

    def _diff(self, other: Lazy | int) -> int:
        """A number with the sign of self − other (both denominators are positive)."""
        if isinstance(other, int):
            return self.n - other * self.d
        return self.n * other.d - other.n * self.d

    def __lt__(self, other: Lazy | int) -> bool:
        return self._diff(other) < 0

    def __le__(self, other: Lazy | int) -> bool:
        return self._diff(other) <= 0

    def __gt__(self, other: Lazy | int) -> bool:
        return self._diff(other) > 0

    def __ge__(self, other: Lazy | int) -> bool:
        return self._diff(other) >= 0

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Lazy | int):
            return NotImplemented
        return self._diff(other) == 0

    __hash__ = None  # type: ignore[assignment]

    def __bool__(self) -> bool:
        return self.n != 0

    def __repr__(self) -> str:
        return f"Lazy({self.n}, {self.d})"


def _lazy(value: Fraction | None) -> Lazy | None:
    return Lazy.of(value) if value is not None else None


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
        self.sums: dict[tuple[str, ...] | None, tuple[Lazy, ...]] = {}
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


# A node's value: (ratio, points); None when not applicable or not sized.
_Value = tuple[Lazy | None, Lazy | None]
_NONE: _Value = (None, None)
_Eval = Callable[[_Call], _Value]


# -- compilation -----------------------------------------------------------------------------
def _compile(
    fw: Framework,
    node: Node,
    role: str,
    kinds_used: set[tuple[str, ...] | None],
    ratio_needed: bool = True,
) -> _Eval | None:
    """``ratio_needed`` is False under a group that sums points: a manual criterion there
    skips its ratio (nothing reads it)."""
    if not node.applies(role):
        return None
    if node.type == "group":
        return _compile_group(fw, node, role, kinds_used)
    if node.type == "task_ratio":
        return _compile_task_ratio(node, kinds_used)
    if node.type == "manual":
        return _compile_manual(node, ratio_needed, fw)
    return _compile_slow_leaf(node)


def _compile_task_ratio(node: Node, kinds_used: set[tuple[str, ...] | None]) -> _Eval:
    kinds = node.kinds
    kinds_used.add(kinds)
    index = _MEASURE_INDEX[node.measure or "quantity"]
    size = _lazy(node.max_points)

    def task_ratio(call: _Call) -> _Value:
        s = call.sums[kinds]
        ratio = art14_task_ratio(
            s[index],
            s[0],
            anything_assigned=call.total_w != 0,
            no_assigned_work=call.fw.settings.no_assigned_work,
        )
        return ratio, art17_points(ratio, size)

    return task_ratio


def _compile_manual(node: Node, ratio_needed: bool, fw: Framework) -> _Eval:
    scale = node.scale
    assert scale is not None
    key = node.key
    top, step = scale.max, scale.step
    top_lazy = Lazy.of(top)
    reason_required = node.reason_required_on_change and fw.settings.manual_change_needs_reason
    on_scale: dict[tuple[int, int], bool] = {}  # the rule's answer per distinct score

    def manual(call: _Call) -> _Value:
        score = call.manual.get(key)
        if score is None:
            raise _Fallback
        value = score.value
        pair = value.as_integer_ratio()
        fits = on_scale.get(pair)
        if fits is None:
            fits = on_scale[pair] = form01_on_scale(value, top, step)
        if not fits or (
            score.self_score is not None
            and change_needs_reason(score.self_score, value, score.reason, required=reason_required)
        ):
            raise _Fallback
        points = Lazy(pair[0], pair[1])
        return (points / top_lazy if ratio_needed else None), points

    return manual


def _compile_slow_leaf(node: Node) -> _Eval:
    """d/đ/e and targets: few per person; evaluated by the explained path's own rules."""
    run = _leader if node.type == "leader_component" else _target

    def slow_leaf(call: _Call) -> _Value:
        ctx = call.slow_ctx(call.inputs.tasks or {})
        ratio, points, _ = run(ctx, node)
        if ctx.issues:
            raise _Fallback
        return _lazy(ratio), _lazy(points)

    return slow_leaf


def _compile_group(
    fw: Framework, node: Node, role: str, kinds_used: set[tuple[str, ...] | None]
) -> _Eval:
    children: list[tuple[_Eval, Node]] = []
    for child in node.children:
        ev = _compile(fw, child, role, kinds_used, node.combine != "sum")
        if ev is not None:
            children.append((ev, child))
    evals = tuple(ev for ev, _ in children)
    key = node.key
    top_exact, step = node.points_max, form01_group_step(node)
    top = _lazy(top_exact)
    size = _lazy(node.max_points)
    cap = _lazy(node.cap_points)
    combine = node.combine
    weights = tuple(_lazy(child.weight) for _, child in children)

    def given_value(call: _Call) -> _Value | None:
        given = call.given.get(key) if call.given else None
        if given is None:
            return None
        if top is None or not given_in_range(given, top_exact, step):
            raise _Fallback  # the explained path names the rule broken
        points = Lazy.of(given)
        return points / top, points

    def capped(ratio: Lazy | None, points: Lazy | None) -> _Value:
        if points is None:
            return ratio, None
        kept, was_capped = art12_cap_points(points, cap)
        if was_capped and size is not None:
            ratio = kept / size
        return ratio, kept

    if combine == "sum":

        def group_sum(call: _Call) -> _Value:
            g = given_value(call)
            if g is not None:
                return g
            present = []
            for ev in evals:
                p = ev(call)[1]
                if p is not None:
                    present.append(p)
            points = form01_sum(present)
            if points is None:
                return _NONE
            return capped(points / top if top else None, points)

        return group_sum

    if combine == "mean":

        def group_mean(call: _Call) -> _Value:
            g = given_value(call)
            if g is not None:
                return g
            present = []
            for ev in evals:
                r = ev(call)[0]
                if r is not None:
                    present.append(r)
            ratio = art16_mean(present)
            if ratio is None:
                return _NONE
            return capped(ratio, art17_points(ratio, size))

        return group_mean

    def group_weighted(call: _Call) -> _Value:
        g = given_value(call)
        if g is not None:
            return g
        pairs = []
        for ev, w in zip(evals, weights, strict=True):
            r = ev(call)[0]  # every child, as the explained path does: its issues count
            if w is not None and r is not None:
                pairs.append((w, r))
        ratio = weighted_mean(pairs)
        if ratio is None:
            return _NONE
        return capped(ratio, art17_points(ratio, size))

    return group_weighted


class _Plan:
    __slots__ = ("bonus_cap", "kinds", "max_points", "penalty_cap", "root", "uses_tasks")

    def __init__(self, fw: Framework, role: str) -> None:
        kinds_used: set[tuple[str, ...] | None] = set()
        self.root = _compile(fw, fw.individual.root, role, kinds_used)
        self.kinds = tuple(kinds_used)
        self.uses_tasks = _uses_tasks(fw.individual)
        part = fw.individual
        self.max_points = Lazy.of(part.max_points)
        self.bonus_cap = Lazy.of(part.adjustments.bonus_cap)
        self.penalty_cap = Lazy.of(part.adjustments.penalty_cap)


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
            picked = total
        else:
            chosen = [row for code, row in zip(facts, rows, strict=True) if code in sel]
            picked = tuple(map(sum, zip(*chosen, strict=True))) if chosen else (0, 0, 0, 0)
        sums[sel] = tuple(Lazy(x) for x in picked)


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
        _, points = plan.root(call)
    except _Fallback:
        return None
    if points is None:
        return None
    bonus = capped_adjustment([Lazy.of(a.points) for a in inputs.bonus], plan.bonus_cap)
    penalty = capped_adjustment([Lazy.of(a.points) for a in inputs.penalty], plan.penalty_cap)
    exact = adjusted_total(points, bonus, penalty, plan.max_points).fraction()
    rounded = round_once(exact, fw.settings.rounding_places)
    by_points = rate_points(fw, rounded, exact)
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
        points=rounded,
        rating_by_points=by_points,
        rating=rating,
        changes=changes,
        breakdown=None,
        tasks=(),
        framework=(fw.id, fw.version, fw.content_hash),
    )
