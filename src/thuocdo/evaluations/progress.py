"""Who has done each step of a period in a unit, who is late, and reminding them.

A person is late for self-assessment when their evaluation is still a draft after the
period's self-assessment deadline; a manager is late for the review when a self-assessed
evaluation waits for them after the review deadline. The office or the unit's leaders remind
the late ones from the unit's progress page (at most once a day each), and the daily
reminder run (`manage send_task_reminders`) warns the day before each deadline and once
it has passed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from thuocdo.audit.services import record
from thuocdo.core import clock
from thuocdo.core.errors import AccessDenied
from thuocdo.core.models import User
from thuocdo.evaluations import services
from thuocdo.evaluations.models import Evaluation, Period
from thuocdo.org.models import Assignment, Person, Unit
from thuocdo.org.notices import Notice, once, send
from thuocdo.org.selectors import current
from thuocdo.work import rules

E = Evaluation.State
S = Period.State
LEAD_ORDER: dict[str, int] = {
    Assignment.Role.HEAD: 0,
    Assignment.Role.ACTING_HEAD: 1,
    Assignment.Role.DEPUTY: 2,
}


def nearest_manager(ev: Evaluation, day: dt.date) -> Person | None:
    """The official's direct manager that day: the nearest unit up with a leader who
    manages them, its head before an acting head before deputies."""
    unit: Unit | None = ev.unit
    while unit is not None:
        leaders = sorted(
            Assignment.objects.filter(current(day), unit=unit, role__in=list(LEAD_ORDER))
            .filter(is_concurrent=False)
            .select_related("person"),
            key=lambda a: (LEAD_ORDER[a.role], a.pk),
        )
        for lead in leaders:
            if services.is_direct_manager(lead.person, ev, day):
                return lead.person
        unit = unit.parent
    return None


@dataclass(frozen=True)
class Row:
    evaluation: Evaluation
    manager: Person | None
    late_self: bool  # still a draft after the self-assessment deadline
    late_review: bool  # self-assessed, waiting for the manager after the review deadline


def unit_progress(
    period: Period, unit: Unit, today: dt.date, *, subtree: bool = False
) -> list[Row]:
    """Everyone evaluated in the unit (with `subtree`, in the units under it too), in the
    unit's order; the period page lists each unit on its own line."""
    where = Q(unit=unit) | (Q(unit__path__startswith=unit.path) if subtree else Q(pk__in=[]))
    evaluations = (
        period.evaluations.filter(where)
        .select_related(
            "person", "unit", "unit__parent", "reviewer", "exclusion", "exclusion__recorded_by"
        )
        .order_by("unit__path", "person__search_name")
    )
    self_over = period.self_assessment_until is not None and today > period.self_assessment_until
    review_over = period.review_until is not None and today > period.review_until
    managers: dict[tuple[int, str], Person | None] = {}
    rows = []
    for ev in evaluations:
        key = (ev.unit_id, ev.role)
        if key not in managers:
            managers[key] = nearest_manager(ev, today)
        rows.append(
            Row(
                evaluation=ev,
                manager=ev.reviewer or managers[key],
                late_self=ev.state == E.DRAFT and period.state == S.SELF_ASSESSMENT and self_over,
                late_review=ev.state == E.SELF_ASSESSED
                and period.state == S.REVIEW
                and review_over,
            )
        )
    return rows


def may_remind(actor: User, period: Period, unit: Unit, day: dt.date) -> bool:
    """The office, the authority and the unit's own leaders follow a unit's progress."""
    person = Person.objects.filter(user=actor).first()
    return (
        rules.is_personnel(actor, period.agency, day)
        or services.is_authority(actor, period.agency, day)
        or services.leads_unit(person, unit, day)
    )


def _notices(rows: list[Row], period: Period, *, passed: bool) -> list[tuple[str, Notice]]:
    """(once-key, notice) for each late person: the official, or the waiting manager."""
    name, name_en = period.name("vi"), period.name("en")
    vi_when, en_when = ("đã qua", "passed") if passed else ("sắp đến", "is near")
    out = []
    for row in rows:
        ev = row.evaluation
        link = reverse("web:ev_detail", args=[ev.pk])
        if row.late_self:
            until = f"{period.self_assessment_until:%d/%m/%Y}"
            out.append(
                (
                    f"self:{ev.pk}",
                    Notice(
                        ev.person_id,
                        f"Nhắc: bạn chưa tự đánh giá {name} (hạn {until} {vi_when}).",
                        f"Reminder: you have not self-assessed for {name_en} (the deadline, "
                        f"{until}, {en_when}).",
                        link,
                    ),
                )
            )
        elif row.late_review and row.manager is not None:
            until = f"{period.review_until:%d/%m/%Y}"
            who = ev.person.full_name
            out.append(
                (
                    f"review:{ev.pk}",
                    Notice(
                        row.manager.pk,
                        f"Nhắc: phiếu {name} của {who} đang chờ đồng chí nhận xét, đánh giá "
                        f"(hạn {until} {vi_when}).",
                        f"Reminder: {who}'s evaluation for {name_en} waits for your review "
                        f"(the deadline, {until}, {en_when}).",
                        link,
                    ),
                )
            )
    return out


@transaction.atomic
def remind_late(*, actor: User, period: Period, unit: Unit, at: dt.datetime | None = None) -> int:
    """Tells the late ones of a unit, in the app and by e-mail as each prefers; each person
    at most once a day for each late step. Returns how many were told."""
    now = at or clock.now()
    day = clock.local_date(now)
    if not may_remind(actor, period, unit, day):
        raise AccessDenied(
            "Chỉ bộ phận tổ chức cán bộ, lãnh đạo cơ quan hoặc lãnh đạo đơn vị nhắc việc.",
            "Only the personnel office, the agency's leadership or the unit's leaders remind.",
        )
    due = _notices(unit_progress(period, unit, day), period, passed=True)
    fresh = once([f"late:{key}:{day.isoformat()}" for key, _ in due], at=now)
    notices = [n for key, n in due if f"late:{key}:{day.isoformat()}" in fresh]
    send(notices, at=now)
    record(
        actor=actor,
        action="evaluations.period.remind_late",
        target=period,
        agency_id=period.agency_id,
        object_repr=f"{unit.name} — {period.name('vi')}",
        after={"unit": unit.pk, "reminded": len(notices), "late_people": len(due)},
    )
    return len(notices)


def deadline_reminders(*, today: dt.date, at: dt.datetime) -> int:
    """The daily run: the day before a self-assessment or review deadline, and once it has
    passed, to whoever has not done the step (each reminder once)."""
    tomorrow = services.add_working_days(today, 1)
    due: list[tuple[str, Notice]] = []
    periods = Period.objects.filter(state__in=[S.SELF_ASSESSMENT, S.REVIEW]).select_related(
        "agency"
    )
    for period in periods:
        until = (
            period.self_assessment_until
            if period.state == S.SELF_ASSESSMENT
            else period.review_until
        )
        if until is None or not (today > until or until <= tomorrow):
            continue
        stage = "over" if today > until else "soon"
        rows = unit_progress(period, period.agency, today, subtree=True)
        if stage == "soon":  # not late yet: remind those who have not done the step
            rows = [
                Row(
                    r.evaluation,
                    r.manager,
                    late_self=period.state == S.SELF_ASSESSMENT and r.evaluation.state == E.DRAFT,
                    late_review=period.state == S.REVIEW and r.evaluation.state == E.SELF_ASSESSED,
                )
                for r in rows
            ]
        due += [
            (f"deadline:{key}:{stage}", notice)
            for key, notice in _notices(rows, period, passed=stage == "over")
        ]
    fresh = once([key for key, _ in due], at=at)
    notices = [n for key, n in due if key in fresh]
    send(notices, at=at)
    return len(notices)
