"""Issue 17, point 2: the webhooks page of an agency, for its personnel office: the
subscriptions, the latest deliveries, and "Gửi lại" (audited) for a delivery."""

# The fixtures imported from other test modules are used as arguments:
# ruff: noqa: F811
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.api.receiver import Receiver, receiver, signature_is_valid  # noqa: F401 (fixture)
from tests.conftest import Cast
from tests.work.conftest import Work, work  # noqa: F401 (fixture)
from thuocdo.api.models import WebhookDelivery, WebhookSubscription
from thuocdo.api.services import client_create
from thuocdo.api.webhooks import webhook_create
from thuocdo.audit.models import AuditEntry

Commit = Callable[..., Any]
PAGE = "integrations:webhooks"


@pytest.fixture
def delivered(
    work: Work, receiver: Receiver, django_capture_on_commit_callbacks: Commit
) -> tuple[WebhookDelivery, str]:
    """Agency A's document system told of one assigned task; its receiver took it."""
    client, _ = client_create(
        actor=None, agency=work.cast.agency_a, name="Hệ thống văn bản", scopes=["tasks:read"]
    )
    _sub, secret = webhook_create(
        actor=None, client=client, url=receiver.url, events=["task.assigned"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        work.assign("staff_x")
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == WebhookDelivery.State.DELIVERED
    return delivery, secret


def test_the_personnel_office_sees_subscriptions_and_deliveries(
    cast: Cast, client: Client, delivered: tuple[WebhookDelivery, str]
) -> None:
    delivery, secret = delivered
    client.force_login(cast.user("personnel_a"))
    response = client.get(reverse(PAGE))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Webhook của các ứng dụng tích hợp" in html
    assert "Hệ thống văn bản" in html and delivery.subscription.url in html
    assert str(delivery.uid) in html and "Đã gửi được" in html and ">200<" in html
    assert "Gửi lại" in html
    assert secret not in html  # the secret is shown once, by the command, never here
    assert reverse("integrations:webhook_replay", args=[delivery.pk]) in html
    # the menu leads here
    home = client.get(reverse("web:home")).content.decode()
    assert f'href="{reverse(PAGE)}"' in home


@pytest.mark.parametrize("name", ["staff_x", "leader_a", "auditor_a", "nobody", "head_z"])
def test_others_are_refused_the_page_and_the_replay(
    cast: Cast,
    client: Client,
    receiver: Receiver,
    delivered: tuple[WebhookDelivery, str],
    name: str,
    django_capture_on_commit_callbacks: Commit,
) -> None:
    delivery, _ = delivered
    client.force_login(cast.user(name))
    assert client.get(reverse(PAGE)).status_code == 403
    assert client.get(reverse(PAGE), {"agency": cast.agency_a.pk}).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("integrations:webhook_replay", args=[delivery.pk]))
    assert response.status_code == 403
    assert len(receiver.received) == 1
    assert not AuditEntry.objects.filter(action="api.webhook.replay").exists()
    assert f'href="{reverse(PAGE)}"' not in client.get(reverse("web:home")).content.decode()


def test_the_personnel_office_of_one_agency_cannot_open_another_s(
    cast: Cast, client: Client
) -> None:
    client.force_login(cast.user("personnel_a"))
    response = client.get(reverse(PAGE), {"agency": cast.agency_b.pk})
    assert response.status_code == 403
    assert client.get(reverse(PAGE), {"agency": "abc"}).status_code == 404
    operator = Client()
    operator.force_login(cast.user("operator"))
    assert operator.get(reverse(PAGE), {"agency": cast.agency_b.pk}).status_code == 200


def test_send_again_posts_the_delivery_again_and_is_audited(
    cast: Cast,
    client: Client,
    receiver: Receiver,
    delivered: tuple[WebhookDelivery, str],
    django_capture_on_commit_callbacks: Commit,
) -> None:
    delivery, secret = delivered
    client.force_login(cast.user("personnel_a"))
    with django_capture_on_commit_callbacks(execute=True):
        replay = reverse("integrations:webhook_replay", args=[delivery.pk])
        response = client.post(replay, follow=True)
    assert response.status_code == 200
    assert "Đã xếp lịch gửi lại sự kiện task.assigned." in response.content.decode()
    first, again = receiver.received
    assert again.header("X-ThuocDo-Delivery") == first.header("X-ThuocDo-Delivery")
    assert again.body == first.body and signature_is_valid(secret, again)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (WebhookDelivery.State.DELIVERED, 2)
    entry = AuditEntry.objects.get(action="api.webhook.replay")
    assert entry.actor_id == cast.users["personnel_a"].pk
    assert entry.agency_id == cast.agency_a.pk and entry.channel == "web"
    assert entry.before == {"state": "delivered", "attempts": 1}
    assert entry.after == {
        "state": "pending",
        "delivery": str(delivery.uid),
        "event": "task.assigned",
    }


def test_send_again_is_refused_for_a_stopped_subscription(
    cast: Cast,
    client: Client,
    receiver: Receiver,
    delivered: tuple[WebhookDelivery, str],
    django_capture_on_commit_callbacks: Commit,
) -> None:
    delivery, _ = delivered
    WebhookSubscription.objects.filter(pk=delivery.subscription_id).update(is_active=False)
    client.force_login(cast.user("personnel_a"))
    page = client.get(reverse(PAGE)).content.decode()
    assert "Đã ngừng" in page
    assert reverse("integrations:webhook_replay", args=[delivery.pk]) not in page  # no button
    with django_capture_on_commit_callbacks(execute=True):
        replay = reverse("integrations:webhook_replay", args=[delivery.pk])
        response = client.post(replay, follow=True)
    assert "Không gửi lại được: đăng ký webhook này" in response.content.decode()
    assert len(receiver.received) == 1
    assert not AuditEntry.objects.filter(action="api.webhook.replay").exists()
    delivery.refresh_from_db()
    assert delivery.attempts == 1


def test_the_page_opens_in_english(
    cast: Cast, client: Client, delivered: tuple[WebhookDelivery, str]
) -> None:
    client.force_login(cast.user("personnel_a"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse(PAGE))
    assert response.status_code == 200
    assert 'lang="en"' in response.content.decode()


def test_an_agency_without_webhooks_shows_an_empty_page(cast: Cast, client: Client) -> None:
    client.force_login(cast.user("personnel_a"))
    html = client.get(reverse(PAGE)).content.decode()
    assert "Chưa có đăng ký nào." in html and "Chưa gửi lần nào." in html
