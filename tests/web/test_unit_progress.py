"""Issue 15, point 4: a unit's progress in the period, who is late, and reminders."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.conftest import Cast
from tests.evaluations.conftest import Flow, make_flow
from tests.work.conftest import at
from thuocdo.audit.models import AuditEntry
from thuocdo.core.models import User
from thuocdo.evaluations.models import Notification
from thuocdo.evaluations.progress import deadline_reminders

D = dt.date


@pytest.fixture
def flow(cast: Cast, db: None) -> Flow:
    call_command("load_presets", stdout=StringIO())
    flow = make_flow(cast)  # self-assessment due 03/02/2026; the suite's today is later
    flow.step("start_self_assessment", on=D(2026, 1, 26))
    flow.self_assess("staff_x")
    return flow


def page(client: Client, username: str, flow: Flow) -> Any:
    client.force_login(User.objects.get(username=username))
    url = reverse("web:ev_unit_progress", args=[flow.period.pk, flow.cast.unit_x.pk])
    return client.get(url), url


@pytest.mark.now("2026-02-05 09:00")
def test_the_unit_page_shows_who_is_late_and_reminds_them_once_a_day(
    client: Client, flow: Flow
) -> None:
    response, url = page(client, "head_x", flow)
    body = response.content.decode()
    assert response.status_code == 200
    late = [flow.ev(name) for name in ("head_x", "deputy_x")]  # unit X, still drafts
    for ev in late:
        row = body.split(f'href="/evaluations/{ev.pk}/"')[1].split("</tr>")[0]
        assert "trễ hạn tự đánh giá" in row
    done = body.split(f'href="/evaluations/{flow.ev("staff_x").pk}/"')[1].split("</tr>")[0]
    assert "trễ hạn" not in done
    assert "Nhắc những người trễ hạn" in body and "2 người trễ hạn" in body

    before = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    sent = client.post(url)
    assert sent.status_code == 302
    told = Notification.objects.filter(text__startswith="Nhắc: bạn chưa tự đánh giá")
    assert sorted(n.recipient_id for n in told) == sorted(ev.person_id for ev in late)
    assert all("03/02/2026" in n.text and "đã qua" in n.text for n in told)
    entry = AuditEntry.objects.get(id__gt=before, action="evaluations.period.remind_late")
    assert entry.after["reminded"] == 2
    again = client.post(url, follow=True)
    assert "Không có ai cần nhắc" in again.content.decode()
    assert Notification.objects.filter(text__startswith="Nhắc:").count() == 2

    # an official does not see the unit's progress; an auditor reads it without the button
    assert page(Client(), "staff_x", flow)[0].status_code == 403
    audit, _url = page(Client(), "auditor_a", flow)
    assert audit.status_code == 200 and "Nhắc những người trễ hạn" not in audit.content.decode()
    assert Client().post(url).status_code in (302, 403)  # anonymous: to the login page
    auditor = Client()
    auditor.force_login(User.objects.get(username="auditor_a"))
    assert auditor.post(url).status_code == 403


def test_the_daily_run_warns_the_day_before_and_once_after_the_deadline(flow: Flow) -> None:
    drafts = {ev.person_id for ev in flow.period.evaluations.filter(state="draft")}
    assert deadline_reminders(today=D(2026, 2, 2), at=at(D(2026, 2, 2))) == len(drafts)
    soon = Notification.objects.filter(text__contains="sắp đến")
    assert {n.recipient_id for n in soon} == drafts
    assert deadline_reminders(today=D(2026, 2, 2), at=at(D(2026, 2, 2))) == 0  # once
    assert deadline_reminders(today=D(2026, 2, 4), at=at(D(2026, 2, 4))) == len(drafts)
    assert deadline_reminders(today=D(2026, 2, 5), at=at(D(2026, 2, 5))) == 0
    assert Notification.objects.filter(text__contains="đã qua").count() == len(drafts)
