"""Evaluation periods, per-person and per-unit evaluations, decisions, complaints.

Invariants the database keeps: one period per (agency, kind, year, number); one evaluation
per (period, person); one unit evaluation per (period, unit); one set of minutes per
(period, unit); one score row per (evaluation, criterion); one open complaint per
evaluation. What the workflow allows is in `transitions.py` and checked by `services.py`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from thuocdo.frameworks.models import FrameworkVersion
from thuocdo.org.models import Assignment, JobPosition, Person, Unit

RATING_CHOICES = [
    ("excellent", _("Hoàn thành xuất sắc nhiệm vụ")),
    ("good", _("Hoàn thành tốt nhiệm vụ")),
    ("completed", _("Hoàn thành nhiệm vụ")),
    ("not_completed", _("Không hoàn thành nhiệm vụ")),
]


class Period(models.Model):
    """An evaluation period of an agency: a month, a quarter or the year."""

    class Kind(models.TextChoices):
        MONTH = "month", _("Tháng")
        QUARTER = "quarter", _("Quý")
        YEAR = "year", _("Năm")

    class State(models.TextChoices):
        OPEN = "open", _("Mở kỳ")
        SELF_ASSESSMENT = "self_assessment", _("Tự đánh giá")
        REVIEW = "review", _("Cấp trên trực tiếp nhận xét, đánh giá")
        COLLECTIVE_COMMENTS = "collective_comments", _("Lấy ý kiến tập thể")
        DECISION = "decision", _("Cấp có thẩm quyền quyết định")
        PUBLISHED = "published", _("Đã thông báo")
        LOCKED = "locked", _("Đã khóa")

    class ActingHeadRule(models.TextChoices):
        AS_HEAD = "as_head", _("Như cấp trưởng (toàn đơn vị)")
        AS_DEPUTY = "as_deputy", _("Như cấp phó (lĩnh vực được phân công)")

    agency = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="evaluation_periods")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    year = models.PositiveSmallIntegerField()
    number = models.PositiveSmallIntegerField(default=1)  # month 1–12, quarter 1–4, year 1
    start = models.DateField()
    end = models.DateField()
    state = models.CharField(max_length=24, choices=State.choices, default=State.OPEN)
    framework_key = models.CharField(max_length=120, default="decree-335-2025")
    unit_framework_key = models.CharField(max_length=120, blank=True)
    # Deadlines the office sets for each step (informative: the office moves the period on).
    self_assessment_until = models.DateField(null=True, blank=True)
    review_until = models.DateField(null=True, blank=True)
    collective_until = models.DateField(null=True, blank=True)
    decision_until = models.DateField(null=True, blank=True)
    complaint_days = models.PositiveSmallIntegerField(default=10)
    party_committee_step = models.BooleanField(default=False)
    acting_head_rule = models.CharField(
        max_length=12, choices=ActingHeadRule.choices, default=ActingHeadRule.AS_HEAD
    )
    # {framework KPI key: metric} for unit KPIs computed from work data (see docs).
    unit_kpi_sources = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["agency_id", "-year", "kind", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "kind", "year", "number"], name="one_period_per_agency_slot"
            ),
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="period_dates"),
            models.CheckConstraint(
                condition=Q(kind="month", number__gte=1, number__lte=12)
                | Q(kind="quarter", number__gte=1, number__lte=4)
                | Q(kind="year", number=1),
                name="period_number_in_range",
            ),
            models.CheckConstraint(
                condition=Q(
                    state__in=[
                        "open",
                        "self_assessment",
                        "review",
                        "collective_comments",
                        "decision",
                        "published",
                        "locked",
                    ]
                ),
                name="period_state_valid",
            ),
        ]
        verbose_name = "kỳ đánh giá"
        verbose_name_plural = "kỳ đánh giá"

    def __str__(self) -> str:
        """The name in the page's language."""
        return self.name(get_language() or "vi")

    def name(self, language: str = "vi") -> str:
        """`Tháng 3/2026`, `Quý 2/2026`, `Năm 2026`; in English `Month 3/2026` and so on.
        Text stored for later readers (audit, notifications) asks for "vi" explicitly."""
        english = language.startswith("en")
        if self.kind == self.Kind.YEAR:
            return f"Year {self.year}" if english else f"Năm {self.year}"
        if self.kind == self.Kind.MONTH:
            label = "Month" if english else "Tháng"
        else:
            label = "Quarter" if english else "Quý"
        return f"{label} {self.number}/{self.year}"


class PeriodEvent(models.Model):
    """One step of a period (a transition or a reopen), for its history."""

    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=40)
    from_state = models.CharField(max_length=24)
    to_state = models.CharField(max_length=24)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["period_id", "at", "id"]
        verbose_name = "bước của kỳ đánh giá"
        verbose_name_plural = "bước của kỳ đánh giá"

    def __str__(self) -> str:
        return f"{self.period_id}: {self.from_state} → {self.to_state}"


class Evaluation(models.Model):
    """One person's evaluation in one period.

    `unit`, `role` and `framework` are snapshots taken when the evaluation is made: a later
    transfer or a new framework version never rewrites it. `facts_at_review` and
    `facts_at_decision` keep the task facts (KindFacts as exact fractions) the scores used;
    `result` is the engine's result with its breakdown, frozen at decision.
    """

    class State(models.TextChoices):
        DRAFT = "draft", _("Chưa tự đánh giá")
        SELF_ASSESSED = "self_assessed", _("Đã tự đánh giá")
        REVIEWED = "reviewed", _("Cấp trên đã đánh giá")
        DECIDED = "decided", _("Đã quyết định")
        # Left out of the period (an `Exclusion` says why); never blocks a step
        EXCLUDED = "excluded", _("Không đánh giá kỳ này")

    # The steps in order: reopening sends later ones back (`EXCLUDED` is not a step)
    STEPS = ("draft", "self_assessed", "reviewed", "decided")

    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="evaluations")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="evaluations")
    agency = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="evaluations")
    role = models.CharField(max_length=20, choices=Assignment.Role.choices)
    assigned_fields = models.JSONField(default=list, blank=True)
    job_position = models.ForeignKey(
        JobPosition, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    framework = models.ForeignKey(FrameworkVersion, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT)
    self_comment = models.TextField(blank=True)
    self_evidence = models.TextField(blank=True)
    self_assessed_at = models.DateTimeField(null=True, blank=True)
    # Entered on the official's behalf (the office or the direct manager, with a reason):
    # shown on the page and the form; the official's own entry replaces it.
    self_entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    self_on_behalf_reason = models.TextField(blank=True)
    reviewer = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    review_comment = models.TextField(blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    facts_at_review = models.JSONField(null=True, blank=True)
    facts_at_decision = models.JSONField(null=True, blank=True)
    leader = models.JSONField(default=dict, blank=True)  # d, dd, e: value, source, facts
    proposed = models.JSONField(null=True, blank=True)  # the compiled result before decision
    # When the proposal was compiled: the evaluation's version after it and the owner's
    # task stamp (work.LiveStamp) then. A decision reuses the proposal of an official
    # while both still hold (nothing about them was written since).
    compiled_version = models.PositiveIntegerField(null=True, blank=True)
    compiled_token = models.CharField(max_length=32, blank=True)
    result = models.JSONField(null=True, blank=True)  # the decided result, frozen
    points = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    rating = models.CharField(max_length=20, choices=RATING_CHOICES, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    complaint_until = models.DateField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["period_id", "unit__path", "person__search_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "person"], name="one_evaluation_per_person_period"
            ),
            models.CheckConstraint(
                condition=~Q(state="decided") | Q(decided_at__isnull=False),
                name="decided_evaluation_has_time",
            ),
        ]
        indexes = [models.Index(fields=["person", "state"])]
        verbose_name = "phiếu đánh giá"
        verbose_name_plural = "phiếu đánh giá"

    def __str__(self) -> str:
        return f"{self.person} — {self.period}"

    @property
    def is_leader(self) -> bool:
        return self.role in Assignment.LEADING_ROLES


class Exclusion(models.Model):
    """Why a person is left out of a period (Decree 335 Art. 11 and 19): leave, arrival
    during the period, secondment, or under six months' work in the year. The evaluation
    stays (state `excluded`) with what was entered; lifting the exclusion before the decision
    gives it back its step. The audit log keeps every exclusion and lift."""

    class Reason(models.TextChoices):
        SICK = "sick", _("Nghỉ ốm")
        MATERNITY = "maternity", _("Nghỉ thai sản")
        UNPAID = "unpaid", _("Nghỉ không hưởng lương")
        OTHER_LEAVE = "other_leave", _("Nghỉ khác, không làm việc trong kỳ")
        ARRIVED = "arrived", _("Mới tiếp nhận, tuyển dụng trong kỳ")
        SECONDED = "seconded", _("Được biệt phái, cơ quan nơi đến đánh giá")
        UNDER_SIX_MONTHS = "under_six_months", _("Công tác chưa đủ 6 tháng trong năm")

    # the reasons that are a month of leave: a monthly exclusion records it for the year
    LEAVE_REASONS = {"sick": "sick", "maternity": "maternity", "unpaid": "unpaid",
                     "other_leave": "not_worked"}  # fmt: skip

    evaluation = models.OneToOneField(
        Evaluation, on_delete=models.CASCADE, related_name="exclusion"
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    since = models.DateField(null=True, blank=True)  # arrival, or the start of the leave
    note = models.TextField(blank=True)
    state_before = models.CharField(max_length=20, choices=Evaluation.State.choices)
    wrote_leave_month = models.BooleanField(default=False)  # lifting removes it again
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        verbose_name = "người không đánh giá trong kỳ"
        verbose_name_plural = "người không đánh giá trong kỳ"

    def __str__(self) -> str:
        return f"{self.evaluation_id}: {self.reason}"


class CriterionScore(models.Model):
    """A general criterion: the official's score, the reviewer's (a change needs a reason)."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="scores")
    key = models.CharField(max_length=80)
    self_score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    reviewer_score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    reason = models.TextField(blank=True)
    evidence = models.TextField(blank=True)

    class Meta:
        ordering = ["evaluation_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "key"], name="one_score_per_criterion"),
        ]
        verbose_name = "điểm tiêu chí chung"
        verbose_name_plural = "điểm tiêu chí chung"

    def __str__(self) -> str:
        return f"{self.evaluation_id}: {self.key}"

    @property
    def final(self) -> object:
        return self.reviewer_score if self.reviewer_score is not None else self.self_score


class Override(models.Model):
    """A fact that overrides the rating (Art. 20): discipline, a concluded degradation, …"""

    class Kind(models.TextChoices):
        DISCIPLINE = "discipline", _("Kỷ luật")
        FLAG = "flag", _("Kết luận của cấp có thẩm quyền")

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="overrides")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    value = models.CharField(max_length=60)  # discipline level or flag code
    document_ref = models.CharField(max_length=255)
    reason = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["evaluation_id", "id"]
        verbose_name = "căn cứ hạ xếp loại"
        verbose_name_plural = "căn cứ hạ xếp loại"

    def __str__(self) -> str:
        return f"{self.kind}: {self.value} ({self.document_ref})"


class Minutes(models.Model):
    """The minutes of a unit's meeting for collective comments (lấy ý kiến tập thể)."""

    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="minutes")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    held_on = models.DateField()
    attendees = models.JSONField(default=list)  # person ids present
    total_members = models.PositiveSmallIntegerField()
    approved = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["period", "unit"], name="one_minutes_per_unit_period"),
        ]
        verbose_name = "biên bản lấy ý kiến tập thể"
        verbose_name_plural = "biên bản lấy ý kiến tập thể"

    def __str__(self) -> str:
        return f"Biên bản {self.unit_id} — {self.period_id}"


class PartyComment(models.Model):
    """The same-level Party committee's comments on a leader, when the agency uses the step."""

    evaluation = models.OneToOneField(
        Evaluation, on_delete=models.CASCADE, related_name="party_comment"
    )
    committee = models.CharField(max_length=255)
    text = models.TextField()
    document_ref = models.CharField(max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        verbose_name = "ý kiến của cấp ủy"
        verbose_name_plural = "ý kiến của cấp ủy"

    def __str__(self) -> str:
        return f"{self.committee} — {self.evaluation_id}"


class UnitEvaluation(models.Model):
    """A unit's evaluation in a period: its KPIs, points and rating (Art. 20(6) feeds on it)."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Đang đánh giá")
        DECIDED = "decided", _("Đã quyết định")

    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="unit_evaluations")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="unit_evaluations")
    framework = models.ForeignKey(FrameworkVersion, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    facts = models.JSONField(null=True, blank=True)  # work metrics and task facts used
    # When the framework has no unit part, the authority gives the rating with its basis.
    given_rating = models.CharField(max_length=20, choices=RATING_CHOICES, blank=True)
    given_basis = models.TextField(blank=True)
    result = models.JSONField(null=True, blank=True)
    points = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    rating = models.CharField(max_length=20, choices=RATING_CHOICES, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["period_id", "unit__path"]
        constraints = [
            models.UniqueConstraint(fields=["period", "unit"], name="one_unit_evaluation"),
        ]
        verbose_name = "đánh giá đơn vị"
        verbose_name_plural = "đánh giá đơn vị"

    def __str__(self) -> str:
        return f"{self.unit} — {self.period}"


class UnitKpi(models.Model):
    """One unit KPI: target and actual, computed from work data or entered with evidence."""

    class Source(models.TextChoices):
        ENTERED = "entered", _("Nhập có minh chứng")
        PLAN_COMPLETION = "plan_completion", _("Tỷ lệ hoàn thành kế hoạch")
        ON_TIME = "on_time", _("Tỷ lệ đúng hạn")
        RETURNED = "returned", _("Tỷ lệ sản phẩm bị trả lại vì lỗi")

    unit_evaluation = models.ForeignKey(
        UnitEvaluation, on_delete=models.CASCADE, related_name="kpis"
    )
    key = models.CharField(max_length=80)
    group = models.CharField(max_length=40)  # foundational | functional | specific | …
    label = models.CharField(max_length=255)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.ENTERED)
    target = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    actual = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    exact_actual = models.CharField(max_length=60, blank=True)  # "num/den" when computed
    evidence = models.TextField(blank=True)

    class Meta:
        ordering = ["unit_evaluation_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["unit_evaluation", "key"], name="one_kpi_per_key"),
        ]
        verbose_name = "chỉ số KPI của đơn vị"
        verbose_name_plural = "chỉ số KPI của đơn vị"

    def __str__(self) -> str:
        return self.label


class QuotaGroup(models.Model):
    """A group the quota is checked in (Art. 20(5)): a unit, or officials with similar duties."""

    class Kind(models.TextChoices):
        UNIT = "unit", _("Đơn vị")
        DUTY_GROUP = "duty_group", _("Nhóm có chức trách, nhiệm vụ tương đồng")

    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="quota_groups")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    code = models.CharField(max_length=80)
    name = models.CharField(max_length=255)
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    members = models.ManyToManyField(Evaluation, related_name="quota_groups")
    exception_ratio = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    exception_basis = models.TextField(blank=True)
    decision = models.JSONField(null=True, blank=True)  # distribution, demotions, ties resolved
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["period_id", "kind", "code"]
        constraints = [
            models.UniqueConstraint(fields=["period", "code"], name="quota_group_code_unique"),
        ]
        verbose_name = "nhóm áp tỷ lệ"
        verbose_name_plural = "nhóm áp tỷ lệ"

    def __str__(self) -> str:
        return self.name


class Complaint(models.Model):
    """An official's complaint about a decided rating, and the authority's answer."""

    class State(models.TextChoices):
        OPEN = "open", _("Đang giải quyết")
        ANSWERED = "answered", _("Đã trả lời")

    class Outcome(models.TextChoices):
        KEPT = "kept", _("Giữ nguyên xếp loại")
        CHANGED = "changed", _("Thay đổi xếp loại")

    evaluation = models.ForeignKey(Evaluation, on_delete=models.PROTECT, related_name="complaints")
    filed_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    filed_at = models.DateTimeField()
    answer_due = models.DateField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    answer = models.TextField(blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    new_rating = models.CharField(max_length=20, choices=RATING_CHOICES, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["filed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation"], condition=Q(state="open"), name="one_open_complaint"
            ),
            models.CheckConstraint(
                condition=Q(state="open")
                | Q(answered_at__isnull=False, outcome__in=["kept", "changed"]),
                name="answered_complaint_has_outcome",
            ),
        ]
        verbose_name = "khiếu nại"
        verbose_name_plural = "khiếu nại"

    def __str__(self) -> str:
        return f"Khiếu nại #{self.pk}"


class LeaveMonth(models.Model):
    """A month of leave, for the year roll-up (sick or maternity leave keeps the year rated)."""

    class Status(models.TextChoices):
        SICK = "sick", _("Nghỉ ốm")
        MATERNITY = "maternity", _("Nghỉ thai sản")
        UNPAID = "unpaid", _("Nghỉ không lương")
        NOT_WORKED = "not_worked", _("Không làm việc")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="leave_months")
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices)
    note = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "year", "month"], name="one_leave_per_month"),
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12), name="leave_month_in_range"
            ),
        ]
        verbose_name = "tháng nghỉ"
        verbose_name_plural = "tháng nghỉ"

    def __str__(self) -> str:
        return f"{self.person_id} {self.month}/{self.year}: {self.status}"


class Notification(models.Model):
    """A message to an official in the app (the result, a reopen, a complaint answer)."""

    recipient = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="notifications")
    text = models.TextField()
    text_en = models.TextField(blank=True, default="")  # the same message in English
    link = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]
        verbose_name = "thông báo"
        verbose_name_plural = "thông báo"

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def shown_text(self) -> str:
        """The message in the page's language (older messages have Vietnamese only)."""
        if self.text_en and (get_language() or "vi").startswith("en"):
            return self.text_en
        return self.text


class WhatIfRun(models.Model):
    """A preview of a draft framework over an agency's last decided periods (issue 14):
    what each decided evaluation would have been under the draft, written nowhere else
    (`evaluations.whatif`). One row per run; its lines are `WhatIfLine`."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Đang chờ chạy")
        DONE = "done", _("Đã xong")

    agency = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    framework = models.ForeignKey(FrameworkVersion, on_delete=models.PROTECT, related_name="+")
    periods = models.JSONField(default=list)  # period ids, oldest first
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    # per period: distributions (agency, units) current vs draft, moves, quota demotions,
    # people not comparable and why
    summary = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "lượt xem trước khung mới"
        verbose_name_plural = "lượt xem trước khung mới"

    def __str__(self) -> str:
        return f"Xem trước #{self.pk}: {self.framework}"


class WhatIfLine(models.Model):
    """One decided evaluation seen both ways: as stored (current) and under the draft."""

    class Direction(models.TextChoices):
        UP = "up", _("Lên")
        DOWN = "down", _("Xuống")
        SAME = "same", _("Giữ nguyên")
        NOT_COMPARABLE = "none", _("Không so sánh được")

    run = models.ForeignKey(WhatIfRun, on_delete=models.CASCADE, related_name="lines")
    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="+")
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=20, blank=True)
    current_points = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    current_rating = models.CharField(max_length=20, choices=RATING_CHOICES, blank=True)
    current_demoted = models.BooleanField(default=False)  # demoted by a quota at decision
    draft_points = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    draft_rating = models.CharField(max_length=20, choices=RATING_CHOICES, blank=True)
    draft_demoted = models.BooleanField(default=False)  # the draft's quota would demote
    draft_tie = models.BooleanField(default=False)  # tied at the draft's quota line
    direction = models.CharField(max_length=4, choices=Direction.choices)
    changed = models.BooleanField(default=False)  # the rating differs
    reasons = models.JSONField(default=list, blank=True)  # [{code, vi, en}]
    # compact: the draft's rating by points, its rule changes, mapping notes, a leader's
    # record under the draft (the breakdown itself is rebuilt on demand)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["run_id", "period_id", "id"]
        indexes = [
            models.Index(fields=["run", "changed", "direction"]),
            models.Index(fields=["run", "period", "unit"]),
        ]
        verbose_name = "dòng xem trước khung mới"
        verbose_name_plural = "dòng xem trước khung mới"

    def __str__(self) -> str:
        return f"{self.run_id}: {self.evaluation_id}"
