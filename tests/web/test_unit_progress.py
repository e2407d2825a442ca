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


def test_the_office_leaves_people_out_from_the_unit_page_and_brings_them_back(
    client: Client, flow: Flow
) -> None:
    response, url = page(client, "personnel_a", flow)
    assert "Không đánh giá những người đã chọn" in response.content.decode()
    head, deputy = flow.ev("head_x"), flow.ev("deputy_x")
    form = {
        "do": "exclude",
        "pick": [head.pk, deputy.pk],
        f"v{head.pk}": head.version,
        f"v{deputy.pk}": deputy.version,
        "since": "",
        "note": "Quyết định số 12/QĐ-TCCB",
    }
    # no reason: refused, named, nothing changed, the ticks kept
    refused = client.post(url, {**form, "reason": ""})
    body = refused.content.decode()
    assert refused.status_code == 400
    assert "Lý do không đánh giá" in body and f'value="{head.pk}" id="pick-{head.pk}"' in body
    assert f'id="pick-{head.pk}" aria-label="Chọn {head.person.full_name}" checked' in body
    assert flow.ev("head_x").state == "draft"
    # arrival needs its date: the service's message, next to nothing saved
    refused = client.post(url, {**form, "reason": "arrived"})
    assert refused.status_code == 400
    assert "cần ngày bắt đầu công tác" in refused.content.decode()
    assert flow.ev("deputy_x").state == "draft"

    done = client.post(url, {**form, "reason": "sick"}, follow=True)
    body = done.content.decode()
    assert "Đã để 2 người ra ngoài kỳ đánh giá: Nghỉ ốm." in body
    assert "2 người không đánh giá kỳ này" in body
    assert "Quyết định số 12/QĐ-TCCB" in body
    assert "trễ hạn tự đánh giá" not in body  # the left-out are not late
    assert (flow.ev("head_x").state, flow.ev("deputy_x").state) == ("excluded", "excluded")

    # the page of the person shows why; they can read it
    mine = Client()
    mine.force_login(User.objects.get(username="deputy_x"))
    own = mine.get(reverse("web:ev_detail", args=[deputy.pk])).content.decode()
    assert "Không đánh giá kỳ này" in own and "Nghỉ ốm" in own

    # a stale "bring back" changes nothing; a fresh one does
    stale = client.post(url, {"do": "include", "evaluation": head.pk, "version": head.version})
    assert stale.status_code == 409
    assert "vừa được người khác thay đổi" in stale.content.decode()
    fresh = flow.ev("head_x")
    back = client.post(
        url, {"do": "include", "evaluation": fresh.pk, "version": fresh.version}, follow=True
    )
    assert "Đã đưa " + fresh.person.full_name + " trở lại kỳ đánh giá." in back.content.decode()
    assert flow.ev("head_x").state == "draft"


def test_only_the_office_sees_the_exclusion_tools(client: Client, flow: Flow) -> None:
    response, url = page(client, "head_x", flow)
    assert "Không đánh giá những người đã chọn" not in response.content.decode()
    ev = flow.ev("deputy_x")
    refused = client.post(
        url,
        {"do": "exclude", "pick": [ev.pk], f"v{ev.pk}": ev.version, "reason": "sick"},
    )
    assert refused.status_code == 403
    assert flow.ev("deputy_x").state == "draft"
    # someone of another unit cannot be picked through this unit's page
    other = flow.ev("staff_y")
    office = Client()
    office.force_login(User.objects.get(username="personnel_a"))
    mixed = office.post(
        url,
        {"do": "exclude", "pick": [other.pk], f"v{other.pk}": other.version, "reason": "sick"},
    )
    assert mixed.status_code == 409
    assert "không thuộc đơn vị này" in mixed.content.decode()
    assert flow.ev("staff_y").state == "draft"
