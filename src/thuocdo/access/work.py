"""Who may see and act on plans, catalogues, tasks and exemptions.

- an official sees their own tasks and those they collaborate on (read-only), and acts
  only on their own (`change`);
- a unit head, acting head or deputy sees their unit subtree's tasks and reviews those
  of the officials they manage (`review`: accept, return, extend, cancel; the rule is
  `thuocdo.org.managers`: never their own, and a deputy never their head's);
- agency leadership, the personnel office and auditors read the whole agency;
  leadership also reviews it (its led path is the agency root);
- the assigner keeps sight of and review over what they assigned;
- nobody sees another agency's work; operators see everything but review nothing.
The services check the same roles again when they write (`thuocdo.work.rules`).
"""

from __future__ import annotations

from typing import Literal

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from thuocdo.access.common import denied, under_led
from thuocdo.access.helpers import Whole, subtree_units
from thuocdo.access.scope import scope_for
from thuocdo.core import clock
from thuocdo.core.errors import AccessDenied, NotFound
from thuocdo.core.models import User
from thuocdo.org.managers import leads_of, managed_q, managers_of
from thuocdo.org.models import Assignment, Unit
from thuocdo.org.selectors import current
from thuocdo.work.models import Exemption, Plan, ProductCatalogue, Task

AnyUser = User | AnonymousUser
TaskAction = Literal["view", "change", "review"]

_VERBS = {
    "view": ("xem", "view"),
    "change": ("cập nhật", "change"),
    "review": ("xem xét, đánh giá", "review"),
}


def _denied(action: str, what_vi: str, what_en: str) -> AccessDenied:
    return denied(action, what_vi, what_en, _VERBS)


# --- tasks ----------------------------------------------------------------------------------


def visible_tasks(user: AnyUser) -> QuerySet[Task]:
    scope = scope_for(user)
    if scope.operator:
        return Task.objects.all()
    person = scope.person_id or 0
    collaborating = Task.collaborators.through.objects.filter(person_id=person).values("task_id")
    return Task.objects.filter(
        Q(agency_id__in=scope.read_agencies)
        | Q(owner_id=person)
        | Q(assigner_id=person)
        | Q(pk__in=collaborating)
        | under_led(scope, "unit__path")
    )


def subtree_tasks(user: AnyUser, unit: Unit, *, units: Whole = False) -> QuerySet[Task]:
    """The tasks filed in the unit's subtree that the user may see. Whoever leads the unit
    (or a unit above) or reads its agency sees all of them: they are then selected by
    unit id, which the (unit, deadline) and (unit, completion) indexes answer without
    weighing the other grounds of `visible_tasks` against every task of the agency.
    `units`: `subtree_units`' answer when the caller has it."""
    if units is False:
        units = subtree_units(user, unit)
    if units is not None:
        return Task.objects.filter(unit_id__in=list(units))
    return visible_tasks(user).filter(unit__path__startswith=unit.path)


def reviewable_tasks(user: AnyUser) -> QuerySet[Task]:
    """Tasks the user may review: those of officials they manage (thuocdo.org.managers:
    a deputy never reviews their head's) and those they assigned, unless the owner
    manages them — never their own. The query form of `work.services.is_reviewer`."""
    scope = scope_for(user)
    if scope.person_id is None:
        return Task.objects.none()
    today = clock.today()
    managed = managed_q(leads_of(scope.person_id, today), today)
    assigned = Q(assigner_id=scope.person_id) & ~Q(owner_id__in=managers_of(scope.person_id, today))
    return Task.objects.filter(managed | assigned).exclude(owner_id=scope.person_id)


def access_task(user: AnyUser, task_id: int, *, action: TaskAction = "view") -> Task:
    task = Task.objects.filter(pk=task_id).select_related("unit", "owner", "assigner").first()
    if task is None:
        raise NotFound(f"Không tìm thấy nhiệm vụ #{task_id}.", f"Task #{task_id} was not found.")
    scope = scope_for(user)
    if action == "change":
        allowed = scope.person_id is not None and scope.person_id == task.owner_id
    elif action == "review":
        allowed = reviewable_tasks(user).filter(pk=task.pk).exists()
    else:
        allowed = visible_tasks(user).filter(pk=task.pk).exists()
    if not allowed:
        raise _denied(action, "nhiệm vụ", "task")
    return task


# --- exemptions --------------------------------------------------------------------------------


def visible_exemptions(user: AnyUser) -> QuerySet[Exemption]:
    return Exemption.objects.filter(task__in=visible_tasks(user))


def access_exemption(
    user: AnyUser, exemption_id: int, *, action: Literal["view", "decide"] = "view"
) -> Exemption:
    """`decide`: a leader of the owner's unit (or above), never the owner."""
    exemption = Exemption.objects.filter(pk=exemption_id).select_related("task__unit").first()
    if exemption is None:
        raise NotFound(
            f"Không tìm thấy đề nghị miễn trừ #{exemption_id}.",
            f"Exemption #{exemption_id} was not found.",
        )
    scope = scope_for(user)
    task = exemption.task
    if action == "decide":
        allowed = scope.person_id not in (None, task.owner_id) and scope.leads_path(task.unit.path)
    else:
        allowed = visible_tasks(user).filter(pk=task.pk).exists()
    if not allowed:
        verb = "review" if action == "decide" else "view"
        raise _denied(verb, "đề nghị miễn trừ", "exemption request")
    return exemption


# --- plans ----------------------------------------------------------------------------------


def visible_plans(user: AnyUser) -> QuerySet[Plan]:
    """A unit's plan is open to its members, its leaders and the agency-wide readers."""
    scope = scope_for(user)
    if scope.operator:
        return Plan.objects.all()
    own_units = Assignment.objects.filter(
        current(clock.today()), person_id=scope.person_id or 0
    ).values("unit_id")
    return Plan.objects.filter(
        Q(unit__agency_id__in=scope.read_agencies)
        | Q(unit_id__in=own_units)
        | under_led(scope, "unit__path")
    )


def access_plan(user: AnyUser, plan_id: int, *, action: Literal["view", "change"] = "view") -> Plan:
    plan = Plan.objects.filter(pk=plan_id).select_related("unit").first()
    if plan is None:
        raise NotFound(f"Không tìm thấy kế hoạch #{plan_id}.", f"Plan #{plan_id} was not found.")
    scope = scope_for(user)
    if action == "change":
        allowed = (
            scope.leads_path(plan.unit.path) or plan.unit.agency_id in scope.personnel_agencies
        )
    else:
        allowed = visible_plans(user).filter(pk=plan.pk).exists()
    if not allowed:
        raise _denied(action, "kế hoạch", "plan")
    return plan


# --- product catalogues ----------------------------------------------------------------------


def visible_catalogues(user: AnyUser) -> QuerySet[ProductCatalogue]:
    """Catalogues are open to everyone in the agency: they say what each product is worth."""
    scope = scope_for(user)
    if scope.operator:
        return ProductCatalogue.objects.all()
    agencies = set(scope.read_agencies)
    if scope.agency_id is not None:
        agencies.add(scope.agency_id)
    return ProductCatalogue.objects.filter(agency_id__in=agencies)


def access_catalogue(
    user: AnyUser, catalogue_id: int, *, action: Literal["view", "change"] = "view"
) -> ProductCatalogue:
    """`change` (propose, edit, standardise, decide): unit leaders and the personnel office
    of the agency; the service then checks the step's own role."""
    catalogue = ProductCatalogue.objects.filter(pk=catalogue_id).first()
    if catalogue is None:
        raise NotFound(
            f"Không tìm thấy danh mục sản phẩm #{catalogue_id}.",
            f"Product catalogue #{catalogue_id} was not found.",
        )
    scope = scope_for(user)
    if action == "change":
        allowed = catalogue.agency_id in scope.personnel_agencies or (
            scope.agency_id == catalogue.agency_id and scope.is_unit_leader
        )
    else:
        allowed = visible_catalogues(user).filter(pk=catalogue.pk).exists()
    if not allowed:
        raise _denied(action, "danh mục sản phẩm", "product catalogue")
    return catalogue


__all__ = [
    "TaskAction",
    "access_catalogue",
    "access_exemption",
    "access_plan",
    "access_task",
    "reviewable_tasks",
    "visible_catalogues",
    "visible_exemptions",
    "visible_plans",
    "visible_tasks",
]
