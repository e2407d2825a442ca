from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models

from thuocdo.core import clock


class AppendOnlyError(RuntimeError):
    pass


class AuditQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Nhật ký chỉ được ghi thêm, không được sửa.")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("Nhật ký chỉ được ghi thêm, không được xoá.")


class AuditEntry(models.Model):
    """One recorded write. Rows are only ever inserted (PostgreSQL enforces it too)."""

    at = models.DateTimeField(default=clock.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(max_length=200, blank=True)
    agency = models.ForeignKey(
        "org.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=300, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)
    channel = models.CharField(max_length=60)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    path = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=32, blank=True)
    # The chain (thuocdo.audit.chain): the predecessor's hash, and this entry's.
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    hash = models.CharField(max_length=64, blank=True, editable=False)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["agency", "-at"]),
            models.Index(fields=["object_type", "object_id"]),
        ]
        verbose_name = "mục nhật ký"
        verbose_name_plural = "nhật ký"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("Nhật ký chỉ được ghi thêm, không được sửa.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Nhật ký chỉ được ghi thêm, không được xoá.")


class AuditChainHead(models.Model):
    """Where one audit chain ends: locked by every append, so appends never fork it."""

    chain = models.BigIntegerField(primary_key=True)  # the agency's id; 0 for no agency
    last_hash = models.CharField(max_length=64)
    length = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "đầu chuỗi nhật ký"
        verbose_name_plural = "đầu chuỗi nhật ký"

    def __str__(self) -> str:
        return f"chuỗi {self.chain}: {self.length} mục"
