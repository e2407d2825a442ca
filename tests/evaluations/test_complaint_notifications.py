"""The decision-maker (the head of the agency) is told of a complaint with its answer date,
reminded 2 working days before it and once it has passed, each once."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from django.core import mail
from django.urls import reverse

from tests.work.conftest import at
from thuocdo.evaluations import services
from thuocdo.evaluations.models import Complaint, Notification
from thuocdo.evaluations.reminders import send_reminders
from thuocdo.org.models import Person

from .conftest import AGENCY_A, D, Flow

Capture = Callable[..., AbstractContextManager[Any]]
FILED = D(2026, 2, 12)  # a Thursday: the answer is due Monday 23 February (7 working days)


def published(flow: Flow) -> None:
    for name in AGENCY_A:
        flow.task(name)
    flow.to_decision()
    flow.rate_units()
    flow.decide_all()
    flow.publish()


def complain(flow: Flow) -> Complaint:
    return services.complaint_file(
        actor=flow.user("staff_x"), evaluation=flow.ev("staff_x"), text="Xin xem lại", at=at(FILED)
    )


def head_notes(flow: Flow) -> list[Notification]:
    return list(Notification.objects.filter(recipient=flow.cast.person("leader_a")).order_by("id"))


def test_the_head_is_told_of_a_complaint_and_its_answer_date(
    flow: Flow, django_capture_on_commit_callbacks: Capture
) -> None:
    published(flow)
    Person.objects.filter(pk=flow.cast.person("leader_a").pk).update(email="lanhdao@bo.gov.vn")
    before = Notification.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        complaint = complain(flow)
    assert complaint.answer_due == D(2026, 2, 23)
    [note] = list(Notification.objects.order_by("id"))[before:]
    assert note.recipient == flow.cast.person("leader_a")
    assert note.text == (
        "Nguyễn Văn Staff X khiếu nại kết quả xếp loại Tháng 1/2026; hạn trả lời 23/02/2026."
    )
    assert note.text_en == (
        "Nguyễn Văn Staff X filed a complaint about their rating for Month 1/2026; "
        "answer by 23/02/2026."
    )
    assert note.link == reverse("web:ev_complaint", args=[complaint.pk])
    assert [m.to for m in mail.outbox] == [["lanhdao@bo.gov.vn"]]
    assert "hạn trả lời 23/02/2026" in mail.outbox[0].subject


def test_unanswered_complaints_are_reminded_two_working_days_before_and_when_late(
    flow: Flow,
) -> None:
    published(flow)
    complain(flow)

    def reminded(day: D) -> list[str]:
        seen = {n.pk for n in head_notes(flow)}
        send_reminders(today=day, at=at(day, 7))
        return [n.text for n in head_notes(flow) if n.pk not in seen]

    assert reminded(D(2026, 2, 18)) == []  # Wednesday: 3 working days left
    assert reminded(D(2026, 2, 19)) == [
        "Khiếu nại của Nguyễn Văn Staff X về xếp loại Tháng 1/2026 cần trả lời trước 23/02/2026."
    ]
    assert reminded(D(2026, 2, 19)) == []  # run twice, reminded once
    assert reminded(D(2026, 2, 23)) == []
    assert reminded(D(2026, 2, 24)) == [
        "Khiếu nại của Nguyễn Văn Staff X về xếp loại Tháng 1/2026 đã quá hạn trả lời (23/02/2026)."
    ]
    assert reminded(D(2026, 2, 25)) == []


def test_an_answered_complaint_is_not_reminded(flow: Flow) -> None:
    published(flow)
    complaint = complain(flow)
    services.complaint_answer(
        actor=flow.user("leader_a"),
        complaint=complaint,
        answer="Giữ nguyên xếp loại.",
        outcome=Complaint.Outcome.KEPT,
        at=at(D(2026, 2, 16)),
    )
    count = len(head_notes(flow))
    send_reminders(today=D(2026, 2, 24), at=at(D(2026, 2, 24), 7))
    assert len(head_notes(flow)) == count
