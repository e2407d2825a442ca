"""Issue 17, point 2: webhooks. A real HTTP server on 127.0.0.1 receives the deliveries.

Events come from the audit trail, in the transaction of the change; they are sent when it
commits (the tests run the commit callbacks), signed with the subscription's secret, and
retried with back-off on the pinned clock.
"""

# The fixtures imported from other test modules are used as arguments:
# ruff: noqa: F811
from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
import uuid
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.api.receiver import (  # noqa: F401 (fixture)
    Receiver,
    closed_port_url,
    receiver,
    signature_is_valid,
)
from tests.clock import Travel
from tests.conftest import Cast
from tests.evaluations.conftest import (  # noqa: F401 (fixtures)
    AGENCY_A,
    Flow,
    flow,
    presets,
)
from tests.work.conftest import Work, at, work  # noqa: F401 (fixture)
from thuocdo.api import webhook_sender
from thuocdo.api.models import IntegrationClient, WebhookDelivery, WebhookSubscription
from thuocdo.api.services import client_create
from thuocdo.api.webhooks import webhook_create
from thuocdo.audit.models import AuditEntry
from thuocdo.core.errors import ValidationFailed
from thuocdo.evaluations import services as evaluations
from thuocdo.org import services as org

TASK_EVENTS = ["task.assigned", "task.accepted", "task.returned"]
PERIOD_EVENTS = ["period.state_changed", "results.published"]
ALL_SCOPES = ["tasks:read", "evaluations:read"]

Commit = Callable[..., Any]


def subscribe(
    agency: Any,
    url: str,
    events: list[str],
    *,
    scopes: list[str] = ALL_SCOPES,
    name: str = "Hệ thống văn bản",
) -> tuple[WebhookSubscription, str]:
    client, _token = client_create(actor=None, agency=agency, name=name, scopes=scopes)
    return webhook_create(actor=None, client=client, url=url, events=events)


def test_assigning_a_task_posts_a_signed_task_assigned_event(
    work: Work, receiver: Receiver, django_capture_on_commit_callbacks: Commit
) -> None:
    subscription, secret = subscribe(work.cast.agency_a, receiver.url, TASK_EVENTS)
    assert secret.startswith("whsec_") and subscription.secret == secret
    with django_capture_on_commit_callbacks(execute=True):
        task = work.assign("staff_x")
        # written with the change, sent only once it commits
        delivery = WebhookDelivery.objects.get()
        assert delivery.state == WebhookDelivery.State.PENDING
        assert receiver.received == []
    assert receiver.events() == ["task.assigned"]
    got = receiver.received[0]
    assert got.path == "/hooks/thuocdo"
    assert got.header("Content-Type").startswith("application/json")
    assert got.header("X-ThuocDo-Delivery") == str(delivery.uid)
    assert got.header("X-ThuocDo-Timestamp").isdigit()
    assert signature_is_valid(secret, got)
    assert not signature_is_valid("whsec_another", got)
    body = got.json
    assert body == {
        "event": "task.assigned",
        "id": body["id"],
        "occurred_at": body["occurred_at"],
        "agency": "BA",
        "object": {"type": "task", "id": task.pk, "external_ref": None, "state": "assigned"},
        "link": f"/api/v1/tasks/{task.pk}",
    }
    uuid.UUID(body["id"])
    assert dt.datetime.fromisoformat(body["occurred_at"]).utcoffset() == dt.timedelta(hours=7)
    delivery.refresh_from_db()
    assert delivery.state == WebhookDelivery.State.DELIVERED
    assert (delivery.attempts, delivery.last_status_code, delivery.last_error) == (1, 200, "")
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None
    assert [entry["status"] for entry in delivery.log] == [200]


def test_a_return_and_an_acceptance_are_told_to_those_who_asked_for_them(
    work: Work, receiver: Receiver, django_capture_on_commit_callbacks: Commit
) -> None:
    subscribe(work.cast.agency_a, receiver.url, ["task.accepted", "task.returned"])
    with django_capture_on_commit_callbacks(execute=True):
        task = work.assign("staff_x")
    with django_capture_on_commit_callbacks(execute=True):
        work.act(task, "submit", by="staff_x")
        work.act(task, "return", by="head_x", reason="Thiếu số liệu")
    with django_capture_on_commit_callbacks(execute=True):
        work.act(task, "resubmit", by="staff_x")
        work.act(task, "accept", by="head_x")
    assert receiver.events() == ["task.returned", "task.accepted"]
    assert [r.json["object"]["state"] for r in receiver.received] == ["returned", "accepted"]
    assert all(r.json["object"]["id"] == task.pk for r in receiver.received)


def test_period_steps_and_the_publication_are_told_without_anyone_s_score(
    flow: Flow, receiver: Receiver, django_capture_on_commit_callbacks: Commit
) -> None:
    _sub, secret = subscribe(flow.cast.agency_a, receiver.url, PERIOD_EVENTS)
    with django_capture_on_commit_callbacks(execute=True):
        for name in AGENCY_A:
            flow.task(name)
            flow.general[name] = 15
        flow.to_decision()
        flow.rate_units()
        flow.decide_all()
        flow.publish()
    period = flow.refresh()
    assert receiver.events() == [
        *["period.state_changed"] * 5,  # four steps to the decision, then publication
        "results.published",
    ]
    steps = [r.json["object"] for r in receiver.received[:5]]
    assert [(s["previous_state"], s["state"]) for s in steps] == [
        ("open", "self_assessment"),
        ("self_assessment", "review"),
        ("review", "collective_comments"),
        ("collective_comments", "decision"),
        ("decision", "published"),
    ]
    published = receiver.received[-1].json
    assert published["object"] == {
        "type": "period",
        "id": period.pk,
        "kind": "month",
        "year": 2026,
        "number": 1,
        "state": "published",
    }
    assert published["link"] == f"/api/v1/periods/{period.pk}"
    assert published["results_link"] == f"/api/v1/periods/{period.pk}/evaluations"
    # the same event id for the publication's two events? No: one id per event.
    assert published["id"] != receiver.received[-2].json["id"]
    assert all(signature_is_valid(secret, r) for r in receiver.received)
    text = b" ".join(r.body for r in receiver.received).decode()
    for personal in ("points", "rating", "excellent", "Nguyễn", "P00"):
        assert personal not in text
    # reopening is a state change too
    with django_capture_on_commit_callbacks(execute=True):
        evaluations.period_reopen(
            actor=flow.user("leader_a"),
            period=period,
            to_state="decision",
            reason="Sửa sai sót",
            expected_version=period.version,
            at=at(dt.date(2026, 2, 11)),
        )
    last = receiver.received[-1].json
    assert (last["event"], last["object"]["previous_state"], last["object"]["state"]) == (
        "period.state_changed",
        "published",
        "decision",
    )


def test_a_client_without_the_scope_is_told_nothing(
    work: Work, receiver: Receiver, django_capture_on_commit_callbacks: Commit
) -> None:
    cast = work.cast
    client, _ = client_create(
        actor=None, agency=cast.agency_a, name="Chỉ đọc tổ chức", scopes=["org:read"]
    )
    with pytest.raises(ValidationFailed, match="tasks:read"):
        webhook_create(actor=None, client=client, url=receiver.url, events=["task.assigned"])
    # a scope taken away after subscribing stops the events
    subscription, _ = subscribe(cast.agency_a, receiver.url, TASK_EVENTS, scopes=["tasks:read"])
    IntegrationClient.objects.filter(pk=subscription.client_id).update(scopes=["org:read"])
    with django_capture_on_commit_callbacks(execute=True):
        work.assign("staff_x")
    assert not WebhookDelivery.objects.exists()
    assert receiver.received == []


def test_another_agency_s_client_is_told_nothing(
    work: Work, receiver: Receiver, django_capture_on_commit_callbacks: Commit
) -> None:
    cast = work.cast
    theirs, _ = subscribe(cast.agency_b, receiver.url + "/b", TASK_EVENTS, name="Sở B")
    ours, _ = subscribe(cast.agency_a, receiver.url + "/a", TASK_EVENTS, name="Ban A")
    with django_capture_on_commit_callbacks(execute=True):
        work.assign("staff_x")
    assert [r.path for r in receiver.received] == ["/hooks/thuocdo/a"]
    assert not WebhookDelivery.objects.filter(subscription=theirs).exists()
    assert WebhookDelivery.objects.filter(subscription=ours).count() == 1


def test_a_revoked_client_and_a_stopped_subscription_are_told_nothing(
    work: Work, receiver: Receiver, django_capture_on_commit_callbacks: Commit
) -> None:
    cast = work.cast
    revoked, _ = subscribe(cast.agency_a, receiver.url, TASK_EVENTS)
    IntegrationClient.objects.filter(pk=revoked.client_id).update(is_active=False)
    stopped, _ = subscribe(cast.agency_a, receiver.url, TASK_EVENTS)
    WebhookSubscription.objects.filter(pk=stopped.pk).update(is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        work.assign("staff_x")
    assert not WebhookDelivery.objects.exists()
    assert receiver.received == []


def test_a_rolled_back_change_sends_nothing(
    work: Work, receiver: Receiver, django_capture_on_commit_callbacks: Commit
) -> None:
    subscribe(work.cast.agency_a, receiver.url, TASK_EVENTS)
    written = []

    def assign_then_fail() -> None:
        with transaction.atomic():
            work.assign("staff_x")
            written.append(WebhookDelivery.objects.count())
            raise RuntimeError("the caller gives up")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        assign_then_fail()
    assert written == [1]  # written with the change, and rolled back with it
    assert callbacks == []
    assert not WebhookDelivery.objects.exists()
    assert receiver.received == []


def test_writes_that_tell_no_event_cost_no_webhook_query(cast: Cast) -> None:
    with CaptureQueriesContext(connection) as queries:
        org.unit_create(actor=None, parent=cast.unit_y, code="Y2", name="Phòng Hai")
    assert not [q for q in queries.captured_queries if "webhook" in q["sql"].lower()]


def test_a_failing_receiver_is_retried_after_the_back_off_then_delivered(
    work: Work,
    receiver: Receiver,
    travel: Travel,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Commit,
) -> None:
    _sub, secret = subscribe(work.cast.agency_a, receiver.url, TASK_EVENTS)
    receiver.answer(500)
    caplog.set_level(logging.INFO, logger="thuocdo.api.webhooks")
    with django_capture_on_commit_callbacks(execute=True):
        work.assign("staff_x")
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == WebhookDelivery.State.FAILED
    assert (delivery.attempts, delivery.last_status_code, delivery.last_error) == (
        1,
        500,
        "HTTP 500",
    )
    assert delivery.next_attempt_at is not None
    wait = delivery.next_attempt_at - dt.datetime.fromisoformat(delivery.log[0]["at"])
    assert dt.timedelta(seconds=59) <= wait <= dt.timedelta(seconds=62)
    assert webhook_sender.send_due() == 0  # not due yet: nothing sent
    assert len(receiver.received) == 1
    travel.shift(dt.timedelta(seconds=61))
    out = StringIO()
    call_command("send_webhooks", stdout=out)
    assert "Đã gửi được 1 webhook" in out.getvalue()
    delivery.refresh_from_db()
    assert delivery.state == WebhookDelivery.State.DELIVERED
    assert (delivery.attempts, delivery.last_status_code, delivery.last_error) == (2, 200, "")
    assert [entry["status"] for entry in delivery.log] == [500, 200]
    first, second = receiver.received
    assert first.header("X-ThuocDo-Delivery") == second.header("X-ThuocDo-Delivery")
    assert first.body == second.body
    assert int(second.header("X-ThuocDo-Timestamp")) > int(first.header("X-ThuocDo-Timestamp"))
    assert signature_is_valid(secret, second)
    lines = [r for r in caplog.records if getattr(r, "webhook_delivery", "") == str(delivery.uid)]
    assert [(r.levelname, r.webhook_status) for r in lines] == [  # type: ignore[attr-defined]
        ("WARNING", 500),
        ("INFO", 200),
    ]


def test_an_unreachable_receiver_is_given_up_after_the_last_attempt(
    work: Work, travel: Travel, django_capture_on_commit_callbacks: Commit
) -> None:
    subscribe(work.cast.agency_a, closed_port_url(), TASK_EVENTS)
    with django_capture_on_commit_callbacks(execute=True):
        work.assign("staff_x")
    delivery = WebhookDelivery.objects.get()
    waits = []
    for seconds in webhook_sender.BACKOFF:
        assert delivery.state == WebhookDelivery.State.FAILED
        assert delivery.last_status_code is None and delivery.last_error
        assert delivery.next_attempt_at is not None
        waits.append(delivery.next_attempt_at)
        travel.shift(dt.timedelta(seconds=seconds - 5))
        assert webhook_sender.send_due() == 0
        delivery.refresh_from_db()
        assert delivery.attempts == len(waits)  # too early: not tried
        travel.shift(dt.timedelta(seconds=6))
        webhook_sender.send_due()
        delivery.refresh_from_db()
    assert delivery.state == WebhookDelivery.State.GIVEN_UP
    assert delivery.attempts == webhook_sender.MAX_ATTEMPTS == 6
    assert delivery.next_attempt_at is None
    assert len(delivery.log) == 6 and all(entry["status"] is None for entry in delivery.log)
    gaps = [round((b - a).total_seconds()) for a, b in itertools.pairwise(waits)]
    assert gaps == [seconds + 1 for seconds in webhook_sender.BACKOFF[1:]]
    travel.shift(dt.timedelta(days=2))
    assert webhook_sender.send_due() == 0
    delivery.refresh_from_db()
    assert delivery.attempts == 6


def test_a_receiver_that_does_not_answer_in_time_is_a_failed_attempt(
    work: Work,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Commit,
) -> None:
    monkeypatch.setattr(webhook_sender, "TIMEOUT", 0.2)
    receiver.delay = 1.0
    subscribe(work.cast.agency_a, receiver.url, TASK_EVENTS)
    with django_capture_on_commit_callbacks(execute=True):
        work.assign("staff_x")
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == WebhookDelivery.State.FAILED
    assert "timed out" in delivery.last_error


def test_a_redirect_is_not_followed(
    work: Work, receiver: Receiver, django_capture_on_commit_callbacks: Commit
) -> None:
    receiver.answer(302)
    subscribe(work.cast.agency_a, receiver.url, TASK_EVENTS)
    with django_capture_on_commit_callbacks(execute=True):
        work.assign("staff_x")
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.last_status_code) == (WebhookDelivery.State.FAILED, 302)


def test_a_subscription_stopped_before_sending_is_given_up_unsent(
    work: Work, receiver: Receiver, django_capture_on_commit_callbacks: Commit
) -> None:
    subscription, _ = subscribe(work.cast.agency_a, receiver.url, TASK_EVENTS)
    work.assign("staff_x")  # its commit callback is never run: the delivery waits
    WebhookSubscription.objects.filter(pk=subscription.pk).update(is_active=False)
    assert webhook_sender.send_due() == 0
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.last_error) == (
        WebhookDelivery.State.GIVEN_UP,
        "subscription stopped",
    )
    assert receiver.received == []


def test_the_command_subscribes_prints_the_secret_once_and_is_audited(
    cast: Cast, receiver: Receiver
) -> None:
    client, _ = client_create(
        actor=None, agency=cast.agency_a, name="Cổng dịch vụ", scopes=["tasks:read"]
    )
    out = StringIO()
    call_command(
        "api_webhook_create",
        "--prefix",
        client.token_prefix,
        "--url",
        receiver.url,
        "--events",
        "task.assigned,task.accepted",
        stdout=out,
    )
    subscription = WebhookSubscription.objects.get(client=client)
    assert f"Khóa ký (chỉ hiện một lần): {subscription.secret}" in out.getvalue()
    assert subscription.events == ["task.accepted", "task.assigned"]
    entry = AuditEntry.objects.get(action="api.webhook.create")
    assert entry.agency_id == cast.agency_a.pk and entry.channel == "cli:api_webhook_create"
    assert subscription.secret not in json.dumps(entry.after)
    with pytest.raises(Exception, match="sự kiện"):
        call_command(
            "api_webhook_create",
            "--prefix",
            client.token_prefix,
            "--url",
            receiver.url,
            "--events",
            "results.published",
            stdout=StringIO(),
        )


@pytest.mark.parametrize(
    ("url", "events"),
    [
        ("ftp://example.org/hook", ["task.assigned"]),
        ("not a url", ["task.assigned"]),
        ("https://example.org/hook", ["task.deleted"]),
        ("https://example.org/hook", []),
    ],
)
def test_a_bad_url_or_event_is_refused_and_nothing_is_written(
    cast: Cast, url: str, events: list[str]
) -> None:
    client, _ = client_create(actor=None, agency=cast.agency_a, name="Thử", scopes=ALL_SCOPES)
    with pytest.raises(ValidationFailed):
        webhook_create(actor=None, client=client, url=url, events=events)
    assert not WebhookSubscription.objects.exists()
    assert not AuditEntry.objects.filter(action="api.webhook.create").exists()


def test_tasks_written_in_bulk_tell_each_step_with_the_moment_it_happened(
    work: Work, receiver: Receiver, django_capture_on_commit_callbacks: Commit
) -> None:
    """An Excel import writes its tasks and their history through `record_many`."""
    from tests.work.test_history import STORY, story
    from thuocdo.work.history import tasks_record_history

    subscribe(work.cast.agency_a, receiver.url, TASK_EVENTS)
    imported = story(work, STORY)
    imported.external_ref = "VB-2026-0012"
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks_record_history(stories=[imported]) == 1
    assert receiver.events() == ["task.assigned", "task.returned", "task.accepted"]
    bodies = [r.json for r in receiver.received]
    assert {b["object"]["external_ref"] for b in bodies} == {"VB-2026-0012"}
    assert [b["occurred_at"][:10] for b in bodies] == ["2026-01-05", "2026-01-23", "2026-01-27"]
    assert len({b["object"]["id"] for b in bodies}) == 1


def test_stopping_a_subscription_is_audited_and_its_waiting_deliveries_are_not_sent(
    work: Work, receiver: Receiver
) -> None:
    from thuocdo.api.webhooks import webhook_deactivate

    subscription, _ = subscribe(work.cast.agency_a, receiver.url, TASK_EVENTS)
    work.assign("staff_x")  # not committed in this test: the delivery waits
    webhook_deactivate(actor=None, subscription=subscription, reason="Hệ thống cũ ngừng chạy")
    entry = AuditEntry.objects.get(action="api.webhook.deactivate")
    assert (entry.before, entry.after) == ({"is_active": True}, {"is_active": False})
    assert webhook_sender.send_due() == 0
    assert WebhookDelivery.objects.get().state == WebhookDelivery.State.GIVEN_UP
    assert receiver.received == []
