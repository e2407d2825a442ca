"""The notifications page offers the person's own e-mail choice; "Việc của tôi" opens on
what is urgent (overdue, then due within 3 days), then the newest."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import Cast
from tests.web.test_work_pages import give, html, login, today
from tests.work.conftest import Work, build_work
from thuocdo.audit.models import AuditEntry
from thuocdo.core.errors import AccessDenied
from thuocdo.org.models import Person
from thuocdo.org.services import person_set_email_notifications
from thuocdo.work import services
from thuocdo.work.models import Task


@pytest.fixture
def work(cast: Cast) -> Work:
    return build_work(cast)


def test_a_person_switches_email_notifications_off_and_on(client: Client, cast: Cast) -> None:
    staff = cast.person("staff_x")
    Person.objects.filter(pk=staff.pk).update(email="x@bo.gov.vn")
    page = html(login(client, "staff_x").get(reverse("web:ev_notifications")))
    assert "Nhận thông báo qua e-mail" in page and "x@bo.gov.vn" in page
    assert re.search(r'name="email_notifications"\s+checked', page)
    client.post(reverse("web:ev_notifications_email"), {})  # the box unticked
    staff.refresh_from_db()
    assert staff.email_notifications is False
    entry = AuditEntry.objects.get(action="org.person.email_notifications")
    assert entry.after == {"email_notifications": False}
    page = html(client.get(reverse("web:ev_notifications")))
    assert not re.search(r'name="email_notifications"\s+checked', page)
    client.post(reverse("web:ev_notifications_email"), {"email_notifications": "on"})
    staff.refresh_from_db()
    assert staff.email_notifications is True


def test_the_page_says_when_there_is_no_address(client: Client, cast: Cast) -> None:
    page = html(login(client, "staff_y").get(reverse("web:ev_notifications")))
    assert "chưa có địa chỉ e-mail" in page


def test_only_the_person_chooses(cast: Cast) -> None:
    with pytest.raises(AccessDenied):
        person_set_email_notifications(
            actor=cast.user("head_x"), person=cast.person("staff_x"), enabled=False
        )
    assert Person.objects.get(pk=cast.person("staff_x").pk).email_notifications is True


def test_my_work_opens_on_overdue_then_due_soon_then_newest(client: Client, work: Work) -> None:
    day = today()
    later = give(work, title="Việc còn xa", deadline=day + dt.timedelta(days=20))
    soon = give(work, title="Việc sắp đến hạn", deadline=day + dt.timedelta(days=2))
    newest = give(work, title="Việc mới giao", deadline=day + dt.timedelta(days=30))
    late = give(work, title="Việc quá hạn", deadline=day)
    # Overdue: a deadline cannot be set in the past, so it is moved there directly.
    Task.objects.filter(pk=late.pk).update(
        deadline=day - dt.timedelta(days=1), effective_deadline=day - dt.timedelta(days=1)
    )
    done = give(work, title="Việc đã nộp", deadline=day)
    services.task_transition(
        actor=work.cast.user("staff_x"), task=done, action="submit", expected_version=done.version
    )
    page = html(login(client, "staff_x").get(reverse("web:work_mine")))
    titles = [t for t in re.findall(r"Việc [^<]+", page) if t.strip() in TITLES]
    order = list(dict.fromkeys(t.strip() for t in titles))
    assert order == [late.title, soon.title, "Việc đã nộp", newest.title, later.title]


TITLES = {"Việc còn xa", "Việc sắp đến hạn", "Việc mới giao", "Việc quá hạn", "Việc đã nộp"}
