"""Who manages an official: the one rule for who assigns, reviews and returns their work.

An official's manager is a leader (head, acting head or deputy) of a unit above the
official's unit; or, within the official's own unit:
- for a staff member, any leader of the unit;
- for a deputy, the unit's head or acting head (not a fellow deputy);
- for a head or acting head, nobody: their work goes to a leader of the parent unit
  or to the agency leadership, never to their own deputy.
Never oneself. docs/evaluations.md ("direct manager") and docs/work.md ("Who may act")
state the same rule; `manages` is its Python form, `managed_q` its query form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Q

from thuocdo.org.models import Assignment, Unit
from thuocdo.org.selectors import current

Lead = tuple[int, str, str]  # (unit id, unit path, role) of a leading assignment

HEADS = (Assignment.Role.HEAD, Assignment.Role.ACTING_HEAD)


def leads_of(person_id: int | None, on: dt.date) -> list[Lead]:
    """The units a person leads on a day, with their role there."""
    if person_id is None:
        return []
    return list(
        Assignment.objects.filter(
            current(on), person_id=person_id, role__in=Assignment.LEADING_ROLES
        ).values_list("unit_id", "unit__path", "role")
    )


def _peers(lead_role: str) -> tuple[str, ...]:
    """Roles in the leader's own unit that the leader does not manage."""
    return (*HEADS, Assignment.Role.DEPUTY) if lead_role == Assignment.Role.DEPUTY else HEADS


def manages(leads: Iterable[Lead], *, unit_id: int, unit_path: str, role: str) -> bool:
    """Whether one holding `leads` manages an official of `role` in the unit given."""
    for lead_unit_id, path, lead_role in leads:
        if not unit_path.startswith(path):
            continue
        if lead_unit_id != unit_id or role not in _peers(lead_role):
            return True
    return False


def role_in(person_id: int, unit_id: int, on: dt.date) -> str:
    """A person's most senior role in a unit that day (staff when they hold none there)."""
    roles = set(
        Assignment.objects.filter(current(on), person_id=person_id, unit_id=unit_id).values_list(
            "role", flat=True
        )
    )
    for role in (*HEADS, Assignment.Role.DEPUTY):
        if role in roles:
            return role
    return Assignment.Role.STAFF


def manages_in(manager_id: int, *, owner_id: int, unit: Unit, on: dt.date) -> bool:
    """`manages` for two people: the owner judged by their role in `unit` (a task's unit)."""
    if manager_id == owner_id:
        return False
    return manages(
        leads_of(manager_id, on),
        unit_id=unit.pk,
        unit_path=unit.path,
        role=role_in(owner_id, unit.pk, on),
    )


def managers_of(person_id: int, on: dt.date) -> list[int]:
    """The people who manage an official, judged by their main assignment that day."""
    home = main_assignment_of(person_id, on)
    if home is None:
        return []
    unit_id, path, role = home
    ids = [int(part) for part in path.strip("/").split("/") if part]  # "/1/7/12/": 1, 7, 12
    rows = Assignment.objects.filter(
        current(on), unit_id__in=ids, role__in=Assignment.LEADING_ROLES
    ).values_list("person_id", "unit_id", "unit__path", "role")
    return [
        person
        for person, lead_unit, lead_path, lead_role in rows
        if person != person_id
        and manages([(lead_unit, lead_path, lead_role)], unit_id=unit_id, unit_path=path, role=role)
    ]


def main_assignment_of(person_id: int, on: dt.date) -> Lead | None:
    return (
        Assignment.objects.filter(current(on), person_id=person_id, is_concurrent=False)
        .order_by("-start_date")
        .values_list("unit_id", "unit__path", "role")
        .first()
    )


def managed_q(leads: Iterable[Lead], on: dt.date, *, unit: str = "unit", owner: str = "owner") -> Q:
    """Rows (tasks: `unit`, `owner`) whose owner the holder of `leads` manages."""
    query = Q(pk__in=[])
    for lead_unit_id, path, lead_role in leads:
        peers = Assignment.objects.filter(
            current(on), unit_id=lead_unit_id, role__in=_peers(lead_role)
        ).values("person_id")
        query |= (Q(**{f"{unit}__path__startswith": path}) & ~Q(**{f"{unit}_id": lead_unit_id})) | (
            Q(**{f"{unit}_id": lead_unit_id}) & ~Q(**{f"{owner}_id__in": peers})
        )
    return query
