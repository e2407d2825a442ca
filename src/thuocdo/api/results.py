"""Evaluation periods and results through the API (scope `evaluations:read`).

A client reads its agency as the agency's auditors read it on the web: the same
`visible_*` helpers, given the client's scope (`reader_scope`), so a rule changed for the
pages is changed here too. Results (points, rating, changes and their reasons, quota
decisions) appear once the period is published; before that a client sees who is
evaluated and how far each step has gone. Long lists page by id (`after`, `next_after`):
a page costs the same at the end of a ministry's list as at its start.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, cast

from django.db.models import Count, Max, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import get_language
from ninja import Path, Query, Router

from thuocdo.access import (
    reader_scope,
    visible_evaluations,
    visible_periods,
    visible_quota_groups,
    visible_unit_evaluations,
)
from thuocdo.api.auth import client_of
from thuocdo.api.models import IntegrationClient
from thuocdo.api.schemas import COMMON_ERRORS, MAX_ID, NOT_FOUND, Page
from thuocdo.api.schemas_results import (
    Counts,
    DecisionOut,
    Demotion,
    EvaluationDetailOut,
    EvaluationFilter,
    EvaluationOut,
    Keyset,
    KeysetPage,
    PeriodFilter,
    PeriodOut,
    RatingChange,
    UnitEvaluationOut,
    UnitEvaluationState,
    UnitKpiOut,
    YearFilter,
)
from thuocdo.api.schemas_work import BoundedPaging
from thuocdo.core.errors import NotFound
from thuocdo.evaluations.models import (
    Evaluation,
    Period,
    PeriodEvent,
    QuotaGroup,
    UnitEvaluation,
)
from thuocdo.org.models import Unit
from thuocdo.scoring.model import RATING_LABELS

router = Router(tags=["Kết quả đánh giá / Evaluation results"])
READ = "evaluations:read"
MAX_LIMIT = 500
PUBLISHED = (Period.State.PUBLISHED, Period.State.LOCKED)
READ_ERRORS: dict[int, Any] = {**COMMON_ERRORS, **NOT_FOUND}
CACHED: dict[int, Any] = {304: None}
# Read from the request, not declared as a parameter: a GET takes only query parameters.
CONDITIONAL = (
    "Gửi If-None-Match với ETag đã nhận: nếu không có gì thay đổi, trả về 304 không nội dung."
)
# Heavy JSON a list never shows: the frozen breakdown, the facts, the proposals.
_HEAVY = ("result", "proposed", "facts_at_review", "facts_at_decision", "leader")


def _english() -> bool:
    return (get_language() or "vi").startswith("en")


def _rating_label(rating: str | None) -> str | None:
    if not rating:
        return None
    vi, en = RATING_LABELS[rating]
    return en if _english() else vi


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _reader(request: HttpRequest) -> tuple[IntegrationClient, Any]:
    client = client_of(request, READ)
    return client, reader_scope(client.agency_id)


def _not_modified(request: HttpRequest, response: HttpResponse, etag: str) -> bool:
    """Sets the ETag; True when the caller already holds this very answer."""
    response["ETag"] = etag
    held = request.headers.get("If-None-Match", "")
    return etag in {tag.strip() for tag in held.split(",")}


def _unchanged(etag: str) -> HttpResponse:
    response = HttpResponse(status=304)
    response["ETag"] = etag
    return response


def _keyset(items: QuerySet[Any], paging: Keyset) -> tuple[list[Any], int | None]:
    limit = max(1, min(paging.limit, MAX_LIMIT))
    rows = list(items.filter(pk__gt=paging.after).order_by("pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].pk if more else None)


# --- periods ----------------------------------------------------------------------------------


def _periods(scope: Any) -> QuerySet[Period]:
    return visible_periods(scope).annotate(
        n_evaluations=Count("evaluations", distinct=True),
        n_decided=Count(
            "evaluations", filter=Q(evaluations__state=Evaluation.State.DECIDED), distinct=True
        ),
        n_excluded=Count(
            "evaluations", filter=Q(evaluations__state=Evaluation.State.EXCLUDED), distinct=True
        ),
    )


def _published_at(periods: Iterable[Period]) -> dict[int, Any]:
    ids = [p.pk for p in periods if p.state in PUBLISHED]
    return dict(
        PeriodEvent.objects.filter(period_id__in=ids, to_state=Period.State.PUBLISHED)
        .values("period_id")
        .annotate(at=Max("at"))
        .values_list("period_id", "at")
    )


def period_out(period: Any, published_at: Any) -> PeriodOut:
    return PeriodOut(
        id=period.pk,
        version=period.version,
        kind=period.kind,
        year=period.year,
        number=period.number,
        name=period.name(get_language() or "vi"),
        start=period.start,
        end=period.end,
        state=period.state,
        state_label=str(Period.State(period.state).label),
        self_assessment_until=period.self_assessment_until,
        review_until=period.review_until,
        collective_until=period.collective_until,
        decision_until=period.decision_until,
        complaint_days=period.complaint_days,
        framework_key=period.framework_key,
        published=period.state in PUBLISHED,
        published_at=published_at,
        counts=Counts(
            evaluations=period.n_evaluations,
            decided=period.n_decided,
            excluded=period.n_excluded,
        ),
        links={
            "evaluations": f"/api/v1/periods/{period.pk}/evaluations",
            "unit_evaluations": f"/api/v1/periods/{period.pk}/unit-evaluations",
            "decisions": f"/api/v1/periods/{period.pk}/decisions",
        },
    )


def _period(scope: Any, period_id: int) -> Any:
    period = _periods(scope).filter(pk=period_id).first()
    if period is None:
        raise NotFound(
            f"Không tìm thấy kỳ đánh giá #{period_id} trong cơ quan.",
            f"Evaluation period #{period_id} was not found in the agency.",
        )
    return period


@router.get("/periods", response={200: Page[PeriodOut], **COMMON_ERRORS}, summary="Các kỳ đánh giá")
def list_periods(request: HttpRequest, filters: Query[PeriodFilter]) -> dict[str, object]:
    _, scope = _reader(request)
    periods = _periods(scope)
    if filters.kind is not None:
        periods = periods.filter(kind=filters.kind)
    if filters.year is not None:
        periods = periods.filter(year=filters.year)
    if filters.state:
        periods = periods.filter(state__in=filters.state)
    limit = max(1, min(filters.limit, MAX_LIMIT))
    rows = list(periods.order_by("-year", "kind", "-number", "pk")[filters.offset :][:limit])
    published = _published_at(rows)
    return {
        "count": periods.count(),
        "limit": limit,
        "offset": filters.offset,
        "items": [period_out(p, published.get(p.pk)) for p in rows],
    }


@router.get(
    "/periods/{period_id}",
    response={200: PeriodOut, **CACHED, **READ_ERRORS},
    summary="Một kỳ đánh giá",
    description=CONDITIONAL,
)
def get_period(
    request: HttpRequest,
    response: HttpResponse,
    period_id: int = Path(..., ge=1, le=MAX_ID),
) -> Any:
    _, scope = _reader(request)
    period = _period(scope, period_id)
    etag = f'"{period.version}"'
    if _not_modified(request, response, etag):
        return _unchanged(etag)
    return period_out(period, _published_at([period]).get(period.pk))


# --- individual evaluations -------------------------------------------------------------------


def _evaluations(scope: Any) -> QuerySet[Evaluation]:
    return visible_evaluations(scope).select_related("person", "unit", "period")


def _breakdown_link(request: HttpRequest, evaluation_id: int) -> str:
    return request.build_absolute_uri(reverse("web:ev_detail", args=[evaluation_id]))


def evaluation_out(request: HttpRequest, ev: Evaluation) -> dict[str, Any]:
    published = ev.period.state in PUBLISHED and ev.state == Evaluation.State.DECIDED
    return {
        "id": ev.pk,
        "version": ev.version,
        "period_id": ev.period_id,
        "person_id": ev.person_id,
        "person_code": ev.person.code,
        "person_name": ev.person.full_name,
        "unit_id": ev.unit_id,
        "unit_code": ev.unit.code,
        "role": ev.role,
        "state": ev.state,
        "state_label": str(Evaluation.State(ev.state).label),
        "self_assessed_at": ev.self_assessed_at,
        "reviewed_at": ev.reviewed_at,
        "published": published,
        "points": _decimal(ev.points) if published else None,
        "rating": (ev.rating or None) if published else None,
        "rating_label": _rating_label(ev.rating) if published else None,
        "decided_at": ev.decided_at if published else None,
        "complaint_until": ev.complaint_until if published else None,
        "links": {
            "self": f"/api/v1/evaluations/{ev.pk}",
            "period": f"/api/v1/periods/{ev.period_id}",
            "breakdown": _breakdown_link(request, ev.pk),
        },
    }


def _changes(ev: Evaluation) -> list[RatingChange]:
    english = _english()
    return [
        RatingChange(
            rule=str(change.get("rule", "")),
            from_rating=change.get("from"),
            to_rating=change.get("to"),
            reason=str(change.get("reason_en" if english else "reason_vi", "")),
        )
        for change in (ev.result or {}).get("rating_changes", [])
    ]


def _filtered(
    evaluations: QuerySet[Evaluation], client: IntegrationClient, filters: EvaluationFilter
) -> QuerySet[Evaluation]:
    if filters.unit_id is not None:
        if filters.subunits:
            unit = Unit.objects.filter(pk=filters.unit_id, agency_id=client.agency_id).first()
            evaluations = (
                evaluations.filter(unit__path__startswith=unit.path) if unit else evaluations.none()
            )
        else:
            evaluations = evaluations.filter(unit_id=filters.unit_id)
    if filters.person_code is not None:
        evaluations = evaluations.filter(person__code=filters.person_code)
    if filters.state:
        evaluations = evaluations.filter(state__in=filters.state)
    if filters.updated_since is not None:
        evaluations = evaluations.filter(updated_at__gte=filters.updated_since)
    return evaluations


@router.get(
    "/periods/{period_id}/evaluations",
    response={200: KeysetPage[EvaluationOut], **READ_ERRORS},
    summary="Phiếu đánh giá cá nhân của một kỳ (phân trang theo id)",
)
def list_evaluations(
    request: HttpRequest,
    filters: Query[EvaluationFilter],
    period_id: int = Path(..., ge=1, le=MAX_ID),
) -> dict[str, object]:
    client, scope = _reader(request)
    period = _period(scope, period_id)
    evaluations = _filtered(
        _evaluations(scope).filter(period_id=period.pk).defer(*_HEAVY), client, filters
    )
    rows, next_after = _keyset(evaluations, filters)
    return {
        "limit": max(1, min(filters.limit, MAX_LIMIT)),
        "next_after": next_after,
        "items": [evaluation_out(request, ev) for ev in rows],
    }


@router.get(
    "/evaluations/{evaluation_id}",
    response={200: EvaluationDetailOut, **CACHED, **READ_ERRORS},
    summary="Một phiếu đánh giá: điểm, xếp loại, lý do thay đổi xếp loại",
    description=CONDITIONAL,
)
def get_evaluation(
    request: HttpRequest,
    response: HttpResponse,
    evaluation_id: int = Path(..., ge=1, le=MAX_ID),
) -> Any:
    _, scope = _reader(request)
    ev = _evaluations(scope).filter(pk=evaluation_id).first()
    if ev is None:
        raise NotFound(
            f"Không tìm thấy phiếu đánh giá #{evaluation_id} trong cơ quan.",
            f"Evaluation #{evaluation_id} was not found in the agency.",
        )
    # The period's step decides whether the result shows: both versions make the tag.
    etag = f'"{ev.version}.{ev.period.version}"'
    if _not_modified(request, response, etag):
        return _unchanged(etag)
    out = evaluation_out(request, ev)
    published = out["published"]
    out["rating_by_points"] = (ev.result or {}).get("rating_by_points") if published else None
    out["rating_changes"] = _changes(ev) if published else []
    return out


@router.get(
    "/year-results",
    response={200: KeysetPage[EvaluationOut], **READ_ERRORS},
    summary="Kết quả đánh giá năm (phân trang theo id)",
)
def list_year_results(request: HttpRequest, filters: Query[YearFilter]) -> dict[str, object]:
    _, scope = _reader(request)
    period = visible_periods(scope).filter(kind=Period.Kind.YEAR, year=filters.year).first()
    if period is None:
        raise NotFound(
            f"Cơ quan chưa có kỳ đánh giá năm {filters.year}.",
            f"The agency has no year evaluation period for {filters.year}.",
            field="year",
        )
    evaluations = _evaluations(scope).filter(period_id=period.pk).defer(*_HEAVY)
    if filters.person_code is not None:
        evaluations = evaluations.filter(person__code=filters.person_code)
    rows, next_after = _keyset(evaluations, filters)
    return {
        "limit": max(1, min(filters.limit, MAX_LIMIT)),
        "next_after": next_after,
        "items": [evaluation_out(request, ev) for ev in rows],
    }


# --- unit evaluations and decisions -----------------------------------------------------------


def _unit_evaluation_out(ue: UnitEvaluation) -> UnitEvaluationOut:
    published = ue.period.state in PUBLISHED and ue.state == UnitEvaluation.State.DECIDED
    return UnitEvaluationOut(
        id=ue.pk,
        version=ue.version,
        period_id=ue.period_id,
        unit_id=ue.unit_id,
        unit_code=ue.unit.code,
        unit_name=(ue.unit.name_en or ue.unit.name) if _english() else ue.unit.name,
        state=cast(UnitEvaluationState, ue.state),
        published=published,
        points=_decimal(ue.points) if published else None,
        rating=(ue.rating or None) if published else None,
        rating_label=_rating_label(ue.rating) if published else None,
        decided_at=ue.decided_at if published else None,
        kpis=[
            UnitKpiOut(
                key=kpi.key,
                group=kpi.group,
                label=kpi.label,
                target=_decimal(kpi.target),
                actual=_decimal(kpi.actual),
            )
            for kpi in ue.kpis.all()
        ],
    )


@router.get(
    "/periods/{period_id}/unit-evaluations",
    response={200: KeysetPage[UnitEvaluationOut], **READ_ERRORS},
    summary="Đánh giá đơn vị của một kỳ (phân trang theo id)",
)
def list_unit_evaluations(
    request: HttpRequest, paging: Query[Keyset], period_id: int = Path(..., ge=1, le=MAX_ID)
) -> dict[str, object]:
    _, scope = _reader(request)
    period = _period(scope, period_id)
    unit_evaluations = (
        visible_unit_evaluations(scope)
        .filter(period_id=period.pk)
        .select_related("unit", "period")
        .prefetch_related("kpis")
        .defer("result", "facts")
    )
    rows, next_after = _keyset(unit_evaluations, paging)
    return {
        "limit": max(1, min(paging.limit, MAX_LIMIT)),
        "next_after": next_after,
        "items": [_unit_evaluation_out(ue) for ue in rows],
    }


def _decision_out(group: QuotaGroup, published: bool, codes: dict[int, str]) -> DecisionOut:
    decision = (group.decision or {}) if published and group.decided_at else {}
    chosen = set(decision.get("chosen_demotions", []))
    limited, base = decision.get("limited_rating"), decision.get("base_rating")
    return DecisionOut(
        id=group.pk,
        code=group.code,
        name=group.name,
        kind=group.kind,
        unit_code=group.unit.code if group.unit else None,
        members=group.n_members,  # type: ignore[attr-defined]
        decided=group.decided_at is not None,
        decided_at=group.decided_at if decision else None,
        limited_rating=limited,
        base_rating=base,
        ratio=decision.get("ratio"),
        exception_ratio=_decimal(group.exception_ratio),
        exception_basis=group.exception_basis,
        final={str(k): int(v) for k, v in decision["final"].items()} if decision else None,
        demoted=[
            Demotion(
                evaluation_id=ev_id,
                person_code=codes.get(ev_id, ""),
                from_rating=limited or "",
                to_rating=base or "",
            )
            for ev_id in sorted(chosen)
        ],
    )


@router.get(
    "/periods/{period_id}/decisions",
    response={200: Page[DecisionOut], **READ_ERRORS},
    summary="Quyết định theo nhóm áp tỷ lệ (khi kỳ đã thông báo: ai bị hạ mức)",
)
def list_decisions(
    request: HttpRequest, paging: Query[BoundedPaging], period_id: int = Path(..., ge=1, le=MAX_ID)
) -> dict[str, object]:
    _, scope = _reader(request)
    period = _period(scope, period_id)
    published = period.state in PUBLISHED
    groups = (
        visible_quota_groups(scope)
        .filter(period_id=period.pk)
        .select_related("unit")
        .annotate(n_members=Count("members"))
        .order_by("code", "pk")
    )
    limit = max(1, min(paging.limit, MAX_LIMIT))
    rows = list(groups[paging.offset :][:limit])
    chosen = {
        ev_id for g in rows if published for ev_id in (g.decision or {}).get("chosen_demotions", [])
    }
    codes = dict(
        Evaluation.objects.filter(pk__in=chosen, period_id=period.pk).values_list(
            "pk", "person__code"
        )
    )
    return {
        "count": groups.count(),
        "limit": limit,
        "offset": paging.offset,
        "items": [_decision_out(g, published, codes) for g in rows],
    }
