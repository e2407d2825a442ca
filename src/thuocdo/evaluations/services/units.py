"""The unit evaluation: its KPIs entered by the unit's leaders or the office, the rating the
authority gives when the framework has no unit part, and the unit's decision.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from thuocdo.audit.services import record
from thuocdo.core.errors import AccessDenied, Conflict, ValidationFailed
from thuocdo.core.models import User
from thuocdo.evaluations import transitions as tr
from thuocdo.evaluations.compute import compute_unit
from thuocdo.evaluations.models import UnitEvaluation, UnitKpi
from thuocdo.evaluations.services.common import (
    _day,
    _now,
    _person,
    _require_authority,
    _text,
    leads_unit,
)
from thuocdo.scoring import RATINGS
from thuocdo.work import rules

# --- units ---------------------------------------------------------------------------------


def _lock_unit_evaluation(ue: UnitEvaluation) -> UnitEvaluation:
    return (
        UnitEvaluation.objects.select_for_update(of=("self",))
        .select_related("period", "period__agency", "unit", "framework")
        .get(pk=ue.pk)
    )


@transaction.atomic
def unit_kpi_set(
    *,
    actor: User,
    unit_evaluation: UnitEvaluation,
    key: str,
    target: Any = None,
    actual: Any = None,
    evidence: str = "",
    at: dt.datetime | None = None,
) -> UnitKpi:
    """A leader of the unit (or the office) enters a KPI's target and, for an entered KPI,
    its actual with evidence. Computed KPIs take their actual from the work data."""
    now = _now(at)
    ue = _lock_unit_evaluation(unit_evaluation)
    day = _day(now)
    if not (
        leads_unit(_person(actor), ue.unit, day) or rules.is_personnel(actor, ue.period.agency, day)
    ):
        raise AccessDenied(
            "Chỉ lãnh đạo đơn vị hoặc bộ phận tổ chức cán bộ nhập chỉ số của đơn vị.",
            "Only the unit's leaders or the personnel office enter unit KPIs.",
        )
    tr.refuse_unless(ue.period, tr.UNIT_KPI_STATES, "nhập chỉ số đơn vị", "enter unit KPIs")
    if ue.state == UnitEvaluation.State.DECIDED:
        raise Conflict(
            "Đánh giá đơn vị đã được quyết định.", "The unit evaluation is decided.", field="state"
        )
    kpi = ue.kpis.filter(key=key).first()
    if kpi is None:
        raise ValidationFailed(
            f"Chỉ số “{key}” không có trong khung.", f"No KPI {key!r}.", field="key"
        )

    def number(value: Any, field: str) -> Decimal | None:
        if value in (None, ""):
            return None
        try:
            return Decimal(str(value))
        except Exception as error:
            raise ValidationFailed(
                f"“{value}” không phải là số.", f"{value!r} is not a number.", field=field
            ) from error

    before = {"target": str(kpi.target), "actual": str(kpi.actual), "evidence": kpi.evidence}
    kpi.target = number(target, "target") if target is not None else kpi.target
    if kpi.source == UnitKpi.Source.ENTERED:
        if actual is not None:
            kpi.actual = number(actual, "actual")
            kpi.exact_actual = ""
            kpi.evidence = _text(evidence, "evidence", "minh chứng", "evidence")
    elif actual is not None:
        raise ValidationFailed(
            f"Chỉ số “{kpi.label}” tính từ dữ liệu công việc: không nhập tay.",
            f"KPI {kpi.key} is computed from the work data: it is not entered.",
            field="actual",
        )
    kpi.save()
    record(
        actor=actor,
        action="evaluations.unit_kpi.set",
        target=ue,
        agency_id=ue.period.agency_id,
        before=before,
        after={
            "key": key,
            "target": str(kpi.target),
            "actual": str(kpi.actual),
            "evidence": kpi.evidence,
        },
    )
    return kpi


@transaction.atomic
def unit_evaluation_give_rating(
    *,
    actor: User,
    unit_evaluation: UnitEvaluation,
    rating: str,
    basis: str,
    at: dt.datetime | None = None,
) -> UnitEvaluation:
    """For a framework without a unit part: the authority gives the unit's rating."""
    now = _now(at)
    ue = _lock_unit_evaluation(unit_evaluation)
    _require_authority(actor, ue.period.agency, _day(now))
    tr.refuse_unless(ue.period, tr.DECISION_STATES, "xếp loại đơn vị", "rate the unit")
    if ue.state == UnitEvaluation.State.DECIDED:
        raise Conflict(
            "Đánh giá đơn vị đã được quyết định.", "The unit evaluation is decided.", field="state"
        )
    if not rating:  # never a default: the authority chooses
        raise ValidationFailed(
            "Chọn xếp loại của đơn vị: không có mức mặc định.",
            "Choose the unit's rating: there is no default.",
            field="rating",
        )
    if rating not in RATINGS:
        raise ValidationFailed("Xếp loại không hợp lệ.", "Unknown rating.", field="rating")
    ue.given_rating = rating
    ue.given_basis = _text(basis, "basis", "căn cứ xếp loại", "basis")
    ue.version += 1
    ue.save()
    record(
        actor=actor,
        action="evaluations.unit.give_rating",
        target=ue,
        agency_id=ue.period.agency_id,
        after={"rating": rating},
        reason=ue.given_basis,
    )
    return ue


@transaction.atomic
def unit_evaluation_decide(
    *, actor: User, unit_evaluation: UnitEvaluation, at: dt.datetime | None = None
) -> UnitEvaluation:
    """The authority decides the unit's points and rating (KPIs and work data as now)."""
    now = _now(at)
    ue = _lock_unit_evaluation(unit_evaluation)
    _require_authority(actor, ue.period.agency, _day(now))
    tr.refuse_unless(ue.period, tr.DECISION_STATES, "quyết định đánh giá đơn vị", "decide a unit")
    if ue.state == UnitEvaluation.State.DECIDED:
        raise Conflict(
            "Đánh giá đơn vị đã được quyết định.", "The unit evaluation is decided.", field="state"
        )
    data = compute_unit(ue)
    ue.result = data
    ue.facts = {"rates": data["rates"], "task_facts": data["task_facts"]}
    ue.points = Decimal(data["points"]) if data.get("points") else None
    ue.rating = data.get("rating") or ""
    if not ue.rating:
        raise ValidationFailed(
            f"Đơn vị “{ue.unit}” chưa chấm được điểm: {data.get('reason_vi', '')}",
            f"Unit {ue.unit} cannot be scored: {data.get('reason_en', '')}",
            field="rating",
        )
    ue.state = UnitEvaluation.State.DECIDED
    ue.decided_by = actor
    ue.decided_at = now
    ue.version += 1
    ue.save()
    record(
        actor=actor,
        action="evaluations.unit.decide",
        target=ue,
        agency_id=ue.period.agency_id,
        after={"points": str(ue.points), "rating": ue.rating},
    )
    return ue
