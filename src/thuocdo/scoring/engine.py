"""The scoring engine: framework + period inputs → points, rating and a breakdown tree."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

from .breakdown import BreakdownNode, Rule
from .errors import InputError, Issue
from .inputs import (
    KindFacts,
    LeaderFacts,
    PersonInputs,
    TaskContribution,
    UnitInputs,
    aggregate_tasks,
    check_task_lines,
    task_contribution,
)
from .model import (
    DISCIPLINE_LEVELS,
    RATING_LABELS,
    RATINGS,
    Framework,
    Node,
    Part,
)
from .numbers import ZERO, fmt_decimal, fmt_fraction, fmt_percent
from .rules import (
    adjusted_total,
    art12_cap_points,
    art14_task_ratio,
    art15_leader_level,
    art15_unit_result,
    art16_mean,
    art17_points,
    art20_band,
    art20_head_not_above_unit,
    capped_adjustment,
    change_needs_reason,
    form01_group_step,
    form01_on_scale,
    form01_sum,
    given_in_range,
    round_once,
    weighted_mean,
)

__all__ = [
    "PersonResult",
    "RatingChange",
    "UnitResult",
    "apply_head_rule",
    "apply_overrides",
    "rate_points",
    "score_person",
    "score_unit",
]


@dataclass(frozen=True, slots=True)
class RatingChange:
    """A rating moved by a rule other than the bands (override, head rule, quota)."""

    rule: str
    from_rating: str
    to_rating: str
    reason_vi: str
    reason_en: str

    def as_dict(self) -> dict[str, str]:
        return {
            "rule": self.rule,
            "from": self.from_rating,
            "to": self.to_rating,
            "reason_vi": self.reason_vi,
            "reason_en": self.reason_en,
        }


@dataclass(frozen=True, slots=True)
class PersonResult:
    person_id: str
    role: str
    status: str  # scored | not_scored
    exact: Fraction | None
    points: Decimal | None
    rating_by_points: str | None
    rating: str | None
    changes: tuple[RatingChange, ...]
    breakdown: BreakdownNode | None
    tasks: tuple[TaskContribution, ...]
    framework: tuple[str, str, str]  # id, version, content hash
    reason_vi: str = ""
    reason_en: str = ""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "person_id": self.person_id,
            "role": self.role,
            "status": self.status,
            "points": str(self.points) if self.points is not None else None,
            "exact": fmt_fraction(self.exact) if self.exact is not None else None,
            "rating_by_points": self.rating_by_points,
            "rating": self.rating,
            "rating_label_vi": RATING_LABELS[self.rating][0] if self.rating else None,
            "rating_changes": [c.as_dict() for c in self.changes],
            "framework": {
                "id": self.framework[0],
                "version": self.framework[1],
                "content_hash": self.framework[2],
            },
        }
        if self.status != "scored":
            out["reason_vi"] = self.reason_vi
            out["reason_en"] = self.reason_en
        if self.tasks:
            out["tasks"] = [_task_dict(c) for c in self.tasks]
        if self.breakdown is not None:
            out["breakdown"] = self.breakdown.as_dict()
        return out


@dataclass(frozen=True, slots=True)
class UnitResult:
    unit_id: str
    status: str
    exact: Fraction | None
    points: Decimal | None
    rating: str | None
    breakdown: BreakdownNode | None
    framework: tuple[str, str, str]
    reason_vi: str = ""
    reason_en: str = ""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "unit_id": self.unit_id,
            "status": self.status,
            "points": str(self.points) if self.points is not None else None,
            "exact": fmt_fraction(self.exact) if self.exact is not None else None,
            "rating": self.rating,
            "framework": {
                "id": self.framework[0],
                "version": self.framework[1],
                "content_hash": self.framework[2],
            },
        }
        if self.status != "scored":
            out["reason_vi"] = self.reason_vi
            out["reason_en"] = self.reason_en
        if self.breakdown is not None:
            out["breakdown"] = self.breakdown.as_dict()
        return out


def _task_dict(c: TaskContribution) -> dict[str, Any]:
    ln = c.line
    return {
        "key": ln.key,
        "title": ln.title,
        "kind": ln.kind,
        "extra": ln.extra,
        "quantity": fmt_decimal(ln.quantity),
        "coefficient": fmt_decimal(ln.coefficient),
        "done_quantity": fmt_decimal(ln.done),
        "w": fmt_decimal(c.w),
        "done": fmt_decimal(c.done),
        "failures": ln.failures,
        "exempt_failures": ln.exempt_failures,
        "delays": ln.delays,
        "exempt_delays": ln.exempt_delays,
        "q": fmt_decimal(c.q),
        "t": fmt_decimal(c.t),
    }


def rate_points(
    framework: Framework, points: Decimal | Fraction, exact: Fraction | None = None
) -> str:
    """The band the points fall in (Art. 20). ``points`` are the rounded points; ``exact``,
    when given, is compared instead if the framework rates on the exact value."""
    return art20_band(
        _bands(framework), points, exact, rate_on=framework.settings.rate_on, lowest=RATINGS[-1]
    )


def _bands(framework: Framework) -> tuple[tuple[Fraction, str], ...]:
    return tuple((b.min, b.rating) for b in framework.rating.bands)


def apply_overrides(
    framework: Framework,
    rating: str,
    *,
    role: str,
    flags: Collection[str] = (),
    discipline: Collection[str] = (),
) -> tuple[str, tuple[RatingChange, ...]]:
    """Art. 20 overrides (degradation, discipline, …): the rating falls whatever the points.

    Used for a period and for the year (discipline during the year counts for the year).
    """
    changes: list[RatingChange] = []
    for ov in framework.rating.overrides:
        if ov.applies_to is not None and role not in ov.applies_to:
            continue
        hit = False
        if ov.trigger == "flag":
            hit = ov.value in flags
        elif discipline:
            floor = DISCIPLINE_LEVELS.index(ov.value)
            hit = any(
                lv in DISCIPLINE_LEVELS and DISCIPLINE_LEVELS.index(lv) >= floor
                for lv in discipline
            )
        if hit and RATINGS.index(ov.rating) > RATINGS.index(rating):
            changes.append(
                RatingChange(f"override:{ov.key}", rating, ov.rating, ov.label_vi, ov.label_en)
            )
            rating = ov.rating
    return rating, tuple(changes)


# ----------------------------------------------------------------------------------------
class _Ctx:
    __slots__ = (
        "explain",
        "facts",
        "fw",
        "given",
        "issues",
        "leader",
        "manual",
        "role",
        "sums",
        "targets",
        "total_w",
    )

    def __init__(
        self,
        fw: Framework,
        role: str,
        facts: Mapping[str, KindFacts],
        manual: Mapping[str, Any],
        given: Mapping[str, Fraction],
        targets: Mapping[str, Any],
        leader: Any,
        explain: bool,
    ) -> None:
        self.fw = fw
        self.role = role
        self.facts = facts
        self.manual = manual
        self.given = given
        self.targets = targets
        self.leader = leader
        self.explain = explain
        self.issues: list[Issue] = []
        self.sums: dict[tuple[tuple[str, ...] | None, str], Fraction] = {}
        self.total_w = ZERO

    def err(self, path: str, rule: str, vi: str, en: str) -> None:
        self.issues.append(Issue(path, rule, vi, en))

    def kind_sum(self, kinds: tuple[str, ...] | None, name: str) -> Fraction:
        """Σ of one fact (w, done, done_q, done_t, extra_done) over the kinds (None = all)."""
        key = (kinds, name)
        hit = self.sums.get(key)
        if hit is not None:
            return hit
        total = ZERO
        first = True
        for code, f in self.facts.items():
            if kinds is None or code in kinds:
                v = getattr(f, name)
                if first:
                    total, first = v, False
                elif v:
                    total = total + v
        self.sums[key] = total
        return total


_Eval = tuple[Fraction | None, Fraction | None, BreakdownNode | None]
_NA = Rule("not_applicable", "")


def _leaf(
    ctx: _Ctx,
    node: Node,
    ratio: Fraction | None,
    points: Fraction | None,
    rule: Rule,
    inputs: tuple[tuple[str, str], ...] = (),
    note: tuple[str, str] = ("", ""),
) -> _Eval:
    if not ctx.explain:
        return ratio, points, None
    return (
        ratio,
        points,
        BreakdownNode(
            key=node.key,
            label_vi=node.label_vi,
            label_en=node.label_en,
            rule=rule,
            inputs=inputs,
            ratio=ratio,
            points=points,
            max_points=node.points_max,
            applicable=ratio is not None,
            note_vi=note[0],
            note_en=note[1],
        ),
    )


def _eval(ctx: _Ctx, node: Node) -> _Eval:
    if not node.applies(ctx.role):
        if not ctx.explain:
            return None, None, None
        return (
            None,
            None,
            BreakdownNode(
                key=node.key,
                label_vi=node.label_vi,
                label_en=node.label_en,
                rule=_NA,
                max_points=node.points_max,
                applicable=False,
                note_vi="không áp dụng cho vai trò này",
                note_en="not applicable to this role",
            ),
        )
    t = node.type
    if t == "group":
        return _group(ctx, node)
    if t == "task_ratio":
        return _task_ratio(ctx, node)
    if t == "manual":
        return _manual(ctx, node)
    if t == "leader_component":
        return _leader(ctx, node)
    return _target(ctx, node)


def _group(ctx: _Ctx, node: Node) -> _Eval:
    given = ctx.given.get(node.key)
    if given is not None:
        top = node.points_max
        step = form01_group_step(node)
        if top is None or not given_in_range(given, top, step):
            where = f"0–{fmt_decimal(top)}" if top is not None else "—"
            by = f", bước {fmt_decimal(step)}" if step is not None else ""
            by_en = f", in steps of {fmt_decimal(step)}" if step is not None else ""
            ctx.err(
                f"given_points.{node.key}",
                "range",
                f"Điểm nhập cho nhóm “{node.label_vi}” ({fmt_decimal(given)}) phải trong "
                f"khoảng {where}{by}.",
                f"Points given for the group “{node.label_en}” ({fmt_decimal(given)}) must "
                f"lie in {where}{by_en}.",
            )
            return None, None, None
        assert top is not None
        if not ctx.explain:
            return given / top, given, None
        return _leaf(
            ctx,
            node,
            given / top,
            given,
            Rule(
                "given_points",
                f"{node.key} = điểm đã chấm / points as reviewed",
                f"{fmt_decimal(given)}",
            ),
            (("given_points", fmt_decimal(given)),),
        )
    results = [_eval(ctx, c) for c in node.children]
    combine = node.combine
    ratio: Fraction | None
    points: Fraction | None
    detail = ""
    formula = ""
    if combine == "sum":
        pts = [r[1] for r in results]
        present = [p for p in pts if p is not None]
        points = form01_sum(present)
        top = node.points_max
        ratio = points / top if points is not None and top else None
        if ctx.explain:
            keys = [c.key for c, p in zip(node.children, pts, strict=True) if p is not None]
            formula = f"{node.key} = " + " + ".join(keys) if keys else ""
            detail = " + ".join(fmt_decimal(p) for p in present)
    elif combine == "mean":
        rs = [r[0] for r in results if r[0] is not None]
        ratio = art16_mean(rs)
        points = art17_points(ratio, node.max_points)
        if ctx.explain and rs:
            keys = [c.key for c, r in zip(node.children, results, strict=True) if r[0] is not None]
            tail = f" × {fmt_decimal(node.max_points)}" if node.max_points is not None else ""
            formula = f"({' + '.join(keys)}) ÷ {len(rs)}{tail}"
            detail = f"({' + '.join(fmt_decimal(r) for r in rs)}) ÷ {len(rs)}{tail}"
    else:  # weighted_mean
        used = [
            (child.key, child.weight, r[0])
            for child, r in zip(node.children, results, strict=True)
            if r[0] is not None and child.weight is not None
        ]
        ratio = weighted_mean([(w, r) for _, w, r in used])
        points = art17_points(ratio, node.max_points)
        if ctx.explain and used:
            den = form01_sum([w for _, w, _ in used])
            tail = f" × {fmt_decimal(node.max_points)}" if node.max_points is not None else ""
            formula = f"Σ(weight × ratio) ÷ Σ weight{tail} over " + ", ".join(k for k, _, _ in used)
            detail = (
                "("
                + " + ".join(f"{fmt_decimal(w)}×{fmt_decimal(r)}" for _, w, r in used)
                + f") ÷ {fmt_decimal(den or ZERO)}{tail}"
            )
    note = ("", "")
    ratio_eff = ratio
    if points is not None:
        kept, capped = art12_cap_points(points, node.cap_points)
        if capped:
            note = (
                f"giới hạn tối đa {fmt_decimal(kept)} điểm (từ {fmt_decimal(points)})",
                f"capped at {fmt_decimal(kept)} points (from {fmt_decimal(points)})",
            )
            if node.max_points is not None:
                ratio_eff = kept / node.max_points
        points = kept
    if not ctx.explain:
        return ratio_eff, points, None
    children = tuple(r[2] for r in results if r[2] is not None)
    return (
        ratio_eff,
        points,
        BreakdownNode(
            key=node.key,
            label_vi=node.label_vi,
            label_en=node.label_en,
            rule=Rule(combine or "", formula, detail),
            ratio=ratio,
            points=points,
            max_points=node.points_max,
            applicable=ratio is not None or points is not None,
            note_vi=note[0],
            note_en=note[1],
            children=children,
        ),
    )


_MEASURE_FIELD = {"quantity": "done", "quality": "done_q", "timeliness": "done_t"}
_MEASURE_FORMULA = {
    "quantity": "Σ done ÷ Σ w",
    "quality": "Σ done×q ÷ Σ w",
    "timeliness": "Σ done×t ÷ Σ w",
}


def _task_ratio(ctx: _Ctx, node: Node) -> _Eval:
    measure = node.measure or "quantity"
    numerator = ctx.kind_sum(node.kinds, _MEASURE_FIELD[measure])
    w = ctx.kind_sum(node.kinds, "w")
    ratio = art14_task_ratio(
        numerator,
        w,
        anything_assigned=bool(ctx.total_w),
        no_assigned_work=ctx.fw.settings.no_assigned_work,
    )
    note = ("", "")
    if w == 0 and ratio is not None:
        note = ("không được giao việc: tính 0", "nothing assigned: counted as 0")
    elif ratio is None:
        note = ("không có việc được giao thuộc loại này", "no assigned work of this kind")
        if ctx.kind_sum(node.kinds, "extra_done"):
            note = (
                note[0] + "; khối lượng làm thêm không tạo thành tỷ lệ",
                note[1] + "; extra work alone cannot form a ratio",
            )
    if not ctx.explain:
        return ratio, art17_points(ratio, node.max_points), None
    letter = node.key
    kinds = "all" if node.kinds is None else ", ".join(node.kinds)
    extra_done = ctx.kind_sum(node.kinds, "extra_done")
    inputs: tuple[tuple[str, str], ...] = (
        ("kinds", kinds),
        ("sum_w", fmt_decimal(w)),
        (f"sum_{_MEASURE_FIELD[measure]}", fmt_decimal(numerator)),
    )
    if extra_done:
        inputs += (("extra_done", fmt_decimal(extra_done)),)
        if ratio is not None:
            note = ("gồm việc làm thêm (chỉ tính ở tử số)", "includes extra work (numerator only)")
    detail = (
        f"{fmt_decimal(numerator)} ÷ {fmt_decimal(w)} = {fmt_percent(ratio)}"
        if ratio is not None and w
        else ""
    )
    rule = Rule(f"{measure}_ratio", f"{letter} = {_MEASURE_FORMULA[measure]}", detail)
    return _leaf(ctx, node, ratio, art17_points(ratio, node.max_points), rule, inputs, note)


def _manual(ctx: _Ctx, node: Node) -> _Eval:
    score = ctx.manual.get(node.key)
    scale = node.scale
    assert scale is not None
    if score is None:
        ctx.err(
            f"manual.{node.key}",
            "required",
            f"Thiếu điểm tiêu chí “{node.label_vi}”.",
            f"Missing the score for “{node.label_en}”.",
        )
        return None, None, None
    value = score.value
    path = f"manual.{node.key}"
    if not form01_on_scale(value, scale.max, scale.step):
        ctx.err(
            path,
            "scale",
            f"Điểm {fmt_decimal(value)} không nằm trên thang 0–{fmt_decimal(scale.max)} "
            f"bước {fmt_decimal(scale.step)}.",
            f"Score {fmt_decimal(value)} is not on the scale 0–{fmt_decimal(scale.max)} "
            f"step {fmt_decimal(scale.step)}.",
        )
        return None, None, None
    if change_needs_reason(
        score.self_score,
        value,
        score.reason,
        required=ctx.fw.settings.manual_change_needs_reason and node.reason_required_on_change,
    ):
        ctx.err(
            f"{path}.reason",
            "reason_required",
            "Cấp trên thay đổi điểm tự đánh giá thì phải nêu lý do.",
            "A reviewer's change to the self-assessed score needs a reason.",
        )
    if not ctx.explain:
        return value / scale.max, value, None
    inputs: tuple[tuple[str, str], ...] = (("score", fmt_decimal(value)),)
    note = ("", "")
    if score.self_score is not None:
        inputs += (("self_score", fmt_decimal(score.self_score)),)
        if score.self_score != value:
            note = (f"cấp trên điều chỉnh: {score.reason}", f"changed by reviewer: {score.reason}")
    return _leaf(
        ctx,
        node,
        value / scale.max,
        value,
        Rule(
            "manual_score", f"điểm chấm trên thang 0–{fmt_decimal(scale.max)}", fmt_decimal(value)
        ),
        inputs,
        note,
    )


def _has_staff(fw: Framework, lf: LeaderFacts) -> bool:
    """Whether facts d derives from are there (ratings are read only on their basis)."""
    if fw.rating.unit_result_basis == "final_rating" and lf.staff_not_completed is not None:
        return True
    return lf.staff_points is not None


def _leader(ctx: _Ctx, node: Node) -> _Eval:
    """Art. 15(3): d, đ, e for leaders — a reviewer's level, or derived from the facts."""
    levels = ctx.fw.settings.leader_levels
    comp = node.component or "d"
    lf = ctx.leader
    given = getattr(lf, comp) if lf is not None else None
    path = f"leader.{comp}"
    inputs: tuple[tuple[str, str], ...] = ()
    how = ""
    if given is not None:
        if given not in levels:
            ctx.err(
                path,
                "leader_level",
                "Thành phần d, đ, e chỉ nhận các mức: "
                + ", ".join(fmt_percent(x) for x in levels)
                + ".",
                "Components d, đ, e take only the levels: "
                + ", ".join(fmt_percent(x) for x in levels)
                + ".",
            )
            return None, None, None
        value = given
        how = "given"
    elif comp == "d" and lf is not None and _has_staff(ctx.fw, lf):
        completed_min = next(b.min for b in ctx.fw.rating.bands if b.rating == "completed")
        value, counted, below, basis = art15_unit_result(
            lf.staff_points,
            lf.staff_not_completed,
            basis=ctx.fw.rating.unit_result_basis,
            completed_min=completed_min,
            levels=levels,
        )
        inputs = (
            ("basis", basis),
            ("staff_count", str(counted)),
            ("below_completed", str(below)),
            ("completed_min", fmt_decimal(completed_min)),
        )
        how = "derived"
    elif comp == "dd" and lf is not None and lf.organisation_shortcomings is not None:
        value = art15_leader_level(lf.organisation_shortcomings, levels)
        inputs = (("organisation_shortcomings", str(lf.organisation_shortcomings).lower()),)
        how = "derived"
    elif comp == "e" and lf is not None and lf.internal_conflict is not None:
        value = art15_leader_level(lf.internal_conflict, levels)
        inputs = (("internal_conflict", str(lf.internal_conflict).lower()),)
        how = "derived"
    else:
        ctx.err(
            path,
            "required",
            f"Thiếu thành phần {node.label_vi} (nhập mức hoặc dữ liệu để suy ra).",
            f"Missing component {node.label_en} (give the level or the facts it derives from).",
        )
        return None, None, None
    if not ctx.explain:
        return value, art17_points(value, node.max_points), None
    d_low = (
        "xếp loại Không hoàn thành nhiệm vụ / 100% if all in charge ≥ completed; 50% if any is "
        "rated not completed"
        if dict(inputs).get("basis") == "final_rating"
        else "dưới 50 điểm / 100% if all in charge ≥ completed; 50% if any < 50 points"
    )
    formulas = {
        "d": "100% khi mọi công chức phụ trách đạt từ Hoàn thành nhiệm vụ; 50% khi có người "
        + d_low,
        "dd": "100% khi nhiệm vụ kế hoạch đúng hạn, chất lượng; 50% khi có hạn chế, chậm kéo "
        "dài / 100% if plan done on time with quality; 50% if shortcomings",
        "e": "100% khi đơn vị đoàn kết; 50% khi có đơn thư kéo dài về mất đoàn kết / 100% if "
        "united; 50% if prolonged complaints about internal conflict",
    }
    inputs = (("source", how), *inputs)
    return _leaf(
        ctx,
        node,
        value,
        art17_points(value, node.max_points),
        Rule(f"leader_{comp}", formulas[comp], fmt_percent(value)),
        inputs,
    )


def _target(ctx: _Ctx, node: Node) -> _Eval:
    rule = node.target
    assert rule is not None
    facts = ctx.targets.get(node.key)
    path = f"targets.{node.key}"
    if facts is None:
        ctx.err(
            path,
            "required",
            f"Thiếu số liệu chỉ tiêu “{node.label_vi}”.",
            f"Missing the target figures for “{node.label_en}”.",
        )
        return None, None, None
    actual = facts.actual
    target = facts.target
    if rule.basis == "ratio_to_target":
        if target is None or (rule.direction == "higher_is_better" and target <= 0):
            ctx.err(
                f"{path}.target",
                "required",
                "Cần chỉ tiêu (target) > 0 để tính tỷ lệ đạt.",
                "A target > 0 is needed to compute achievement.",
            )
            return None, None, None
        if rule.direction == "higher_is_better":
            achieved = actual / target
        else:
            achieved = rule.cap if actual == 0 else target / actual
        measure = achieved
    else:
        measure = actual
        achieved = actual
    if rule.scoring == "ratio":
        score = min(max(achieved, ZERO), rule.cap)
        code = "target_ratio"
        formula = (
            "thực hiện ÷ chỉ tiêu / actual ÷ target"
            if rule.direction == "higher_is_better"
            else "chỉ tiêu ÷ thực hiện / target ÷ actual"
        )
        formula += f", tối đa / at most {fmt_percent(rule.cap)}"
    else:
        score = ZERO
        lower_actual = rule.basis == "actual" and rule.direction == "lower_is_better"
        for at, s in rule.thresholds:
            if (measure <= at) if lower_actual else (measure >= at):
                score = s
                break
        code = "target_thresholds"
        formula = "ngưỡng / thresholds: " + "; ".join(
            f"{'≤' if lower_actual else '≥'} {fmt_decimal(a)} → {fmt_percent(s)}"
            for a, s in rule.thresholds
        )
    if not ctx.explain:
        return score, art17_points(score, node.max_points), None
    inputs: tuple[tuple[str, str], ...] = (("actual", fmt_decimal(actual)),)
    if target is not None:
        inputs += (("target", fmt_decimal(target)),)
    inputs += (("direction", rule.direction),)
    return _leaf(
        ctx,
        node,
        score,
        art17_points(score, node.max_points),
        Rule(code, formula, f"{fmt_decimal(measure)} → {fmt_percent(score)}"),
        inputs,
    )


def _finish(
    fw: Framework, part: Part, ctx: _Ctx, bonus: tuple[Any, ...], penalty: tuple[Any, ...]
) -> tuple[Fraction | None, BreakdownNode | None]:
    _ratio, points, root_node = _eval(ctx, part.root)
    if ctx.issues:
        raise InputError(ctx.issues)
    if points is None:
        return None, root_node
    b = capped_adjustment([a.points for a in bonus], part.adjustments.bonus_cap) or ZERO
    p = capped_adjustment([a.points for a in penalty], part.adjustments.penalty_cap) or ZERO
    clamped = adjusted_total(points, b, p, part.max_points)
    total = points + b - p  # shown when the clamp moved it
    if ctx.explain and (bonus or penalty or clamped != total) and root_node is not None:
        adj_children = []
        if bonus:
            adj_children.append(
                BreakdownNode(
                    key="bonus",
                    label_vi="Điểm thưởng",
                    label_en="Bonus points",
                    rule=Rule(
                        "bonus",
                        f"min(Σ thưởng, {fmt_decimal(part.adjustments.bonus_cap)})",
                        fmt_decimal(b),
                    ),
                    inputs=tuple(
                        (a.reason or f"#{i + 1}", fmt_decimal(a.points))
                        for i, a in enumerate(bonus)
                    ),
                    points=b,
                )
            )
        if penalty:
            adj_children.append(
                BreakdownNode(
                    key="penalty",
                    label_vi="Điểm trừ",
                    label_en="Penalty points",
                    rule=Rule(
                        "penalty",
                        f"min(Σ trừ, {fmt_decimal(part.adjustments.penalty_cap)})",
                        fmt_decimal(p),
                    ),
                    inputs=tuple(
                        (a.reason or f"#{i + 1}", fmt_decimal(a.points))
                        for i, a in enumerate(penalty)
                    ),
                    points=-p,
                )
            )
        root_node = BreakdownNode(
            key="final",
            label_vi="Điểm cuối cùng",
            label_en="Final points",
            rule=Rule(
                "adjusted_total",
                f"min(max({part.root.key} + thưởng − trừ, 0), {fmt_decimal(part.max_points)})",
                f"{fmt_decimal(points)} + {fmt_decimal(b)} − {fmt_decimal(p)}",
            ),
            points=clamped,
            max_points=part.max_points,
            children=(root_node, *adj_children),
        )
    return clamped, root_node


def _facts_and_lines(
    fw: Framework, tasks: Mapping[str, KindFacts] | None, lines: tuple[Any, ...], explain: bool
) -> tuple[Mapping[str, KindFacts], tuple[TaskContribution, ...]]:
    if tasks is not None:
        return tasks, ()
    issues = check_task_lines(fw, lines, "task_lines")
    if issues:
        raise InputError(issues)
    facts = aggregate_tasks(fw, lines)
    contributions = tuple(task_contribution(fw.settings, ln) for ln in lines) if explain else ()
    return facts, contributions


def _uses_tasks(part: Part) -> bool:
    return any(n.type == "task_ratio" for n in part.root.walk())


_FAST: list[Callable[..., PersonResult | None]] = []


def _fast_path() -> Callable[..., PersonResult | None]:
    """The compiled hot path (``fastpath``, which builds on this module), imported once."""
    if not _FAST:
        from .fastpath import score_fast

        _FAST.append(score_fast)
    return _FAST[0]


def score_person(
    framework: Framework, inputs: PersonInputs, *, explain: bool = True
) -> PersonResult:
    """Score one person for one period.

    Raises :class:`InputError` when the inputs break a rule (missing score, off-scale, a
    change without reason, a d/đ/e level not allowed, …).
    """
    fw = framework
    facts, contributions = _facts_and_lines(fw, inputs.tasks, inputs.task_lines, explain)
    if not explain:
        fast = _fast_path()(fw, inputs, facts)
        if fast is not None:
            return fast
    ref = (fw.id, fw.version, fw.content_hash)
    ctx = _Ctx(
        fw,
        inputs.role,
        facts,
        inputs.manual,
        inputs.given_points,
        inputs.targets,
        inputs.leader,
        explain,
    )
    total_w = ctx.kind_sum(None, "w")
    ctx.total_w = total_w
    if total_w == 0 and fw.settings.no_assigned_work == "not_scored" and _uses_tasks(fw.individual):
        return PersonResult(
            person_id=inputs.person_id,
            role=inputs.role,
            status="not_scored",
            exact=None,
            points=None,
            rating_by_points=None,
            rating=None,
            changes=(),
            breakdown=None,
            tasks=contributions,
            framework=ref,
            reason_vi="Không được giao nhiệm vụ trong kỳ: kỳ này không chấm điểm.",
            reason_en="Nothing was assigned in the period: the period is not scored.",
        )
    exact, node = _finish(fw, fw.individual, ctx, inputs.bonus, inputs.penalty)
    if exact is None:
        return PersonResult(
            person_id=inputs.person_id,
            role=inputs.role,
            status="not_scored",
            exact=None,
            points=None,
            rating_by_points=None,
            rating=None,
            changes=(),
            breakdown=node,
            tasks=contributions,
            framework=ref,
            reason_vi="Không có tiêu chí nào áp dụng được.",
            reason_en="No criterion applies.",
        )
    points = round_once(exact, fw.settings.rounding_places)
    by_points = rate_points(fw, points, exact)
    rating, changes = apply_overrides(
        fw, by_points, role=inputs.role, flags=inputs.flags, discipline=inputs.discipline
    )
    if explain and node is not None:
        node = replace(
            node,
            note_vi=node.note_vi or RATING_LABELS[by_points][0],
            note_en=node.note_en or RATING_LABELS[by_points][1],
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
        breakdown=node,
        tasks=contributions,
        framework=ref,
    )


def score_unit(framework: Framework, inputs: UnitInputs, *, explain: bool = True) -> UnitResult:
    """Score one unit for one period with the framework's unit part."""
    fw = framework
    ref = (fw.id, fw.version, fw.content_hash)
    if fw.unit is None:
        raise InputError(
            [
                Issue(
                    "unit",
                    "no_unit_framework",
                    "Khung này không có khung tiêu chí đơn vị.",
                    "This framework has no unit part.",
                )
            ]
        )
    facts, _ = _facts_and_lines(fw, inputs.tasks, inputs.task_lines, False)
    ctx = _Ctx(fw, "unit", facts, inputs.manual, inputs.given_points, inputs.targets, None, explain)
    ctx.total_w = ctx.kind_sum(None, "w")
    exact, node = _finish(fw, fw.unit, ctx, inputs.bonus, inputs.penalty)
    if exact is None:
        return UnitResult(
            inputs.unit_id,
            "not_scored",
            None,
            None,
            None,
            node,
            ref,
            "Không có chỉ số nào áp dụng được.",
            "No KPI applies.",
        )
    points = round_once(exact, fw.settings.rounding_places)
    rating = rate_points(fw, points, exact)
    return UnitResult(inputs.unit_id, "scored", exact, points, rating, node, ref)


def apply_head_rule(
    framework: Framework, result: PersonResult, unit_rating: str | None
) -> PersonResult:
    """Art. 20(6): the head's rating is not higher than the rating of the unit they head."""
    if (
        not framework.rating.head_not_above_unit
        or result.rating is None
        or unit_rating is None
        or result.role not in framework.rating.head_roles
    ):
        return result
    capped = art20_head_not_above_unit(result.rating, unit_rating, RATINGS)
    if capped == result.rating:
        return result
    change = RatingChange(
        "head_not_above_unit",
        result.rating,
        unit_rating,
        f"Xếp loại của người đứng đầu không cao hơn xếp loại của đơn vị "
        f"({RATING_LABELS[unit_rating][0]}).",
        f"The head's rating is not above the unit's rating ({RATING_LABELS[unit_rating][1]}).",
    )
    return replace(result, rating=capped, changes=(*result.changes, change))
