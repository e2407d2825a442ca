from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from thuocdo.core import clock


class IntegrationClient(models.Model):
    """Another system that talks to the API with a bearer token, inside one agency.

    Only a SHA-256 of the secret is stored; the token is shown once, when issued.
    A client with `tasks:write` acts for officials only within `act_for_units` /
    `act_for_people` (see docs/api.md, "Acting for an official").
    """

    class Scope(models.TextChoices):
        ORG_READ = "org:read", _("Đọc cơ cấu tổ chức, cán bộ")
        CATALOGUE_READ = "catalogue:read", _("Đọc danh mục sản phẩm")
        TASKS_READ = "tasks:read", _("Đọc nhiệm vụ")
        TASKS_WRITE = "tasks:write", _("Tạo, cập nhật nhiệm vụ")
        EVALUATIONS_READ = "evaluations:read", _("Đọc kỳ đánh giá, kết quả đánh giá")

    agency = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=150)
    token_prefix = models.CharField(max_length=16, unique=True)
    token_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    # Whom the client may act for (`assigner_code`, `acting_person_code`): people with an
    # assignment in force in one of these units or below them, plus these person codes.
    # Both empty: nobody — a client that only reads. Checked by `client_may_act_for`.
    act_for_units = models.JSONField(default=list, blank=True)
    act_for_people = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "ứng dụng tích hợp"
        verbose_name_plural = "ứng dụng tích hợp"

    def __str__(self) -> str:
        return self.name


class IdempotencyRecord(models.Model):
    """The first answer to a create with an Idempotency-Key, replayed on a retry."""

    client = models.ForeignKey(IntegrationClient, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    request_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "key"], name="idempotency_key_per_client")
        ]

    def __str__(self) -> str:
        return f"{self.client_id}:{self.key}"


class WebhookSubscription(models.Model):
    """An integration client's receiver of events (docs/webhooks.md).

    The secret signs every delivery (HMAC-SHA256), so it is kept as written; it is shown
    once, when the subscription is made. Events reach it only while both the
    subscription and its client are active and the client holds the scope that reads
    the event's object.
    """

    class Event(models.TextChoices):
        TASK_ASSIGNED = "task.assigned", _("Nhiệm vụ được giao")
        TASK_ACCEPTED = "task.accepted", _("Nhiệm vụ được nghiệm thu")
        TASK_RETURNED = "task.returned", _("Nhiệm vụ bị trả lại vì lỗi lớn")
        PERIOD_STATE_CHANGED = "period.state_changed", _("Kỳ đánh giá chuyển bước")
        RESULTS_PUBLISHED = "results.published", _("Kết quả đánh giá được thông báo")

    client = models.ForeignKey(
        IntegrationClient, on_delete=models.CASCADE, related_name="webhook_subscriptions"
    )
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list)
    secret = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = "đăng ký webhook"
        verbose_name_plural = "đăng ký webhook"

    def __str__(self) -> str:
        return f"{self.client} → {self.url}"


class WebhookDelivery(models.Model):
    """One event for one subscription, and every attempt to send it.

    Written in the transaction of the change the event tells of; the sender claims due
    rows (`state` pending or failed, `next_attempt_at` passed), posts them and writes the
    outcome. `round_attempts` counts the attempts since the row was made or last sent
    again by hand: it picks the next back-off. `log` keeps the last attempts.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Chờ gửi")
        DELIVERED = "delivered", _("Đã gửi được")
        FAILED = "failed", _("Lỗi, sẽ thử lại")
        GIVEN_UP = "given_up", _("Đã ngừng thử")

    DUE_STATES = (State.PENDING, State.FAILED)

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event = models.CharField(max_length=40)
    event_id = models.UUIDField()  # the same for every subscription told of one event
    payload = models.JSONField()
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    round_attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    log = models.JSONField(default=list, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # the sender's question: which rows are due?
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state__in=["pending", "failed"]),
                name="webhook_delivery_due",
            ),
            # the page's: the latest deliveries of a subscription
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_recent"),
        ]
        verbose_name = "lần gửi webhook"
        verbose_name_plural = "lần gửi webhook"

    def __str__(self) -> str:
        return f"{self.event} {self.uid}"
