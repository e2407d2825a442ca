"""The helpers every part of the evaluation workflow shares: the clock and text guards, who
the actor is (office, authority, direct manager, unit leader), the row locks
(docs/locking.md), the version bump, notifications, period events and rating labels.
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import translation

from thuocdo.core import clock
from thuocdo.core.errors import AccessDenied, Conflict, ValidationFailed
from thuocdo.core.models import User
from thuocdo.core.text import clean_text
from thuocdo.evaluations.models import Evaluation, Notification, Period, PeriodEvent
from thuocdo.org import managers
from thuocdo.org.models import Person, Unit
from thuocdo.work import rules

S = Period.State
E = Evaluation.State


def _evaluation_link(pk: int) -> str:
    """The evaluation page (`web:ev_detail`), named so the link follows the URL config."""
    return reverse("web:ev_detail", args=[pk])


# --- small helpers ---------------------------------------------------------------------------


def _now(at: dt.datetime | None) -> dt.datetime:
    return at or clock.now()


def _day(at: dt.datetime) -> dt.date:
    return clock.local_date(at)


def _text(value: str, field: str, label_vi: str, label_en: str) -> str:
    cleaned = clean_text(value or "")
    if not cleaned:
        raise ValidationFailed(f"Thiếu {label_vi}.", f"The {label_en} is missing.", field=field)
    return cleaned


def add_working_days(day: dt.date, days: int) -> dt.date:
    """`days` working days after `day`, Monday to Friday. Public holidays are not modelled."""
    out = day
    while days > 0:
        out += dt.timedelta(days=1)
        if out.weekday() < 5:
            days -= 1
    return out


def _person(actor: User) -> Person | None:
    return Person.objects.filter(user=actor, is_active=True).first()


def _require_office(actor: User, agency: Unit, on: dt.date) -> None:
    if not rules.is_personnel(actor, agency, on):
        raise AccessDenied(
            "Chỉ bộ phận tổ chức cán bộ của cơ quan mới thực hiện bước này.",
            "Only the agency's personnel office takes this step.",
        )


def is_authority(actor: User, agency: Unit, on: dt.date) -> bool:
    person = _person(actor)
    return person is not None and rules.heads_agency(person, agency, on)


def _require_authority(actor: User, agency: Unit, on: dt.date) -> None:
    if not is_authority(actor, agency, on):
        raise AccessDenied(
            "Chỉ người đứng đầu cơ quan (cấp có thẩm quyền) mới thực hiện bước này.",
            "Only the head of the agency (the competent authority) takes this step.",
        )


def is_direct_manager(person: Person | None, ev: Evaluation, on: dt.date) -> bool:
    """Whether `person` manages the evaluated official (`org.managers`, the one rule): a
    leader of the unit or above; a deputy is managed by the unit's head (or above) and a
    head by a leader of a unit above. Never oneself."""
    if person is None or person.pk == ev.person_id:
        return False
    return managers.manages(
        managers.leads_of(person.pk, on),
        unit_id=ev.unit_id,
        unit_path=ev.unit.path,
        role=ev.role,
    )


def leads_unit(person: Person | None, unit: Unit, on: dt.date) -> bool:
    return person is not None and rules.leads(person, unit, on)


def _lock_period(period: Period, expected_version: int | None = None) -> Period:
    # the period row only: its agency unit stays free for task writes (docs/locking.md)
    row = Period.objects.select_for_update(of=("self",)).select_related("agency").get(pk=period.pk)
    if expected_version is not None and row.version != expected_version:
        raise Conflict(
            "Kỳ đánh giá vừa được người khác thay đổi; hãy tải lại trang.",
            "The period was changed by someone else; reload it.",
            field="version",
        )
    return row


def _lock_evaluation(ev: Evaluation, expected_version: int | None = None) -> Evaluation:
    row = (
        Evaluation.objects.select_for_update(of=("self",))
        .select_related("period", "period__agency", "unit", "person", "framework")
        .get(pk=ev.pk)
    )
    if expected_version is not None and row.version != expected_version:
        raise Conflict(
            "Phiếu đánh giá vừa được người khác thay đổi; hãy tải lại trang.",
            "The evaluation was changed by someone else; reload it.",
            field="version",
        )
    return row


def _bump(ev: Evaluation, *fields: str) -> None:
    ev.version += 1
    ev.save(update_fields=[*fields, "version", "updated_at"])


def _notify(
    person: Person, text: str, link: str, at: dt.datetime, text_en: str = ""
) -> Notification:
    return Notification.objects.create(
        recipient=person, text=text, text_en=text_en, link=link, created_at=at
    )


def _rating_en(rating: str | None) -> str:
    with translation.override("en"):
        return _rating_label(rating)


def _event(
    period: Period, action: str, before: str, actor: User, at: dt.datetime, reason: str = ""
) -> None:
    PeriodEvent.objects.create(
        period=period,
        action=action,
        from_state=before,
        to_state=period.state,
        actor=actor,
        reason=reason,
        at=at,
    )


def _rating_label(rating: str | None) -> str:
    from thuocdo.evaluations.models import RATING_CHOICES

    return str(dict(RATING_CHOICES).get(rating or "", "—"))
