"""Read-only selectors behind the dashboards (issue 6): My dashboard, the unit dashboard, the
agency dashboard and the header search.

Every function takes querysets the caller has already narrowed with `visible_*` (so a
dashboard never shows what a detail page would refuse) and issues a FIXED number of
queries, whatever the number of people:

- live task points of many people are read from the rows `work.live` keeps per person and
  month (recomputed there, in bulk, only when a task write or the date made them stale);
- roles come from one query over the assignments in force;
- decided evaluations, unit KPIs, plan items and overdue work are one query each;
- rankings roll per-unit aggregates up the tree in Python (one grouped query by unit), and
  leave out the units with too little data (`RANK_MIN_*`).

Leaders (head, acting head, deputy) need d, đ, e, which only the evaluation provides
(docs/evaluations.md): their live a, b, c are shown and the points are marked
"tính khi đánh giá" rather than failing.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, NamedTuple

from django.db.models import Count, F, Q, QuerySet, Sum

from thuocdo.core import clock
from thuocdo.core.text import fold, in_language
from thuocdo.evaluations.models import Evaluation, Period, QuotaGroup, UnitEvaluation, UnitKpi
from thuocdo.jobs.models import Job
from thuocdo.jobs.services import active_job
from thuocdo.org.models import Person, Unit
from thuocdo.scoring import Framework, TaskLine
from thuocdo.scoring.inputs import task_contribution
from thuocdo.work import board
from thuocdo.work.jobs import start_live_refresh
from thuocdo.work.jobs import target as live_target
from thuocdo.work.live import (
    LEADER_ROLES,
    MONTHS_BACK,
    Live,
    MonthSummary,
    explain_month,
    framework,
    live_points,
    months_back,
    roles_on,
    task_max,
)
from thuocdo.work.models import PlanItem, Task, UnitMonth
from thuocdo.work.selectors import DateRange, counted_in

__all__ = [  # re-exported for the views
    "LEADER_ROLES",
    "MONTHS_BACK",
    "Live",
    "MonthSummary",
    "explain_month",
    "framework",
    "months_back",
    "roles_on",
    "task_max",
]

S = Task.State
OWNER_PENDING = (S.ASSIGNED, S.IN_PROGRESS, S.RETURNED)
SEARCH_LIMIT = 20


def month_of(day: dt.date) -> DateRange:
    return DateRange.month(day.year, day.month)


# --- live points ------------------------------------------------------------------------------


def live_trend(
    person_ids: Collection[int], today: dt.date, *, fw: Framework | None = None
) -> dict[DateRange, dict[int, Live]]:
    """Live points per month over `MONTHS_BACK` months, read from the kept rows
    (`work.live`): a fixed number of queries, any headcount."""
    return live_points(person_ids, months_back(today), today=today, fw=fw)


# --- the agency's kept per-unit totals ----------------------------------------------------------

# Older kept totals are shown (with when they were computed) while a refresh is queued.
BOARD_MAX_AGE = dt.timedelta(minutes=10)


def agency_board(
    agency: Unit, today: dt.date, unit_ids: Collection[int], *, back: str = ""
) -> board.Board:
    """The agency's per-unit totals as kept (`work.board`), summed per month over
    `unit_ids` in one query. When they are not from today's counting day, or older than
    `BOARD_MAX_AGE`, a refresh is queued (never computed here): the page shows what is
    kept meanwhile."""
    months = months_back(today)
    kept = board.read(agency.pk, months, unit_ids)
    old = (
        kept.computed_at is None
        or not kept.current(today)
        or clock.now() - kept.computed_at > BOARD_MAX_AGE
    )
    running = active_job(live_target(agency))
    if old and running is None:
        start_live_refresh(agency=agency, back=back)
        kept = board.read(agency.pk, months, unit_ids)  # a queue that runs at once made them
        running = active_job(live_target(agency))
    kept.refreshing = running
    return kept


@dataclass
class KeptRates:
    """A subtree's work counts in a month from the kept unit rows, and when they were made."""

    rates: Rates
    computed_at: dt.datetime
    refreshing: Job | None


def kept_rates(
    agency: Unit, month: DateRange, today: dt.date, unit_ids: Collection[int], *, back: str = ""
) -> KeptRates | None:
    """The month's rates over `unit_ids` summed from the kept unit rows (`work.board`): a
    row per unit, whatever the people and tasks below; kept fresh as `agency_board` keeps
    them. None when the agency's rows were never computed (the refresh is queued)."""
    kept = agency_board(agency, today, unit_ids, back=back)
    if kept.computed_at is None:
        return None
    rates = Rates()
    for row in board.unit_rows(agency.pk, month, unit_ids):
        rates.add(rates_of(row))
    return KeptRates(rates, kept.computed_at, kept.refreshing)


def board_summary(kept: board.Board, today: dt.date) -> dict[DateRange, MonthSummary]:
    """Per month of the dashboards: people with points and their sum."""
    out = {}
    for month in months_back(today):
        sums = kept.totals(month)
        out[month] = MonthSummary(sums["people"], sums["scored"], sums["hundredths"])
    return out


def board_standings(
    rows: Iterable[board.UnitTotals], paths: Mapping[int, str], top: Iterable[Unit]
) -> tuple[list[Standing], list[Standing]]:
    """`standings` from kept unit rows of the ranked month (`paths`: unit id → path): a
    step per unit, not per person; each department's rates take in its offices'."""
    rows = [row for row in rows if row.unit_id in paths]
    top = list(top)
    rates = roll_up_rates({row.unit_id: rates_of(row) for row in rows}, top, paths)
    parts = (
        Part(paths[row.unit_id], row.headcount, row.staff, row.scored, row.hundredths)
        for row in rows
    )
    return standings(parts, top, rates)


# --- decided evaluations -------------------------------------------------------------------------


def decided(evaluations: QuerySet[Evaluation]) -> QuerySet[Evaluation]:
    return (
        evaluations.filter(state=Evaluation.State.DECIDED)
        .select_related("period", "framework")
        .order_by("period__start", "period__kind", "person_id")
    )


def month_key(period: Period) -> tuple[int, int] | None:
    return (period.year, period.number) if period.kind == Period.Kind.MONTH else None


def rating_counts(ratings: Iterable[str]) -> dict[str, int]:
    counts = Counter(r for r in ratings if r)
    return {key: counts.get(key, 0) for key in ("excellent", "good", "completed", "not_completed")}


def rating_counts_in(evaluations: QuerySet[Evaluation], period: Period | None) -> dict[str, int]:
    """Ratings decided in the period among these evaluations: one grouped query."""
    counts = Counter[str]()
    if period is not None:
        rows = (
            evaluations.filter(state=Evaluation.State.DECIDED, period=period)
            .values_list("rating")
            .annotate(n=Count("id"))
            .order_by()
        )
        counts.update(dict(rows))
    return rating_counts(counts.elements())


def quota_line(counts: Mapping[str, int], fw: Framework | None = None) -> int:
    """How many "excellent" the quota allows for these counts (Art. 20(5), as
    `scoring.quota`: excellent ≤ ratio × good, on the final counts)."""
    fw = fw or framework()
    return int(fw.quota.ratio * counts.get(fw.quota.base_rating, 0))


# --- work ----------------------------------------------------------------------------------------


def due_and_overdue(tasks: QuerySet[Task], today: dt.date, *, days: int = 7) -> QuerySet[Task]:
    """Work waiting on its owner, overdue or due within `days`."""
    return (
        tasks.filter(state__in=OWNER_PENDING, effective_deadline__lte=today + dt.timedelta(days))
        .select_related("owner", "unit")
        .order_by("effective_deadline", "id")
    )


def work_counts(tasks: QuerySet[Task], today: dt.date) -> dict[str, int]:
    """One aggregate: open, overdue, due this week, waiting for acceptance."""
    week_end = today + dt.timedelta(days=6 - today.weekday())
    # every count is of open work: the filter lets the partial index `task_open_unit` answer
    return tasks.filter(state__in=(*OWNER_PENDING, S.SUBMITTED, S.RESUBMITTED)).aggregate(
        overdue=Count("pk", filter=Q(state__in=OWNER_PENDING, effective_deadline__lt=today)),
        week=Count(
            "pk", filter=Q(state__in=OWNER_PENDING, effective_deadline__range=(today, week_end))
        ),
        waiting=Count("pk", filter=Q(state__in=(S.SUBMITTED, S.RESUBMITTED))),
    )


@dataclass
class Cost:
    task: Task
    lost_volume: Fraction
    lost_quality: Fraction
    lost_time: Fraction
    failures: int
    delays: int


def costing_points(
    tasks: QuerySet[Task], period: DateRange, today: dt.date, fw: Framework | None = None
) -> list[Cost]:
    """Counted tasks that lower a, b or c: not done though due, returned, or late."""
    fw = fw or framework()
    rows = (
        tasks.filter(counted_in(period, as_of=today), extra="")
        .filter(
            ~Q(state=S.ACCEPTED)
            | Q(failures__gt=F("exempt_failures"))
            | Q(delays__gt=F("exempt_delays"))
        )
        .order_by("effective_deadline", "id")[:50]
    )
    out = []
    for task in rows:
        done = task.done_quantity if task.state == S.ACCEPTED else 0
        line = TaskLine(
            kind=task.kind,
            quantity=Fraction(task.quantity),
            coefficient=Fraction(task.coefficient),
            done=Fraction(done or 0),
            failures=task.failures,
            exempt_failures=task.exempt_failures,
            delays=task.delays,
            exempt_delays=task.exempt_delays,
            key=str(task.pk),
            title=task.title,
        )
        share = task_contribution(fw.settings, line)
        out.append(
            Cost(
                task,
                share.w - share.done,
                share.done * (1 - share.q),
                share.done * (1 - share.t),
                share.counted_failures,
                share.counted_delays,
            )
        )
    return out


@dataclass
class Rates:
    """Plan and timeliness counts over counted tasks (as `evaluations.selectors.WorkRates`)."""

    planned_due: int = 0
    planned_accepted: int = 0
    counted: int = 0
    on_time: int = 0
    returned: int = 0
    overdue: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    def add(self, other: Rates) -> None:
        self.planned_due += other.planned_due
        self.planned_accepted += other.planned_accepted
        self.counted += other.counted
        self.on_time += other.on_time
        self.returned += other.returned
        self.overdue += other.overdue
        for kind, n in other.by_kind.items():
            self.by_kind[kind] = self.by_kind.get(kind, 0) + n

    @property
    def plan_completion(self) -> Fraction | None:
        """None when nothing planned was due: "—", not a flattering 100%."""
        if not self.planned_due:
            return None
        return Fraction(100) * self.planned_accepted / self.planned_due

    @property
    def on_time_rate(self) -> Fraction | None:
        return Fraction(100) * self.on_time / self.counted if self.counted else None


def rates_by_unit(tasks: QuerySet[Task], period: DateRange, today: dt.date) -> dict[int, Rates]:
    """{unit id: Rates} for the tasks counted in the period: one grouped query."""
    out: dict[int, Rates] = defaultdict(Rates)
    for row in board.work_counts(tasks, period, today):
        out[row["unit_id"]].add(
            Rates(
                row["planned_due"],
                row["planned_accepted"],
                row["counted"],
                row["on_time"],
                row["returned"],
                row["overdue"],
                {row["kind"]: row["counted"]},
            )
        )
    return dict(out)


def rates_from(sums: Mapping[str, int]) -> Rates:
    """Rates from kept counts summed over units (`board.Board.totals`)."""
    return Rates(
        sums["planned_due"],
        sums["planned_accepted"],
        sums["counted"],
        sums["on_time"],
        sums["returned"],
        sums["overdue"],
    )


def rates_of(row: board.UnitTotals | UnitMonth) -> Rates:
    """A kept unit row's work counts."""
    return Rates(
        row.planned_due,
        row.planned_accepted,
        row.counted,
        row.on_time,
        row.returned,
        row.overdue,
        dict(row.by_kind),
    )


def roll_up_rates(
    per_unit: Mapping[int, Rates],
    units: Iterable[Unit],
    paths: Mapping[int, str] | None = None,
) -> dict[int, Rates]:
    """Adds each unit's rates to every ancestor among `units` (by materialised path); the
    path of a unit in `per_unit` is taken from `paths` when given, else from `units`."""
    by_path = {unit.path: unit.pk for unit in units}
    if paths is None:
        paths = {pk: path for path, pk in by_path.items()}
    out: dict[int, Rates] = {pk: Rates() for pk in by_path.values()}
    for unit_id, rates in per_unit.items():
        path = paths.get(unit_id)
        if path is None:
            continue
        for ancestor_path, ancestor in by_path.items():
            if path.startswith(ancestor_path):
                out[ancestor].add(rates)
    return out


# --- unit ranking ----------------------------------------------------------------------------

# A unit is ranked only on enough data: a mean over one person, or over two days of a month,
# says more about who happened to finish a task than about the unit. The page states these
# numbers (agency.html), so change them there in the same words.
RANK_MIN_PEOPLE = 3  # people with live task points in the month…
RANK_MIN_SHARE = Fraction(1, 2)  # …and at least half of the unit's staff (not its leaders)
RANK_MIN_WORKING_DAYS = 10  # Monday–Friday days into the month; before that, last month


def working_days(start: dt.date, end: dt.date) -> int:
    """Days Monday to Friday from `start` to `end`, both included (holidays not modelled,
    as `evaluations.services.add_working_days`)."""
    if end < start:
        return 0
    weeks, rest = divmod((end - start).days + 1, 7)
    return weeks * 5 + sum((start.weekday() + i) % 7 < 5 for i in range(rest))


def rank_period(today: dt.date) -> DateRange:
    """The month the unit ranking covers: this month once it has `RANK_MIN_WORKING_DAYS`
    working days up to today, else the whole previous month."""
    month = month_of(today)
    if working_days(month.start, today) >= RANK_MIN_WORKING_DAYS:
        return month
    last = month.start - dt.timedelta(days=1)
    return month_of(last)


@dataclass
class Standing:
    """A top-level unit in the ranking: its people and the mean of their live points."""

    unit: Unit
    headcount: int = 0
    staff: int = 0  # members without a leading role: only they have live points
    scored: int = 0
    hundredths: int = 0  # Σ points × 100 of the scored
    rates: Rates = field(default_factory=Rates)

    @property
    def mean(self) -> Fraction | None:
        return Fraction(self.hundredths, 100 * self.scored) if self.scored else None

    @property
    def thin(self) -> str:
        """Why the unit is left out of the ranking ("" when it is ranked)."""
        if not self.headcount:
            return "empty"
        if self.scored < RANK_MIN_PEOPLE:
            return "few_people"
        if self.scored < RANK_MIN_SHARE * self.staff:
            return "low_share"
        return ""


class Part(NamedTuple):
    """What some people add to the unit holding them: a unit's kept row, or one person."""

    path: str  # the unit's materialised path
    headcount: int
    staff: int  # without a leading role
    scored: int  # with live points in the ranked month
    hundredths: int  # their Σ points × 100


def standings(
    parts: Iterable[Part], units: Iterable[Unit], rates: Mapping[int, Rates]
) -> tuple[list[Standing], list[Standing]]:
    """(ranked, thin): each part under the top-level unit (of `units`) holding it. Ranked
    by mean, best first; the thin ones, with too little data, by path."""
    by_unit = {unit.pk: Standing(unit, rates=rates.get(unit.pk, Rates())) for unit in units}
    homes = sorted(by_unit.values(), key=lambda s: len(s.unit.path), reverse=True)
    for part in parts:
        home = next((s for s in homes if part.path.startswith(s.unit.path)), None)
        if home is None:
            continue
        home.headcount += part.headcount
        home.staff += part.staff
        home.scored += part.scored
        home.hundredths += part.hundredths
    ranked = [s for s in by_unit.values() if not s.thin]
    ranked.sort(key=lambda s: (-(s.mean or 0), s.unit.path))
    thin = sorted((s for s in by_unit.values() if s.thin), key=lambda s: s.unit.path)
    return ranked, thin


# --- plan alignment ----------------------------------------------------------------------------


def _attainment(target: Any, tasks: int, accepted: int, overdue: int) -> str:
    """Whether a plan item's "achieved against target" can be read yet. "measured" only
    when there is a target and some work has been accepted or is overdue: an item whose
    work is all still ahead shows "not yet", not a misleading 0%."""
    if not target:
        return "no_target"
    if not tasks:
        return "no_tasks"
    if not accepted and not overdue:
        return "not_yet"
    return "measured"


def plan_alignment(
    items: QuerySet[PlanItem], period: DateRange, today: dt.date
) -> list[dict[str, Any]]:
    """Plan items of the period (its month, or its quarter) with the work linked to them:
    one query. `share` is the quantity accepted so far against the item's target for the
    WHOLE month or quarter, so it differs from `Rates.plan_completion`, which counts only
    planned tasks already due; `state` says when there is nothing to measure yet."""
    month = period.start.month
    quarter = (month - 1) // 3 + 1
    rows = (
        items.filter(plan__year=period.start.year)
        .filter(
            Q(frequency="month", period_number=month)
            | Q(frequency="quarter", period_number=quarter)
        )
        .annotate(
            n_tasks=Count("tasks", filter=~Q(tasks__state=S.CANCELLED)),
            n_accepted=Count("tasks", filter=Q(tasks__state=S.ACCEPTED)),
            n_overdue=Count(
                "tasks",
                filter=Q(tasks__state__in=OWNER_PENDING, tasks__effective_deadline__lt=today),
            ),
            done=Sum("tasks__done_quantity", filter=Q(tasks__state=S.ACCEPTED)),
        )
        .select_related("plan__unit")
        .order_by("plan__unit__path", "id")
    )
    out = []
    for item in rows:
        state = _attainment(item.target_quantity, item.n_tasks, item.n_accepted, item.n_overdue)
        out.append(
            {
                "item": item,
                "tasks": item.n_tasks,
                "accepted": item.n_accepted,
                "overdue": item.n_overdue,
                "done": item.done,
                "state": state,
                "share": (
                    Fraction(100) * Fraction(item.done or 0) / Fraction(item.target_quantity)
                    if state == "measured" and item.target_quantity
                    else None
                ),
            }
        )
    return out


# --- units ---------------------------------------------------------------------------------------


def latest_unit_kpis(unit_evaluations: QuerySet[UnitEvaluation], unit: Unit) -> list[UnitKpi]:
    """The unit's KPIs from its latest unit evaluation: one query."""
    return list(
        UnitKpi.objects.filter(
            unit_evaluation__in=unit_evaluations.filter(unit=unit)
            .order_by("-period__start", "-id")
            .values("pk")[:1]
        ).order_by("group", "id")
    )


def latest_decided_period(evaluations: QuerySet[Evaluation]) -> Period | None:
    row = (
        evaluations.filter(state=Evaluation.State.DECIDED)
        .select_related("period", "framework")
        .order_by("-period__end", "-period__id")
        .first()
    )
    return row.period if row is not None else None


def quota_distribution(groups: QuerySet[QuotaGroup], period: Period | None) -> list[dict[str, Any]]:
    """Ratings per quota group of the period: one grouped query."""
    if period is None:
        return []
    rows = (
        groups.filter(period=period)
        .values("pk", "code", "name", "unit__name_en", "members__rating")
        .annotate(n=Count("members"))
        .order_by("code")
    )
    by_group: dict[int, dict[str, Any]] = {}
    for row in rows:
        entry = by_group.setdefault(
            row["pk"],
            {
                "code": row["code"],
                "name": in_language(row["name"], row["unit__name_en"]),  # a unit's group
                "ratings": Counter(),
            },
        )
        if row["members__rating"]:
            entry["ratings"][row["members__rating"]] += row["n"]
    out = []
    for entry in by_group.values():
        counts = rating_counts(entry["ratings"].elements())
        out.append({**entry, "counts": counts, "quota": quota_line(counts)})
    return out


# --- search -------------------------------------------------------------------------------


@dataclass
class SearchResults:
    query: str
    people: list[Person]
    units: list[Unit]
    tasks: list[Task]


def search(
    needle: str, *, people: QuerySet[Person], units: QuerySet[Unit], tasks: QuerySet[Task]
) -> SearchResults:
    """Accent-insensitive search: `nguyen van a` finds `Nguyễn Văn A`. Three queries.

    People and tasks through their folded `search_name` / `search_title` columns (every
    word must appear); units are few, so their names are folded here.
    """
    key = fold(needle)
    if not key:
        return SearchResults(needle, [], [], [])
    words = key.split()
    person_q, task_q = Q(), Q()
    for word in words:
        person_q &= Q(search_name__contains=word) | Q(code__iexact=word)
        task_q &= Q(search_title__contains=word)
    found_people = list(people.filter(person_q).order_by("search_name", "id")[:SEARCH_LIMIT])

    def matches(*texts: str) -> bool:
        folded = " ".join(fold(t) for t in texts if t)
        return all(word in folded for word in words)

    found_units = [
        unit
        for unit in units.order_by("path")
        if matches(unit.name, unit.short_name, unit.code, unit.name_en)
    ][:SEARCH_LIMIT]
    found_tasks = list(
        tasks.filter(task_q).select_related("owner").order_by("-updated_at", "-id")[:SEARCH_LIMIT]
    )
    return SearchResults(needle, found_people, found_units, found_tasks)
