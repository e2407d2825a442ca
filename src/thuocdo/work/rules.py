"""Small rules the task services share: the delay rule and who holds which role.

The delay rule is set by `THUOCDO_WORK_DELAY_RULE` in the Django settings (see
docs/work.md), defaulting to one delay per late submission.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, Literal

from django.conf import settings
from django.db.models import Q

from thuocdo.core.errors import AccessDenied, ValidationFailed
from thuocdo.core.models import User
from thuocdo.org.models import Assignment, Person, RoleGrant, Unit
from thuocdo.org.selectors import current


@dataclass(frozen=True)
class DelayRule:
    """How many delays (l_i) a submission after the effective deadline adds.

    - `per_submission`: each submission (first or after a return) dated after the
      effective deadline in force at that moment counts one delay.
    - `per_days`: the task counts ceil(days late ÷ `days`) delays, measured at each
      submission; a later, later-still submission adds only the difference.
    A submission on the deadline day is on time. An extension granted after a delay was
    counted does not erase it: that is what an exemption is for.
    """

    mode: Literal["per_submission", "per_days"] = "per_submission"
    days: int = 1

    def added(self, *, effective_deadline: dt.date, submitted_on: dt.date, counted: int) -> int:
        late = (submitted_on - effective_deadline).days
        if late <= 0:
            return 0
        if self.mode == "per_submission":
            return 1
        return max(0, math.ceil(late / self.days) - counted)


def delay_rule() -> DelayRule:
    raw: dict[str, Any] = getattr(settings, "THUOCDO_WORK_DELAY_RULE", None) or {}
    mode = raw.get("mode", "per_submission")
    days = int(raw.get("days", 1))
    if mode not in ("per_submission", "per_days") or days < 1:
        raise ValidationFailed(
            "Cấu hình quy tắc tính chậm tiến độ không hợp lệ.",
            "THUOCDO_WORK_DELAY_RULE is invalid: mode per_submission|per_days, days ≥ 1.",
        )
    return DelayRule(mode=mode, days=days)


# --- roles --------------------------------------------------------------------------------


def person_of(actor: User) -> Person:
    """The official behind a login; tasks are always given and done by people."""
    person = Person.objects.filter(user=actor, is_active=True).first()
    if person is None:
        raise AccessDenied(
            "Tài khoản này không gắn với cán bộ nào nên không tham gia giao, nhận việc.",
            "This login is not linked to an official, so it takes no part in tasks.",
        )
    return person


def led_paths(person: Person, on: dt.date) -> list[str]:
    return list(
        Assignment.objects.filter(
            current(on), person=person, role__in=Assignment.LEADING_ROLES
        ).values_list("unit__path", flat=True)
    )


def leads(person: Person, unit: Unit, on: dt.date) -> bool:
    """Head, acting head or deputy of `unit` or of a unit above it on that day."""
    return any(unit.path.startswith(path) for path in led_paths(person, on))


def leads_any_unit(person: Person, agency: Unit, on: dt.date) -> bool:
    return Assignment.objects.filter(
        current(on),
        person=person,
        role__in=Assignment.LEADING_ROLES,
        unit__agency_id=agency.pk,
    ).exists()


def heads_agency(person: Person, agency: Unit, on: dt.date) -> bool:
    """Head (or acting head) of the agency's root unit: the one who decides (art. 13)."""
    return Assignment.objects.filter(
        current(on),
        person=person,
        unit=agency,
        role__in=[Assignment.Role.HEAD, Assignment.Role.ACTING_HEAD],
    ).exists()


def is_personnel(actor: User, agency: Unit, on: dt.date) -> bool:
    return RoleGrant.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=on),
        user=actor,
        agency=agency,
        role=RoleGrant.Role.PERSONNEL,
        start_date__lte=on,
    ).exists()


def may_edit_plan(actor: User, unit: Unit, on: dt.date) -> bool:
    """Who draws up a unit's work plan: the personnel office of its agency, or a leader of
    the unit or of a unit above it. The plan services and the plans importer's preview
    both ask this."""
    if is_personnel(actor, unit.agency or unit, on):
        return True
    person = Person.objects.filter(user=actor, is_active=True).first()
    return person is not None and leads(person, unit, on)
