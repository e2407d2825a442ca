"""Writes of the evaluation workflow. Each runs in one transaction with its audit entry.

Who does what (checked here, because it is part of the workflow; `thuocdo.access`
mirrors it for pages):
- the official self-assesses their own evaluation and files complaints;
- the direct manager (a head, acting head or deputy of the official's unit or above;
  for a deputy the unit's head or above; for a head a leader of a unit above) reviews;
- the personnel office runs the calendar, compiles, records overrides, Party committee
  comments and quota groups; the unit's leaders or the office record the minutes;
- the authority (head or acting head of the agency) decides units and quota groups,
  publishes, answers complaints and reopens decided periods.

Writes on an evaluation take `expected_version`; a stale one raises Conflict. A decided
evaluation changes only through reopen (or a complaint answer, recorded as such).
`at` exists for imports and tests; interactive callers leave it to the clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import translation

from thuocdo.audit.services import build_entry, record, record_many
from thuocdo.core import clock
from thuocdo.core.bulk import update_rows
from thuocdo.core.errors import (
    AccessDenied,
    Conflict,
    NotFound,
    ThuocDoError,
    ValidationFailed,
)
from thuocdo.core.models import User
from thuocdo.core.numbers import vn_number, vn_percent
from thuocdo.core.text import clean_text
from thuocdo.evaluations import close, notices
from thuocdo.evaluations import transitions as tr
from thuocdo.evaluations.compute import (
    ROLE_RANK,
    check_scale,
    compute_person,
    compute_unit,
    compute_year,
    engine_role,
    general_nodes,
    person_facts,
    unit_kpi_nodes,
)
from thuocdo.evaluations.models import (
    RATING_CHOICES,
    Complaint,
    CriterionScore,
    Evaluation,
    LeaveMonth,
    Minutes,
    Notification,
    Override,
    PartyComment,
    Period,
    PeriodEvent,
    QuotaGroup,
    UnitEvaluation,
    UnitKpi,
)
from thuocdo.evaluations.selectors import facts_to_json, group_members
from thuocdo.frameworks.selectors import engine_framework, framework_for
from thuocdo.frameworks.services import framework_mark_used
from thuocdo.jobs.models import Job
from thuocdo.jobs.services import job_start
from thuocdo.org import managers
from thuocdo.org.models import Assignment, Person, Unit
from thuocdo.org.selectors import current
from thuocdo.scoring import RATINGS, QuotaMember, resolve_quota
from thuocdo.scoring.model import DISCIPLINE_LEVELS
from thuocdo.work import rules
from thuocdo.work.selectors import DateRange

S = Period.State
E = Evaluation.State
YEAR_DEADLINE = (12, 15)  # Art. 19: the year's evaluation is done before 15 December
COMPLAINT_ANSWER_WORKING_DAYS = 7  # Art. 22


def _evaluation_link(pk: int) -> str:
    """The evaluation page (`web:ev_detail`), named so the link follows the URL config."""
    return reverse("web:ev_detail", args=[pk])


# --- small helpers ---------------------------------------------------------------------------


def _now(at: dt.datetime | None) -> dt.datetime:
    return at or clock.now()


def _day(at: dt.datetime) -> dt.date:
    return clock.local_date(at)


def _text(value: str, field: str, label_vi: str, label_en: str) -> str:
    cleaned = clean_text(value or "")
    if not cleaned:
        raise ValidationFailed(f"Thiếu {label_vi}.", f"The {label_en} is missing.", field=field)
    return cleaned


def add_working_days(day: dt.date, days: int) -> dt.date:
    """`days` working days after `day`, Monday to Friday. Public holidays are not modelled."""
    out = day
    while days > 0:
        out += dt.timedelta(days=1)
        if out.weekday() < 5:
            days -= 1
    return out


def _person(actor: User) -> Person | None:
    return Person.objects.filter(user=actor, is_active=True).first()


def _require_office(actor: User, agency: Unit, on: dt.date) -> None:
    if not rules.is_personnel(actor, agency, on):
        raise AccessDenied(
            "Chỉ bộ phận tổ chức cán bộ của cơ quan mới thực hiện bước này.",
            "Only the agency's personnel office takes this step.",
        )


def is_authority(actor: User, agency: Unit, on: dt.date) -> bool:
    person = _person(actor)
    return person is not None and rules.heads_agency(person, agency, on)


def _require_authority(actor: User, agency: Unit, on: dt.date) -> None:
    if not is_authority(actor, agency, on):
        raise AccessDenied(
            "Chỉ người đứng đầu cơ quan (cấp có thẩm quyền) mới thực hiện bước này.",
            "Only the head of the agency (the competent authority) takes this step.",
        )


def is_direct_manager(person: Person | None, ev: Evaluation, on: dt.date) -> bool:
    """Whether `person` manages the evaluated official (`org.managers`, the one rule): a
    leader of the unit or above; a deputy is managed by the unit's head (or above) and a
    head by a leader of a unit above. Never oneself."""
    if person is None or person.pk == ev.person_id:
        return False
    return managers.manages(
        managers.leads_of(person.pk, on),
        unit_id=ev.unit_id,
        unit_path=ev.unit.path,
        role=ev.role,
    )


def leads_unit(person: Person | None, unit: Unit, on: dt.date) -> bool:
    return person is not None and rules.leads(person, unit, on)


def _lock_period(period: Period, expected_version: int | None = None) -> Period:
    # the period row only: its agency unit stays free for task writes (docs/locking.md)
    row = Period.objects.select_for_update(of=("self",)).select_related("agency").get(pk=period.pk)
    if expected_version is not None and row.version != expected_version:
        raise Conflict(
            "Kỳ đánh giá vừa được người khác thay đổi; hãy tải lại trang.",
            "The period was changed by someone else; reload it.",
            field="version",
        )
    return row


def _lock_evaluation(ev: Evaluation, expected_version: int | None = None) -> Evaluation:
    row = (
        Evaluation.objects.select_for_update(of=("self",))
        .select_related("period", "period__agency", "unit", "person", "framework")
        .get(pk=ev.pk)
    )
    if expected_version is not None and row.version != expected_version:
        raise Conflict(
            "Phiếu đánh giá vừa được người khác thay đổi; hãy tải lại trang.",
            "The evaluation was changed by someone else; reload it.",
            field="version",
        )
    return row


def _bump(ev: Evaluation, *fields: str) -> None:
    ev.version += 1
    ev.save(update_fields=[*fields, "version", "updated_at"])


def _notify(
    person: Person, text: str, link: str, at: dt.datetime, text_en: str = ""
) -> Notification:
    return Notification.objects.create(
        recipient=person, text=text, text_en=text_en, link=link, created_at=at
    )


def _rating_en(rating: str | None) -> str:
    with translation.override("en"):
        return _rating_label(rating)


def _event(
    period: Period, action: str, before: str, actor: User, at: dt.datetime, reason: str = ""
) -> None:
    PeriodEvent.objects.create(
        period=period,
        action=action,
        from_state=before,
        to_state=period.state,
        actor=actor,
        reason=reason,
        at=at,
    )


def _rating_label(rating: str | None) -> str:
    from thuocdo.evaluations.models import RATING_CHOICES

    return str(dict(RATING_CHOICES).get(rating or "", "—"))


# --- periods ---------------------------------------------------------------------------------


def _span(kind: str, year: int, number: int) -> DateRange:
    if kind == Period.Kind.MONTH:
        return DateRange.month(year, number)
    if kind == Period.Kind.QUARTER:
        return DateRange.quarter(year, number)
    return DateRange.year(year)


@transaction.atomic
def period_create(
    *,
    actor: User,
    agency: Unit,
    kind: str,
    year: int,
    number: int = 1,
    framework_key: str = "decree-335-2025",
    unit_framework_key: str = "",
    deadlines: Mapping[str, dt.date | None] | None = None,
    complaint_days: int = 10,
    party_committee_step: bool = False,
    acting_head_rule: str = Period.ActingHeadRule.AS_HEAD,
    unit_kpi_sources: Mapping[str, str] | None = None,
    at: dt.datetime | None = None,
) -> Period:
    """The office opens a period. An agency evaluates by months or by quarters in a year,
    not both; the year period's decision deadline defaults to 15 December."""
    now = _now(at)
    _require_office(actor, agency, _day(now))
    if not agency.is_agency:
        raise ValidationFailed(
            "Kỳ đánh giá mở theo cơ quan.", "Periods belong to an agency.", field="agency"
        )
    if kind not in Period.Kind.values:
        raise ValidationFailed(
            f"Loại kỳ “{kind}” không hợp lệ (tháng, quý, năm).",
            f"Unknown period kind {kind!r} (month, quarter, year).",
            field="kind",
        )
    if kind == Period.Kind.YEAR:
        number = 1
    if (
        not (kind == Period.Kind.MONTH and 1 <= number <= 12)
        and not (kind == Period.Kind.QUARTER and 1 <= number <= 4)
        and kind != Period.Kind.YEAR
    ):
        raise ValidationFailed(
            "Số kỳ ngoài phạm vi (tháng 1–12, quý 1–4).",
            "Period number out of range (month 1–12, quarter 1–4).",
            field="number",
        )
    other: dict[str, str] = {
        Period.Kind.MONTH: Period.Kind.QUARTER,
        Period.Kind.QUARTER: Period.Kind.MONTH,
    }
    if kind in other and Period.objects.filter(agency=agency, year=year, kind=other[kind]).exists():
        raise Conflict(
            f"Cơ quan đã đánh giá năm {year} theo "
            f"{'quý' if kind == Period.Kind.MONTH else 'tháng'}: một năm chỉ chọn một cách.",
            f"The agency already evaluates {year} by "
            f"{'quarters' if kind == Period.Kind.MONTH else 'months'}; choose one per year.",
            field="kind",
        )
    if Period.objects.filter(agency=agency, kind=kind, year=year, number=number).exists():
        raise Conflict("Kỳ đánh giá này đã được mở.", "This period already exists.", field="number")
    if acting_head_rule not in Period.ActingHeadRule.values:
        raise ValidationFailed(
            "Quy tắc cho quyền cấp trưởng không hợp lệ.",
            "Unknown acting-head rule.",
            field="acting_head_rule",
        )
    sources = dict(unit_kpi_sources or {})
    bad = [k for k, v in sources.items() if v not in UnitKpi.Source.values]
    if bad:
        raise ValidationFailed(
            f"Nguồn số liệu của chỉ số “{bad[0]}” không hợp lệ.",
            f"Unknown data source for KPI {bad[0]!r}.",
            field="unit_kpi_sources",
        )
    framework_for(agency, framework_key, _span(kind, year, number).end)  # must exist
    span = _span(kind, year, number)
    dl = dict(deadlines or {})
    if kind == Period.Kind.YEAR and dl.get("decision_until") is None:
        dl["decision_until"] = dt.date(year, *YEAR_DEADLINE)
    unknown = set(dl) - {
        "self_assessment_until",
        "review_until",
        "collective_until",
        "decision_until",
    }
    if unknown:
        raise ValidationFailed(
            f"Hạn không hợp lệ: {', '.join(sorted(unknown))}.",
            f"Unknown deadlines: {', '.join(sorted(unknown))}.",
            field="deadlines",
        )
    period = Period.objects.create(
        agency=agency,
        kind=kind,
        year=year,
        number=number,
        start=span.start,
        end=span.end,
        framework_key=framework_key,
        unit_framework_key=unit_framework_key,
        complaint_days=complaint_days,
        party_committee_step=party_committee_step,
        acting_head_rule=acting_head_rule,
        unit_kpi_sources=sources,
        created_by=actor,
        **dl,
    )
    record(
        actor=actor,
        action="evaluations.period.create",
        target=period,
        agency_id=agency.pk,
        after={
            "kind": kind,
            "year": year,
            "number": number,
            "framework_key": framework_key,
            "deadlines": {k: v.isoformat() if v else None for k, v in dl.items()},
            "complaint_days": complaint_days,
            "party_committee_step": party_committee_step,
            "acting_head_rule": acting_head_rule,
        },
    )
    return period


@transaction.atomic
def period_set_deadlines(
    *,
    actor: User,
    period: Period,
    expected_version: int,
    deadlines: Mapping[str, dt.date | None],
    complaint_days: int | None = None,
    at: dt.datetime | None = None,
) -> Period:
    """The office moves the deadlines (not once locked)."""
    now = _now(at)
    row = _lock_period(period, expected_version)
    _require_office(actor, row.agency, _day(now))
    if row.state == S.LOCKED:
        tr.refuse_unless(row, frozenset(), "đổi hạn", "change deadlines")
    allowed = {"self_assessment_until", "review_until", "collective_until", "decision_until"}
    before = {k: getattr(row, k) for k in allowed}
    for key, value in deadlines.items():
        if key not in allowed:
            raise ValidationFailed(
                f"Hạn “{key}” không tồn tại.", f"Unknown deadline {key!r}.", field=key
            )
        setattr(row, key, value)
    if complaint_days is not None:
        row.complaint_days = complaint_days
    row.version += 1
    # the fields it changes: a whole-row save would tell live points the framework moved
    row.save(update_fields=[*sorted(allowed), "complaint_days", "version", "updated_at"])
    record(
        actor=actor,
        action="evaluations.period.deadlines",
        target=row,
        agency_id=row.agency_id,
        before={k: v.isoformat() if v else None for k, v in before.items()},
        after={k: getattr(row, k).isoformat() if getattr(row, k) else None for k in allowed},
    )
    return row


def _guard(period: Period, action: str, on: dt.date) -> None:
    """What must be true before each step."""
    evs = period.evaluations.select_related("person")

    def missing(qs: Any, vi: str, en: str) -> None:
        names = [e.person.full_name for e in qs[:5]]
        count = qs.count()
        if count:
            raise Conflict(
                f"Chưa thể chuyển bước: {count} phiếu {vi} ({', '.join(names)}).",
                f"Cannot move on: {count} evaluation(s) {en} ({', '.join(names)}).",
                field="state",
            )

    if action == "start_review":
        missing(evs.filter(state=E.DRAFT), "chưa tự đánh giá", "not self-assessed")
    elif action == "start_collective":
        missing(
            evs.exclude(state__in=[E.REVIEWED, E.DECIDED]),
            "chưa được cấp trên đánh giá",
            "not reviewed",
        )
    elif action == "start_decision":
        units = set(evs.values_list("unit_id", flat=True))
        approved = set(
            Minutes.objects.filter(period=period, approved=True).values_list("unit_id", flat=True)
        )
        lacking = Unit.objects.filter(pk__in=units - approved).order_by("path")
        if lacking:
            names = ", ".join(u.name for u in lacking[:5])
            raise Conflict(
                f"Chưa có biên bản lấy ý kiến tập thể được thông qua của: {names}.",
                f"No approved minutes of collective comments for: {names}.",
                field="minutes",
            )
        if period.party_committee_step:
            missing(
                evs.filter(role__in=Assignment.LEADING_ROLES, party_comment__isnull=True),
                "lãnh đạo chưa có ý kiến của cấp ủy",
                "of leaders without the Party committee's comments",
            )
    elif action == "publish":
        missing(evs.exclude(state=E.DECIDED), "chưa được quyết định", "not decided")
        open_groups = period.quota_groups.filter(decided_at__isnull=True)
        if open_groups.exists():
            raise Conflict(
                f"Nhóm “{open_groups.first()}” chưa được quyết định.",
                f"Quota group {open_groups.first()} is not decided.",
                field="quota_groups",
            )
        undecided_units = period.unit_evaluations.exclude(state=UnitEvaluation.State.DECIDED)
        if undecided_units.exists():
            raise Conflict(
                f"Đánh giá đơn vị “{undecided_units.first()}” chưa được quyết định.",
                f"The unit evaluation {undecided_units.first()} is not decided.",
                field="unit_evaluations",
            )
    elif action == "lock":
        pending = Complaint.objects.filter(evaluation__period=period, state=Complaint.State.OPEN)
        if pending.exists():
            raise Conflict(
                f"Còn {pending.count()} khiếu nại chưa trả lời: chưa thể khóa kỳ.",
                f"{pending.count()} complaint(s) not answered: the period cannot lock.",
                field="complaints",
            )
        window = evs.filter(complaint_until__gte=on)
        if window.exists():
            last = max(e.complaint_until for e in window if e.complaint_until)
            raise Conflict(
                f"Thời hạn khiếu nại còn đến {last:%d/%m/%Y}: chưa thể khóa kỳ.",
                f"The complaint window runs until {last.isoformat()}: the period cannot lock.",
                field="complaint_until",
            )


# Steps that touch every evaluation of the period: pages run them as jobs.
HEAVY_STEPS = frozenset({"start_self_assessment", "start_decision", "publish"})


def period_target(period: Period) -> str:
    """The job target of a period: one job at a time works on it."""
    return f"evaluations.period:{period.pk}"


def _check_transition(actor: User, row: Period, action: str, day: dt.date) -> str:
    """Everything a step checks before it writes; returns the state it leads to."""
    new_state = tr.target_state(row.state, action)
    if tr.ACTIONS[action].who == "office":
        _require_office(actor, row.agency, day)
    else:
        _require_authority(actor, row.agency, day)
    _guard(row, action, day)
    return new_state


@transaction.atomic
def period_step_queue(
    *, actor: User, period: Period, action: str, expected_version: int, back: str = ""
) -> Job:
    """Checks a step now (rights, state, what must be true) and queues it as a job: the
    page answers at once and the job does the work, all or nothing."""
    row = _lock_period(period, expected_version)
    new_state = _check_transition(actor, row, action, clock.today())
    label_vi = str(dict(Period.State.choices)[new_state])
    with translation.override("en"):
        label_en = str(dict(Period.State.choices)[new_state])
    return job_start(
        actor=actor,
        kind="evaluations.step",
        title_vi=f"{row}: chuyển sang bước “{label_vi}”",
        title_en=f"{row}: move to “{label_en}”",
        agency=row.agency,
        target=period_target(row),
        params={"period": row.pk, "action": action, "version": row.version, "back": back},
    )


@transaction.atomic
def period_job_queue(
    *, actor: User, period: Period, kind: str, back: str = "", **params: Any
) -> Job:
    """Checks rights and state now, then queues compile, decide-all or reopen as a job."""
    row = _lock_period(period, params.get("version"))
    day = clock.today()
    if kind == "evaluations.compile":
        _require_office(actor, row.agency, day)
        tr.refuse_unless(row, tr.DECISION_STATES, "tổng hợp kết quả", "compile")
        title_vi, title_en = "tổng hợp lại kết quả", "compile again"
    elif kind == "evaluations.decide_all":
        _require_authority(actor, row.agency, day)
        tr.refuse_unless(row, tr.DECISION_STATES, "quyết định xếp loại", "decide ratings")
        title_vi, title_en = "quyết định các nhóm", "decide the groups"
    elif kind == "evaluations.reopen":
        _require_reopener(actor, row, day)
        _text(str(params.get("reason", "")), "reason", "lý do mở lại", "reason for reopening")
        tr.reopen_target(row.state, str(params.get("to_state", "")))
        title_vi, title_en = "mở lại kỳ", "reopen"
    else:
        raise ValidationFailed(f"Không có việc “{kind}”.", f"No such job: {kind}.")
    return job_start(
        actor=actor,
        kind=kind,
        title_vi=f"{row}: {title_vi}",
        title_en=f"{row}: {title_en}",
        agency=row.agency,
        target=period_target(row),
        params={"period": row.pk, "back": back, **params},
    )


@transaction.atomic
def period_transition(
    *,
    actor: User,
    period: Period,
    action: str,
    expected_version: int,
    at: dt.datetime | None = None,
    progress: close.Progress | None = None,
) -> Period:
    """Move a period one step along the table in `transitions.py`. The steps that touch
    every evaluation (create, compile, publish) run set-based; pages run them as jobs."""
    now = _now(at)
    day = _day(now)
    row = _lock_period(period, expected_version)
    new_state = _check_transition(actor, row, action, day)
    before = row.state
    row.state = new_state
    row.version += 1
    row.save(update_fields=["state", "version", "updated_at"])
    extra: dict[str, Any] = {}
    if action == "start_self_assessment":
        extra["created"] = _create_evaluations(actor, row, now)
    elif action == "start_decision":
        extra["compiled"] = _compile(actor, row, now, progress)
    elif action == "publish":
        extra["notified"] = _publish(row, now)
    if progress is not None and action != "start_decision":
        progress(1, 1)
    _event(row, action, before, actor, now)
    record(
        actor=actor,
        action=f"evaluations.period.{action}",
        target=row,
        agency_id=row.agency_id,
        before={"state": before},
        after={"state": new_state, **extra},
    )
    return row


def _create_evaluations(actor: User, period: Period, now: dt.datetime) -> int:
    """One evaluation for each person whose main assignment at the period's end is in the
    agency (the new unit rates a transferred official), and one unit evaluation per unit.
    The head of the agency is rated by the superior agency and is left out."""
    version, _fw = framework_for(period.agency, period.framework_key, period.end)
    framework_mark_used(actor=actor, version=version)
    assignments = (
        Assignment.objects.filter(current(period.end), is_concurrent=False)
        .filter(unit__agency_id=period.agency_id)
        .exclude(
            unit_id=period.agency_id,
            role__in=[Assignment.Role.HEAD, Assignment.Role.ACTING_HEAD],
        )
        .exclude(person__evaluations__period=period)
        .select_related("unit")
    )
    evs = Evaluation.objects.bulk_create(
        Evaluation(
            period=period,
            person_id=a.person_id,
            agency_id=period.agency_id,
            unit_id=a.unit_id,
            role=a.role,
            assigned_fields=list(a.assigned_fields or []),
            job_position_id=a.job_position_id,
            framework=version,
        )
        for a in assignments
    )
    entries = [
        build_entry(
            actor=actor,
            action="evaluations.evaluation.create",
            target=ev,
            object_repr=f"#{ev.pk}",
            agency_id=period.agency_id,
            after={"person": ev.person_id, "unit": ev.unit_id, "role": ev.role},
        )
        for ev in Evaluation.objects.filter(period=period)
    ]
    record_many(entries)
    unit_version, unit_fw = framework_for(
        period.agency, period.unit_framework_key or period.framework_key, period.end
    )
    framework_mark_used(actor=actor, version=unit_version)
    units = Unit.objects.filter(agency_id=period.agency_id, parent__isnull=False).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=period.start), valid_from__lte=period.end
    )
    sources = period.unit_kpi_sources or {}
    for unit in units:
        ue, created = UnitEvaluation.objects.get_or_create(
            period=period, unit=unit, defaults={"framework": unit_version}
        )
        if created:
            UnitKpi.objects.bulk_create(
                UnitKpi(
                    unit_evaluation=ue,
                    key=node.key,
                    group=group,
                    label=node.label_vi[:255],
                    source=sources.get(node.key, UnitKpi.Source.ENTERED),
                )
                for group, node in unit_kpi_nodes(unit_fw)
            )
    return len(evs)


@transaction.atomic
def evaluation_create(
    *, actor: User, period: Period, person: Person, at: dt.datetime | None = None
) -> Evaluation:
    """The office adds one evaluation (someone who joined during the period)."""
    now = _now(at)
    period = _lock_period(period)
    _require_office(actor, period.agency, _day(now))
    tr.refuse_unless(
        period, frozenset({S.SELF_ASSESSMENT, S.REVIEW}), "thêm phiếu đánh giá", "add an evaluation"
    )
    home = (
        Assignment.objects.filter(current(period.end), person=person, is_concurrent=False)
        .filter(unit__agency_id=period.agency_id)
        .first()
    )
    if home is None:
        raise ValidationFailed(
            f"{person} không công tác tại cơ quan vào cuối kỳ.",
            f"{person} does not work in the agency at the end of the period.",
            field="person",
        )
    if Evaluation.objects.filter(period=period, person=person).exists():
        raise Conflict(
            f"{person} đã có phiếu đánh giá kỳ này.",
            f"{person} already has an evaluation in this period.",
            field="person",
        )
    version, _fw = framework_for(period.agency, period.framework_key, period.end)
    framework_mark_used(actor=actor, version=version)
    ev = Evaluation.objects.create(
        period=period,
        person=person,
        agency_id=period.agency_id,
        unit_id=home.unit_id,
        role=home.role,
        assigned_fields=list(home.assigned_fields or []),
        job_position_id=home.job_position_id,
        framework=version,
    )
    record(
        actor=actor,
        action="evaluations.evaluation.create",
        target=ev,
        agency_id=period.agency_id,
        after={"person": person.pk, "unit": home.unit_id, "role": home.role},
    )
    return ev


# --- self-assessment and review ----------------------------------------------------------------


@transaction.atomic
def evaluation_self_assess(
    *,
    actor: User,
    evaluation: Evaluation,
    expected_version: int,
    scores: Mapping[str, Any],
    evidence: Mapping[str, str] | None = None,
    comment: str = "",
    evidence_text: str = "",
    on_behalf_reason: str = "",
    at: dt.datetime | None = None,
) -> Evaluation:
    """The official scores every general criterion (with evidence) and comments. Task
    points are not typed: they come from the recorded work (see `selectors`/preview).

    For an official who cannot (leave, illness, secondment), the personnel office or the
    direct manager enters it on their behalf with a reason; the official is told, sees it
    marked as such, and may enter their own while the step lasts."""
    now = _now(at)
    ev = _lock_evaluation(evaluation, expected_version)
    person = _person(actor)
    own = person is not None and person.pk == ev.person_id
    if not own:
        _require_entry_for(actor, person, ev, _day(now))
        on_behalf_reason = _text(
            on_behalf_reason, "on_behalf_reason", "lý do nhập thay", "reason for entering it"
        )
    tr.refuse_unless(ev.period, tr.SELF_ASSESS_STATES, "tự đánh giá", "self-assess")
    if ev.state not in (E.DRAFT, E.SELF_ASSESSED):
        raise Conflict(
            "Phiếu đã được cấp trên đánh giá: không tự đánh giá lại.",
            "The evaluation is already reviewed.",
            field="state",
        )
    evidence = dict(evidence or {})
    values: dict[str, Fraction] = {}
    if ev.period.kind != Period.Kind.YEAR:
        fw = engine_framework(ev.framework)
        nodes = {n.key: n for n in general_nodes(fw, ev.role)}
        unknown = set(scores) - set(nodes)
        if unknown:
            key = sorted(unknown)[0]
            raise ValidationFailed(
                f"Tiêu chí “{key}” không có trong khung.",
                f"Criterion {key!r} is not in the framework.",
                field=f"scores.{key}",
            )
        for key, node in nodes.items():
            if key not in scores or scores[key] in (None, ""):
                raise ValidationFailed(
                    f"Chưa chấm tiêu chí “{node.label_vi}”.",
                    f"“{node.label_en}” is not scored.",
                    field=f"scores.{key}",
                )
            values[key] = check_scale(node, scores[key], f"scores.{key}")
    before = {r.key: str(r.self_score) for r in ev.scores.all()}
    for key, value in values.items():
        CriterionScore.objects.update_or_create(
            evaluation=ev,
            key=key,
            defaults={
                "self_score": Decimal(value.numerator) / Decimal(value.denominator),
                "evidence": clean_text(evidence.get(key, "")),
            },
        )
    ev.self_comment = clean_text(comment)
    ev.self_evidence = clean_text(evidence_text)
    ev.self_assessed_at = now
    ev.state = E.SELF_ASSESSED
    ev.self_entered_by = None if own else actor
    ev.self_on_behalf_reason = "" if own else on_behalf_reason
    _bump(
        ev,
        "self_comment",
        "self_evidence",
        "self_assessed_at",
        "state",
        "self_entered_by",
        "self_on_behalf_reason",
    )
    after: dict[str, Any] = {
        "scores": {k: str(v) for k, v in values.items()},
        "comment": ev.self_comment,
    }
    if not own:
        after["on_behalf_of"] = ev.person.full_name
        name, name_en = ev.period.name("vi"), ev.period.name("en")
        by = person.full_name if person else actor.get_username()
        _notify(
            ev.person,
            f"{by} đã nhập tự đánh giá {name} thay bạn (lý do: {on_behalf_reason}). Bạn có "
            "thể xem và tự đánh giá lại cho đến khi chuyển sang bước cấp trên đánh giá.",
            _evaluation_link(ev.pk),
            now,
            f"{by} entered your self-assessment for {name_en} on your behalf (reason: "
            f"{on_behalf_reason}). You may see it and enter your own until the review step.",
        )
    record(
        actor=actor,
        action="evaluations.evaluation.self_assess",
        target=ev,
        agency_id=ev.agency_id,
        before={"scores": before} if before else None,
        after=after,
        reason=on_behalf_reason if not own else "",
    )
    return ev


def may_enter_for(actor: User, person: Person | None, ev: Evaluation, on: dt.date) -> bool:
    """Who may enter a self-assessment on an official's behalf: the agency's personnel
    office or the official's direct manager — never for oneself."""
    if person is not None and person.pk == ev.person_id:
        return False
    return rules.is_personnel(actor, ev.period.agency, on) or is_direct_manager(person, ev, on)


def _require_entry_for(actor: User, person: Person | None, ev: Evaluation, on: dt.date) -> None:
    if not may_enter_for(actor, person, ev, on):
        raise AccessDenied(
            "Chỉ người được đánh giá tự đánh giá; bộ phận tổ chức cán bộ hoặc cấp trên trực "
            "tiếp chỉ nhập thay khi người đó không thể tự làm, có nêu lý do.",
            "Only the official self-assesses; the personnel office or the direct manager "
            "may enter it on their behalf, with a reason.",
        )


@transaction.atomic
def evaluation_review(
    *,
    actor: User,
    evaluation: Evaluation,
    expected_version: int,
    scores: Mapping[str, Any] | None = None,
    reasons: Mapping[str, str] | None = None,
    comment: str = "",
    leader: Mapping[str, Mapping[str, Any]] | None = None,
    at: dt.datetime | None = None,
) -> Evaluation:
    """The direct manager confirms or changes each general criterion (a change needs a
    reason) and, for a leader, may set d, đ or e (100% or 50%, with a reason) or record
    prolonged complaints about internal conflict (e). Task facts are snapshotted."""
    now = _now(at)
    ev = _lock_evaluation(evaluation, expected_version)
    if not is_direct_manager(_person(actor), ev, _day(now)):
        raise AccessDenied(
            "Chỉ cấp trên trực tiếp của người được đánh giá mới nhận xét, đánh giá.",
            "Only the official's direct manager reviews the evaluation.",
        )
    tr.refuse_unless(ev.period, tr.REVIEW_STATES, "nhận xét, đánh giá", "review")
    if ev.state not in (E.SELF_ASSESSED, E.REVIEWED):
        raise Conflict(
            "Người được đánh giá chưa tự đánh giá.",
            "The official has not self-assessed yet.",
            field="state",
        )
    scores = dict(scores or {})
    reasons = dict(reasons or {})
    fw = engine_framework(ev.framework)
    nodes = (
        {n.key: n for n in general_nodes(fw, ev.role)} if ev.period.kind != Period.Kind.YEAR else {}
    )
    rows = {r.key: r for r in ev.scores.all()}
    changes: dict[str, Any] = {}
    for key, value in scores.items():
        node = nodes.get(key)
        if node is None or key not in rows:
            raise ValidationFailed(
                f"Tiêu chí “{key}” không có trong phiếu.",
                f"Criterion {key!r} is not on this evaluation.",
                field=f"scores.{key}",
            )
        number = check_scale(node, value, f"scores.{key}")
        row = rows[key]
        decimal_value = Decimal(number.numerator) / Decimal(number.denominator)
        reason = clean_text(reasons.get(key, ""))
        if row.self_score is not None and decimal_value != row.self_score and not reason:
            raise ValidationFailed(
                f"Thay đổi điểm tự đánh giá tiêu chí “{node.label_vi}” phải nêu lý do.",
                f"Changing the self-assessed score of “{node.label_en}” needs a reason.",
                field=f"reasons.{key}",
            )
        changes[key] = {"from": str(row.self_score), "to": str(decimal_value), "reason": reason}
        row.reviewer_score = decimal_value
        row.reason = reason if decimal_value != row.self_score else ""
        row.save(update_fields=["reviewer_score", "reason"])
    stored = dict(ev.leader or {})
    for comp, spec in (leader or {}).items():
        if comp not in ("d", "dd", "e") or not ev.is_leader:
            raise ValidationFailed(
                f"Thành phần “{comp}” chỉ dành cho lãnh đạo (d, dd, e).",
                f"Component {comp!r} is for leaders only (d, dd, e).",
                field=f"leader.{comp}",
            )
        reason = clean_text(str(spec.get("reason", "")))
        entry: dict[str, Any] = dict(stored.get(comp, {}))
        if "value" in spec:
            value = spec["value"]
            if value not in (None, "") and Fraction(str(value)) not in fw.settings.leader_levels:
                raise ValidationFailed(
                    "d, đ, e chỉ nhận mức 100% hoặc 50%.",
                    "d, đ, e take 100% or 50% only.",
                    field=f"leader.{comp}.value",
                )
            entry["value"] = None if value in (None, "") else str(value)
        if comp == "e" and "internal_conflict" in spec:
            entry["internal_conflict"] = bool(spec["internal_conflict"])
        if not reason:
            raise ValidationFailed(
                "Điều chỉnh d, đ, e phải nêu lý do.",
                "Setting d, đ or e needs a reason.",
                field=f"leader.{comp}.reason",
            )
        entry["reason"] = reason
        stored[comp] = entry
        changes[f"leader.{comp}"] = entry
    ev.leader = stored
    ev.reviewer = _person(actor)
    ev.review_comment = clean_text(comment)
    ev.reviewed_at = now
    ev.state = E.REVIEWED
    if ev.period.kind != Period.Kind.YEAR:
        facts = person_facts(ev, fw)
        ev.facts_at_review = facts_to_json(facts)
        ev.save(update_fields=["leader"])
        result, data = compute_person(ev, facts=facts)  # refuses what the engine refuses
        ev.proposed = data
        ev.points = result.points
        ev.rating = result.rating or ""
    _bump(
        ev,
        "leader",
        "reviewer",
        "review_comment",
        "reviewed_at",
        "state",
        "facts_at_review",
        "proposed",
        "points",
        "rating",
    )
    record(
        actor=actor,
        action="evaluations.evaluation.review",
        target=ev,
        agency_id=ev.agency_id,
        after={"changes": changes, "comment": ev.review_comment, "points": str(ev.points)},
    )
    return ev


@transaction.atomic
def evaluations_accept_reviews(
    *,
    actor: User,
    versions: Mapping[int, int],
    comment: str,
    at: dt.datetime | None = None,
) -> list[Evaluation]:
    """The direct manager accepts several self-assessments as the review in one go
    (`versions`: evaluation id → the version the page showed). Each evaluation is reviewed
    exactly as one by one — its facts snapshotted, its proposal explained, its own audit
    entry — and the batch is all or nothing: one refusal names the person and saves none."""
    now = _now(at)
    comment = _text(comment, "comment", "nhận xét", "comment")
    if not versions:
        raise ValidationFailed(
            "Chưa chọn người nào để đánh giá.", "Nobody was selected.", field="evaluations"
        )
    rows = {
        ev.pk: ev
        for ev in Evaluation.objects.filter(pk__in=list(versions)).select_related("person")
    }
    missing = sorted(set(versions) - set(rows))
    if missing:
        raise NotFound(
            f"Không tìm thấy {len(missing)} phiếu đã chọn (có thể đã bị xóa khi mở lại kỳ).",
            f"{len(missing)} selected evaluation(s) were not found.",
        )
    done = []
    for pk, ev in sorted(rows.items(), key=lambda item: item[1].person.search_name):
        try:
            done.append(
                evaluation_review(
                    actor=actor,
                    evaluation=ev,
                    expected_version=versions[pk],
                    comment=comment,
                    at=now,
                )
            )
        except ThuocDoError as error:
            raise type(error)(
                f"{ev.person.full_name}: {error.message_vi} Chưa lưu phiếu nào.",
                f"{ev.person.full_name}: {error.message_en} Nothing was saved.",
                field=error.field,
            ) from error
    record(
        actor=actor,
        action="evaluations.evaluation.review_many",
        target=done[0].period,
        agency_id=done[0].agency_id,
        after={"evaluations": [ev.pk for ev in done], "comment": comment},
    )
    return done


# --- collective comments, Party committee, overrides -----------------------------------------


@transaction.atomic
def minutes_record(
    *,
    actor: User,
    period: Period,
    unit: Unit,
    text: str,
    held_on: dt.date,
    attendees: Iterable[int],
    total_members: int,
    approved: bool = True,
    at: dt.datetime | None = None,
) -> Minutes:
    """The minutes of the unit's meeting, approved at the meeting. A leader of the unit or
    the office records them; recording again replaces them until the decision step."""
    now = _now(at)
    period = _lock_period(period)
    day = _day(now)
    if not (leads_unit(_person(actor), unit, day) or rules.is_personnel(actor, period.agency, day)):
        raise AccessDenied(
            "Chỉ lãnh đạo đơn vị hoặc bộ phận tổ chức cán bộ ghi biên bản.",
            "Only the unit's leaders or the personnel office record the minutes.",
        )
    if unit.agency_id != period.agency_id:
        raise ValidationFailed(
            "Đơn vị thuộc cơ quan khác.", "The unit is in another agency.", field="unit"
        )
    tr.refuse_unless(period, tr.COLLECTIVE_STATES, "ghi biên bản", "record minutes")
    text = _text(text, "text", "nội dung biên bản", "minutes text")
    present = sorted({int(p) for p in attendees})
    if total_members < len(present) or total_members < 1:
        raise ValidationFailed(
            "Tổng số thành viên phải ≥ số người dự họp.",
            "Total members must be at least the number present.",
            field="total_members",
        )
    minutes, created = Minutes.objects.update_or_create(
        period=period,
        unit=unit,
        defaults={
            "text": text,
            "held_on": held_on,
            "attendees": present,
            "total_members": total_members,
            "approved": approved,
            "recorded_by": actor,
            "recorded_at": now,
        },
    )
    record(
        actor=actor,
        action="evaluations.minutes.record",
        target=minutes,
        object_repr=f"{unit.name} — {period.name('vi')}",
        agency_id=period.agency_id,
        after={
            "unit": unit.pk,
            "held_on": held_on.isoformat(),
            "present": len(present),
            "total": total_members,
            "approved": approved,
            "replaced": not created,
        },
    )
    return minutes


@transaction.atomic
def party_comment_record(
    *,
    actor: User,
    evaluation: Evaluation,
    committee: str,
    text: str,
    document_ref: str = "",
    at: dt.datetime | None = None,
) -> PartyComment:
    """The Party committee's comments on a leader, recorded by the office."""
    now = _now(at)
    ev = _lock_evaluation(evaluation)
    _require_office(actor, ev.period.agency, _day(now))
    if not ev.period.party_committee_step:
        raise Conflict(
            "Cơ quan không dùng bước lấy ý kiến cấp ủy trong kỳ này.",
            "The agency does not use the Party committee step in this period.",
            field="party_committee_step",
        )
    if not ev.is_leader:
        raise ValidationFailed(
            "Ý kiến cấp ủy chỉ dành cho lãnh đạo, quản lý.",
            "The Party committee comments on leaders only.",
            field="evaluation",
        )
    tr.refuse_unless(
        ev.period, tr.COLLECTIVE_STATES, "ghi ý kiến cấp ủy", "record the Party comments"
    )
    comment, _created = PartyComment.objects.update_or_create(
        evaluation=ev,
        defaults={
            "committee": _text(committee, "committee", "tên cấp ủy", "committee"),
            "text": _text(text, "text", "nội dung ý kiến", "comment text"),
            "document_ref": clean_text(document_ref),
            "recorded_by": actor,
            "recorded_at": now,
        },
    )
    record(
        actor=actor,
        action="evaluations.party_comment.record",
        target=ev,
        agency_id=ev.agency_id,
        after={"committee": comment.committee, "document_ref": comment.document_ref},
    )
    return comment


OVERRIDE_FLAGS = ("political_degradation", "corruption_or_waste_in_charge")


@transaction.atomic
def override_add(
    *,
    actor: User,
    evaluation: Evaluation,
    kind: str,
    value: str,
    document_ref: str,
    reason: str = "",
    at: dt.datetime | None = None,
) -> Override:
    """Record a discipline decision or a competent authority's conclusion, with its
    document; the engine applies the framework's overrides at compile and decision."""
    now = _now(at)
    ev = _lock_evaluation(evaluation)
    day = _day(now)
    if not (
        rules.is_personnel(actor, ev.period.agency, day)
        or is_authority(actor, ev.period.agency, day)
    ):
        raise AccessDenied(
            "Chỉ bộ phận tổ chức cán bộ hoặc cấp có thẩm quyền ghi căn cứ hạ xếp loại.",
            "Only the personnel office or the authority records overrides.",
        )
    tr.refuse_unless(ev.period, tr.OVERRIDE_STATES, "ghi căn cứ hạ xếp loại", "record an override")
    if ev.state == E.DECIDED:
        raise Conflict(
            "Phiếu đã được quyết định: chỉ thay đổi qua mở lại kỳ.",
            "The evaluation is decided: it changes only through reopen.",
            field="state",
        )
    valid = DISCIPLINE_LEVELS if kind == Override.Kind.DISCIPLINE else OVERRIDE_FLAGS
    if kind not in Override.Kind.values or value not in valid:
        raise ValidationFailed(
            f"Căn cứ “{kind}: {value}” không hợp lệ.",
            f"Unknown override {kind}: {value}.",
            field="value",
        )
    override = Override.objects.create(
        evaluation=ev,
        kind=kind,
        value=value,
        document_ref=_text(
            document_ref, "document_ref", "số, ký hiệu văn bản", "document reference"
        ),
        reason=clean_text(reason),
        recorded_by=actor,
        recorded_at=now,
    )
    _bump(ev)
    record(
        actor=actor,
        action="evaluations.override.add",
        target=ev,
        agency_id=ev.agency_id,
        after={"kind": kind, "value": value, "document_ref": override.document_ref},
        reason=override.reason,
    )
    return override


# --- units ---------------------------------------------------------------------------------


def _lock_unit_evaluation(ue: UnitEvaluation) -> UnitEvaluation:
    return (
        UnitEvaluation.objects.select_for_update(of=("self",))
        .select_related("period", "period__agency", "unit", "framework")
        .get(pk=ue.pk)
    )


@transaction.atomic
def unit_kpi_set(
    *,
    actor: User,
    unit_evaluation: UnitEvaluation,
    key: str,
    target: Any = None,
    actual: Any = None,
    evidence: str = "",
    at: dt.datetime | None = None,
) -> UnitKpi:
    """A leader of the unit (or the office) enters a KPI's target and, for an entered KPI,
    its actual with evidence. Computed KPIs take their actual from the work data."""
    now = _now(at)
    ue = _lock_unit_evaluation(unit_evaluation)
    day = _day(now)
    if not (
        leads_unit(_person(actor), ue.unit, day) or rules.is_personnel(actor, ue.period.agency, day)
    ):
        raise AccessDenied(
            "Chỉ lãnh đạo đơn vị hoặc bộ phận tổ chức cán bộ nhập chỉ số của đơn vị.",
            "Only the unit's leaders or the personnel office enter unit KPIs.",
        )
    tr.refuse_unless(ue.period, tr.UNIT_KPI_STATES, "nhập chỉ số đơn vị", "enter unit KPIs")
    if ue.state == UnitEvaluation.State.DECIDED:
        raise Conflict(
            "Đánh giá đơn vị đã được quyết định.", "The unit evaluation is decided.", field="state"
        )
    kpi = ue.kpis.filter(key=key).first()
    if kpi is None:
        raise ValidationFailed(
            f"Chỉ số “{key}” không có trong khung.", f"No KPI {key!r}.", field="key"
        )

    def number(value: Any, field: str) -> Decimal | None:
        if value in (None, ""):
            return None
        try:
            return Decimal(str(value))
        except Exception as error:
            raise ValidationFailed(
                f"“{value}” không phải là số.", f"{value!r} is not a number.", field=field
            ) from error

    before = {"target": str(kpi.target), "actual": str(kpi.actual), "evidence": kpi.evidence}
    kpi.target = number(target, "target") if target is not None else kpi.target
    if kpi.source == UnitKpi.Source.ENTERED:
        if actual is not None:
            kpi.actual = number(actual, "actual")
            kpi.exact_actual = ""
            kpi.evidence = _text(evidence, "evidence", "minh chứng", "evidence")
    elif actual is not None:
        raise ValidationFailed(
            f"Chỉ số “{kpi.label}” tính từ dữ liệu công việc: không nhập tay.",
            f"KPI {kpi.key} is computed from the work data: it is not entered.",
            field="actual",
        )
    kpi.save()
    record(
        actor=actor,
        action="evaluations.unit_kpi.set",
        target=ue,
        agency_id=ue.period.agency_id,
        before=before,
        after={
            "key": key,
            "target": str(kpi.target),
            "actual": str(kpi.actual),
            "evidence": kpi.evidence,
        },
    )
    return kpi


@transaction.atomic
def unit_evaluation_give_rating(
    *,
    actor: User,
    unit_evaluation: UnitEvaluation,
    rating: str,
    basis: str,
    at: dt.datetime | None = None,
) -> UnitEvaluation:
    """For a framework without a unit part: the authority gives the unit's rating."""
    now = _now(at)
    ue = _lock_unit_evaluation(unit_evaluation)
    _require_authority(actor, ue.period.agency, _day(now))
    tr.refuse_unless(ue.period, tr.DECISION_STATES, "xếp loại đơn vị", "rate the unit")
    if ue.state == UnitEvaluation.State.DECIDED:
        raise Conflict(
            "Đánh giá đơn vị đã được quyết định.", "The unit evaluation is decided.", field="state"
        )
    if not rating:  # never a default: the authority chooses
        raise ValidationFailed(
            "Chọn xếp loại của đơn vị: không có mức mặc định.",
            "Choose the unit's rating: there is no default.",
            field="rating",
        )
    if rating not in RATINGS:
        raise ValidationFailed("Xếp loại không hợp lệ.", "Unknown rating.", field="rating")
    ue.given_rating = rating
    ue.given_basis = _text(basis, "basis", "căn cứ xếp loại", "basis")
    ue.version += 1
    ue.save()
    record(
        actor=actor,
        action="evaluations.unit.give_rating",
        target=ue,
        agency_id=ue.period.agency_id,
        after={"rating": rating},
        reason=ue.given_basis,
    )
    return ue


@transaction.atomic
def unit_evaluation_decide(
    *, actor: User, unit_evaluation: UnitEvaluation, at: dt.datetime | None = None
) -> UnitEvaluation:
    """The authority decides the unit's points and rating (KPIs and work data as now)."""
    now = _now(at)
    ue = _lock_unit_evaluation(unit_evaluation)
    _require_authority(actor, ue.period.agency, _day(now))
    tr.refuse_unless(ue.period, tr.DECISION_STATES, "quyết định đánh giá đơn vị", "decide a unit")
    if ue.state == UnitEvaluation.State.DECIDED:
        raise Conflict(
            "Đánh giá đơn vị đã được quyết định.", "The unit evaluation is decided.", field="state"
        )
    data = compute_unit(ue)
    ue.result = data
    ue.facts = {"rates": data["rates"], "task_facts": data["task_facts"]}
    ue.points = Decimal(data["points"]) if data.get("points") else None
    ue.rating = data.get("rating") or ""
    if not ue.rating:
        raise ValidationFailed(
            f"Đơn vị “{ue.unit}” chưa chấm được điểm: {data.get('reason_vi', '')}",
            f"Unit {ue.unit} cannot be scored: {data.get('reason_en', '')}",
            field="rating",
        )
    ue.state = UnitEvaluation.State.DECIDED
    ue.decided_by = actor
    ue.decided_at = now
    ue.version += 1
    ue.save()
    record(
        actor=actor,
        action="evaluations.unit.decide",
        target=ue,
        agency_id=ue.period.agency_id,
        after={"points": str(ue.points), "rating": ue.rating},
    )
    return ue


# --- compile and decide ----------------------------------------------------------------------


def _ordered(evs: Iterable[Evaluation]) -> list[Evaluation]:
    """Staff before their leaders, deeper units first: d reads the staff's points."""
    return sorted(evs, key=lambda e: (-e.unit.depth, ROLE_RANK.get(e.role, 0), e.pk))


def _unit_rating(ev: Evaluation) -> str | None:
    ue = UnitEvaluation.objects.filter(period=ev.period, unit=ev.unit).first()
    return ue.rating if ue is not None and ue.state == UnitEvaluation.State.DECIDED else None


def _propose(ev: Evaluation, *, freeze: bool) -> dict[str, Any]:
    """The current result (head rule applied when the unit is decided); `freeze` keeps the
    task facts as decided."""
    unit_rating = _unit_rating(ev)
    if ev.period.kind == Period.Kind.YEAR:
        data = compute_year(ev, unit_rating=unit_rating)
    else:
        fw = engine_framework(ev.framework)
        facts = person_facts(ev, fw)
        _result, data = compute_person(ev, facts=facts, unit_rating=unit_rating)
        if freeze:
            ev.facts_at_decision = facts_to_json(facts)
    ev.proposed = data
    ev.points = Decimal(data["points"]) if data.get("points") else None
    ev.rating = data.get("rating") or ""
    return data


def _compile(
    actor: User, period: Period, now: dt.datetime, progress: close.Progress | None = None
) -> int:
    """Every undecided proposal recomputed, set-based (`close.compile_period`)."""
    return close.compile_period(actor=actor, period=period, now=now, progress=progress)


@transaction.atomic
def period_compile(
    *,
    actor: User,
    period: Period,
    at: dt.datetime | None = None,
    progress: close.Progress | None = None,
) -> Period:
    """The office recomputes every undecided evaluation's proposal (after an override, a
    unit decision or a late task change) and refreshes the unit quota groups."""
    now = _now(at)
    row = _lock_period(period)
    _require_office(actor, row.agency, _day(now))
    tr.refuse_unless(row, tr.DECISION_STATES, "tổng hợp kết quả", "compile")
    count = _compile(actor, row, now, progress)
    record(
        actor=actor,
        action="evaluations.period.compile",
        target=row,
        agency_id=row.agency_id,
        after={"compiled": count},
    )
    return row


@transaction.atomic
def quota_group_create(
    *,
    actor: User,
    period: Period,
    code: str,
    name: str,
    evaluations: Iterable[Evaluation],
    at: dt.datetime | None = None,
) -> QuotaGroup:
    """A group of officials with similar duties (Art. 20(5)), configured by the office."""
    now = _now(at)
    row = _lock_period(period)
    _require_office(actor, row.agency, _day(now))
    tr.refuse_unless(
        row,
        frozenset({S.REVIEW, S.COLLECTIVE_COMMENTS, S.DECISION}),
        "lập nhóm áp tỷ lệ",
        "create a quota group",
    )
    scopes = framework_for(row.agency, row.framework_key, row.end)[1].quota.scopes
    if "duty_group" not in scopes:
        raise ValidationFailed(
            "Khung đánh giá của kỳ không áp tỷ lệ theo nhóm có chức trách, nhiệm vụ tương đồng "
            f"(quota.scopes: {', '.join(scopes) or '—'}).",
            "The period's framework does not apply the quota per group of similar duties.",
            field="code",
        )
    code = _text(code, "code", "mã nhóm", "group code")
    if code.startswith("unit:") or QuotaGroup.objects.filter(period=row, code=code).exists():
        raise Conflict(f"Mã nhóm “{code}” đã dùng.", f"Group code {code!r} is taken.", field="code")
    members = list(evaluations)
    if any(m.period_id != row.pk for m in members) or not members:
        raise ValidationFailed(
            "Nhóm gồm các phiếu đánh giá của kỳ này.",
            "A group holds evaluations of this period.",
            field="evaluations",
        )
    if any(m.state == E.DECIDED for m in members):
        raise Conflict(
            "Có phiếu đã được quyết định.", "Some evaluations are decided.", field="evaluations"
        )
    group = QuotaGroup.objects.create(
        period=row,
        kind=QuotaGroup.Kind.DUTY_GROUP,
        code=code,
        name=_text(name, "name", "tên nhóm", "name"),
    )
    group.members.set(members)
    record(
        actor=actor,
        action="evaluations.quota_group.create",
        target=group,
        agency_id=row.agency_id,
        after={"code": code, "members": [m.pk for m in members]},
    )
    return group


@transaction.atomic
def quota_group_set_exception(
    *,
    actor: User,
    group: QuotaGroup,
    ratio: Decimal | str | None,
    basis: str = "",
    at: dt.datetime | None = None,
) -> QuotaGroup:
    """The authority allows a unit with outstanding results more than 20% (up to 25%)."""
    now = _now(at)
    group = (
        QuotaGroup.objects.select_for_update(of=("self",))
        .select_related("period__agency")
        .get(pk=group.pk)
    )
    _require_authority(actor, group.period.agency, _day(now))
    tr.refuse_unless(
        group.period, tr.DECISION_STATES, "cho phép tỷ lệ ngoại lệ", "set an exception"
    )
    if group.decided_at is not None:
        raise Conflict("Nhóm đã được quyết định.", "The group is decided.", field="group")
    value = Decimal(str(ratio)) if ratio not in (None, "") else None
    if value is not None:
        member = group.members.select_related("framework").first()
        if member is not None:
            rule = engine_framework(member.framework).quota
            if not rule.ratio <= Fraction(value) <= rule.max_exception_ratio:
                raise ValidationFailed(
                    f"Tỷ lệ ngoại lệ phải trong khoảng {float(rule.ratio):.0%}–"
                    f"{float(rule.max_exception_ratio):.0%}.",
                    f"The exception must be within {float(rule.ratio):.0%}–"
                    f"{float(rule.max_exception_ratio):.0%}.",
                    field="ratio",
                )
        basis = _text(basis, "basis", "căn cứ cho phép", "basis")
    group.exception_ratio = value
    group.exception_basis = clean_text(basis)
    group.save(update_fields=["exception_ratio", "exception_basis"])
    record(
        actor=actor,
        action="evaluations.quota_group.exception",
        target=group,
        agency_id=group.period.agency_id,
        after={"ratio": str(value) if value is not None else None},
        reason=group.exception_basis,
    )
    return group


def _quota_refusal(
    group: QuotaGroup, limited: int, base: int, allowed: Fraction, ratio: Fraction
) -> Conflict:
    return Conflict(
        f"Quyết định vi phạm tỷ lệ tại nhóm “{group.name}”: {limited} người "
        f"“Hoàn thành xuất sắc nhiệm vụ” > {vn_percent(ratio)} × {base} người “Hoàn thành tốt "
        f"nhiệm vụ” = {vn_number(allowed, trim=True)}. Không lưu quyết định.",
        f"The decision breaks the quota in group {group.name}: {limited} excellent > "
        f"{float(ratio):.0%} × {base} good = {float(allowed):g}. Nothing was saved.",
        field="demote",
    )


@transaction.atomic
def group_decide(
    *,
    actor: User,
    group: QuotaGroup,
    demote: Iterable[int] | None = None,
    at: dt.datetime | None = None,
) -> QuotaGroup:
    """The authority decides every undecided member of a quota group.

    Each member is recomputed from the recorded work (task facts frozen now), with its
    overrides and, for a head, the unit's decided rating (Art. 20(6)). `demote` lists the
    evaluations moved from excellent to good; None takes the engine's definite proposals,
    and a tie then has to be settled by naming whom to demote. A result that breaks the
    quota on the final counts (members decided earlier included) is refused whole.
    """
    now = _now(at)
    group = (
        QuotaGroup.objects.select_for_update(of=("self",))
        .select_related("period__agency")
        .get(pk=group.pk)
    )
    period = _lock_period(group.period)
    _require_authority(actor, period.agency, _day(now))
    tr.refuse_unless(period, tr.DECISION_STATES, "quyết định xếp loại", "decide ratings")
    if group.decided_at is not None:
        raise Conflict("Nhóm đã được quyết định.", "The group is already decided.", field="group")
    members = _ordered(group_members(group).select_related("period"))  # period row locked
    if not members:
        raise ValidationFailed("Nhóm không có ai.", "The group is empty.", field="group")
    for ev in members:
        if ev.state == E.DECIDED:
            continue
        if (
            ev.role in (Assignment.Role.HEAD, Assignment.Role.ACTING_HEAD)
            and _unit_rating(ev) is None
        ) and engine_role(ev) in engine_framework(ev.framework).rating.head_roles:
            raise Conflict(
                f"Chưa quyết định đánh giá đơn vị “{ev.unit}”: chưa thể xếp loại người "
                f"đứng đầu {ev.person} (không cao hơn đơn vị).",
                f"Decide the unit {ev.unit} first: its head {ev.person} cannot be rated above it.",
                field="unit_evaluation",
            )
        _propose(ev, freeze=True)
    fw = engine_framework(members[0].framework)
    ratio = Fraction(group.exception_ratio) if group.exception_ratio is not None else None
    quota = resolve_quota(
        fw,
        [
            QuotaMember(str(ev.pk), ev.points, ev.rating)
            for ev in members
            if ev.rating and ev.points is not None
        ],
        group=group.code,
        exception_ratio=ratio,
    )
    rule = fw.quota
    undecided = {ev.pk: ev for ev in members if ev.state != E.DECIDED}
    if demote is None:
        chosen = {int(d.person_id) for d in quota.demotions}
    else:
        chosen = {int(pk) for pk in demote}
    names = {ev.pk: ev.person.full_name for ev in members}
    for pk in sorted(chosen):
        member = undecided.get(pk)
        if member is None or member.rating != rule.limited_rating:
            # the person by name, never an internal id; one outside the group is looked up
            name = names.get(pk) or next(
                iter(Evaluation.objects.filter(pk=pk).values_list("person__full_name", flat=True)),
                "—",
            )
            if pk not in names:
                why = ("không thuộc nhóm", "not a member of the group")
            elif member is None:
                why = ("đã được quyết định", "already decided")
            else:
                with translation.override("vi"):
                    why = (
                        f"xếp loại hiện là “{_rating_label(member.rating)}”, không phải "
                        f"“{_rating_label(rule.limited_rating)}”",
                        f"rated “{_rating_en(member.rating)}”, not "
                        f"“{_rating_en(rule.limited_rating)}”",
                    )
            raise ValidationFailed(
                f"Không thể hạ {name}: {why[0]}.",
                f"{name} cannot be demoted: {why[1]}.",
                field="demote",
            )
    limited = sum(1 for ev in members if ev.rating == rule.limited_rating and ev.pk not in chosen)
    base = sum(1 for ev in members if ev.rating == rule.base_rating) + (
        len(chosen) if rule.demote_to == rule.base_rating else 0
    )
    used_ratio = quota.ratio
    allowed = used_ratio * base
    if limited > allowed:
        if quota.ties and demote is None:
            tie = quota.ties[0]
            tied = ", ".join(names[int(c)] for c in tie.candidates)
            raise Conflict(
                f"Nhóm “{group.name}”: {len(tie.candidates)} người bằng "
                f"{vn_number(tie.points)} điểm ở ngưỡng hạ ({tied}); cấp có thẩm quyền chọn "
                f"{tie.choose} người để hạ.",
                f"Group {group.name}: {len(tie.candidates)} tied at {tie.points} points "
                f"({tied}); the authority must choose {tie.choose} to demote.",
                field="demote",
            )
        raise _quota_refusal(group, limited, base, allowed, used_ratio)
    for ev in undecided.values():
        data = dict(ev.proposed or {})
        if ev.pk in chosen:
            ev.rating = close.demote(data, group, rule.demote_to)
        ev.result = data
        ev.state = E.DECIDED
        ev.decided_by = actor
        ev.decided_at = now
        _bump(
            ev,
            "proposed",
            "result",
            "points",
            "rating",
            "state",
            "decided_by",
            "decided_at",
            "facts_at_decision",
        )
        record(
            actor=actor,
            action="evaluations.evaluation.decide",
            target=ev,
            agency_id=ev.agency_id,
            after={
                "points": str(ev.points),
                "rating": ev.rating,
                "group": group.code,
                "demoted": ev.pk in chosen,
            },
        )
    group.decision = {
        **quota.as_dict(),
        "chosen_demotions": sorted(chosen),
        "final": {rule.limited_rating: limited, rule.base_rating: base},
    }
    group.decided_by = actor
    group.decided_at = now
    group.save(update_fields=["decision", "decided_by", "decided_at"])
    record(
        actor=actor,
        action="evaluations.quota_group.decide",
        target=group,
        agency_id=period.agency_id,
        after=group.decision,
    )
    return group


@transaction.atomic
def period_decide_all(
    *,
    actor: User,
    period: Period,
    at: dt.datetime | None = None,
    progress: close.Progress | None = None,
) -> close.Decided:
    """The authority decides at once every quota group of the period that needs no choice
    of theirs: the engine's proposed demotions are taken. Groups with a tie at the quota
    line, or with a head whose unit is not decided, are left for a decision one by one."""
    now = _now(at)
    row = _lock_period(period)
    _require_authority(actor, row.agency, _day(now))
    tr.refuse_unless(row, tr.DECISION_STATES, "quyết định xếp loại", "decide ratings")
    outcome = close.decide_period(actor=actor, period=row, now=now, progress=progress)
    record(
        actor=actor,
        action="evaluations.period.decide_all",
        target=row,
        agency_id=row.agency_id,
        after={
            "groups": outcome.groups,
            "evaluations": outcome.evaluations,
            "left": [item.group for item in outcome.skipped],
        },
    )
    return outcome


# --- publish, complaints ---------------------------------------------------------------------


def _publish(period: Period, now: dt.datetime) -> int:
    """Every official is told their result and the last day to complain: one update and
    one insert of notifications per batch, whatever the headcount."""
    until = _day(now) + dt.timedelta(days=period.complaint_days)
    rows = list(
        period.evaluations.order_by("pk").values_list(
            "pk", "person_id", "points", "rating", "version"
        )
    )
    update_rows(
        Evaluation,
        ["notified_at", "complaint_until", "version", "updated_at"],
        [(pk, now, until, version + 1, clock.now()) for pk, _p, _pts, _r, version in rows],
    )
    name, name_en = period.name("vi"), period.name("en")
    with translation.override("vi"):
        ratings = {code: _rating_label(code) for code in dict(RATING_CHOICES)}
    Notification.objects.bulk_create(
        (
            Notification(
                recipient_id=person_id,
                text=f"Kết quả đánh giá {name}: "
                + (f"{vn_number(points)} điểm, " if points is not None else "")
                + f"{ratings.get(rating, '—')}. "
                + f"Có thể khiếu nại đến hết ngày {until:%d/%m/%Y}.",
                text_en=f"Your result for {name_en}: "
                + (f"{points} points, " if points is not None else "")
                + f"{_rating_en(rating)}. You may complain until {until:%d/%m/%Y}.",
                link=_evaluation_link(pk),
                created_at=now,
            )
            for pk, person_id, points, rating, _version in rows
        ),
        batch_size=2000,
    )
    return len(rows)


@transaction.atomic
def complaint_file(
    *, actor: User, evaluation: Evaluation, text: str, at: dt.datetime | None = None
) -> Complaint:
    """The official contests the decided result within the window; the answer is due in
    7 working days (Art. 22). The decision-maker is told, with the date."""
    now = _now(at)
    day = _day(now)
    ev = _lock_evaluation(evaluation)
    person = _person(actor)
    if person is None or person.pk != ev.person_id:
        raise AccessDenied(
            "Chỉ người được đánh giá mới khiếu nại kết quả của mình.",
            "Only the official evaluated may complain about their result.",
        )
    tr.refuse_unless(ev.period, frozenset({S.PUBLISHED}), "khiếu nại", "file a complaint")
    if ev.complaint_until is None or day > ev.complaint_until:
        raise Conflict(
            f"Đã hết thời hạn khiếu nại (đến {ev.complaint_until:%d/%m/%Y}).",
            f"The complaint window closed on {ev.complaint_until}.",
            field="complaint_until",
        )
    if ev.complaints.filter(state=Complaint.State.OPEN).exists():
        raise Conflict(
            "Đã có khiếu nại đang giải quyết.", "A complaint is already open.", field="evaluation"
        )
    complaint = Complaint.objects.create(
        evaluation=ev,
        filed_by=person,
        text=_text(text, "text", "nội dung khiếu nại", "complaint text"),
        filed_at=now,
        answer_due=add_working_days(day, COMPLAINT_ANSWER_WORKING_DAYS),
    )
    record(
        actor=actor,
        action="evaluations.complaint.file",
        target=complaint,
        object_repr=f"Khiếu nại #{complaint.pk}",
        agency_id=ev.agency_id,
        after={"evaluation": ev.pk, "answer_due": complaint.answer_due.isoformat()},
    )
    notices.complaint_filed(complaint, at=now)
    return complaint


@transaction.atomic
def complaint_answer(
    *,
    actor: User,
    complaint: Complaint,
    answer: str,
    outcome: str,
    new_rating: str = "",
    at: dt.datetime | None = None,
) -> Complaint:
    """The authority answers with reasons: keep the rating or change it. A change is
    checked against the quota of every group the evaluation is in."""
    now = _now(at)
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    ev = _lock_evaluation(complaint.evaluation)
    _require_authority(actor, ev.period.agency, _day(now))
    tr.refuse_unless(ev.period, frozenset({S.PUBLISHED}), "trả lời khiếu nại", "answer a complaint")
    if complaint.state != Complaint.State.OPEN:
        raise Conflict(
            "Khiếu nại đã được trả lời.", "The complaint is already answered.", field="state"
        )
    answer = _text(answer, "answer", "nội dung trả lời, lý do", "answer with reasons")
    if outcome not in Complaint.Outcome.values:
        raise ValidationFailed(
            "Kết quả giải quyết không hợp lệ.", "Unknown outcome.", field="outcome"
        )
    before_rating = ev.rating
    if outcome == Complaint.Outcome.CHANGED:
        if new_rating not in RATINGS or new_rating == ev.rating:
            raise ValidationFailed(
                "Cần xếp loại mới khác xếp loại đã quyết định.",
                "A new rating different from the decided one is needed.",
                field="new_rating",
            )
        for group in ev.quota_groups.all():
            _check_group_with(group, ev, new_rating)
        data = dict(ev.result or {})
        data["rating_changes"] = [
            *data.get("rating_changes", []),
            {
                "rule": f"complaint:{complaint.pk}",
                "from": ev.rating,
                "to": new_rating,
                "reason_vi": answer,
                "reason_en": answer,
            },
        ]
        data["rating"] = new_rating
        ev.result = data
        ev.rating = new_rating
        _bump(ev, "result", "rating")
    complaint.state = Complaint.State.ANSWERED
    complaint.answer = answer
    complaint.outcome = outcome
    complaint.new_rating = new_rating if outcome == Complaint.Outcome.CHANGED else ""
    complaint.answered_by = actor
    complaint.answered_at = now
    complaint.save()
    name, name_en = ev.period.name("vi"), ev.period.name("en")
    kept = outcome == Complaint.Outcome.KEPT
    with translation.override("vi"):
        text = f"Khiếu nại về kết quả {name} đã được trả lời: " + (
            "giữ nguyên xếp loại." if kept else f"xếp loại mới {_rating_label(new_rating)}."
        )
    text_en = f"Your complaint about {name_en} was answered: " + (
        "the rating is kept." if kept else f"new rating: {_rating_en(new_rating)}."
    )
    _notify(ev.person, text, _evaluation_link(ev.pk), now, text_en)
    record(
        actor=actor,
        action="evaluations.complaint.answer",
        target=complaint,
        object_repr=f"Khiếu nại #{complaint.pk}",
        agency_id=ev.agency_id,
        before={"rating": before_rating},
        after={"outcome": outcome, "rating": ev.rating, "late": _day(now) > complaint.answer_due},
        reason=answer,
    )
    return complaint


def _check_group_with(group: QuotaGroup, changed_ev: Evaluation, new_rating: str) -> None:
    fw = engine_framework(changed_ev.framework)
    rule = fw.quota
    ratings = [new_rating if ev.pk == changed_ev.pk else ev.rating for ev in group.members.all()]
    limited = ratings.count(rule.limited_rating)
    base = ratings.count(rule.base_rating)
    ratio = Fraction(group.exception_ratio) if group.exception_ratio is not None else rule.ratio
    if limited > ratio * base:
        raise _quota_refusal(group, limited, base, ratio * base, ratio)


@transaction.atomic
def notification_read(
    *, actor: User, notification: Notification, at: dt.datetime | None = None
) -> Notification:
    person = _person(actor)
    if person is None or person.pk != notification.recipient_id:
        raise AccessDenied("Thông báo này không gửi cho bạn.", "This notification is not yours.")
    if notification.read_at is None:
        notification.read_at = _now(at)
        notification.save(update_fields=["read_at"])
    return notification


# --- reopen -----------------------------------------------------------------------------------


def _require_reopener(actor: User, row: Period, day: dt.date) -> None:
    if row.state in tr.DECIDED_STATES:
        _require_authority(actor, row.agency, day)
    elif not (is_authority(actor, row.agency, day) or rules.is_personnel(actor, row.agency, day)):
        raise AccessDenied(
            "Chỉ bộ phận tổ chức cán bộ hoặc người đứng đầu cơ quan mở lại kỳ.",
            "Only the personnel office or the head of the agency reopens a period.",
        )


@transaction.atomic
def period_reopen(
    *,
    actor: User,
    period: Period,
    to_state: str,
    reason: str,
    expected_version: int,
    at: dt.datetime | None = None,
) -> Period:
    """Move a period back to an earlier step, with a reason, audited. Decided evaluations
    and unit evaluations become undecided (their decided result stays in the audit trail),
    quota-group decisions are cleared and the officials are notified."""
    now = _now(at)
    day = _day(now)
    row = _lock_period(period, expected_version)
    _require_reopener(actor, row, day)
    reason = _text(reason, "reason", "lý do mở lại", "reason for reopening")
    tr.reopen_target(row.state, to_state)
    before = row.state
    caps: dict[str, str] = {
        S.SELF_ASSESSMENT: E.DRAFT,
        S.REVIEW: E.SELF_ASSESSED,
        S.COLLECTIVE_COMMENTS: E.REVIEWED,
        S.DECISION: E.REVIEWED,
    }
    cap = caps[to_state]
    reopened = _reopen_evaluations(row, cap, actor=actor, reason=reason, now=now)
    row.quota_groups.update(decision=None, decided_at=None, decided_by=None)
    row.unit_evaluations.filter(state=UnitEvaluation.State.DECIDED).update(
        state=UnitEvaluation.State.DRAFT, decided_at=None, decided_by=None
    )
    if tr.ORDER.index(to_state) < tr.ORDER.index(S.COLLECTIVE_COMMENTS):
        row.minutes.update(approved=False)
    row.state = to_state
    row.version += 1
    row.save(update_fields=["state", "version", "updated_at"])
    _event(row, "reopen", before, actor, now, reason)
    record(
        actor=actor,
        action="evaluations.period.reopen",
        target=row,
        agency_id=row.agency_id,
        before={"state": before},
        after={"state": to_state, "evaluations": reopened},
        reason=reason,
    )
    return row


def _reopen_evaluations(
    period: Period, cap: str, *, actor: User, reason: str, now: dt.datetime
) -> list[int]:
    """Every evaluation of the period past `cap` goes back to it, in one update per batch,
    one bulk insert of audit entries (each with what it was) and of notifications (to those
    whose decided result is withdrawn): the same rows as one by one, for any headcount."""
    order = list(E.values)
    later = order[order.index(cap) + 1 :]
    rows = list(
        period.evaluations.filter(state__in=later)
        .order_by("unit__path", "person__search_name", "pk")  # the pages' order
        .values_list(
            "pk", "state", "rating", "points", "result", "version", "person_id",
            "person__full_name", "agency_id",
        )
    )  # fmt: skip
    stamp = clock.now()
    update_rows(
        Evaluation,
        ["state", "result", "decided_at", "decided_by", "notified_at", "complaint_until",
         "version", "updated_at"],
        [(pk, cap, None, None, None, None, None, version + 1, stamp)
         for pk, _s, _r, _p, _res, version, *_ in rows],
    )  # fmt: skip
    period_vi = period.name("vi")  # the audit keeps Vietnamese
    record_many(
        [
            build_entry(
                actor=actor,
                action="evaluations.evaluation.reopen",
                object_type="evaluations.evaluation",
                object_id=str(pk),
                object_repr=f"{name} — {period_vi}",
                agency_id=agency_id,
                before={"state": state, "rating": rating, "points": str(points), "result": result},
                after={"state": cap},
                reason=reason,
            )
            for pk, state, rating, points, result, _v, _person, name, agency_id in rows
        ]
    )
    name, name_en = period.name("vi"), period.name("en")
    Notification.objects.bulk_create(
        (
            Notification(
                recipient_id=person_id,
                text=f"Kỳ đánh giá {name} được mở lại: {reason}",
                text_en=f"The period {name_en} was reopened: {reason}",
                link=_evaluation_link(pk),
                created_at=now,
            )
            for pk, state, _r, _p, _res, _v, person_id, _n, _a in rows
            if state == E.DECIDED
        ),
        batch_size=2000,
    )
    return [pk for pk, *_ in rows]


# --- leave (year roll-up) --------------------------------------------------------------------


@transaction.atomic
def leave_month_set(
    *,
    actor: User,
    person: Person,
    year: int,
    month: int,
    status: str | None,
    note: str = "",
    at: dt.datetime | None = None,
) -> LeaveMonth | None:
    """The office records a month of leave (None clears it)."""
    now = _now(at)
    _require_office(actor, person.agency, _day(now))
    if not 1 <= month <= 12:
        raise ValidationFailed("Tháng từ 1 đến 12.", "Month is 1–12.", field="month")
    existing = LeaveMonth.objects.filter(person=person, year=year, month=month).first()
    before = {"status": existing.status} if existing else None
    if status is None:
        if existing is not None:
            existing.delete()
        leave = None
    else:
        if status not in LeaveMonth.Status.values:
            raise ValidationFailed(
                "Loại nghỉ không hợp lệ.", "Unknown leave status.", field="status"
            )
        leave, _created = LeaveMonth.objects.update_or_create(
            person=person,
            year=year,
            month=month,
            defaults={"status": status, "note": clean_text(note)},
        )
    record(
        actor=actor,
        action="evaluations.leave.set",
        target=person,
        agency_id=person.agency_id,
        before=before,
        after={"year": year, "month": month, "status": status},
    )
    return leave
