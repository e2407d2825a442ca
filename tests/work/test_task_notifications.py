"""A task's owner is told of each change and reminded of its deadline — in the app always,
by e-mail when they have an address and want it; history written in bulk tells nobody."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from tests.work.conftest import JAN_5, JAN_10, JAN_20, Work, at
from tests.work.test_history import STORY, story
from thuocdo.core import clock
from thuocdo.core.errors import ValidationFailed
from thuocdo.evaluations.models import Notification
from thuocdo.evaluations.reminders import send_reminders
from thuocdo.org.models import Person
from thuocdo.work import services
from thuocdo.work.history import tasks_record_history
from thuocdo.work.models import Task

D = dt.date
Capture = Callable[..., AbstractContextManager[Any]]


def notes(work: Work, name: str = "staff_x") -> list[Notification]:
    return list(Notification.objects.filter(recipient=work.cast.person(name)).order_by("id"))


def test_the_owner_is_told_of_each_change_once_in_both_languages(work: Work) -> None:
    task = work.assign(title="Báo cáo quý", deadline=JAN_20)
    link = reverse("web:work_task", args=[task.pk])
    work.act(task, "submit")
    work.act(task, "return", by="head_x", reason="Thiếu số liệu")
    work.act(task, "resubmit")
    task.refresh_from_db()
    services.task_extend(
        actor=work.cast.user("head_x"),
        task=task,
        expected_version=task.version,
        new_deadline=D(2026, 1, 27),
        reason="Chờ số liệu của Tổng cục",
        at=at(JAN_10),
    )
    work.act(task, "accept", by="head_x")
    got = [(n.text, n.text_en, n.link) for n in notes(work)]
    assert got == [
        (
            "Nguyễn Văn Head X giao cho bạn nhiệm vụ “Báo cáo quý”, hạn hoàn thành 20/01/2026.",
            "Nguyễn Văn Head X assigned you the task “Báo cáo quý”, due 20/01/2026.",
            link,
        ),
        (
            "Nhiệm vụ “Báo cáo quý” bị trả lại vì lỗi lớn về nội dung. Lý do: Thiếu số liệu",
            "The task “Báo cáo quý” was returned for a major error. Reason: Thiếu số liệu",
            link,
        ),
        (
            "Nhiệm vụ “Báo cáo quý” được gia hạn đến 27/01/2026. Lý do: Chờ số liệu của Tổng cục",
            "The deadline of the task “Báo cáo quý” was extended to 27/01/2026. "
            "Reason: Chờ số liệu của Tổng cục",
            link,
        ),
        (
            "Nhiệm vụ “Báo cáo quý” đã được nghiệm thu.",
            "The task “Báo cáo quý” was accepted.",
            link,
        ),
    ]
    # Nobody else heard of it: the owner's own steps tell the reviewer nothing here.
    assert Notification.objects.exclude(recipient=work.cast.person("staff_x")).count() == 0


def test_an_exemption_decision_is_told_to_its_owner(work: Work) -> None:
    task = work.assign(deadline=JAN_10)
    late = work.act(task, "submit", on=D(2026, 1, 14))
    event = late.events.get(action="submit")
    exemption = services.exemption_request(
        actor=work.cast.user("staff_x"), event=event, reason="Mất điện", at=at(D(2026, 1, 14))
    )
    task.refresh_from_db()
    services.exemption_decide(
        actor=work.cast.user("head_x"),
        exemption=exemption,
        approve=False,
        reason="Không có xác nhận",
        expected_version=task.version,
        at=at(D(2026, 1, 15)),
    )
    last = notes(work)[-1]
    assert last.text == (
        "Đề nghị miễn trừ của nhiệm vụ “Soạn thảo văn bản” bị từ chối. Lý do: Không có xác nhận"
    )
    assert last.text_en.startswith(
        "The exemption request for the task “Soạn thảo văn bản” was refused."
    )


@pytest.mark.parametrize(
    ("email", "wants", "sent"),
    [("x@bo.gov.vn", True, 1), ("x@bo.gov.vn", False, 0), ("", True, 0)],
)
def test_email_goes_only_with_an_address_and_the_preference_on(
    work: Work, django_capture_on_commit_callbacks: Capture, email: str, wants: bool, sent: int
) -> None:
    Person.objects.filter(pk=work.cast.person("staff_x").pk).update(
        email=email, email_notifications=wants
    )
    with django_capture_on_commit_callbacks(execute=True):
        task = work.assign(title="Báo cáo quý")
    assert len(notes(work)) == 1  # the app is told whatever the preference
    assert len(mail.outbox) == sent
    if sent:
        message = mail.outbox[0]
        assert message.to == ["x@bo.gov.vn"]
        assert message.subject.startswith("[Thước đo] Nguyễn Văn Head X giao cho bạn")
        assert reverse("web:work_task", args=[task.pk]) in message.body
        assert "assigned you the task" in message.body


def test_a_write_that_fails_tells_nobody(work: Work) -> None:
    with pytest.raises(ValidationFailed):  # a deadline before the assignment day
        work.assign(deadline=D(2026, 1, 1))
    assert Notification.objects.count() == 0


def reminders_on(day: dt.date) -> list[str]:
    before = set(Notification.objects.values_list("pk", flat=True))
    send_reminders(today=day, at=at(day, 7))
    return list(
        Notification.objects.exclude(pk__in=before).order_by("id").values_list("text", flat=True)
    )


def test_deadline_reminders_at_3_days_1_day_and_overdue_each_once(work: Work) -> None:
    task = work.assign(title="Báo cáo quý", deadline=JAN_20)
    assert reminders_on(JAN_5) == []  # assigned today: its owner was just told
    assert reminders_on(D(2026, 1, 16)) == []  # 4 days left
    assert reminders_on(D(2026, 1, 17)) == [
        "Nhiệm vụ “Báo cáo quý” đến hạn sau 3 ngày (20/01/2026)."
    ]
    assert reminders_on(D(2026, 1, 17)) == []  # the second run of the day sends nothing
    assert reminders_on(D(2026, 1, 18)) == []  # 2 days: the 3-day reminder was sent
    assert reminders_on(D(2026, 1, 19)) == ["Nhiệm vụ “Báo cáo quý” đến hạn ngày mai (20/01/2026)."]
    assert reminders_on(D(2026, 1, 20)) == []
    assert reminders_on(D(2026, 1, 21)) == [
        "Nhiệm vụ “Báo cáo quý” đã quá hạn (hạn 20/01/2026); hãy nộp sản phẩm hoặc giải trình."
    ]
    assert reminders_on(D(2026, 1, 22)) == []
    note = Notification.objects.filter(recipient=task.owner).latest("id")
    assert note.link == reverse("web:work_task", args=[task.pk])
    assert (
        note.text_en
        == "The task “Báo cáo quý” is overdue (due 20/01/2026); submit it or explain the delay."
    )


def test_an_extension_rearms_the_reminders_and_submitted_work_is_not_reminded(work: Work) -> None:
    task = work.assign(title="Báo cáo quý", deadline=JAN_20)
    other = work.assign(title="Công văn", deadline=JAN_20)
    work.act(other, "submit", on=D(2026, 1, 12))  # waits for its reviewer, not its owner
    assert len(reminders_on(D(2026, 1, 19))) == 1
    task.refresh_from_db()
    services.task_extend(
        actor=work.cast.user("head_x"),
        task=task,
        expected_version=task.version,
        new_deadline=D(2026, 1, 30),
        reason="Chờ số liệu",
        at=at(D(2026, 1, 19)),
    )
    assert reminders_on(D(2026, 1, 29)) == ["Nhiệm vụ “Báo cáo quý” đến hạn ngày mai (30/01/2026)."]


def test_reminders_email_with_the_preference(
    work: Work, django_capture_on_commit_callbacks: Capture
) -> None:
    Person.objects.filter(pk=work.cast.person("staff_x").pk).update(email="x@bo.gov.vn")
    work.assign(deadline=JAN_20)
    with django_capture_on_commit_callbacks(execute=True):
        reminders_on(D(2026, 1, 21))
    with django_capture_on_commit_callbacks(execute=True):
        reminders_on(D(2026, 1, 21))
    assert [m.subject for m in mail.outbox] == [
        "[Thước đo] Nhiệm vụ “Soạn thảo văn bản” đã quá hạn (hạn 20/01/2026); hãy nộp sản phẩm "
        "hoặc giải trình."
    ]


def test_history_written_in_bulk_tells_nobody(work: Work) -> None:
    assert tasks_record_history(stories=[story(work, STORY)]) == 1
    assert Task.objects.count() == 1
    assert Notification.objects.count() == 0


def test_the_command_runs_twice_and_reminds_once(work: Work, capsys: Any) -> None:
    today = clock.today()
    services.task_assign(
        actor=work.cast.user("head_x"),
        owner=work.cast.person("staff_x"),
        title="Việc đến hạn",
        kind=Task.Kind.ARISING,
        deadline=today + dt.timedelta(days=1),
        at=at(today - dt.timedelta(days=2)),
    )
    call_command("send_task_reminders")
    call_command("send_task_reminders")
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "Đã nhắc 1 nhiệm vụ, 0 lượt tự đánh giá, đánh giá và 0 lượt khiếu nại.",
        "Đã nhắc 0 nhiệm vụ, 0 lượt tự đánh giá, đánh giá và 0 lượt khiếu nại.",
    ]
    assert Notification.objects.filter(text__contains="đến hạn ngày mai").count() == 1
