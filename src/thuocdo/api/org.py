"""Read the organisation: units, job positions, people with their current assignments."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from ninja import Path, Query, Router, Schema
from pydantic import Field

from thuocdo.api.auth import client_of
from thuocdo.api.schemas import (
    COMMON_ERRORS,
    MAX_ID,
    NOT_FOUND,
    AssignmentOut,
    JobPositionOut,
    Page,
    PersonOut,
    UnitOut,
)
from thuocdo.core import clock
from thuocdo.core.errors import NotFound
from thuocdo.core.text import fold
from thuocdo.org.models import Assignment, JobPosition, Person, Unit
from thuocdo.org.selectors import current

router = Router(tags=["Tổ chức / Organisation"])
MAX_LIMIT = 500


class Paging(Schema):
    limit: int = Field(100, ge=1, le=MAX_ID)
    offset: int = Field(0, ge=0, le=MAX_ID)


def _page(items: QuerySet[Any], paging: Paging) -> dict[str, object]:
    limit = max(1, min(paging.limit, MAX_LIMIT))
    offset = max(0, paging.offset)
    return {
        "count": items.count(),
        "limit": limit,
        "offset": offset,
        "items": list(items[offset : offset + limit]),
    }


@router.get(
    "/units", response={200: Page[UnitOut], **COMMON_ERRORS}, summary="Các đơn vị của cơ quan"
)
def list_units(request: HttpRequest, paging: Query[Paging]) -> dict[str, object]:
    client = client_of(request, "org:read")
    return _page(Unit.objects.filter(agency_id=client.agency_id).order_by("path"), paging)


@router.get(
    "/units/{unit_id}", response={200: UnitOut, **COMMON_ERRORS, **NOT_FOUND}, summary="Một đơn vị"
)
def get_unit(request: HttpRequest, unit_id: int = Path(..., ge=1, le=MAX_ID)) -> Unit:
    client = client_of(request, "org:read")
    unit = Unit.objects.filter(pk=unit_id, agency_id=client.agency_id).first()
    if unit is None:
        raise NotFound(
            f"Không tìm thấy đơn vị #{unit_id} trong cơ quan.",
            f"Unit #{unit_id} was not found in the agency.",
        )
    return unit


@router.get(
    "/job-positions",
    response={200: Page[JobPositionOut], **COMMON_ERRORS},
    summary="Vị trí việc làm",
)
def list_job_positions(request: HttpRequest, paging: Query[Paging]) -> dict[str, object]:
    client = client_of(request, "org:read")
    jobs = JobPosition.objects.filter(agency_id=client.agency_id, is_active=True)
    return _page(jobs.order_by("code"), paging)


class PeopleFilter(Paging):
    unit_id: int | None = Field(None, ge=1, le=MAX_ID)
    q: str = Field("", max_length=200)


def _people(agency_id: int) -> QuerySet[Person]:
    in_force = (
        Assignment.objects.filter(current(clock.today()))
        .select_related("unit", "job_position")
        .order_by("is_concurrent", "start_date")
    )
    return Person.objects.filter(agency_id=agency_id).prefetch_related(
        Prefetch("assignments", queryset=in_force, to_attr="current_assignments")
    )


def _person_out(person: Person) -> PersonOut:
    return PersonOut(
        id=person.pk,
        code=person.code,
        full_name=person.full_name,
        category=person.category,
        email=person.email,
        is_active=person.is_active,
        assignments=[
            AssignmentOut(
                unit_id=a.unit_id,
                unit_code=a.unit.code,
                job_position_code=a.job_position.code if a.job_position else None,
                role=a.role,
                title=a.title,
                assigned_fields=list(a.assigned_fields),
                start_date=a.start_date.isoformat(),
                end_date=a.end_date.isoformat() if a.end_date else None,
                is_concurrent=a.is_concurrent,
            )
            for a in getattr(person, "current_assignments", [])
        ],
    )


@router.get(
    "/people",
    response={200: Page[PersonOut], **COMMON_ERRORS},
    summary="Cán bộ (lọc theo đơn vị, tìm không dấu)",
)
def list_people(request: HttpRequest, filters: Query[PeopleFilter]) -> dict[str, object]:
    client = client_of(request, "org:read")
    people = _people(client.agency_id)
    if filters.unit_id is not None:
        members = Assignment.objects.filter(current(clock.today()), unit_id=filters.unit_id).values(
            "person_id"
        )
        people = people.filter(pk__in=members)
    if filters.q:
        people = people.filter(search_name__contains=fold(filters.q))
    page = _page(people.order_by("search_name", "id"), filters)
    page["items"] = [_person_out(p) for p in page["items"]]  # type: ignore[attr-defined]
    return page


@router.get(
    "/people/{person_id}",
    response={200: PersonOut, **COMMON_ERRORS, **NOT_FOUND},
    summary="Một cán bộ",
)
def get_person(request: HttpRequest, person_id: int = Path(..., ge=1, le=MAX_ID)) -> PersonOut:
    client = client_of(request, "org:read")
    person = _people(client.agency_id).filter(pk=person_id).first()
    if person is None:
        raise NotFound(
            f"Không tìm thấy cán bộ #{person_id} trong cơ quan.",
            f"Person #{person_id} was not found in the agency.",
        )
    return _person_out(person)
