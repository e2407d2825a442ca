"""A user's scope, computed once per request from assignments and role grants."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from thuocdo.core import clock
from thuocdo.core.models import User
from thuocdo.org.models import Assignment, Person, RoleGrant
from thuocdo.org.selectors import current


@dataclass(frozen=True)
class Scope:
    user_id: int | None
    person_id: int | None = None
    agency_id: int | None = None
    led_paths: tuple[str, ...] = ()  # unit paths the user heads or deputises
    leadership_agencies: frozenset[int] = frozenset()
    personnel_agencies: frozenset[int] = frozenset()
    auditor_agencies: frozenset[int] = frozenset()
    operator: bool = False

    @property
    def read_agencies(self) -> frozenset[int]:
        return self.leadership_agencies | self.personnel_agencies | self.auditor_agencies

    @property
    def dashboard_agencies(self) -> frozenset[int]:
        """Agencies whose whole-agency dashboard the user opens: its leadership and its
        personnel office (auditors read evaluations, not the live dashboard). The menu,
        the home page's button and the dashboard itself all ask this."""
        return self.leadership_agencies | self.personnel_agencies

    @property
    def sees_agency_dashboard(self) -> bool:
        return self.operator or bool(self.dashboard_agencies)

    @property
    def is_unit_leader(self) -> bool:
        return bool(self.led_paths)

    def reads_agency(self, agency_id: int | None) -> bool:
        return self.operator or agency_id in self.read_agencies

    def configures_agency(self, agency_id: int | None) -> bool:
        return self.operator or agency_id in self.personnel_agencies

    def audits_agency(self, agency_id: int | None) -> bool:
        return self.operator or agency_id in self.auditor_agencies

    def leads_path(self, path: str) -> bool:
        return any(path.startswith(led) for led in self.led_paths)

    @property
    def roles(self) -> list[str]:
        """Role codes for the UI, most senior first."""
        names: list[str] = []
        if self.operator:
            names.append("operator")
        if self.leadership_agencies:
            names.append("leadership")
        elif self.led_paths:
            names.append("unit_leader")
        if self.personnel_agencies:
            names.append("personnel")
        if self.auditor_agencies:
            names.append("auditor")
        if self.person_id is not None:
            names.append("official")
        return names


def reader_scope(agency_id: int) -> Scope:
    """What an integration client granted `evaluations:read` reads: the agency as its
    auditors read it on the web (no login, no person, no unit it leads, writes nothing)."""
    return Scope(user_id=None, auditor_agencies=frozenset({agency_id}))


def scope_of(principal: User | AnonymousUser | Scope) -> Scope:
    """A user's scope, or a scope given as it is (an integration client's)."""
    return principal if isinstance(principal, Scope) else scope_for(principal)


def scope_for(user: User | AnonymousUser, on: dt.date | None = None) -> Scope:
    if not user.is_authenticated:
        return Scope(user_id=None)
    assert isinstance(user, User)
    cached: Scope | None = getattr(user, "_thuocdo_scope", None)
    if cached is not None and on is None:
        return cached
    day = on or clock.today()
    person = Person.objects.filter(user=user, is_active=True).only("id", "agency_id").first()
    led_paths: list[str] = []
    leadership: set[int] = set()
    if person is not None:
        for unit_path, unit_parent, agency_id in Assignment.objects.filter(
            current(day), person=person, role__in=Assignment.LEADING_ROLES
        ).values_list("unit__path", "unit__parent_id", "unit__agency_id"):
            led_paths.append(unit_path)
            if unit_parent is None and agency_id is not None:
                leadership.add(agency_id)
    grants = RoleGrant.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=day), user=user, start_date__lte=day
    ).values_list("role", "agency_id")
    personnel = {agency for role, agency in grants if role == RoleGrant.Role.PERSONNEL}
    auditor = {agency for role, agency in grants if role == RoleGrant.Role.AUDITOR}
    scope = Scope(
        user_id=user.pk,
        person_id=person.pk if person else None,
        agency_id=person.agency_id if person else None,
        led_paths=tuple(sorted(led_paths)),
        leadership_agencies=frozenset(leadership),
        personnel_agencies=frozenset(personnel),
        auditor_agencies=frozenset(auditor),
        operator=user.is_superuser,
    )
    if on is None:
        user._thuocdo_scope = scope  # type: ignore[attr-defined]
    return scope
