"""Reads of the organisation. Scope checks live in `thuocdo.access`."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Collate

from thuocdo.org.models import Assignment, Person, Unit


def current(on: dt.date) -> Q:
    """Assignments in force on a date (end date inclusive)."""
    return current_q("", on)


def current_q(prefix: str, on: dt.date) -> Q:
    """`current` through a relation: `current_q("assignments", day)` filters units by staff."""
    p = f"{prefix}__" if prefix else ""
    return Q(**{f"{p}start_date__lte": on}) & (
        Q(**{f"{p}end_date__isnull": True}) | Q(**{f"{p}end_date__gte": on})
    )


def assignments_on(on: dt.date) -> QuerySet[Assignment]:
    return Assignment.objects.filter(current(on)).select_related("person", "unit", "job_position")


def subtree(unit: Unit) -> QuerySet[Unit]:
    return Unit.objects.filter(path__startswith=unit.path)


def main_assignment(person: Person, on: dt.date) -> Assignment | None:
    return (
        assignments_on(on)
        .filter(person=person, is_concurrent=False)
        .order_by("-start_date")
        .first()
    )


def unit_members(unit: Unit, on: dt.date, *, with_subunits: bool = False) -> QuerySet[Assignment]:
    units = Q(unit__path__startswith=unit.path) if with_subunits else Q(unit=unit)
    return assignments_on(on).filter(units).order_by("unit__path", "role", "person__search_name")


ROLE_ORDER = {"head": 0, "acting_head": 1, "deputy": 2, "staff": 3}


def in_member_order(posts: QuerySet[Assignment], unit: Unit) -> QuerySet[Assignment]:
    """`posts` in the order a unit's page lists its members: the unit's own first, then
    each unit below in tree order; heads, acting heads, deputies, staff; then by name.
    Sorted by the database, so a page of a large department reads a page, not everyone.
    Text compares by code point on every database (as Python's sort), not by the
    server's locale, which would skip the slashes of the paths and the names' spaces."""

    def binary(field: str) -> F | Collate:
        return Collate(F(field), "C") if connection.vendor == "postgresql" else F(field)

    return posts.annotate(
        elsewhere=Case(When(unit_id=unit.pk, then=Value(0)), default=Value(1)),
        role_rank=Case(
            *(When(role=role, then=Value(rank)) for role, rank in ROLE_ORDER.items()),
            default=Value(9),
            output_field=IntegerField(),
        ),
    ).order_by(
        "elsewhere",
        binary("unit__path"),
        "role_rank",
        binary("person__search_name"),
        "person_id",
    )
