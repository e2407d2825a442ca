from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
