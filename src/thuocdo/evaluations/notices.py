"""In-app notices kept as `Notification` rows (registered with `org.notices` at start), and
what the decision-maker is told of a complaint: its filing and its answer date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.urls import reverse

from thuocdo.core import clock
from thuocdo.evaluations.models import Complaint, Notification
from thuocdo.org.models import Assignment
from thuocdo.org.notices import Notice, send
from thuocdo.org.selectors import current


def keep(notices: Sequence[Notice], at: dt.datetime) -> None:
    Notification.objects.bulk_create(
        Notification(
            recipient_id=n.recipient_id, text=n.text, text_en=n.text_en, link=n.link, created_at=at
        )
        for n in notices
    )


def authority_ids(agency_id: int, on: dt.date) -> list[int]:
    """Who answers complaints: the head or acting head of the agency on that day (art. 13),
    as `services.is_authority` decides."""
    return sorted(
        set(
            Assignment.objects.filter(
                current(on),
                unit_id=agency_id,
                role__in=[Assignment.Role.HEAD, Assignment.Role.ACTING_HEAD],
                person__is_active=True,
            ).values_list("person_id", flat=True)
        )
    )


def complaint_filed(complaint: Complaint, *, at: dt.datetime) -> None:
    ev = complaint.evaluation
    who, due = complaint.filed_by.full_name, f"{complaint.answer_due:%d/%m/%Y}"
    vi = f"{who} khiếu nại kết quả xếp loại {ev.period.name('vi')}; hạn trả lời {due}."
    en = f"{who} filed a complaint about their rating for {ev.period.name('en')}; answer by {due}."
    link = reverse("web:ev_complaint", args=[complaint.pk])
    people = authority_ids(ev.period.agency_id, clock.local_date(at))
    send([Notice(pk, vi, en, link) for pk in people], at=at)
