"""A job's record (what, for whom, how it ended) and uploaded files every worker can read.

The job row is the source of truth for pages; the task row of django-tasks only carries
it to a worker. Progress while a job runs lives in the cache (`jobs.progress`), because
the job's own transaction holds SQLite's single write lock.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from thuocdo.core import clock


class Job(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("Đang chờ")
        RUNNING = "running", _("Đang chạy")
        DONE = "done", _("Hoàn tất")
        FAILED = "failed", _("Không thành công")

    ACTIVE = (State.QUEUED, State.RUNNING)

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=60)
    agency = models.ForeignKey(
        "org.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # What the job works on ("evaluations.period:12"); one active job per target at a time.
    target = models.CharField(max_length=80, blank=True, default="")
    title = models.CharField(max_length=300)
    title_en = models.CharField(max_length=300, blank=True, default="")
    params = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempt = models.PositiveIntegerField(default=1)
    done = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["agency", "kind", "-created_at"]),
            models.Index(fields=["target", "state"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["target"],
                condition=Q(state__in=["queued", "running"]) & ~Q(target=""),
                name="jobs_one_active_job_per_target",
            )
        ]
        verbose_name = "tiến trình nền"
        verbose_name_plural = "tiến trình nền"

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)


class Upload(models.Model):
    """An uploaded file kept in the database until its job has read it, so any worker on
    any machine can read it (not one node's disk)."""

    token = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=255)
    size = models.PositiveIntegerField()
    data = models.BinaryField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        verbose_name = "tệp tải lên"
        verbose_name_plural = "tệp tải lên"

    def __str__(self) -> str:
        return self.name
