"""The period's calendar: open a period, move its deadlines, the guards of each step, the
step itself (now or queued as a job), the creation of its evaluations, the compile and
the reopen to an earlier step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import translation

from thuocdo.audit.services import build_entry, record, record_many
from thuocdo.core import clock
from thuocdo.core.bulk import update_rows
from thuocdo.core.errors import AccessDenied, Conflict, ValidationFailed
from thuocdo.core.models import User
from thuocdo.evaluations import close
from thuocdo.evaluations import transitions as tr
from thuocdo.evaluations.compute import unit_kpi_nodes
from thuocdo.evaluations.models import (
    Complaint,
    Evaluation,
    Minutes,
    Notification,
    Period,
    UnitEvaluation,
    UnitKpi,
)
from thuocdo.evaluations.services.common import (
    E,
    S,
    _day,
    _evaluation_link,
    _event,
    _lock_period,
    _now,
    _require_authority,
    _require_office,
    _text,
    is_authority,
)
from thuocdo.evaluations.services.decisions import _publish
from thuocdo.frameworks import criteria_sets
from thuocdo.frameworks.selectors import framework_for
from thuocdo.frameworks.services import framework_mark_used
from thuocdo.jobs.models import Job
from thuocdo.jobs.services import job_start
from thuocdo.org.models import Assignment, Unit
from thuocdo.org.selectors import current
from thuocdo.work import rules
from thuocdo.work.selectors import DateRange

YEAR_DEADLINE = (12, 15)  # Art. 19: the year's evaluation is done before 15 December

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
    """What must be true before each step. Excluded people never hold a step up."""
    evs = period.evaluations.exclude(state=E.EXCLUDED).select_related("person")

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
    assignments = list(
        Assignment.objects.filter(current(period.end), is_concurrent=False)
        .filter(unit__agency_id=period.agency_id)
        .exclude(
            unit_id=period.agency_id,
            role__in=[Assignment.Role.HEAD, Assignment.Role.ACTING_HEAD],
        )
        .exclude(person__evaluations__period=period)
        .select_related("unit")
    )
    # each official is scored with their job position's criteria set, where there is one
    versions = criteria_sets.versions_in_use(
        version, {(a.unit_id, a.job_position_id) for a in assignments}, actor
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
            framework=versions[(a.unit_id, a.job_position_id)],
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


# --- compile -------------------------------------------------------------------------------


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
    order = list(Evaluation.STEPS)  # an excluded evaluation stays excluded
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
