"""Reads of plans and tasks, and the task facts the scoring engine needs.

Which tasks count in a period [start, end] (both inclusive), for their owner:
- an accepted task, by its completion date;
- an open or handed-back task, by its effective deadline (after extensions), and only
  once that deadline is ≤ `as_of` (a live score does not count work not yet due);
- a cancelled task never.
Extra work (taken over, outside the plan) adds to the numerators only. Collaborators get
nothing from a task: its volume belongs to the owner.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)

from thuocdo.audit.models import AuditEntry
from thuocdo.frameworks.selectors import DEFAULT_FRAMEWORK as DEFAULT_FRAMEWORK  # re-exported
from thuocdo.frameworks.selectors import framework_in_force
from thuocdo.org.models import Assignment, Person, Unit
from thuocdo.org.selectors import main_assignment
from thuocdo.scoring import (
    Framework,
    KindFacts,
    LeaderFacts,
    ManualScore,
    PersonInputs,
    PersonResult,
    TaskLine,
    group_facts,
    score_person,
)
from thuocdo.work.models import (
    CatalogueVersion,
    Plan,
    PlanItem,
    ProductType,
    Task,
    TaskEvent,
    TaskFacts,
)

_SUM = DecimalField(max_digits=28, decimal_places=6)  # 2 (quantity) + 4 (coefficient) places


@dataclass(frozen=True)
class DateRange:
    """An evaluation period as dates, both ends inclusive."""

    start: dt.date
    end: dt.date

    @property
    def month_aligned(self) -> bool:
        """Whole months, first day to last (every period is): kept facts can answer."""
        last = calendar.monthrange(self.end.year, self.end.month)[1]
        return self.start.day == 1 and self.end.day == last and self.start <= self.end

    @classmethod
    def month(cls, year: int, month: int) -> DateRange:
        return cls(
            dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])
        )

    @classmethod
    def quarter(cls, year: int, quarter: int) -> DateRange:
        first = 3 * quarter - 2
        return cls(cls.month(year, first).start, cls.month(year, first + 2).end)

    @classmethod
    def year(cls, year: int) -> DateRange:
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31))


def counted_in(period: DateRange, *, as_of: dt.date | None = None) -> Q:
    """The period rule above, as one filter."""
    due_until = period.end if as_of is None else min(period.end, as_of)
    return Q(state=Task.State.ACCEPTED, completed_on__range=(period.start, period.end)) | Q(
        ~Q(state__in=[Task.State.ACCEPTED, Task.State.CANCELLED]),
        effective_deadline__range=(period.start, due_until),
    )


def tasks_counted(
    person_ids: Iterable[int], period: DateRange, *, as_of: dt.date | None = None
) -> QuerySet[Task]:
    return Task.objects.filter(counted_in(period, as_of=as_of), owner_id__any_of=list(person_ids))


def task_facts(
    person_ids: Iterable[int],
    period: DateRange,
    framework: Framework,
    *,
    as_of: dt.date | None = None,
) -> dict[int, dict[str, KindFacts]]:
    """{person id: {kind: KindFacts}} for many people in ONE grouped query.

    SQL sums w and done per (owner, kind, extra?, counted failures, counted delays); the
    few groups are then weighted by q and t in exact fractions with the framework's own
    deductions, so any deduction (not only 0.25) stays exact on every database.
    """
    ids = list(person_ids)
    rows = (
        _kept_groups(ids, period, as_of)
        if period.month_aligned
        else _task_groups(ids, period, as_of)
    )
    out: dict[int, dict[str, KindFacts]] = defaultdict(dict)
    for row in rows:  # one row per group, not per task
        add_group(out[row["owner_id"]], framework, row)
    return dict(out)


def add_group(kinds: dict[str, KindFacts], framework: Framework, row: Mapping[str, Any]) -> None:
    """Adds one summed group (kind, sum_w, sum_done, f, lt, is_extra, n) to {kind:
    KindFacts}, weighted by q and t in exact fractions with the framework's deductions."""
    group = group_facts(
        framework.settings,
        w=_exact(row["sum_w"]),
        done=_exact(row["sum_done"]),
        failures=row["f"],
        delays=row["lt"],
        extra=bool(row["is_extra"]),
        count=int(row["n"]),
    )
    before = kinds.get(row["kind"])
    kinds[row["kind"]] = group if before is None else before + group


def _kept_groups(
    person_ids: list[int], period: DateRange, as_of: dt.date | None
) -> Iterable[Mapping[str, Any]]:
    """The groups summed from the kept rows (`TaskFacts`): a few rows per person and
    month, whatever the number of tasks."""
    due_until = period.end if as_of is None else min(period.end, as_of)
    return (
        TaskFacts.objects.filter(
            Q(pending=False) | Q(due__lte=due_until),
            owner_id__any_of=person_ids,
            month__range=(period.start, period.end),
        )
        .values("owner_id", "kind", "f", "lt", is_extra=F("extra"))
        .annotate(
            sum_w=Sum("w", output_field=_SUM),
            sum_done=Sum("done", output_field=_SUM),
            n=Sum("n"),
        )
        .order_by()
    )


def _task_groups(
    person_ids: list[int], period: DateRange, as_of: dt.date | None
) -> Iterable[Mapping[str, Any]]:
    """The same groups summed from the tasks themselves (a span that is not whole months)."""
    return task_groups(tasks_counted(person_ids, period, as_of=as_of), "owner_id")


def task_groups(tasks: QuerySet[Task], *by: str) -> QuerySet[Any]:
    """The tasks summed per (`by`…, kind, extra?, counted failures, counted delays): the
    rows `add_group` takes (a person's, or a unit's with no `by`)."""
    return (
        tasks.annotate(
            is_extra=Case(
                When(extra="", then=Value(False)), default=Value(True), output_field=BooleanField()
            ),
            f=F("failures") - F("exempt_failures"),
            lt=F("delays") - F("exempt_delays"),
        )
        .values(*by, "kind", "is_extra", "f", "lt")
        .annotate(
            sum_w=Sum(
                Case(
                    When(extra="", then=F("quantity") * F("coefficient")),
                    default=Value(0),
                    output_field=_SUM,
                ),
                output_field=_SUM,
            ),
            sum_done=Sum(
                Case(
                    When(state=Task.State.ACCEPTED, then=F("done_quantity") * F("coefficient")),
                    default=Value(0),
                    output_field=_SUM,
                ),
                output_field=_SUM,
            ),
            n=Count("id"),
        )
        .order_by()
    )


def task_lines(
    person: Person, period: DateRange, *, as_of: dt.date | None = None
) -> list[TaskLine]:
    """The same tasks as engine `TaskLine`s: the per-task path, for breakdowns and checks."""
    lines = []
    for task in tasks_counted([person.pk], period, as_of=as_of).order_by(
        "effective_deadline", "id"
    ):
        done = task.done_quantity if task.state == Task.State.ACCEPTED else 0
        lines.append(
            TaskLine(
                kind=task.kind,
                quantity=Fraction(task.quantity),
                coefficient=Fraction(task.coefficient),
                done=Fraction(done or 0),
                failures=task.failures,
                exempt_failures=task.exempt_failures,
                delays=task.delays,
                exempt_delays=task.exempt_delays,
                extra=task.extra or None,
                key=str(task.pk),
                title=task.title,
            )
        )
    return lines


def live_kpi(
    *,
    person: Person,
    period: DateRange,
    framework: Framework | None = None,
    general_points: Any = None,
    manual: Mapping[str, ManualScore] | None = None,
    leader: LeaderFacts | None = None,
    as_of: dt.date | None = None,
    explain: bool = True,
) -> PersonResult:
    """The person's score for the period from the recorded work, with its breakdown.

    General criteria come from the evaluation (given points or manual scores); without
    them the engine says what is missing. The role is the main assignment's at the end
    of the period. A quarter or year is the mean of months (art. 17(3)): score months.
    Without `framework`, the one in force for the person's agency at the period's end
    (`framework_in_force`): the framework the agency's evaluation of it uses.
    """
    fw = framework or framework_in_force(person.agency_id, period.end).framework
    if period.month_aligned:  # one statement: the role and the kept groups
        role, facts = _role_and_kept_facts(person.pk, period, fw, as_of)
    else:
        home = main_assignment(person, period.end)
        role = home.role if home is not None else "staff"
        facts = task_facts([person.pk], period, fw, as_of=as_of).get(person.pk, {})
    given = {} if general_points is None else {"general": Fraction(str(general_points))}
    inputs = PersonInputs(
        person_id=str(person.pk),
        role=role,
        tasks=facts,
        manual=manual or {},
        given_points=given,
        leader=leader,
    )
    return score_person(fw, inputs, explain=explain)


_MICRO = Decimal("0.000001")  # w and done carry 6 places (quantity 2 + coefficient 4)


def _exact(value: Any) -> Fraction:
    """A summed w or done as an exact fraction: SQLite sums decimals as floats, whose
    noise lies far below the sixth place the values are made of."""
    if value is None:
        return Fraction(0)
    if isinstance(value, float):
        return Fraction(Decimal(value).quantize(_MICRO))
    return Fraction(value)


def _role_and_kept_facts(
    person_id: int, period: DateRange, framework: Framework, as_of: dt.date | None
) -> tuple[str, dict[str, KindFacts]]:
    """What `live_kpi` reads, in one round trip: the role of the person's main assignment
    at the period's end (as `main_assignment`) and their kept task groups (as
    `_kept_groups`). The ORM would spend longer building these two queries than the
    database takes to answer them, on a path that runs after every task write."""
    due_until = period.end if as_of is None else min(period.end, as_of)
    sql = f"""
        SELECT (SELECT a.role FROM {Assignment._meta.db_table} a
                WHERE a.person_id = %s AND NOT a.is_concurrent AND a.start_date <= %s
                  AND (a.end_date IS NULL OR a.end_date >= %s)
                ORDER BY a.start_date DESC LIMIT 1),
               g.kind, g.extra, g.f, g.lt, g.w, g.done, g.n
        FROM (SELECT 1 AS one) AS one LEFT JOIN (
            SELECT kind, extra, f, lt, SUM(w) AS w, SUM(done) AS done, SUM(n) AS n
            FROM {TaskFacts._meta.db_table}
            WHERE owner_id = %s AND month BETWEEN %s AND %s AND (NOT pending OR due <= %s)
            GROUP BY kind, extra, f, lt
        ) AS g ON 1 = 1"""
    params: list[Any] = [
        person_id,
        period.end,
        period.end,
        person_id,
        period.start,
        period.end,
        due_until,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    role = rows[0][0] or "staff"
    facts: dict[str, KindFacts] = {}
    names = ("kind", "is_extra", "f", "lt", "sum_w", "sum_done", "n")
    for row in rows:
        if row[1] is not None:  # None: no kept group (the LEFT JOIN's empty row)
            add_group(facts, framework, dict(zip(names, row[1:], strict=True)))
    return role, facts


# --- plain reads ------------------------------------------------------------------------------


def product_types_in_force(
    agency: Unit, *, job_position_id: int | None = None
) -> QuerySet[ProductType]:
    """The latest decided version's product types (job-position catalogue first)."""
    versions = CatalogueVersion.objects.filter(
        catalogue__agency=agency, status=CatalogueVersion.Status.DECIDED
    )
    latest = (
        versions.filter(catalogue__job_position_id=job_position_id).order_by("-number").first()
        if job_position_id is not None
        else None
    ) or versions.filter(catalogue__job_position__isnull=True).order_by("-number").first()
    if latest is None:
        return ProductType.objects.none()
    return latest.product_types.all()


def task_events(task: Task) -> QuerySet[TaskEvent]:
    return task.events.select_related("actor").order_by("at", "id")


def task_audit_entries(task: Task) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(object_type="work.task", object_id=str(task.pk)).order_by(
        "at", "id"
    )


# --- long lists: urgent work first, plans one month at a time ---------------------------------

# Work waiting on its owner: the states in which a deadline can pass unnoticed.
OWNER_PENDING = (Task.State.ASSIGNED, Task.State.IN_PROGRESS, Task.State.RETURNED)
SOON_DAYS = 3


def urgent_first(tasks: QuerySet[Task], *, today: dt.date) -> QuerySet[Task]:
    """Overdue work first, then work due within `SOON_DAYS` (each by its deadline, the most
    pressing first), then the rest newest first — so a page cut short shows what matters."""
    soon = today + dt.timedelta(days=SOON_DAYS)
    pending = Q(state__in=OWNER_PENDING)
    urgency = Case(
        When(pending & Q(effective_deadline__lt=today), then=Value(0)),
        When(pending & Q(effective_deadline__lte=soon), then=Value(1)),
        default=Value(2),
    )
    # Only urgent rows sort by deadline; the others all get NULL, so the nulls' place (which
    # differs between SQLite and PostgreSQL) never decides anything.
    pressing = Case(When(pending & Q(effective_deadline__lte=soon), then=F("effective_deadline")))
    return tasks.order_by(urgency, pressing, "-assigned_on", "-id")


def plan_items_in_month(month: int) -> Q:
    """A plan's items of a month (1–12): the month's own and those of its quarter."""
    return Q(frequency=PlanItem.Frequency.MONTH, period_number=month) | Q(
        frequency=PlanItem.Frequency.QUARTER, period_number=(month + 2) // 3
    )


def plan_month_counts(plan: Plan) -> dict[int, int]:
    """{month: number of items shown in it} for months 1–12, in one grouped query; a
    quarter's item is counted in each of its three months, where it is shown."""
    counts = dict.fromkeys(range(1, 13), 0)
    rows = plan.items.order_by().values("frequency", "period_number").annotate(n=Count("pk"))
    for row in rows:
        number, n = row["period_number"], row["n"]
        if row["frequency"] == PlanItem.Frequency.QUARTER:
            for month in range(3 * number - 2, 3 * number + 1):
                counts[month] += n
        elif number in counts:
            counts[number] += n
    return counts
