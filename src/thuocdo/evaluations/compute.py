"""The adapter between evaluation rows and the scoring engine.

Rows → `PersonInputs` / `UnitInputs` / `MonthEntry`; the engine's results → JSON kept on
the rows. Nothing here writes: services decide when a result is proposed or frozen.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from typing import Any

from thuocdo.core.errors import ValidationFailed
from thuocdo.evaluations.models import Evaluation, Period, UnitEvaluation, UnitKpi
from thuocdo.evaluations.selectors import (
    charge_paths,
    facts_from_json,
    facts_to_json,
    month_entries,
    period_range,
    staff_in_charge,
    unit_task_facts,
    work_rates,
    year_months,
)
from thuocdo.frameworks.selectors import engine_framework
from thuocdo.org.models import Assignment
from thuocdo.scoring import (
    RATINGS,
    Framework,
    InputError,
    Issue,
    KindFacts,
    LeaderFacts,
    ManualScore,
    Node,
    PersonInputs,
    PersonResult,
    TargetFacts,
    UnitInputs,
    apply_head_rule,
    roll_up,
    score_person,
    score_unit,
)
from thuocdo.work.selectors import task_facts

LEADER_COMPONENTS = ("d", "dd", "e")
ROLE_RANK = {"staff": 0, "deputy": 1, "acting_head": 2, "head": 3}


def input_failed(issues: Iterable[Issue]) -> ValidationFailed:
    """The engine's input issues as one message naming each field and rule."""
    items = list(issues)
    first = items[0].path if items else ""
    vi = "Số liệu đánh giá chưa hợp lệ:\n" + "\n".join(
        f"- {i.path} [{i.rule}]: {i.message_vi}" for i in items
    )
    en = "The evaluation's figures are not valid:\n" + "\n".join(
        f"- {i.path} [{i.rule}]: {i.message_en}" for i in items
    )
    return ValidationFailed(vi, en, field=first)


def engine_role(ev: Evaluation) -> str:
    """An acting head ruled `as_deputy` is scored as a deputy (d/đ/e over assigned fields,
    no head-not-above-unit cap)."""
    if (
        ev.role == Assignment.Role.ACTING_HEAD
        and ev.period.acting_head_rule == Period.ActingHeadRule.AS_DEPUTY
    ):
        return Assignment.Role.DEPUTY
    return ev.role


def general_nodes(fw: Framework, role: str) -> list[Node]:
    """The manual criteria (general criteria) that apply to the role, in framework order."""
    return [
        n
        for n in fw.individual.root.walk()
        if n.type == "manual" and (n.applies_to is None or role in n.applies_to)
    ]


def check_scale(node: Node, value: Any, field: str) -> Fraction:
    try:
        number = Fraction(Decimal(str(value)))
    except Exception as error:
        raise ValidationFailed(
            f"Điểm “{value}” của tiêu chí “{node.label_vi}” không phải là số.",
            f"Score {value!r} for “{node.label_en}” is not a number.",
            field=field,
        ) from error
    scale = node.scale
    assert scale is not None
    if number < 0 or number > scale.max or (number / scale.step).denominator != 1:
        raise ValidationFailed(
            f"Điểm {value} của tiêu chí “{node.label_vi}” phải từ 0 đến {scale.max} "
            f"theo bước {float(scale.step):g}.",
            f"Score {value} for “{node.label_en}” must be 0–{scale.max} in steps of "
            f"{float(scale.step):g}.",
            field=field,
        )
    return number


def manual_scores(ev: Evaluation) -> dict[str, ManualScore]:
    out = {}
    for row in ev.scores.all():
        final = row.reviewer_score if row.reviewer_score is not None else row.self_score
        if final is None:
            continue
        out[row.key] = ManualScore(
            value=Fraction(final),
            self_score=Fraction(row.self_score) if row.self_score is not None else None,
            reason=row.reason,
        )
    return out


def leader_facts(ev: Evaluation, fw: Framework) -> tuple[LeaderFacts | None, dict[str, Any]]:
    """d from the points of the officials in the leader's charge, đ from the charge's
    planned tasks (all accepted, none late or returned → 100%), e from the reviewer's
    finding (no prolonged complaint recorded → 100%). A reviewer's level with a reason wins.
    """
    role = engine_role(ev)
    if role not in fw.settings.leader_roles:
        return None, {}
    stored = dict(ev.leader or {})
    paths, how = charge_paths(ev)
    staff = list(staff_in_charge(ev, paths))
    points = tuple(s.points for s in staff if s.points is not None)
    rates = work_rates(paths, period_range(ev.period))
    shortcomings = rates.planned_with_shortcomings > 0
    conflict = bool(stored.get("e", {}).get("internal_conflict", False))

    def given(comp: str) -> Fraction | None:
        value = stored.get(comp, {}).get("value")
        return Fraction(str(value)) if value not in (None, "") else None

    record = {
        "charge": {"paths": paths, "how": how},
        "d": {
            **{k: v for k, v in stored.get("d", {}).items() if k in ("value", "reason")},
            "staff": [
                {"evaluation": s.pk, "person": s.person_id, "points": str(s.points)}
                for s in staff
                if s.points is not None
            ],
        },
        "dd": {
            **{k: v for k, v in stored.get("dd", {}).items() if k in ("value", "reason")},
            "rates": rates.as_dict(),
            "shortcomings": shortcomings,
        },
        "e": {
            **{k: v for k, v in stored.get("e", {}).items() if k in ("value", "reason")},
            "internal_conflict": conflict,
        },
    }
    facts = LeaderFacts(
        d=given("d"),
        dd=given("dd"),
        e=given("e"),
        staff_points=points,
        organisation_shortcomings=shortcomings,
        internal_conflict=conflict,
    )
    return facts, record


def person_facts(ev: Evaluation, fw: Framework) -> dict[str, KindFacts]:
    return task_facts([ev.person_id], period_range(ev.period), fw).get(ev.person_id, {})


def compute_person(
    ev: Evaluation, *, facts: dict[str, KindFacts] | None = None, unit_rating: str | None = None
) -> tuple[PersonResult, dict[str, Any]]:
    """Score a month or quarter evaluation now. Returns the engine's result and the JSON to
    keep (result, task facts, leader components). `unit_rating` applies Art. 20(6)."""
    fw = engine_framework(ev.framework)
    facts = person_facts(ev, fw) if facts is None else facts
    leader, leader_record = leader_facts(ev, fw)
    overrides = list(ev.overrides.all())
    inputs = PersonInputs(
        person_id=str(ev.person_id),
        role=engine_role(ev),
        tasks=facts,
        manual=manual_scores(ev),
        leader=leader,
        flags=frozenset(o.value for o in overrides if o.kind == "flag"),
        discipline=tuple(o.value for o in overrides if o.kind == "discipline"),
    )
    try:
        result = score_person(fw, inputs)
    except InputError as error:
        raise input_failed(error.issues) from error
    if unit_rating:
        result = apply_head_rule(fw, result, unit_rating)
    data = result.as_dict()
    data["task_facts"] = facts_to_json(facts)
    data["leader"] = leader_record
    data["overrides"] = [
        {"kind": o.kind, "value": o.value, "document_ref": o.document_ref} for o in overrides
    ]
    return result, data


def compute_year(ev: Evaluation, *, unit_rating: str | None = None) -> dict[str, Any]:
    """A year evaluation: the mean of the monthly points over the months worked, wherever
    the person worked (Art. 17(3), 19); the year's overrides and the head rule on top."""
    fw = engine_framework(ev.framework)
    sources = year_months(ev.person, ev.period.year)
    overrides = list(ev.overrides.all())
    try:
        result = roll_up(
            fw,
            month_entries(sources),
            role=engine_role(ev),
            flags=[o.value for o in overrides if o.kind == "flag"],
            discipline=[o.value for o in overrides if o.kind == "discipline"],
        )
    except InputError as error:
        raise input_failed(error.issues) from error
    data = result.as_dict()
    data["sources"] = [
        {
            "month": s.month,
            "evaluation": s.evaluation_id,
            "agency": s.agency_id,
            "unit": s.unit_id,
            "points": str(s.points) if s.points is not None else None,
            "status": s.status,
        }
        for s in sources
    ]
    rating = data.get("rating")
    if (
        unit_rating
        and rating
        and fw.rating.head_not_above_unit
        and engine_role(ev) in fw.rating.head_roles
        and RATINGS.index(rating) < RATINGS.index(unit_rating)
    ):
        data["rating_changes"].append(
            {
                "rule": "head_not_above_unit",
                "from": rating,
                "to": unit_rating,
                "reason_vi": "Xếp loại của người đứng đầu không cao hơn xếp loại của đơn vị.",
                "reason_en": "The head's rating is not above the unit's rating.",
            }
        )
        data["rating"] = unit_rating
    return data


def compute_unit(ue: UnitEvaluation) -> dict[str, Any]:
    """Score a unit: computed KPIs refreshed from work data, entered ones as given. A
    framework without a unit part takes the rating the authority gave, with its basis."""
    fw = engine_framework(ue.framework)
    span = period_range(ue.period)
    rates = work_rates([ue.unit.path], span)
    facts = unit_task_facts([ue.unit.path], span, fw)
    targets = {}
    for kpi in ue.kpis.all():
        if kpi.source != UnitKpi.Source.ENTERED:
            exact = rates.metric(kpi.source)
            kpi.exact_actual = f"{exact.numerator}/{exact.denominator}"
            kpi.actual = Decimal(exact.numerator) / Decimal(exact.denominator)
            kpi.actual = kpi.actual.quantize(Decimal("0.0001"))
            kpi.save(update_fields=["exact_actual", "actual"])
        if kpi.actual is None:
            continue
        actual = Fraction(kpi.exact_actual) if kpi.exact_actual else Fraction(kpi.actual)
        target = Fraction(kpi.target) if kpi.target is not None else None
        targets[kpi.key] = TargetFacts(actual=actual, target=target)
    base: dict[str, Any] = {"rates": rates.as_dict(), "task_facts": facts_to_json(facts)}
    if fw.unit is None:
        if not ue.given_rating:
            raise ValidationFailed(
                f"Khung “{fw.id}” không có tiêu chí đơn vị: cấp có thẩm quyền cần nhập xếp "
                f"loại của “{ue.unit}” kèm căn cứ.",
                f"Framework {fw.id} has no unit part: the authority must give {ue.unit}'s "
                "rating with its basis.",
                field="given_rating",
            )
        return {**base, "status": "given", "rating": ue.given_rating, "basis": ue.given_basis}
    try:
        result = score_unit(fw, UnitInputs(unit_id=str(ue.unit_id), tasks=facts, targets=targets))
    except InputError as error:
        raise input_failed(error.issues) from error
    return {**base, **result.as_dict()}


def unit_kpi_nodes(fw: Framework) -> list[tuple[str, Node]]:
    """(group key, node) of every target KPI in the unit part."""
    if fw.unit is None:
        return []
    out = []
    for group in fw.unit.root.children:
        for node in group.walk():
            if node.type == "target":
                out.append((group.key, node))
    return out


def snapshot_facts(facts: dict[str, KindFacts]) -> dict[str, Any]:
    return facts_to_json(facts)


def restore_facts(data: Any) -> dict[str, KindFacts]:
    return facts_from_json(data)
