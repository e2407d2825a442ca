"""`access_*` fetch one protected object for a user or raise; `visible_*` filter a list.

Both read the same rules from `Scope`, so a list never shows what a detail page refuses.
Unknown ids raise NotFound; objects out of scope raise AccessDenied. Nothing is written.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from thuocdo.access.common import denied, under_led
from thuocdo.access.scope import Scope, scope_for
from thuocdo.audit.models import AuditEntry
from thuocdo.core import clock
from thuocdo.core.errors import AccessDenied, NotFound
from thuocdo.core.models import User
from thuocdo.org.models import Assignment, JobPosition, Person, Unit
from thuocdo.org.selectors import current

Action = Literal["view", "change"]
AnyUser = User | AnonymousUser


def _led_member_ids(scope: Scope) -> Q:
    """People with an assignment in force inside a unit the user leads."""
    if not scope.led_paths:
        return Q(pk__in=[])
    members = Assignment.objects.filter(current(clock.today())).filter(
        under_led(scope, "unit__path")
    )
    return Q(pk__in=members.values("person_id"))


# --- units ---------------------------------------------------------------------------------


def visible_units(user: AnyUser) -> QuerySet[Unit]:
    scope = scope_for(user)
    if scope.operator:
        return Unit.objects.all()
    own_units = Assignment.objects.filter(
        current(clock.today()), person__pk=scope.person_id or 0
    ).values("unit_id")
    return Unit.objects.filter(
        Q(agency_id__in=scope.read_agencies) | under_led(scope, "path") | Q(pk__in=own_units)
    )


def access_unit(user: AnyUser, unit_id: int, *, action: Action = "view") -> Unit:
    unit = Unit.objects.filter(pk=unit_id).first()
    if unit is None:
        raise NotFound(f"Không tìm thấy đơn vị #{unit_id}.", f"Unit #{unit_id} was not found.")
    scope = scope_for(user)
    allowed = (
        scope.configures_agency(unit.agency_id)
        if action == "change"
        else visible_units(user).filter(pk=unit.pk).exists()
    )
    if not allowed:
        raise denied(action, "đơn vị", "unit")
    return unit


# --- people --------------------------------------------------------------------------------


def visible_people(user: AnyUser) -> QuerySet[Person]:
    scope = scope_for(user)
    if scope.operator:
        return Person.objects.all()
    return Person.objects.filter(
        Q(agency_id__in=scope.read_agencies) | Q(pk=scope.person_id) | _led_member_ids(scope)
    )


def access_person(user: AnyUser, person_id: int, *, action: Action = "view") -> Person:
    person = Person.objects.filter(pk=person_id).select_related("agency", "user").first()
    if person is None:
        raise NotFound(
            f"Không tìm thấy cán bộ #{person_id}.", f"Person #{person_id} was not found."
        )
    scope = scope_for(user)
    allowed = (
        scope.configures_agency(person.agency_id)
        if action == "change"
        else visible_people(user).filter(pk=person.pk).exists()
    )
    if not allowed:
        raise denied(action, "hồ sơ cán bộ", "person's record")
    return person


# --- assignments ----------------------------------------------------------------------------


def visible_assignments(user: AnyUser) -> QuerySet[Assignment]:
    scope = scope_for(user)
    if scope.operator:
        return Assignment.objects.all()
    return Assignment.objects.filter(
        Q(unit__agency_id__in=scope.read_agencies)
        | Q(person_id=scope.person_id)
        | under_led(scope, "unit__path")
    )


def subtree_units(user: AnyUser, unit: Unit) -> dict[int, str] | None:
    """{unit id: path} of the unit's subtree when the user sees all of it (they lead the
    unit or a unit above, or read its agency), else None: then each row under it must
    still be checked against the user's other grounds (`visible_*`)."""
    scope = scope_for(user)
    if scope.leads_path(unit.path) or scope.reads_agency(unit.agency_id or unit.pk):
        return dict(Unit.objects.filter(path__startswith=unit.path).values_list("pk", "path"))
    return None


Whole = dict[int, str] | None | Literal[False]  # `subtree_units`' answer, or False: ask


def subtree_posts(
    user: AnyUser, unit: Unit, on: dt.date, *, units: Whole = False
) -> QuerySet[Assignment]:
    """The main posts held on the day in the unit's subtree by people the user may see;
    selected by unit id when the user sees the whole subtree (`subtree_units`, which a
    caller that has asked already passes as `units`)."""
    posts = Assignment.objects.filter(current(on), is_concurrent=False)
    if units is False:
        units = subtree_units(user, unit)
    if units is not None:
        return posts.filter(unit_id__in=list(units))
    return posts.filter(unit__path__startswith=unit.path, person__in=visible_people(user))


def access_assignment(user: AnyUser, assignment_id: int, *, action: Action = "view") -> Assignment:
    assignment = (
        Assignment.objects.filter(pk=assignment_id).select_related("unit", "person").first()
    )
    if assignment is None:
        raise NotFound(
            f"Không tìm thấy phân công #{assignment_id}.",
            f"Assignment #{assignment_id} was not found.",
        )
    scope = scope_for(user)
    allowed = (
        scope.configures_agency(assignment.unit.agency_id)
        if action == "change"
        else visible_assignments(user).filter(pk=assignment.pk).exists()
    )
    if not allowed:
        raise denied(action, "phân công", "assignment")
    return assignment


# --- job positions --------------------------------------------------------------------------


def visible_job_positions(user: AnyUser) -> QuerySet[JobPosition]:
    """Job-position descriptions are open to everyone in the same agency."""
    scope = scope_for(user)
    if scope.operator:
        return JobPosition.objects.all()
    agencies = set(scope.read_agencies)
    if scope.agency_id is not None:
        agencies.add(scope.agency_id)
    return JobPosition.objects.filter(agency_id__in=agencies)


def access_job_position(user: AnyUser, job_id: int, *, action: Action = "view") -> JobPosition:
    job = JobPosition.objects.filter(pk=job_id).first()
    if job is None:
        raise NotFound(
            f"Không tìm thấy vị trí việc làm #{job_id}.", f"Job position #{job_id} was not found."
        )
    scope = scope_for(user)
    allowed = (
        scope.configures_agency(job.agency_id)
        if action == "change"
        else visible_job_positions(user).filter(pk=job.pk).exists()
    )
    if not allowed:
        raise denied(action, "vị trí việc làm", "job position")
    return job


# --- audit ----------------------------------------------------------------------------------


def visible_audit_entries(user: AnyUser) -> QuerySet[AuditEntry]:
    scope = scope_for(user)
    if scope.operator:
        return AuditEntry.objects.all()
    return AuditEntry.objects.filter(agency_id__in=scope.auditor_agencies)


def access_audited_agency(user: AnyUser, agency_id: int) -> Unit:
    """An agency whose audit log (and its chain) the user inspects: its auditors, operators."""
    agency = Unit.objects.filter(pk=agency_id, parent__isnull=True).first()
    if agency is None:
        raise NotFound(
            f"Không tìm thấy cơ quan #{agency_id}.", f"Agency #{agency_id} was not found."
        )
    if not scope_for(user).audits_agency(agency.pk):
        raise denied("view", "nhật ký của cơ quan", "agency's audit log")
    return agency


def access_audit_entry(user: AnyUser, entry_id: int, *, action: Action = "view") -> AuditEntry:
    entry = AuditEntry.objects.filter(pk=entry_id).first()
    if entry is None:
        raise NotFound(
            f"Không tìm thấy mục nhật ký #{entry_id}.", f"Audit entry #{entry_id} was not found."
        )
    if action != "view":
        raise AccessDenied(
            "Nhật ký chỉ được ghi thêm, không ai được sửa.",
            "The audit log is append-only: nobody may change it.",
        )
    if not scope_for(user).audits_agency(entry.agency_id):
        raise denied(action, "mục nhật ký", "audit entry")
    return entry
