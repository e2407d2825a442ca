"""Product catalogues, work plans, tasks and their history (Decree 335, art. 13–18).

Rules live in `services.py` and `transitions.py`; the tables hold what must never be
broken whatever the caller: positive coefficients, complexity groups 1–5, one plan per
unit and year, done ≤ assigned, exemptions ≤ what they exempt.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from thuocdo.core import clock
from thuocdo.core.text import fold
from thuocdo.org.models import JobPosition, Person, Unit

# --- product catalogue (art. 13) -------------------------------------------------------------


class ProductCatalogue(models.Model):
    """An agency's conversion catalogue, agency-wide or for one job position."""

    agency = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="product_catalogues")
    job_position = models.ForeignKey(
        JobPosition, null=True, blank=True, on_delete=models.PROTECT, related_name="catalogues"
    )
    name = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agency_id", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency"],
                condition=Q(job_position__isnull=True),
                name="one_agency_wide_catalogue",
            ),
            models.UniqueConstraint(
                fields=["agency", "job_position"], name="one_catalogue_per_job_position"
            ),
        ]
        verbose_name = "danh mục sản phẩm"
        verbose_name_plural = "danh mục sản phẩm"

    def __str__(self) -> str:
        return self.name


class CatalogueVersion(models.Model):
    """One version of a catalogue. Proposed → standardised → decided; decided is frozen."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Đề xuất")
        STANDARDISED = "standardised", _("Đã chuẩn hoá")
        DECIDED = "decided", _("Đã quyết định")

    catalogue = models.ForeignKey(
        ProductCatalogue, on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROPOSED)
    note = models.TextField(blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(default=clock.now)
    standardised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    standardised_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["catalogue_id", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["catalogue", "number"], name="catalogue_version_number_unique"
            ),
            models.CheckConstraint(
                condition=~Q(status="decided") | Q(decided_at__isnull=False),
                name="decided_version_has_decision_time",
            ),
        ]
        verbose_name = "phiên bản danh mục"
        verbose_name_plural = "phiên bản danh mục"

    def __str__(self) -> str:
        return f"{self.catalogue} — v{self.number}"


class ProductType(models.Model):
    """A product or piece of work with its conversion to the standard product."""

    version = models.ForeignKey(
        CatalogueVersion, on_delete=models.PROTECT, related_name="product_types"
    )
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=255)
    unit_of_measure = models.CharField(max_length=60)
    coefficient = models.DecimalField(max_digits=10, decimal_places=4)
    complexity_group = models.PositiveSmallIntegerField()
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["version_id", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="product_code_unique"),
            models.CheckConstraint(
                condition=Q(coefficient__gt=0), name="product_coefficient_positive"
            ),
            models.CheckConstraint(
                condition=Q(complexity_group__gte=1, complexity_group__lte=5),
                name="product_complexity_group_1_to_5",
            ),
        ]
        verbose_name = "loại sản phẩm"
        verbose_name_plural = "loại sản phẩm"

    def __str__(self) -> str:
        return f"{self.name} (×{self.coefficient})"


# --- plans ------------------------------------------------------------------------------------


class Plan(models.Model):
    """A unit's work plan for a year."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="plans")
    year = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=255)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["unit_id", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "year"], name="one_plan_per_unit_year"),
            models.CheckConstraint(
                condition=Q(year__gte=2000, year__lte=2100), name="plan_year_sane"
            ),
        ]
        verbose_name = "kế hoạch công tác"
        verbose_name_plural = "kế hoạch công tác"

    def __str__(self) -> str:
        return f"{self.title} ({self.year})"


class PlanItem(models.Model):
    """One line of a plan, due in a month or a quarter of the plan's year."""

    class Frequency(models.TextChoices):
        MONTH = "month", _("Tháng")
        QUARTER = "quarter", _("Quý")

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="items")
    title = models.CharField(max_length=255)
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    period_number = models.PositiveSmallIntegerField()  # month 1–12 or quarter 1–4
    product_type = models.ForeignKey(
        ProductType, null=True, blank=True, on_delete=models.PROTECT, related_name="plan_items"
    )
    target_quantity = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["plan_id", "sort_order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(frequency="month", period_number__gte=1, period_number__lte=12)
                | Q(frequency="quarter", period_number__gte=1, period_number__lte=4),
                name="plan_item_period_in_range",
            ),
            models.CheckConstraint(
                condition=Q(target_quantity__isnull=True) | Q(target_quantity__gt=0),
                name="plan_item_target_positive",
            ),
        ]
        verbose_name = "nội dung kế hoạch"
        verbose_name_plural = "nội dung kế hoạch"

    def __str__(self) -> str:
        return self.title


# --- tasks ------------------------------------------------------------------------------------


class Task(models.Model):
    """A piece of assigned work and its product. Counters feed the SQL aggregation.

    `coefficient` and `unit_of_measure` are copied from the product type when assigned, so
    a later catalogue version never rewrites a past period. `failures`/`delays` count every
    major-error return and every delay; `exempt_*` count the approved exemptions.
    """

    class Kind(models.TextChoices):
        PLANNED = "planned", _("Nhiệm vụ theo kế hoạch")
        ARISING = "arising", _("Nhiệm vụ phát sinh")
        OTHER = "other", _("Nhiệm vụ khác được giao")

    class Extra(models.TextChoices):
        NONE = "", _("Không")
        TAKEN_OVER = "taken_over", _("Nhận thay đồng nghiệp")
        OUTSIDE_PLAN = "outside_plan", _("Làm thêm ngoài kế hoạch")

    class State(models.TextChoices):
        ASSIGNED = "assigned", _("Đã giao")
        IN_PROGRESS = "in_progress", _("Đang thực hiện")
        SUBMITTED = "submitted", _("Đã nộp sản phẩm")
        RETURNED = "returned", _("Bị trả lại (lỗi lớn)")
        RESUBMITTED = "resubmitted", _("Đã nộp lại")
        ACCEPTED = "accepted", _("Đã nghiệm thu")
        HANDED_BACK = "handed_back", _("Trả lại nhiệm vụ")
        CANCELLED = "cancelled", _("Đã huỷ")

    agency = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="tasks")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    extra = models.CharField(max_length=20, choices=Extra.choices, blank=True, default="")
    taken_over_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="taken_over_by"
    )
    title = models.CharField(max_length=500)
    # The title folded (no accents, lower case) for the header search: set by `save()`,
    # and by whoever bulk-creates tasks.
    search_title = models.CharField(max_length=500, blank=True, editable=False)
    description = models.TextField(blank=True)
    assigner = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="assigned_tasks")
    owner = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="tasks")
    collaborators = models.ManyToManyField(Person, blank=True, related_name="collaborations")
    plan_item = models.ForeignKey(
        PlanItem, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks"
    )
    product_type = models.ForeignKey(
        ProductType, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks"
    )
    unit_of_measure = models.CharField(max_length=60, blank=True)
    quantity = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal(1))
    coefficient = models.DecimalField(max_digits=10, decimal_places=4, default=Decimal(1))
    done_quantity = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    deadline = models.DateField()
    effective_deadline = models.DateField()
    state = models.CharField(max_length=20, choices=State.choices, default=State.ASSIGNED)
    assigned_on = models.DateField()
    completed_on = models.DateField(null=True, blank=True)
    closed_reason = models.TextField(blank=True)
    failures = models.PositiveSmallIntegerField(default=0)
    exempt_failures = models.PositiveSmallIntegerField(default=0)
    delays = models.PositiveSmallIntegerField(default=0)
    exempt_delays = models.PositiveSmallIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    # The task's id in the system it was imported from (Excel), unique within the agency.
    external_ref = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001 (NULL: not imported; unique only when set)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["effective_deadline", "id"]
        indexes = [
            models.Index(fields=["owner", "effective_deadline"]),
            models.Index(fields=["owner", "completed_on"]),
            # a unit's work in a month, and what is overdue (the unit dashboard)
            models.Index(fields=["unit", "effective_deadline"], name="task_unit_deadline"),
            models.Index(fields=["unit", "completed_on"], name="task_unit_completed"),
            models.Index(fields=["agency", "state"]),
            # open work only (a small share of all tasks): the oldest overdue first, and a
            # unit's open, overdue, due-this-week and waiting counts without reading the rest
            models.Index(
                fields=["effective_deadline", "id"],
                condition=Q(state__in=["assigned", "in_progress", "returned"]),
                name="task_pending_deadline",
            ),
            models.Index(
                fields=["unit", "state", "effective_deadline"],
                condition=Q(
                    state__in=["assigned", "in_progress", "returned", "submitted", "resubmitted"]
                ),
                name="task_open_unit",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "external_ref"],
                condition=Q(external_ref__isnull=False),
                name="task_external_ref_unique_in_agency",
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="task_quantity_positive"),
            models.CheckConstraint(
                condition=Q(coefficient__gt=0), name="task_coefficient_positive"
            ),
            models.CheckConstraint(
                condition=Q(done_quantity__isnull=True)
                | Q(done_quantity__gte=0, done_quantity__lte=F("quantity")),
                name="task_done_within_quantity",
            ),
            models.CheckConstraint(
                condition=~Q(kind="planned") | Q(plan_item__isnull=False),
                name="planned_task_has_plan_item",
            ),
            models.CheckConstraint(
                condition=Q(effective_deadline__gte=F("deadline")),
                name="task_extensions_only_move_later",
            ),
            models.CheckConstraint(
                condition=Q(exempt_failures__lte=F("failures")) & Q(exempt_delays__lte=F("delays")),
                name="task_exemptions_within_counts",
            ),
            models.CheckConstraint(
                condition=~Q(state="accepted")
                | Q(done_quantity__isnull=False, completed_on__isnull=False),
                name="accepted_task_has_done_and_date",
            ),
        ]
        verbose_name = "nhiệm vụ"
        verbose_name_plural = "nhiệm vụ"

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_title = fold(self.title)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "title" in update_fields:
            kwargs["update_fields"] = {*update_fields, "search_title"}
        super().save(*args, **kwargs)

    @property
    def w(self) -> Decimal:
        """Converted assigned volume; extra work adds nothing to Σw (art. 18(1)(d))."""
        return Decimal(0) if self.extra else self.quantity * self.coefficient


class TaskEvent(models.Model):
    """One state change or recorded fact of a task, for its history page.

    `failure` and `delays` say what this event added to the task's counters, so an
    exemption can point at the exact return or late submission it excuses.
    """

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(default=clock.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=30)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    reason = models.TextField(blank=True)
    failure = models.BooleanField(default=False)
    delays = models.PositiveSmallIntegerField(default=0)
    task_version = models.PositiveIntegerField()

    class Meta:
        ordering = ["task_id", "at", "id"]
        verbose_name = "diễn biến nhiệm vụ"
        verbose_name_plural = "diễn biến nhiệm vụ"

    def __str__(self) -> str:
        return f"{self.task_id}: {self.action} {self.from_state}→{self.to_state}"


class Extension(models.Model):
    """A deadline extension (gia hạn): it moves the task's effective deadline."""

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="extensions")
    previous_deadline = models.DateField()
    new_deadline = models.DateField()
    reason = models.TextField()
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["task_id", "granted_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(new_deadline__gt=F("previous_deadline")),
                name="extension_moves_deadline_later",
            ),
        ]
        verbose_name = "gia hạn"
        verbose_name_plural = "gia hạn"

    def __str__(self) -> str:
        return f"{self.task_id}: {self.previous_deadline} → {self.new_deadline}"


class Exemption(models.Model):
    """A request to excuse one failure or one late submission for an objective cause."""

    class Subject(models.TextChoices):
        FAILURE = "failure", _("Lỗi lớn về nội dung")
        DELAY = "delay", _("Chậm tiến độ")

    class Status(models.TextChoices):
        PENDING = "pending", _("Chờ xem xét")
        APPROVED = "approved", _("Được miễn trừ")
        REFUSED = "refused", _("Không chấp thuận")

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="exemptions")
    event = models.ForeignKey(TaskEvent, on_delete=models.PROTECT, related_name="exemptions")
    subject = models.CharField(max_length=10, choices=Subject.choices)
    reason = models.TextField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=clock.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["task_id", "requested_at", "id"]
        constraints = [
            # A refused request may be followed by a new one; never two live ones.
            models.UniqueConstraint(
                fields=["event"],
                condition=Q(status__in=["pending", "approved"]),
                name="one_live_exemption_per_event",
            ),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(decided_at__isnull=False),
                name="decided_exemption_has_time",
            ),
        ]
        verbose_name = "miễn trừ"
        verbose_name_plural = "miễn trừ"

    def __str__(self) -> str:
        return f"{self.task_id}: {self.subject} ({self.status})"


class Explanation(models.Model):
    """The owner's explanation (giải trình) about a task, e.g. for a delay or a return."""

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="explanations")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["task_id", "at", "id"]
        verbose_name = "giải trình"
        verbose_name_plural = "giải trình"

    def __str__(self) -> str:
        return f"{self.task_id}: {self.text[:40]}"


# --- live points kept for the dashboards -----------------------------------------------------


class LiveStamp(models.Model):
    """A token that changes in the same transaction as every write to a person's tasks.

    `LiveMonth` rows carry the token they were computed under; a row whose token is not the
    person's current one is stale (see `work.live`). A cache of derived numbers, not a
    record: the task writes themselves are audited.
    """

    person = models.OneToOneField(
        Person, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    token = models.CharField(max_length=32)

    class Meta:
        verbose_name = "dấu thay đổi công việc"
        verbose_name_plural = "dấu thay đổi công việc"

    def __str__(self) -> str:
        return f"{self.person_id}: {self.token}"


class LiveMonth(models.Model):
    """One person's running task points for one month, as the dashboards show them.

    Derived from the tasks by `work.live` and refreshed there when stale: another token (a
    task or a post of the person changed), another counting day (`as_of`, which moves
    daily in the open month) or another framework. `role` is the one in force on `as_of`;
    `a`, `b`, `c` are exact ratios ("n/d"), blank when not scored.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # its first day
    token = models.CharField(max_length=32, blank=True)
    as_of = models.DateField()
    role = models.CharField(max_length=20)
    framework = models.CharField(max_length=120)
    counted = models.PositiveIntegerField(default=0)
    a = models.CharField(max_length=80, blank=True)
    b = models.CharField(max_length=80, blank=True)
    c = models.CharField(max_length=80, blank=True)
    points = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    reason_vi = models.TextField(blank=True)
    reason_en = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "month"], name="live_month_unique"),
        ]
        verbose_name = "điểm tạm tính theo tháng"
        verbose_name_plural = "điểm tạm tính theo tháng"

    def __str__(self) -> str:
        return f"{self.person_id} {self.month:%m/%Y}: {self.points}"


class TaskFacts(models.Model):
    """The tasks of one person and month summed per group of what Art. 14 weighs alike:
    kind, extra work or not, counted failures `f` and delays `lt` (docs/work.md, "Kept
    task facts").

    Kept by the database itself: triggers on `work_task` (migration `work.0006`) add each
    written task's contribution and take away the one it had, in the same statement, so
    every write path (services, bulk inserts, COPY, `QuerySet.update`, deletes) keeps it
    right and reading a month's facts costs a few rows per person, not one per task.
    An accepted task counts in the month of `completed_on` (`pending` false, `due` that
    month's first day); an open one in the month of its `effective_deadline` (`pending`
    true, `due` that day, so a reading as of a day leaves later deadlines out); a
    cancelled one nowhere. Rows whose count falls to 0 are deleted.
    """

    owner = models.ForeignKey(
        Person, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    month = models.DateField()  # its first day
    pending = models.BooleanField()
    due = models.DateField()
    kind = models.CharField(max_length=20)
    extra = models.BooleanField()
    f = models.IntegerField()
    lt = models.IntegerField()
    w = models.DecimalField(max_digits=28, decimal_places=6)
    done = models.DecimalField(max_digits=28, decimal_places=6)
    n = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "month", "pending", "due", "kind", "extra", "f", "lt"],
                name="task_facts_unique",
            ),
        ]
        verbose_name = "số liệu nhiệm vụ theo tháng"
        verbose_name_plural = "số liệu nhiệm vụ theo tháng"

    def __str__(self) -> str:
        return f"{self.owner_id} {self.month:%m/%Y} {self.kind}: {self.n}"


class UnitMonth(models.Model):
    """One unit's totals for one month, as the agency dashboard shows them: its members
    (main posts held on `as_of`), the live task points of those kept fresh, and its work
    counts (docs/dashboards.md, "Per-unit totals").

    Computed set-based for a whole agency by the live refresh job (`work.board.compute`),
    after it has warmed the kept person rows, so a page reads a row per unit whatever the
    headcount below it and says when they were computed (`computed_at`). A cache of
    derived numbers, not a record: not audited, and safe to delete.
    """

    agency = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # its first day
    as_of = models.DateField()  # the counting day: today in the open month, else its last
    computed_at = models.DateTimeField()
    headcount = models.PositiveIntegerField(default=0)
    staff = models.PositiveIntegerField(default=0)  # members without a leading role
    people = models.PositiveIntegerField(default=0)  # members with a fresh kept row
    scored = models.PositiveIntegerField(default=0)  # of which with points
    hundredths = models.BigIntegerField(default=0)  # Σ points × 100 of the scored, exact
    planned_due = models.PositiveIntegerField(default=0)
    planned_accepted = models.PositiveIntegerField(default=0)
    counted = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    returned = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0)
    by_kind = models.JSONField(default=dict)  # {task kind: counted}

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "month"], name="unit_month_unique"),
        ]
        indexes = [models.Index(fields=["agency", "month"], name="unit_month_agency")]
        verbose_name = "số liệu đơn vị theo tháng"
        verbose_name_plural = "số liệu đơn vị theo tháng"

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month:%m/%Y}: {self.scored}/{self.headcount}"
