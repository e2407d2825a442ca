"""The adapter between evaluation rows and the scoring engine.

Rows → `PersonInputs` / `UnitInputs` / `MonthEntry`; the engine's results → JSON kept on
the rows. Nothing here writes: services decide when a result is proposed or frozen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any

from thuocdo.core.errors import ValidationFailed
from thuocdo.core.numbers import vn_text
from thuocdo.evaluations.models import Evaluation, Period, UnitEvaluation, UnitKpi
from thuocdo.evaluations.selectors import (
    WorkRates,
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
        top, step = f"{float(scale.max):g}", f"{float(scale.step):g}"  # 2.5, not 5/2
        raise ValidationFailed(
            f"Điểm {vn_text(str(value))} của tiêu chí “{node.label_vi}” phải từ 0 đến "
            f"{vn_text(top)} theo bước {vn_text(step)}.",
            f"Score {value} for “{node.label_en}” must be 0–{top} in steps of {step}.",
            field=field,
        )
    return number


def manual_scores(ev: Evaluation) -> dict[str, ManualScore]:
    return manual_from_rows(
        (row.key, row.self_score, row.reviewer_score, row.reason) for row in ev.scores.all()
    )


def manual_from_rows(
    rows: Iterable[tuple[str, Decimal | None, Decimal | None, str]],
) -> dict[str, ManualScore]:
    """(key, self score, reviewer score, reason) rows → the engine's manual scores."""
    out = {}
    for key, self_score, reviewer_score, reason in rows:
        final = reviewer_score if reviewer_score is not None else self_score
        if final is None:
            continue
        out[key] = ManualScore(
            value=_fraction(final),
            self_score=_fraction(self_score) if self_score is not None else None,
            reason=reason,
        )
    return out


@lru_cache(maxsize=4096)  # scores repeat (8, 9.5, 10…): a close converts each value once
def _fraction(value: Decimal) -> Fraction:
    return Fraction(value)


@dataclass
class EvaluationInputs:
    """Everything one evaluation is scored from. It is kept with the result (`data`), so
    the score can be explained and reproduced from the stored JSON alone, years later."""

    role: str  # the engine's role (an acting head ruled as a deputy is a deputy)
    facts: dict[str, KindFacts]
    manual: dict[str, ManualScore]
    leader: LeaderFacts | None = None
    leader_record: dict[str, Any] = field(default_factory=dict)
    overrides: list[dict[str, str]] = field(default_factory=list)
    unit_rating: str | None = None  # the unit's decided rating, for Art. 20(6)


def manual_to_json(manual: Mapping[str, ManualScore]) -> dict[str, dict[str, Any]]:
    return {
        key: {
            "value": _frac(score.value),
            "self": _frac(score.self_score) if score.self_score is not None else None,
            "reason": score.reason,
        }
        for key, score in sorted(manual.items())
    }


def _frac(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}" if value.denominator != 1 else str(value)


def overrides_json(rows: Iterable[tuple[str, str, str]]) -> list[dict[str, str]]:
    """(kind, value, document ref) rows, in the order they were recorded."""
    return [{"kind": k, "value": v, "document_ref": ref} for k, v, ref in rows]


def leader_from(
    stored: Mapping[str, Any],
    *,
    paths: list[str],
    how: str,
    staff: Iterable[tuple[int, int, Decimal | None, str]],
    rates: WorkRates,
) -> tuple[LeaderFacts, dict[str, Any]]:
    """A leader's facts and their record, from what was gathered: the reviewer's given
    levels (`stored`), the charge, the officials in it as (evaluation, person, points,
    rating) in evaluation order, and the charge's work rates. The one rule for both ways of
    gathering; the framework says whether d reads the points or the ratings (Art. 15)."""
    staff = [item for item in staff if item[2] is not None]
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
                {
                    "evaluation": pk,
                    "person": person_id,
                    "points": str(points),
                    # read before a quota demotion, which stops above this level in the
                    # decree (demote to good): the record stays the same after decide
                    "not_completed": rating == "not_completed",
                }
                for pk, person_id, points, rating in staff
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
        staff_points=tuple(Decimal(str(points)) for _pk, _person, points, _r in staff),
        staff_not_completed=tuple(r == "not_completed" for _pk, _person, _p, r in staff),
        organisation_shortcomings=shortcomings,
        internal_conflict=conflict,
    )
    return facts, record


def leader_facts(ev: Evaluation, fw: Framework) -> tuple[LeaderFacts | None, dict[str, Any]]:
    """d from the points of the officials in the leader's charge, đ from the charge's
    planned tasks (all accepted, none late or returned → 100%), e from the reviewer's
    finding (no prolonged complaint recorded → 100%). A reviewer's level with a reason wins.
    """
    role = engine_role(ev)
    if role not in fw.settings.leader_roles:
        return None, {}
    paths, how = charge_paths(ev)
    staff = (
        staff_in_charge(ev, paths, fw.rating)
        .order_by("pk")
        .values_list("pk", "person_id", "points", "rating")
    )
    rates = work_rates(paths, period_range(ev.period))
    return leader_from(dict(ev.leader or {}), paths=paths, how=how, staff=staff, rates=rates)


def person_facts(ev: Evaluation, fw: Framework) -> dict[str, KindFacts]:
    return task_facts([ev.person_id], period_range(ev.period), fw).get(ev.person_id, {})


def evaluation_inputs(
    ev: Evaluation,
    fw: Framework,
    *,
    facts: dict[str, KindFacts] | None = None,
    unit_rating: str | None = None,
) -> EvaluationInputs:
    """One evaluation's inputs read person by person (a few queries): the path of a single
    review or decision. `close.py` gathers the same for a whole period in bulk."""
    leader, leader_record = leader_facts(ev, fw)
    overrides = ev.overrides.order_by("id").values_list("kind", "value", "document_ref")
    return EvaluationInputs(
        role=engine_role(ev),
        facts=person_facts(ev, fw) if facts is None else facts,
        manual=manual_scores(ev),
        leader=leader,
        leader_record=leader_record,
        overrides=overrides_json(overrides),
        unit_rating=unit_rating,
    )


def score_inputs(
    fw: Framework, person_id: int, inputs: EvaluationInputs, *, explain: bool = False
) -> tuple[PersonResult, dict[str, Any]]:
    """Score one month or quarter evaluation. Returns the engine's result and the JSON to
    keep: the result without its breakdown (rebuilt on reading, `explained`) and the inputs."""
    person_inputs = PersonInputs(
        person_id=str(person_id),
        role=inputs.role,
        tasks=inputs.facts,
        manual=inputs.manual,
        leader=inputs.leader,
        flags=frozenset(o["value"] for o in inputs.overrides if o["kind"] == "flag"),
        discipline=tuple(o["value"] for o in inputs.overrides if o["kind"] == "discipline"),
    )
    try:
        result = score_person(fw, person_inputs, explain=explain)
    except InputError as error:
        raise input_failed(error.issues) from error
    kept = kept_inputs(fw, inputs)
    if kept["unit_rating"]:
        result = apply_head_rule(fw, result, kept["unit_rating"])
    data = result.as_dict()
    data.pop("breakdown", None)
    data.pop("tasks", None)
    data.update(kept)
    return result, data


def kept_inputs(fw: Framework, inputs: EvaluationInputs) -> dict[str, Any]:
    """The inputs a kept result holds beside the engine's answer (ADR 6)."""
    return {
        "task_facts": facts_to_json(inputs.facts),
        "manual": manual_to_json(inputs.manual),
        "leader": inputs.leader_record,
        "overrides": inputs.overrides,
        # The unit's rating bears on heads only (Art. 20(6)); kept for them alone, so an
        # official's result does not change when their unit is decided.
        "unit_rating": inputs.unit_rating if inputs.role in fw.rating.head_roles else None,
    }


def scored_from(fw: Framework, inputs: EvaluationInputs, kept: Mapping[str, Any]) -> bool:
    """Whether the kept result `kept` was scored by this framework from these very inputs:
    the engine is pure, so scoring them again would give it back unchanged."""
    if kept.get("framework", {}).get("content_hash") != fw.content_hash:
        return False
    if kept.get("role") != inputs.role:
        return False
    # The record is made of JSON's own types (lists, not tuples), so it compares with what
    # was read back from the database as it is, without a round trip through JSON text.
    return all(key in kept and kept[key] == value for key, value in kept_inputs(fw, inputs).items())


def compute_person(
    ev: Evaluation, *, facts: dict[str, KindFacts] | None = None, unit_rating: str | None = None
) -> tuple[PersonResult, dict[str, Any]]:
    """Score a month or quarter evaluation now, reading its inputs person by person.
    `unit_rating` applies Art. 20(6)."""
    fw = engine_framework(ev.framework)
    inputs = evaluation_inputs(ev, fw, facts=facts, unit_rating=unit_rating)
    return score_inputs(fw, ev.person_id, inputs)


def inputs_from_data(data: Mapping[str, Any]) -> EvaluationInputs | None:
    """The inputs kept in a stored result (None for results kept before they were)."""
    if "manual" not in data or "task_facts" not in data:
        return None
    record = dict(data.get("leader") or {})
    leader = None
    if record:
        staff = record.get("d", {}).get("staff", [])

        def given(comp: str) -> Fraction | None:
            value = record.get(comp, {}).get("value")
            return Fraction(str(value)) if value not in (None, "") else None

        leader = LeaderFacts(
            d=given("d"),
            dd=given("dd"),
            e=given("e"),
            staff_points=tuple(Decimal(item["points"]) for item in staff),
            # kept before d could read ratings: none, and a basis on ratings asks again
            staff_not_completed=(
                tuple(bool(item["not_completed"]) for item in staff)
                if all("not_completed" in item for item in staff)
                else None
            ),
            organisation_shortcomings=bool(record.get("dd", {}).get("shortcomings")),
            internal_conflict=bool(record.get("e", {}).get("internal_conflict")),
        )
    return EvaluationInputs(
        role=str(data.get("role") or "staff"),
        facts=facts_from_json(data.get("task_facts")),
        manual={
            key: ManualScore(
                value=Fraction(item["value"]),
                self_score=Fraction(item["self"]) if item.get("self") is not None else None,
                reason=item.get("reason", ""),
            )
            for key, item in (data.get("manual") or {}).items()
        },
        leader=leader,
        leader_record=record,
        overrides=list(data.get("overrides") or []),
        unit_rating=data.get("unit_rating"),
    )


def explained(data: Mapping[str, Any] | None, fw: Framework) -> dict[str, Any] | None:
    """The breakdown tree of a kept result: rebuilt from its kept inputs with the framework
    version it was scored with (results kept before carry their tree)."""
    if not data:
        return None
    if data.get("breakdown"):
        return dict(data["breakdown"])
    inputs = inputs_from_data(data)
    if inputs is None or data.get("status") != "scored":
        return None
    result, _data = score_inputs(fw, int(data.get("person_id") or 0), inputs, explain=True)
    return result.breakdown.as_dict() if result.breakdown is not None else None


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
