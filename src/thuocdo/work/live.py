"""Live task points per person and month, kept in `LiveMonth` so that the dashboards read
them rather than scoring every member × month on every request (issue 6, item 9).

Which framework: the one in force for the person's agency in that month
(`frameworks.selectors.framework_in_force`: the period covering the month, else the
agency's latest period's, else the agency's own published version, else the national
default), resolved once per agency and month, so live points are the numbers the
agency's evaluations give. A caller may still name a framework (`fw=`).

How a kept number stays right:
- every write to a task calls `touch(owner ids)` inside its transaction, which gives each
  owner's `LiveStamp` a new token; so does every saved or deleted assignment (a signal,
  `work.apps`), since the role in force on the counting day picks the formula; and so
  does every change to which framework is in force (a period created or given another
  framework, a framework version published, retired or deleted: `touch_agency`, signals
  in `work.apps`), for every person of the agency (of every agency, for a national one);
- a kept row is fresh while its token is the person's current one, its counting day
  (`as_of`: today in the open month, the month's last day after it) is today's, and its
  framework key is right: made with the framework in force (`in-force:` and the content
  hash) when the framework in force is asked for, or with the named one. The key ends
  with `FORMULA` and the shipped default preset's hash, so a release that changes either
  recomputes every row. Between writes, the role on a fixed past day cannot change, the
  framework in force for a month is fixed by the stored periods and versions, and the
  open month's day moves daily, so neither needs a check of its own;
- `live_points` reads the fresh rows, then the tokens of the rest, then recomputes those:
  per month that has stale rows one roles query, the frameworks in force (once per agency
  and month) and one `task_facts` query per framework, then one upsert statement
  (executemany) for all of them. Tokens are read before the frameworks and the facts, so
  a write committed while a request computes leaves a newer token behind and its row is
  recomputed on the next read instead of being kept.

So a warm page costs one query whatever the headcount, and a cold one a fixed few more.
Only the task-results part is live (a, b, c and its points); the general criteria and a
leader's d, đ, e come with the evaluation, so a leader's points wait for it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Round

from thuocdo.frameworks.selectors import (
    DEFAULT_FRAMEWORK,
    InForceCache,
    framework_in_force,
    frameworks_by_hash,
)
from thuocdo.org.models import Assignment, Person
from thuocdo.org.selectors import current
from thuocdo.scoring import (
    Framework,
    InputError,
    KindFacts,
    Node,
    PersonInputs,
    PersonResult,
    load_preset,
    score_person,
)
from thuocdo.work.models import LiveMonth, LiveStamp
from thuocdo.work.selectors import DateRange, task_facts

LEADER_ROLES = frozenset(str(role) for role in Assignment.LEADING_ROLES)
# Bump when the way a kept row is computed changes: every kept row is then recomputed.
FORMULA = 2
# The key of a row made with the framework in force for the person's agency and month.
IN_FORCE = "in-force:"
# a, b, c: the task-results parts by what they measure (keys differ between frameworks).
MEASURES = ("quantity", "quality", "timeliness")


MONTHS_BACK = 6  # what the dashboards show: this month and the five before


def framework(agency: int | None = None, month: DateRange | None = None) -> Framework:
    """The framework in force for the agency in the month (`framework_in_force`); with no
    agency, the national default preset."""
    if agency is None:
        return load_preset(DEFAULT_FRAMEWORK)
    assert month is not None, "the framework in force depends on the month"
    return framework_in_force(agency, month.end).framework


def months_back(today: dt.date, count: int = MONTHS_BACK) -> list[DateRange]:
    """The `count` months ending with today's, oldest first."""
    out: list[DateRange] = []
    year, month = today.year, today.month
    for _ in range(count):
        out.append(DateRange.month(year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out[::-1]


def warm(
    agency_id: int,
    *,
    today: dt.date,
    fw: Framework | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Recomputes every stale kept row of the agency's people over the dashboards' months,
    month by month (`live_points`: a fixed few queries a month), with the framework in
    force for each month unless `fw` names one. Run by a job after start and nightly, so a
    page finds the rows kept rather than filling them itself. Returns how many
    person-months were stale."""
    ids = list(
        Assignment.objects.filter(current(today), is_concurrent=False, unit__agency_id=agency_id)
        .values_list("person_id", flat=True)
        .distinct()
    )
    months = months_back(today)
    stale = 0
    for done, month in enumerate(months, start=1):
        fresh = fresh_rows(ids, [month], today=today, fw=fw).count()
        stale += len(ids) - fresh
        if fresh < len(ids):
            live_points(ids, [month], today=today, fw=fw)
        if progress is not None:
            progress(done, len(months))
    return stale


def _made_by() -> str:
    """The end of every key: the formula and the shipped default preset's content."""
    return f"#{FORMULA}.{load_preset(DEFAULT_FRAMEWORK).content_hash[7:19]}"


def framework_key(fw: Framework, *, in_force: bool = False) -> str:
    """What a kept row records about the framework it was computed with."""
    return f"{IN_FORCE if in_force else ''}{fw.content_hash}{_made_by()}"


def _hash_of(key: str) -> str:
    return key.removeprefix(IN_FORCE).partition("#")[0]


def task_max(fw: Framework) -> Fraction:
    """The points of the task-results part (70 in the decree preset)."""

    def find(node: Node) -> Node | None:
        if node.key == "task_results":
            return node
        for child in node.children:
            found = find(child)
            if found is not None:
                return found
        return None

    node = find(fw.individual.root)
    size = node.points_max if node is not None else None
    return size if size is not None else Fraction(70)


_PARTS: dict[str, tuple[str, str, str]] = {}


def part_keys(fw: Framework) -> tuple[str, str, str]:
    """The keys of the task-results nodes that are a, b and c: in each, every task ratio
    measures quantity, quality or timeliness (the decree's a, b, c; the Ban's volume,
    quality, timeliness groups). Blank where the framework has no such part."""
    found = _PARTS.get(fw.content_hash)
    if found is None:
        top = fw.find("task_results")
        keys = []
        for measure in MEASURES:
            key = ""
            for child in top.children if top is not None else ():
                ratios = [n for n in child.walk() if n.type == "task_ratio"]
                if ratios and all(n.measure == measure for n in ratios):
                    key = child.key
                    break
            keys.append(key)
        found = _PARTS[fw.content_hash] = (keys[0], keys[1], keys[2])
    return found


def _ratio(text: str) -> Fraction | None:
    return Fraction(text) if text else None


@dataclass
class Live:
    """One person's running task points for a month: a, b, c and the part's points."""

    person_id: int
    role: str
    period: DateRange
    counted: int = 0
    ratios: tuple[str, str, str] = ("", "", "")  # a, b, c as exact "n/d", parsed on use
    points: Decimal | None = None
    max_points: Fraction | None = None
    reason_vi: str = ""
    reason_en: str = ""
    result: PersonResult | None = None  # the whole result, when it was asked to explain

    @property
    def leader_pending(self) -> bool:
        """d, đ, e come with the evaluation, so a leader's points wait for it."""
        return self.role in LEADER_ROLES

    @property
    def a(self) -> Fraction | None:
        return _ratio(self.ratios[0])

    @property
    def b(self) -> Fraction | None:
        return _ratio(self.ratios[1])

    @property
    def c(self) -> Fraction | None:
        return _ratio(self.ratios[2])

    @property
    def scored(self) -> bool:
        return bool(self.ratios[0]) or self.points is not None


def score_month(
    fw: Framework,
    person_id: int,
    role: str,
    facts: Mapping[str, KindFacts],
    period: DateRange,
    *,
    top: Fraction,
) -> Live:
    """The engine on one person's task facts for one month (explained: a, b, c are nodes)."""
    leader = role in LEADER_ROLES
    live = Live(person_id, role, period, counted=sum(k.count for k in facts.values()))
    live.max_points = top
    inputs = PersonInputs(
        person_id=str(person_id),
        # A leader's a, b, c weigh the same tasks as anyone's; d, đ, e wait for the evaluation.
        role="staff" if leader else role,
        tasks=facts,
        given_points={"general": Fraction(0)},
    )
    try:
        result = score_person(fw, inputs, explain=True)
    except InputError as error:
        live.reason_vi = "; ".join(i.message_vi for i in error.issues)
        live.reason_en = "; ".join(i.message_en for i in error.issues)
        return live
    if result.status != "scored":
        live.reason_vi, live.reason_en = result.reason_vi, result.reason_en
        return live
    node = result.breakdown.find("task_results") if result.breakdown else None
    if node is not None:
        parts = [node.find(key) if key else None for key in part_keys(fw)]
        live.ratios = tuple(  # type: ignore[assignment]
            str(part.ratio) if part is not None and part.ratio is not None else "" for part in parts
        )
    if not leader:
        live.points = result.points
        live.result = result
    return live


def explain_month(
    fw: Framework, person_id: int, role: str, period: DateRange, *, as_of: dt.date
) -> Live:
    """One person's month scored now, with the whole breakdown (never kept)."""
    facts = task_facts([person_id], period, fw, as_of=as_of).get(person_id, {})
    return score_month(fw, person_id, role, facts, period, top=task_max(fw))


# --- kept rows ------------------------------------------------------------------------------

_COLUMNS = (
    "person",
    "month",
    "token",
    "as_of",
    "role",
    "framework",
    "counted",
    "a",
    "b",
    "c",
    "points",
    "reason_vi",
    "reason_en",
)


def touch(person_ids: Iterable[int | None]) -> None:
    """Marks these people's kept points stale: call it in the transaction of a task write,
    as its last lock (docs/locking.md). One INSERT … ON CONFLICT DO UPDATE whose rows are
    in person id order, so two writers touching overlapping people lock the stamps in the
    same order and cannot deadlock on them."""
    ids = sorted({pid for pid in person_ids if pid})
    if ids:
        LiveStamp.objects.bulk_create(
            [LiveStamp(person_id=pid, token=uuid.uuid4().hex) for pid in ids],
            update_conflicts=True,
            unique_fields=["person"],
            update_fields=["token"],
        )


def touch_agency(agency_id: int | None) -> int:
    """Marks the kept points of every person of the agency stale (of every agency when
    None): the framework in force may have changed. One UPDATE, in the transaction of the
    change (`work.apps` calls it when a period or a framework version is written).

    The stamps are locked first, in person id order and only theirs (`of=("self",)`: not
    the people joined for the agency), then updated: an UPDATE alone locks rows in the
    order it scans them, which can cross a task write's `touch` (docs/locking.md)."""
    stamps = LiveStamp.objects.all()
    if agency_id is not None:
        stamps = stamps.filter(person__agency_id=agency_id)
    if not connection.features.has_select_for_update:  # SQLite: one writer at a time
        return stamps.update(token=uuid.uuid4().hex)
    with transaction.atomic():
        locked = stamps.select_for_update(of=("self",)).order_by("person_id")
        ids = list(locked.values_list("pk", flat=True))
        return LiveStamp.objects.filter(pk__any_of=ids).update(token=uuid.uuid4().hex)


def _upsert(rows: Sequence[tuple[object, ...]]) -> None:
    """One INSERT … ON CONFLICT DO UPDATE statement run for every row (SQLite ≥ 3.24 and
    PostgreSQL both speak it): the same query count for 10 rows or 60,000, and two
    requests filling the same rows at once both succeed."""
    fields = [LiveMonth._meta.get_field(name) for name in _COLUMNS]
    quote = connection.ops.quote_name
    columns = [quote(str(getattr(field, "column", ""))) for field in fields]
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns[2:])
    sql = (
        f"INSERT INTO {quote(LiveMonth._meta.db_table)} ({', '.join(columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({columns[0]}, {columns[1]}) DO UPDATE SET {updates}"
    )
    # In key order (person, month): two requests filling overlapping rows lock them in the
    # same order, so neither waits for the other while holding a row it needs.
    ordered = sorted(rows, key=lambda row: (row[0], row[1]))
    params = [
        [
            field.get_db_prep_save(value, connection)  # type: ignore[union-attr]  # concrete fields
            for field, value in zip(fields, row, strict=True)
        ]
        for row in ordered
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, params)


def fresh_rows(
    people: Collection[int],
    months: Sequence[DateRange],
    *,
    today: dt.date,
    fw: Framework | None = None,
) -> QuerySet[LiveMonth]:
    """The kept rows still right: current token, today's counting day, and made with the
    framework in force (`fw` None) or with `fw` (a row made with the framework in force
    is right for `fw` too when that was `fw`). Every kept row is stored under an existing
    stamp (`live_points` makes the missing ones). Checked in SQL, so a summary never
    loads every row; the ids travel as one array."""
    # A semi-join (EXISTS), not a lookup per row: PostgreSQL hashes the stamps once.
    stamped = LiveStamp.objects.filter(person_id=OuterRef("person_id"), token=OuterRef("token"))
    counting_day = Q()
    for month in months:
        counting_day |= Q(month=month.start, as_of=min(today, month.end))
    if fw is None:
        made = Q(framework__startswith=IN_FORCE, framework__endswith=_made_by())
    else:
        made = Q(framework__in=[framework_key(fw), framework_key(fw, in_force=True)])
    return (
        LiveMonth.objects.filter(person_id__any_of=list(people))
        .filter(made)
        .filter(counting_day)
        .filter(Exists(stamped))
    )


def roles_on(person_ids: Collection[int], on: dt.date) -> dict[int, str]:
    """{person id: role of the main assignment in force on the day}: one query."""
    roles = dict.fromkeys(person_ids, "staff")
    rows = (
        Assignment.objects.filter(
            current(on), person_id__any_of=list(person_ids), is_concurrent=False
        )
        .order_by("person_id", "start_date", "id")
        .values_list("person_id", "role")
    )
    for pid, role in rows:  # the latest start wins
        roles[pid] = role
    return roles


def _tops(keys: Iterable[str]) -> dict[str, Fraction | None]:
    """{row key: the task-results part's points} for the frameworks the kept rows name
    (no query while those frameworks are in memory)."""
    by_hash = frameworks_by_hash({_hash_of(key) for key in keys})
    out: dict[str, Fraction | None] = {}
    for key in keys:
        fw = by_hash.get(_hash_of(key))
        out[key] = task_max(fw) if fw is not None else None
    return out


def live_points(
    person_ids: Collection[int],
    months: Sequence[DateRange],
    *,
    today: dt.date,
    fw: Framework | None = None,
) -> dict[DateRange, dict[int, Live]]:
    """{month: {person id: Live}} for these people and months, scored with the framework
    in force for each person's agency in the month, or with `fw` when named.

    One query when every kept row is fresh; otherwise one for the tokens and one for the
    people's agencies, then one per agency for the frameworks in force (resolved once per
    agency and month, after the tokens are read), and per month with stale rows one for
    the roles and one `task_facts` per framework, then one upsert: a fixed number
    whatever the number of people.
    """
    ids = list(dict.fromkeys(person_ids))
    out: dict[DateRange, dict[int, Live]] = {month: {} for month in months}
    if not ids or not months:
        return out
    by_start = {month.start: month for month in months}
    kept = list(
        fresh_rows(ids, months, today=today, fw=fw).values_list(
            "person_id", "month", "framework", "role", "counted", "a", "b", "c", "points",
            "reason_vi", "reason_en",
        )
    )  # fmt: skip
    tops = _tops({row[2] for row in kept})
    for pid, start, key, role, counted, a, b, c, points, r_vi, r_en in kept:
        month = by_start[start]
        out[month][pid] = Live(pid, role, month, counted, (a, b, c), points, tops[key], r_vi, r_en)
    stale = {month: [pid for pid in ids if pid not in out[month]] for month in months}
    if not any(stale.values()):
        return out
    # Tokens before frameworks and facts: a write after this point leaves a newer token.
    everyone = {pid for group in stale.values() for pid in group}
    tokens = dict(
        LiveStamp.objects.filter(person_id__any_of=list(everyone)).values_list("person_id", "token")
    )
    missing = everyone - tokens.keys()
    if missing:  # every kept row names an existing stamp: `fresh_rows` is then a semi-join
        LiveStamp.objects.bulk_create(
            [LiveStamp(person_id=pid, token=uuid.uuid4().hex) for pid in sorted(missing)],
            ignore_conflicts=True,  # another request stamped them first: theirs stands
        )
        tokens.update(
            LiveStamp.objects.filter(person_id__in=sorted(missing)).values_list(
                "person_id", "token"
            )
        )
    agencies: dict[int, int] = {}
    frameworks = InForceCache()  # filled after the tokens were read, never before
    if fw is None:  # the framework in force follows the person's agency
        agencies = dict(
            Person.objects.filter(pk__any_of=list(everyone)).values_list("pk", "agency_id")
        )
    rows: list[tuple[object, ...]] = []
    for month, group in stale.items():
        if not group:
            continue
        as_of = min(today, month.end)
        roles = roles_on(group, as_of)
        # {content hash: (framework, people)}: one `task_facts` per framework in the month
        batches: dict[str, tuple[Framework, list[int]]] = {}
        for pid in group:
            used = fw or frameworks.get(agencies.get(pid), month.end).framework
            batches.setdefault(used.content_hash, (used, []))[1].append(pid)
        for used, batch in batches.values():
            key = framework_key(used, in_force=fw is None)
            top = task_max(used)
            facts = task_facts(batch, month, used, as_of=as_of)
            for pid in batch:
                live = score_month(used, pid, roles[pid], facts.get(pid, {}), month, top=top)
                live.result = None  # kept rows carry numbers, not trees
                out[month][pid] = live
                rows.append(
                    (pid, month.start, tokens.get(pid, ""), as_of, live.role, key, live.counted,
                     *live.ratios, live.points, live.reason_vi, live.reason_en)
                )  # fmt: skip
    _upsert(rows)
    return out


@dataclass
class MonthSummary:
    """Kept task points of many people for one month, summed in SQL."""

    people: int  # rows kept and fresh
    scored: int  # of which with points (leaders' wait for the evaluation)
    hundredths: int  # Σ points × 100, exact

    @property
    def mean(self) -> Fraction | None:
        return Fraction(self.hundredths, 100 * self.scored) if self.scored else None


def summarise(
    person_ids: Collection[int],
    months: Sequence[DateRange],
    *,
    today: dt.date,
    fw: Framework | None = None,
    points_in: DateRange | None = None,
) -> tuple[dict[DateRange, MonthSummary], dict[int, int]]:
    """Per month: how many people scored and their points' sum; and {person id: points ×
    100} for the LAST month, or for `points_in` (one of `months`). Aggregated in SQL over
    the fresh kept rows: two queries and no row per person-month in Python; stale rows are
    refreshed first (`live_points`). Each person's points are scored with the framework in
    force for them, unless `fw`."""
    ids = list(dict.fromkeys(person_ids))
    by_start = {month.start: month for month in months}

    def read() -> dict[DateRange, MonthSummary]:
        # ROUND(points × 100) is an exact integer on every database (SQLite sums REALs).
        rows = (
            fresh_rows(ids, months, today=today, fw=fw)
            .values("month")
            .annotate(
                people=Count("person_id"),
                scored=Count("points"),
                hundredths=Sum(Round(F("points") * 100)),
            )
            .order_by()
        )
        found = {
            by_start[row["month"]]: MonthSummary(
                row["people"], row["scored"], int(row["hundredths"] or 0)
            )
            for row in rows
        }
        return {month: found.get(month, MonthSummary(0, 0, 0)) for month in months}

    summary = read() if ids else {month: MonthSummary(0, 0, 0) for month in months}
    short = [month for month, item in summary.items() if item.people < len(ids)]
    if short:  # refresh the months with stale rows (daily: the open one), then sum again
        live_points(ids, short, today=today, fw=fw)
        summary = read()
    last = points_in or months[-1]
    points = dict(
        fresh_rows(ids, [last], today=today, fw=fw)
        .filter(points__isnull=False)
        .annotate(h=Round(F("points") * 100))
        .values_list("person_id", "h")
    ) if ids else {}  # fmt: skip
    return summary, {pid: int(h) for pid, h in points.items()}
