"""Per-unit and month totals of a whole agency (`UnitMonth`), computed set-based by the
live refresh job so that the agency dashboard reads a row per unit instead of a row per
person (docs/dashboards.md, "Per-unit totals").

`compute` runs after `live.warm` has made every kept person row fresh: one query for the
members per unit, one pass over the fresh kept rows of the dashboards' months (streamed,
each person counted under the unit of their main post), one grouped query of work counts
per month; then the agency's rows are replaced in one transaction. Its cost grows with
the agency, in a job; a page's does not.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import transaction
from django.db.models import Count, F, Max, Q, QuerySet, Sum

from thuocdo.core import clock
from thuocdo.jobs.models import Job
from thuocdo.org.models import Assignment
from thuocdo.org.selectors import current
from thuocdo.work import live
from thuocdo.work.models import Task, UnitMonth
from thuocdo.work.selectors import OWNER_PENDING, DateRange, counted_in

COUNTS = ("planned_due", "planned_accepted", "counted", "on_time", "returned", "overdue")


def work_counts(tasks: QuerySet[Task], period: DateRange, today: dt.date) -> QuerySet[Any]:
    """Rows of (unit_id, kind, the COUNTS) for the tasks counted in the period as of
    `today`: one grouped query (the agency board's, and the unit dashboard's)."""
    accepted = Q(state=Task.State.ACCEPTED)
    late = Q(delays__gt=F("exempt_delays"))
    failed = Q(failures__gt=F("exempt_failures"))
    planned = Q(kind=Task.Kind.PLANNED, extra="")
    return (
        tasks.filter(counted_in(period, as_of=today))
        .values("unit_id", "kind")
        .annotate(
            planned_due=Count("id", filter=planned),
            planned_accepted=Count("id", filter=planned & accepted),
            counted=Count("id"),
            on_time=Count("id", filter=accepted & ~late),
            returned=Count("id", filter=failed),
            overdue=Count("id", filter=Q(state__in=OWNER_PENDING, effective_deadline__lt=today)),
        )
        .order_by()
    )


def refresh(
    agency_id: int,
    *,
    today: dt.date,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, int]:
    """The live refresh: every stale kept person row of the agency recomputed, then its
    per-unit totals. Returns (person-months recomputed, unit rows written)."""
    stale = live.warm(agency_id, today=today, progress=progress)
    return stale, compute(agency_id, today=today)


def compute(agency_id: int, *, today: dt.date) -> int:
    """Replaces the agency's rows for the dashboards' months; returns how many."""
    months = live.months_back(today)
    posts = list(
        Assignment.objects.filter(current(today), is_concurrent=False, unit__agency_id=agency_id)
        .order_by("person_id", "start_date", "id")
        .values_list("person_id", "unit_id", "role")
    )
    rows: dict[tuple[int, dt.date], dict[str, Any]] = defaultdict(_blank)
    home: dict[int, int] = {}
    for person_id, unit_id, role in posts:
        home[person_id] = unit_id  # the latest start wins, as `live.roles_on`
        for month in months:
            row = rows[(unit_id, month.start)]
            row["headcount"] += 1
            row["staff"] += role not in live.LEADER_ROLES
    kept = (
        live.fresh_rows(list(home), months, today=today)
        .values_list("person_id", "month", "points")
        .iterator(chunk_size=5000)
    )
    for person_id, month_start, points in kept:
        row = rows[(home[person_id], month_start)]
        row["people"] += 1
        if points is not None:
            row["scored"] += 1
            row["hundredths"] += int((Decimal(points) * 100).to_integral_value())
    tasks = Task.objects.filter(agency_id=agency_id)
    for month in months:
        for counts in work_counts(tasks, month, today):
            row = rows[(counts["unit_id"], month.start)]
            for name in COUNTS:
                row[name] += counts[name]
            row["by_kind"][counts["kind"]] = counts["counted"]
    at = clock.now()
    made = [
        UnitMonth(
            agency_id=agency_id,
            unit_id=unit_id,
            month=month_start,
            as_of=min(today, DateRange.month(month_start.year, month_start.month).end),
            computed_at=at,
            **values,
        )
        for (unit_id, month_start), values in rows.items()
    ]
    with transaction.atomic():
        UnitMonth.objects.filter(agency_id=agency_id).delete()
        UnitMonth.objects.bulk_create(made, batch_size=2000)
    return len(made)


def _blank() -> dict[str, Any]:
    return {
        "headcount": 0,
        "staff": 0,
        "people": 0,
        "scored": 0,
        "hundredths": 0,
        **dict.fromkeys(COUNTS, 0),
        "by_kind": {},
    }


SUMS = ("headcount", "staff", "people", "scored", "hundredths", *COUNTS)


class UnitTotals(NamedTuple):
    """One unit's kept row of a month, as the ranking reads it (no model instance)."""

    unit_id: int
    headcount: int
    staff: int
    people: int
    scored: int
    hundredths: int
    planned_due: int
    planned_accepted: int
    counted: int
    on_time: int
    returned: int
    overdue: int
    by_kind: dict[str, int]


@dataclass
class Board:
    """An agency's kept totals over some of its units, as a page reads them."""

    months: dict[dt.date, dict[str, int]] = field(default_factory=dict)  # month start → sums
    computed_at: dt.datetime | None = None
    as_of: dt.date | None = None  # the open month's counting day when they were computed
    refreshing: Job | None = None  # the refresh queued or running, when there is one

    def totals(self, month: DateRange) -> dict[str, int]:
        return self.months.get(month.start) or dict.fromkeys(SUMS, 0)

    def current(self, today: dt.date) -> bool:
        """Computed for today's counting day (else a refresh is due)."""
        return self.as_of == today


def _rows(agency_id: int, unit_ids: Collection[int]) -> QuerySet[UnitMonth]:
    return UnitMonth.objects.filter(agency_id=agency_id, unit_id__any_of=list(unit_ids))


def read(agency_id: int, months: Sequence[DateRange], unit_ids: Collection[int]) -> Board:
    """The sums per month over `unit_ids`, and when they were computed: one grouped query,
    a row per month, whatever the number of units or people."""
    board = Board()
    last = max(month.start for month in months)
    sums: dict[str, Any] = {name: Sum(name) for name in SUMS}
    rows: Iterable[Mapping[str, Any]] = (
        _rows(agency_id, unit_ids)
        .filter(month__in=[month.start for month in months])
        .values("month")
        .annotate(made_at=Max("computed_at"), day=Max("as_of"), **sums)
        .order_by()
    )
    for row in rows:
        board.months[row["month"]] = {name: int(row[name] or 0) for name in SUMS}
        if board.computed_at is None or row["made_at"] > board.computed_at:
            board.computed_at = row["made_at"]
        if row["month"] == last:
            board.as_of = row["day"]
    return board


def unit_rows(agency_id: int, month: DateRange, unit_ids: Collection[int]) -> list[UnitTotals]:
    """Each unit's kept row of the month (the ranking rolls them up the tree)."""
    fields = UnitTotals._fields
    return [
        UnitTotals(*values)
        for values in _rows(agency_id, unit_ids).filter(month=month.start).values_list(*fields)
    ]
