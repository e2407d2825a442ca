"""The daily reminder run (`manage send_task_reminders`): task deadlines (work.notices), the
period's self-assessment and review deadlines (evaluations.progress) and
unanswered complaints — to the decision-maker 2 working days before the answer date and once
it has passed. Each reminder goes once (`org.notices.once`), so the run can be repeated."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse

from thuocdo.evaluations.models import Complaint
from thuocdo.evaluations.notices import authority_ids
from thuocdo.evaluations.progress import deadline_reminders
from thuocdo.evaluations.services import add_working_days
from thuocdo.org.notices import Notice, once, send
from thuocdo.work.notices import task_reminders

COMPLAINT_WARNING_WORKING_DAYS = 2


@dataclass
class Sent:
    tasks: int
    complaints: int
    steps: int = 0


def complaint_reminders(*, today: dt.date, at: dt.datetime) -> int:
    complaints = Complaint.objects.filter(
        state=Complaint.State.OPEN,
        answer_due__lte=add_working_days(today, COMPLAINT_WARNING_WORKING_DAYS),
    ).select_related("evaluation__period", "filed_by")
    heads: dict[int, list[int]] = {}
    due: list[tuple[str, list[Notice]]] = []
    for complaint in complaints:
        period = complaint.evaluation.period
        who, day = complaint.filed_by.full_name, f"{complaint.answer_due:%d/%m/%Y}"
        if today > complaint.answer_due:
            threshold = "overdue"
            vi = f"Khiếu nại của {who} về xếp loại {period.name('vi')} đã quá hạn trả lời ({day})."
            en = f"{who}'s complaint about {period.name('en')} is past its answer date ({day})."
        else:
            threshold = f"{COMPLAINT_WARNING_WORKING_DAYS}wd"
            vi = f"Khiếu nại của {who} về xếp loại {period.name('vi')} cần trả lời trước {day}."
            en = f"{who}'s complaint about {period.name('en')} must be answered by {day}."
        if period.agency_id not in heads:
            heads[period.agency_id] = authority_ids(period.agency_id, today)
        link = reverse("web:ev_complaint", args=[complaint.pk])
        notices = [Notice(pk, vi, en, link) for pk in heads[period.agency_id]]
        due.append((f"complaint:{complaint.pk}:{threshold}", notices))
    fresh = once([key for key, _ in due], at=at)
    notices = [n for key, batch in due if key in fresh for n in batch]
    send(notices, at=at)
    return len(notices)


@transaction.atomic
def send_reminders(*, today: dt.date, at: dt.datetime) -> Sent:
    """All of today's reminders in one transaction: their e-mails leave after it commits."""
    return Sent(
        tasks=task_reminders(today=today, at=at),
        complaints=complaint_reminders(today=today, at=at),
        steps=deadline_reminders(today=today, at=at),
    )
