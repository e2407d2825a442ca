from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Unit(models.Model):
    """A node of the organisation tree. A root is an agency (cơ quan).

    `path` is the chain of ids from the root ("/1/7/12/") so a subtree is one
    indexed prefix query; `agency` points at the root (a root points at itself).
    """

    class Kind(models.TextChoices):
        AGENCY = "agency", _("Cơ quan")
        DEPARTMENT = "department", _("Vụ, đơn vị")
        OFFICE = "office", _("Phòng")

    agency = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=255)
    name_en = models.CharField(max_length=255, blank=True)
    short_name = models.CharField(max_length=80, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    sort_order = models.PositiveIntegerField(default=0)
    valid_from = models.DateField(default=dt.date(2025, 1, 1))
    valid_to = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "code"], name="unit_code_unique_in_agency"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="unit_valid_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(parent__isnull=True, kind="agency")
                | Q(parent__isnull=False) & ~Q(kind="agency"),
                name="unit_root_is_agency",
            ),
        ]
        verbose_name = "đơn vị"
        verbose_name_plural = "đơn vị"

    def __str__(self) -> str:
        """The name in the page's language (the English name where there is one)."""
        return self.display_name(get_language() or "vi")

    @property
    def is_agency(self) -> bool:
        return self.parent_id is None

    def display_name(self, language: str = "vi") -> str:
        return self.name_en if language.startswith("en") and self.name_en else self.name


class Person(models.Model):
    """A cadre, civil servant, public employee or contract worker."""

    class Category(models.TextChoices):
        CADRE = "can_bo", _("Cán bộ")
        CIVIL_SERVANT = "cong_chuc", _("Công chức")
        PUBLIC_EMPLOYEE = "vien_chuc", _("Viên chức")
        CONTRACT = "nguoi_lao_dong", _("Người lao động")

    class Gender(models.TextChoices):
        FEMALE = "female", _("Nữ")
        MALE = "male", _("Nam")

    agency = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="people")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    code = models.CharField("mã cán bộ", max_length=40)
    full_name = models.CharField(max_length=150)
    search_name = models.CharField(max_length=150, db_index=True, editable=False)
    gender = models.CharField(max_length=10, choices=Gender.choices, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    category = models.CharField(max_length=20, choices=Category.choices)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    # The person's own choice: notifications are always in the app, by e-mail only if on.
    email_notifications = models.BooleanField("nhận thông báo qua e-mail", default=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["search_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "code"], name="person_code_unique_in_agency"),
        ]
        # search matches a code whatever its case (`code__iexact`): with the trigram index
        # on search_name (migration 0003) a rare word is found without reading every person
        indexes = [models.Index(Upper("code"), name="person_code_upper")]
        verbose_name = "cán bộ, công chức"
        verbose_name_plural = "cán bộ, công chức"

    def __str__(self) -> str:
        return self.full_name


class JobPosition(models.Model):
    """A job position (vị trí việc làm) with its description, per unit or agency-wide."""

    agency = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="job_positions")
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="unit_job_positions"
    )
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    is_leadership = models.BooleanField(default=False)
    sort_order = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["agency_id", "sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "code"], name="job_code_unique_in_agency"),
        ]
        verbose_name = "vị trí việc làm"
        verbose_name_plural = "vị trí việc làm"

    def __str__(self) -> str:
        return self.name


class Assignment(models.Model):
    """A person in a unit and job position for a span of dates (end inclusive, open if null).

    History is never rewritten: a move ends one assignment and starts another.
    """

    class Role(models.TextChoices):
        HEAD = "head", _("Cấp trưởng")
        DEPUTY = "deputy", _("Cấp phó")
        ACTING_HEAD = "acting_head", _("Quyền cấp trưởng")
        STAFF = "staff", _("Không giữ chức vụ lãnh đạo")

    LEADING_ROLES = (Role.HEAD, Role.DEPUTY, Role.ACTING_HEAD)

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="assignments")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="assignments")
    job_position = models.ForeignKey(
        JobPosition, null=True, blank=True, on_delete=models.PROTECT, related_name="assignments"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.STAFF)
    title = models.CharField("chức danh", max_length=150, blank=True)
    assigned_fields = models.JSONField(default=list, blank=True)
    is_concurrent = models.BooleanField("kiêm nhiệm", default=False)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["person_id", "-start_date", "-id"]
        indexes = [models.Index(fields=["unit", "end_date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="assignment_dates_ordered",
            ),
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(end_date__isnull=True, is_concurrent=False),
                name="one_open_primary_assignment_per_person",
            ),
            models.UniqueConstraint(
                fields=["unit"],
                condition=Q(end_date__isnull=True, role__in=["head", "acting_head"]),
                name="one_open_head_per_unit",
            ),
        ]
        verbose_name = "phân công công tác"
        verbose_name_plural = "phân công công tác"

    def __str__(self) -> str:
        return f"{self.person} — {self.unit} ({self.get_role_display()})"

    def is_current(self, on: dt.date) -> bool:
        return self.start_date <= on and (self.end_date is None or self.end_date >= on)


class RoleGrant(models.Model):
    """An agency-wide role given to a login: the personnel office or an auditor.

    Unit leadership is not granted here: it follows from head/deputy assignments.
    """

    class Role(models.TextChoices):
        PERSONNEL = "personnel", _("Tổ chức cán bộ")
        AUDITOR = "auditor", _("Thanh tra, kiểm tra")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="role_grants"
    )
    agency = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="role_grants")
    role = models.CharField(max_length=20, choices=Role.choices)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "agency", "role"],
                condition=Q(end_date__isnull=True),
                name="one_open_grant_per_role",
            ),
        ]
        verbose_name = "vai trò"
        verbose_name_plural = "vai trò"

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} ({self.agency})"


class ReminderSent(models.Model):
    """One reminder already sent (a task's deadline, a complaint's answer date), by key,
    so that the daily reminder run tells each person each thing once."""

    key = models.CharField(max_length=120, unique=True)
    sent_at = models.DateTimeField()

    class Meta:
        verbose_name = "lời nhắc đã gửi"
        verbose_name_plural = "lời nhắc đã gửi"

    def __str__(self) -> str:
        return self.key
