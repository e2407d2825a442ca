"""Who may see and act on evaluation periods, evaluations, unit evaluations, quota
groups, complaints and notifications.

- an official sees their own evaluations (in any agency, after a transfer too), their
  complaints and notifications, and the periods of their agency;
- a unit head, acting head or deputy sees the evaluations of their unit subtree and
  reviews those they directly manage (`review`): never their own, never another unit's;
- agency leadership, the personnel office and auditors read the whole agency;
  the personnel office manages periods (`manage`); the head or acting head of the agency
  decides (`decide`) and answers complaints (`answer`);
- nobody sees another agency's evaluations; operators read everything, act on nothing.
The services check the same roles again when they write (`thuocdo.evaluations.services`).
"""

from __future__ import annotations

from typing import Literal

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from thuocdo.access.common import denied, under_led
from thuocdo.access.scope import Scope, scope_for, scope_of
from thuocdo.core import clock
from thuocdo.core.errors import AccessDenied, NotFound
from thuocdo.core.models import User
from thuocdo.evaluations.models import (
    Complaint,
    Evaluation,
    Notification,
    Period,
    QuotaGroup,
    UnitEvaluation,
)
from thuocdo.evaluations.services import is_authority, is_direct_manager, may_enter_for
from thuocdo.org.models import Person, Unit

AnyUser = User | AnonymousUser
# The lists also take a Scope: an integration client reads through the same rules.
Reader = User | AnonymousUser | Scope
PeriodAction = Literal["view", "manage", "decide"]
EvaluationAction = Literal["view", "self_assess", "enter_for", "review", "decide", "complain"]
UnitEvaluationAction = Literal["view", "change", "decide"]

_VERBS = {
    "view": ("xem", "view"),
    "manage": ("điều hành", "manage"),
    "decide": ("quyết định", "decide"),
    "self_assess": ("tự đánh giá", "self-assess"),
    "enter_for": ("nhập tự đánh giá thay cho", "enter the self-assessment for"),
    "review": ("nhận xét, đánh giá", "review"),
    "complain": ("khiếu nại", "complain about"),
    "change": ("cập nhật", "change"),
    "answer": ("trả lời", "answer"),
}


def _denied(action: str, what_vi: str, what_en: str) -> AccessDenied:
    return denied(action, what_vi, what_en, _VERBS)


def _agencies_seen(scope: Scope) -> set[int]:
    agencies = set(scope.read_agencies)
    if scope.agency_id is not None:
        agencies.add(scope.agency_id)
    return agencies


def _authority(user: AnyUser, agency: Unit) -> bool:
    return isinstance(user, User) and is_authority(user, agency, clock.today())


# --- periods --------------------------------------------------------------------------------


def visible_periods(user: Reader) -> QuerySet[Period]:
    """A period's calendar is open to everyone in the agency."""
    scope = scope_of(user)
    if scope.operator:
        return Period.objects.all()
    return Period.objects.filter(agency_id__in=_agencies_seen(scope))


def access_period(user: AnyUser, period_id: int, *, action: PeriodAction = "view") -> Period:
    period = Period.objects.filter(pk=period_id).select_related("agency").first()
    if period is None:
        raise NotFound(
            f"Không tìm thấy kỳ đánh giá #{period_id}.", f"Period #{period_id} was not found."
        )
    scope = scope_for(user)
    if action == "manage":
        allowed = period.agency_id in scope.personnel_agencies
    elif action == "decide":
        allowed = _authority(user, period.agency)
    else:
        allowed = visible_periods(user).filter(pk=period.pk).exists()
    if not allowed:
        raise _denied(action, "kỳ đánh giá", "period")
    return period


# --- evaluations ------------------------------------------------------------------------------


def visible_evaluations(user: Reader) -> QuerySet[Evaluation]:
    scope = scope_of(user)
    if scope.operator:
        return Evaluation.objects.all()
    return Evaluation.objects.filter(
        Q(agency_id__in=scope.read_agencies)
        | Q(person_id=scope.person_id or 0)
        | (Q(agency_id=scope.agency_id or 0) & under_led(scope, "unit__path"))
    )


def reviewable_evaluations(user: AnyUser) -> QuerySet[Evaluation]:
    """Evaluations of the user's unit subtree, not their own; `access_evaluation(…,
    "review")` then checks the direct-manager rule for deputies and heads."""
    scope = scope_for(user)
    if scope.person_id is None or not scope.led_paths:
        return Evaluation.objects.none()
    return Evaluation.objects.filter(
        under_led(scope, "unit__path"), agency_id=scope.agency_id or 0
    ).exclude(person_id=scope.person_id)


def access_evaluation(
    user: AnyUser, evaluation_id: int, *, action: EvaluationAction = "view"
) -> Evaluation:
    ev = (
        Evaluation.objects.filter(pk=evaluation_id)
        .select_related("period", "period__agency", "unit", "person")
        .first()
    )
    if ev is None:
        raise NotFound(
            f"Không tìm thấy phiếu đánh giá #{evaluation_id}.",
            f"Evaluation #{evaluation_id} was not found.",
        )
    scope = scope_for(user)
    if action in ("self_assess", "complain"):
        allowed = scope.person_id is not None and scope.person_id == ev.person_id
    elif action == "review":
        person = Person.objects.filter(pk=scope.person_id).first() if scope.person_id else None
        allowed = is_direct_manager(person, ev, clock.today())
    elif action == "enter_for":
        person = Person.objects.filter(pk=scope.person_id).first() if scope.person_id else None
        allowed = user.is_authenticated and may_enter_for(user, person, ev, clock.today())
    elif action == "decide":
        allowed = _authority(user, ev.period.agency)
    else:
        allowed = visible_evaluations(user).filter(pk=ev.pk).exists()
    if not allowed:
        raise _denied(action, "phiếu đánh giá", "evaluation")
    return ev


# --- unit evaluations -------------------------------------------------------------------------


def visible_unit_evaluations(user: Reader) -> QuerySet[UnitEvaluation]:
    """A unit's evaluation is open to its members' leaders and the agency-wide readers;
    the unit's own staff see it too (it caps their head's rating)."""
    scope = scope_of(user)
    if scope.operator:
        return UnitEvaluation.objects.all()
    own_units = Evaluation.objects.filter(person_id=scope.person_id or 0).values("unit_id")
    return UnitEvaluation.objects.filter(
        Q(period__agency_id__in=scope.read_agencies)
        | (Q(period__agency_id=scope.agency_id or 0) & under_led(scope, "unit__path"))
        | Q(unit_id__in=own_units)
    )


def access_unit_evaluation(
    user: AnyUser, unit_evaluation_id: int, *, action: UnitEvaluationAction = "view"
) -> UnitEvaluation:
    ue = (
        UnitEvaluation.objects.filter(pk=unit_evaluation_id)
        .select_related("unit", "period", "period__agency")
        .first()
    )
    if ue is None:
        raise NotFound(
            f"Không tìm thấy đánh giá đơn vị #{unit_evaluation_id}.",
            f"Unit evaluation #{unit_evaluation_id} was not found.",
        )
    scope = scope_for(user)
    if action == "change":
        allowed = ue.period.agency_id in scope.personnel_agencies or (
            scope.agency_id == ue.period.agency_id and scope.leads_path(ue.unit.path)
        )
    elif action == "decide":
        allowed = _authority(user, ue.period.agency)
    else:
        allowed = visible_unit_evaluations(user).filter(pk=ue.pk).exists()
    if not allowed:
        raise _denied(action, "đánh giá đơn vị", "unit evaluation")
    return ue


# --- quota groups -----------------------------------------------------------------------------


def visible_quota_groups(user: Reader) -> QuerySet[QuotaGroup]:
    """The decision sheets are for the agency's leadership, personnel office and auditors."""
    scope = scope_of(user)
    if scope.operator:
        return QuotaGroup.objects.all()
    return QuotaGroup.objects.filter(period__agency_id__in=scope.read_agencies)


def access_quota_group(
    user: AnyUser, group_id: int, *, action: Literal["view", "decide"] = "view"
) -> QuotaGroup:
    group = QuotaGroup.objects.filter(pk=group_id).select_related("period__agency").first()
    if group is None:
        raise NotFound(
            f"Không tìm thấy nhóm áp tỷ lệ #{group_id}.", f"Quota group #{group_id} was not found."
        )
    if action == "decide":
        allowed = _authority(user, group.period.agency)
    else:
        allowed = visible_quota_groups(user).filter(pk=group.pk).exists()
    if not allowed:
        raise _denied(action, "nhóm áp tỷ lệ", "quota group")
    return group


# --- complaints and notifications -------------------------------------------------------------


def visible_complaints(user: AnyUser) -> QuerySet[Complaint]:
    scope = scope_for(user)
    if scope.operator:
        return Complaint.objects.all()
    return Complaint.objects.filter(
        Q(evaluation__agency_id__in=scope.read_agencies) | Q(filed_by_id=scope.person_id or 0)
    )


def access_complaint(
    user: AnyUser, complaint_id: int, *, action: Literal["view", "answer"] = "view"
) -> Complaint:
    complaint = (
        Complaint.objects.filter(pk=complaint_id)
        .select_related("evaluation__period__agency")
        .first()
    )
    if complaint is None:
        raise NotFound(
            f"Không tìm thấy khiếu nại #{complaint_id}.",
            f"Complaint #{complaint_id} was not found.",
        )
    if action == "answer":
        allowed = _authority(user, complaint.evaluation.period.agency)
    else:
        allowed = visible_complaints(user).filter(pk=complaint.pk).exists()
    if not allowed:
        raise _denied(action, "khiếu nại", "complaint")
    return complaint


def visible_notifications(user: AnyUser) -> QuerySet[Notification]:
    """Only one's own: notifications are personal, even for operators."""
    scope = scope_for(user)
    return Notification.objects.filter(recipient_id=scope.person_id or 0)


def access_notification(user: AnyUser, notification_id: int) -> Notification:
    notification = Notification.objects.filter(pk=notification_id).first()
    if notification is None:
        raise NotFound(
            f"Không tìm thấy thông báo #{notification_id}.",
            f"Notification #{notification_id} was not found.",
        )
    if notification.recipient_id != scope_for(user).person_id:
        raise _denied("view", "thông báo", "notification")
    return notification


__all__ = [
    "EvaluationAction",
    "PeriodAction",
    "UnitEvaluationAction",
    "access_complaint",
    "access_evaluation",
    "access_notification",
    "access_period",
    "access_quota_group",
    "access_unit_evaluation",
    "reviewable_evaluations",
    "visible_complaints",
    "visible_evaluations",
    "visible_notifications",
    "visible_periods",
    "visible_quota_groups",
    "visible_unit_evaluations",
]
