"""Reads for evaluations: work metrics of a unit or a leader's charge, snapshots of task
facts, the decision sheet of a quota group, the year roll-up across agencies.

Every read here is the same for a page, a report and the services that freeze results.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db.models import (
    Count,
    F,
    Q,
    QuerySet,
)

from thuocdo.core.text import fold
from thuocdo.evaluations.models import (
    Complaint,
    Evaluation,
    LeaveMonth,
    Notification,
    Period,
    QuotaGroup,
    UnitEvaluation,
)
from thuocdo.frameworks.selectors import engine_framework
from thuocdo.org.models import Assignment, Person, Unit
from thuocdo.scoring import (
    Framework,
    KindFacts,
    MonthEntry,
    QuotaMember,
    RatingRules,
    resolve_quota,
)
from thuocdo.work.models import Task
from thuocdo.work.selectors import DateRange, add_group, counted_in, task_groups


def period_range(period: Period) -> DateRange:
    return DateRange(period.start, period.end)


# --- task facts as JSON (exact fractions as "num/den") ---------------------------------------


def _frac(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}" if value.denominator != 1 else str(value)


def facts_to_json(facts: Mapping[str, KindFacts]) -> dict[str, dict[str, Any]]:
    return {
        kind: {
            "w": _frac(f.w),
            "done": _frac(f.done),
            "done_q": _frac(f.done_q),
            "done_t": _frac(f.done_t),
            "extra_done": _frac(f.extra_done),
            "count": f.count,
        }
        for kind, f in sorted(facts.items())
    }


def facts_from_json(data: Mapping[str, Mapping[str, Any]] | None) -> dict[str, KindFacts]:
    return {
        kind: KindFacts(
            Fraction(v["w"]),
            Fraction(v["done"]),
            Fraction(v["done_q"]),
            Fraction(v["done_t"]),
            Fraction(v["extra_done"]),
            int(v["count"]),
        )
        for kind, v in (data or {}).items()
    }


# --- work metrics of units -----------------------------------------------------------------


def _under(paths: Iterable[str]) -> Q:
    query = Q(pk__in=[])
    for path in paths:
        query |= Q(unit__path__startswith=path)
    return query


@dataclass(frozen=True)
class WorkRates:
    """Counts over the tasks counted in a period for some units (docs/evaluations.md)."""

    planned_due: int
    planned_accepted: int
    planned_with_shortcomings: int  # planned tasks late, returned or not accepted
    counted: int
    on_time: int
    returned: int

    @property
    def plan_completion(self) -> Fraction:
        # With nothing due, nothing was missed.
        return (
            Fraction(100) * self.planned_accepted / self.planned_due
            if self.planned_due
            else Fraction(100)
        )

    @property
    def on_time_rate(self) -> Fraction:
        return Fraction(100) * self.on_time / self.counted if self.counted else Fraction(100)

    @property
    def returned_rate(self) -> Fraction:
        return Fraction(100) * self.returned / self.counted if self.counted else Fraction(0)

    def metric(self, name: str) -> Fraction:
        return {
            "plan_completion": self.plan_completion,
            "on_time": self.on_time_rate,
            "returned": self.returned_rate,
        }[name]

    def as_dict(self) -> dict[str, Any]:
        return {
            "planned_due": self.planned_due,
            "planned_accepted": self.planned_accepted,
            "planned_with_shortcomings": self.planned_with_shortcomings,
            "counted": self.counted,
            "on_time": self.on_time,
            "returned": self.returned,
            "plan_completion": _frac(self.plan_completion),
            "on_time_rate": _frac(self.on_time_rate),
            "returned_rate": _frac(self.returned_rate),
        }


def work_rates(paths: Iterable[str], period: DateRange) -> WorkRates:
    """One aggregate query over the tasks of the units under `paths` counted in the period.

    planned due = planned tasks counted in the period (accepted in it, or due in it);
    on time = accepted with no counted delay; returned = with a counted major error.
    """
    accepted = Q(state=Task.State.ACCEPTED)
    late = Q(delays__gt=F("exempt_delays"))
    failed = Q(failures__gt=F("exempt_failures"))
    planned = Q(kind=Task.Kind.PLANNED, extra="")
    row = Task.objects.filter(counted_in(period), _under(paths)).aggregate(
        planned_due=Count("id", filter=planned),
        planned_accepted=Count("id", filter=planned & accepted),
        planned_short=Count("id", filter=planned & (~accepted | late | failed)),
        counted=Count("id"),
        on_time=Count("id", filter=accepted & ~late),
        returned=Count("id", filter=failed),
    )
    return WorkRates(
        row["planned_due"],
        row["planned_accepted"],
        row["planned_short"],
        row["counted"],
        row["on_time"],
        row["returned"],
    )


def unit_task_facts(
    paths: Iterable[str], period: DateRange, framework: Framework
) -> dict[str, KindFacts]:
    """The unit's {kind: KindFacts}: tasks recorded in the units under `paths`, one query."""
    out: dict[str, KindFacts] = {}
    for row in task_groups(Task.objects.filter(counted_in(period), _under(paths))):
        add_group(out, framework, row)
    return out


# --- a leader's charge -----------------------------------------------------------------------


def charge_paths(evaluation: Evaluation) -> tuple[list[str], str]:
    """The unit paths a leader answers for in d and đ, and how they were found.

    A head (and an acting head ruled `as_head`) answers for the whole unit. A deputy (and
    an acting head ruled `as_deputy`) answers for the sub-units whose code or name matches
    one of their `assigned_fields` (accents and case ignored); when none matches, for the
    whole unit (fields are not tied to people in the data yet).
    """
    unit = evaluation.unit
    as_deputy = evaluation.role == Assignment.Role.DEPUTY or (
        evaluation.role == Assignment.Role.ACTING_HEAD
        and evaluation.period.acting_head_rule == Period.ActingHeadRule.AS_DEPUTY
    )
    if not as_deputy:
        return [unit.path], "whole_unit"
    wanted = {fold(str(f)).strip() for f in evaluation.assigned_fields or [] if str(f).strip()}
    matched = [
        u.path
        for u in Unit.objects.filter(path__startswith=unit.path).exclude(pk=unit.pk)
        if fold(u.code).strip() in wanted or fold(u.name).strip() in wanted
    ]
    if matched:
        return matched, "assigned_fields"
    return [unit.path], "whole_unit_fallback"


def staff_in_charge(
    evaluation: Evaluation, paths: list[str], rules: RatingRules
) -> QuerySet[Evaluation]:
    """The other evaluations of the period in the leader's charge. A deputy's whole-unit
    fallback leaves out the unit's leaders: its head and acting head, and fellow deputies
    (peers, not in a deputy's charge; with them, two deputies' d would feed each other).
    A head's charge is the framework's `unit_result_scope`: the unit with its sub-units, or
    the unit's own members without its other heads."""
    as_deputy = evaluation.role == Assignment.Role.DEPUTY or (
        evaluation.role == Assignment.Role.ACTING_HEAD
        and evaluation.period.acting_head_rule == Period.ActingHeadRule.AS_DEPUTY
    )
    qs = Evaluation.objects.filter(period=evaluation.period).exclude(pk=evaluation.pk)
    if not as_deputy and rules.unit_result_scope == "unit_members":
        members = qs.filter(unit=evaluation.unit).exclude(role__in=sorted(rules.head_roles))
        return members.select_related("person")
    query = Q(pk__in=[])
    for path in paths:
        query |= Q(unit__path__startswith=path)
    qs = qs.filter(query)
    if as_deputy and paths == [evaluation.unit.path]:
        qs = qs.exclude(unit=evaluation.unit, role__in=Assignment.LEADING_ROLES)
    return qs.select_related("person")


# --- quota groups --------------------------------------------------------------------------


def group_members(group: QuotaGroup) -> QuerySet[Evaluation]:
    return group.members.select_related("person", "unit", "framework").order_by(
        "-points", "person__search_name"
    )


def decision_sheet(group: QuotaGroup) -> dict[str, Any]:
    """What the authority sees before deciding a group: each member's proposed (or decided)
    points and rating, the distribution, the quota line, the engine's proposed demotions
    with reasons, ties left for a human decision, and heads waiting for their unit's rating.

    An undecided member's proposal is computed now on the decision's own basis
    (`close.propose`), not read from the last compile: a unit rated since then caps its
    head, and the demotions shown are the ones the server accepts."""
    from thuocdo.evaluations.close import propose  # close reads this module's selectors

    members = list(group_members(group))
    proposal = propose(group.period, members)
    units = {ev.unit_id: ev.unit for ev in members}
    rows = []
    quota_members = []
    fw: Framework | None = None
    for ev in members:
        fw = fw or engine_framework(ev.framework)
        decided = ev.state == Evaluation.State.DECIDED
        data = ev.result if decided else proposal.data.get(ev.pk)
        rating = ev.rating if decided else (data or {}).get("rating")
        points = ev.points if decided else (data or {}).get("points")
        rows.append(
            {
                "evaluation": ev.pk,
                "person": ev.person.full_name,
                "role": ev.role,
                "points": str(points) if points is not None else None,
                "rating": rating,
                "decided": decided,
                "changes": (data or {}).get("rating_changes", []),
            }
        )
        if rating and points is not None:
            quota_members.append(QuotaMember(str(ev.pk), Decimal(str(points)), rating))
    distribution: dict[str, int] = defaultdict(int)
    for row in rows:
        if row["rating"]:
            distribution[row["rating"]] += 1
    sheet: dict[str, Any] = {
        "group": group.code,
        "name": group.name,
        "members": rows,
        "distribution": dict(distribution),
        "decided": group.decided_at is not None,
        "waiting": [
            {"evaluation": row.pk, "person": row.person_name, "unit": units[row.unit_id]}
            for row in proposal.waiting
        ],
    }
    if fw is not None:
        ratio = Fraction(group.exception_ratio) if group.exception_ratio is not None else None
        quota = resolve_quota(fw, quota_members, group=group.code, exception_ratio=ratio)
        sheet["quota"] = quota.as_dict()
        sheet["quota_line"] = str((quota.ratio * quota.before[1]).limit_denominator(10**6))
    return sheet


# --- the year across agencies --------------------------------------------------------------


@dataclass(frozen=True)
class YearSource:
    month: int
    evaluation_id: int | None
    agency_id: int | None
    unit_id: int | None
    points: Decimal | None
    status: str


def year_months(person: Person, year: int) -> list[YearSource]:
    """Each month's decided points for a person in a year, from whichever agency and unit
    evaluated them (transfers carry results across); leave months from `LeaveMonth`.

    Monthly evaluations come first; a quarterly evaluation's points stand for each of its
    months that no monthly evaluation covers.
    """
    decided = Evaluation.objects.filter(
        person=person,
        period__year=year,
        period__kind__in=[Period.Kind.MONTH, Period.Kind.QUARTER],
        state=Evaluation.State.DECIDED,
    ).select_related("period")
    by_month: dict[int, Evaluation] = {}
    for ev in sorted(decided, key=lambda e: (e.period.kind != Period.Kind.MONTH, e.period.end)):
        months = (
            [ev.period.number]
            if ev.period.kind == Period.Kind.MONTH
            else [3 * ev.period.number - 2 + i for i in range(3)]
        )
        for month in months:
            by_month.setdefault(month, ev)
    leave = dict(LeaveMonth.objects.filter(person=person, year=year).values_list("month", "status"))
    out = []
    for month in range(1, 13):
        found = by_month.get(month)
        status = leave.get(month, "worked" if found is not None else "not_worked")
        out.append(
            YearSource(
                month,
                found.pk if found else None,
                found.agency_id if found else None,
                found.unit_id if found else None,
                found.points if found else None,
                status,
            )
        )
    return out


def month_entries(sources: Iterable[YearSource]) -> list[MonthEntry]:
    """The engine's month entries; months outside any evaluation and any leave are left out."""
    return [MonthEntry(s.month, s.points, s.status) for s in sources if s.status != "not_worked"]


# --- small reads ------------------------------------------------------------------------------


def unit_evaluation_for(period: Period, unit: Unit) -> UnitEvaluation | None:
    return UnitEvaluation.objects.filter(period=period, unit=unit).first()


def notifications_for(person: Person, *, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(recipient=person)
    return qs.filter(read_at__isnull=True) if unread_only else qs


def overdue_complaints(on: dt.date) -> QuerySet[Complaint]:
    return Complaint.objects.filter(state=Complaint.State.OPEN, answer_due__lt=on)


def period_progress(period: Period) -> dict[str, int]:
    """How many evaluations are at each state: the office's dashboard of the period."""
    counts = dict(
        period.evaluations.values_list("state").annotate(n=Count("id")).values_list("state", "n")
    )
    return {state: counts.get(state, 0) for state in Evaluation.State.values}
