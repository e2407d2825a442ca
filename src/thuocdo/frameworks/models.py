"""Stored KPI framework versions: validated by the scoring engine, immutable once used.

A score records the framework version it was computed with; years later the same document
must give the same points. So once a version is used (``first_used_at``), its document,
content hash and version label never change: the services refuse, ``save`` refuses, a
queryset ``update`` refuses, and a database trigger refuses (migration 0002).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from thuocdo.core.errors import Conflict

IMMUTABLE_FIELDS = ("document", "content_hash", "version")


def _immutable_refused() -> Conflict:
    return Conflict(
        "Phiên bản khung đã được dùng để chấm điểm: không được sửa nội dung, mã băm, "
        "phiên bản hay bỏ dấu đã dùng; hãy tạo phiên bản mới.",
        "This framework version has been used for scoring: its document, content hash and "
        "version cannot change and it cannot be marked unused; create a new version.",
        field="document",
    )


class FrameworkVersionQuerySet(models.QuerySet["FrameworkVersion"]):
    def update(self, **kwargs: Any) -> int:
        # Bulk updates bypass save(); refuse them for used rows as save() does.
        touched = set(kwargs) & {*IMMUTABLE_FIELDS, "first_used_at"}
        if touched and self.filter(first_used_at__isnull=False).exists():
            raise _immutable_refused()
        return super().update(**kwargs)


class FrameworkVersion(models.Model):
    """One version of a KPI framework (the engine's canonical JSON), national or an agency's."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Bản nháp")
        PUBLISHED = "published", _("Đã ban hành")
        RETIRED = "retired", _("Ngừng áp dụng")

    agency = models.ForeignKey(
        "org.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Cơ quan sở hữu; để trống là khung mẫu quốc gia.",
    )
    key = models.CharField(max_length=120, help_text="Mã khung, ví dụ decree-335-2025.")
    version = models.CharField(max_length=60)
    title = models.CharField(max_length=255, blank=True)
    content_hash = models.CharField(max_length=80)
    document = models.JSONField(help_text="JSON chuẩn tắc của khung (Framework.to_data()).")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    valid_from = models.DateField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    first_used_at = models.DateTimeField(null=True, blank=True)
    # Counts the draft's edits (and its adoption): a page posts the revision it showed, and
    # a stale post is refused (the drafting services' `expected_revision`).
    revision = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FrameworkVersionQuerySet.as_manager()

    class Meta:
        ordering = ["key", "-valid_from", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "key", "version"], name="framework_version_unique_in_agency"
            ),
            # NULLs are distinct in a unique index: national presets need their own.
            models.UniqueConstraint(
                fields=["key", "version"],
                condition=Q(agency__isnull=True),
                name="framework_version_unique_national",
            ),
            models.UniqueConstraint(
                fields=["agency", "key", "content_hash"], name="framework_content_unique_in_agency"
            ),
            models.UniqueConstraint(
                fields=["key", "content_hash"],
                condition=Q(agency__isnull=True),
                name="framework_content_unique_national",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published", "retired"]),
                name="framework_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="draft")
                | Q(published_at__isnull=False, valid_from__isnull=False),
                name="framework_published_has_date",
            ),
            models.CheckConstraint(
                condition=Q(first_used_at__isnull=True) | ~Q(status="draft"),
                name="framework_draft_never_used",
            ),
        ]
        indexes = [models.Index(fields=["key", "status", "valid_from"])]
        verbose_name = "phiên bản khung KPIs"
        verbose_name_plural = "phiên bản khung KPIs"

    def __str__(self) -> str:
        return f"{self.key} {self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            stored = (
                type(self)
                .objects.filter(pk=self.pk)
                .values("first_used_at", *IMMUTABLE_FIELDS)
                .first()
            )
            if (
                stored is not None
                and stored["first_used_at"] is not None
                and (
                    self.first_used_at is None
                    or any(getattr(self, name) != stored[name] for name in IMMUTABLE_FIELDS)
                )
            ):
                raise _immutable_refused()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self.first_used_at is not None:
            raise _immutable_refused()
        return super().delete(*args, **kwargs)

    @property
    def is_used(self) -> bool:
        return self.first_used_at is not None


class CriteriaSet(models.Model):
    """A criteria set (bộ tiêu chí) for one job position, derived from a framework version
    of the agency (Decree 335: each unit builds its criteria sets per job position).

    The personnel office keeps the agency-wide set of a position (``unit`` empty); a unit's
    head may tune it for the unit (``unit`` set), always within what the framework allows
    (`thuocdo.scoring.derive_criteria_set`: weights inside their ranges, additions only in
    groups that take them, required criteria kept). What is stored is the tuning itself;
    the derived document is validated on every save and becomes a stored, immutable
    `FrameworkVersion` only when an evaluation first uses it.
    """

    agency = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    base = models.ForeignKey(
        FrameworkVersion, on_delete=models.CASCADE, related_name="criteria_sets"
    )
    job_position = models.ForeignKey(
        "org.JobPosition", on_delete=models.PROTECT, related_name="criteria_sets"
    )
    unit = models.ForeignKey(
        "org.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Đơn vị tự điều chỉnh; để trống là bộ chung của cơ quan.",
    )
    # {criterion key: weight as text}, [criterion key], [{parent, criterion}]
    weights = models.JSONField(default=dict, blank=True)
    removed = models.JSONField(default=list, blank=True)
    added = models.JSONField(default=list, blank=True)
    revision = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["base_id", "job_position_id", "unit_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["base", "job_position", "unit"], name="criteria_set_unique_per_unit"
            ),
            # NULLs are distinct in a unique index: the agency-wide set needs its own.
            models.UniqueConstraint(
                fields=["base", "job_position"],
                condition=Q(unit__isnull=True),
                name="criteria_set_unique_agency_wide",
            ),
        ]
        verbose_name = "bộ tiêu chí theo vị trí việc làm"
        verbose_name_plural = "bộ tiêu chí theo vị trí việc làm"

    def __str__(self) -> str:
        return f"{self.base} / {self.job_position_id} / {self.unit_id or '*'}"

    def spec(self) -> dict[str, Any]:
        """The tuning as `derive_criteria_set` reads it (without the names it adds)."""
        return {
            "weights": dict(self.weights),
            "remove": list(self.removed),
            "add": list(self.added),
        }
