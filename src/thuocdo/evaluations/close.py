"""A period closed as a whole: every evaluation compiled, decided or published in a few
queries per chunk of people, never per person (docs/evaluations.md, "The close").

- Read once per period: the evaluations (small columns), the agency's units, the
  frameworks, the units' decided ratings, the work counts per unit (for đ).
- Read per chunk of 2,000 evaluations: task facts (one grouped query), general-criteria
  scores, overrides.
- Scored in Python with the engine's exact fast path; officials first, then leaders from
  the deepest unit up, since d reads the points of the officials in their charge.
- Written per chunk with one statement per batch (`core.bulk.update_rows`) and one bulk
  insert of audit entries, all in the caller's transaction (a job's).

The person-by-person path (`services._compile`, `services.group_decide`) reads the same
inputs one evaluation at a time; both call `compute.score_inputs` and write the same rows
and audit entries (tests/evaluations/test_close.py holds them together).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q

from thuocdo.audit.models import AuditEntry
from thuocdo.audit.services import build_entry, record_many
from thuocdo.core import clock
from thuocdo.core.bulk import update_rows
from thuocdo.core.memory import collector_paused
from thuocdo.core.models import User
from thuocdo.core.numbers import vn_number
from thuocdo.core.text import fold
from thuocdo.evaluations.compute import (
    ROLE_RANK,
    EvaluationInputs,
    compute_year,
    leader_from,
    manual_from_rows,
    overrides_json,
    score_inputs,
    scored_from,
)
from thuocdo.evaluations.models import (
    CriterionScore,
    Evaluation,
    Override,
    Period,
    QuotaGroup,
    UnitEvaluation,
)
from thuocdo.evaluations.selectors import WorkRates, period_range
from thuocdo.frameworks.models import FrameworkVersion
from thuocdo.frameworks.selectors import engine_framework
from thuocdo.org.models import Assignment, Unit
from thuocdo.scoring import (
    Framework,
    KindFacts,
    QuotaMember,
    QuotaResult,
    RatingRules,
    resolve_quota,
)
from thuocdo.work.models import LiveStamp, Task
from thuocdo.work.selectors import counted_in, task_facts

CHUNK = 2000
E = Evaluation.State
LEADING = frozenset(str(role) for role in Assignment.LEADING_ROLES)
Progress = Callable[[int, int], None]


@dataclass
class Row:
    """One evaluation as a close reads it: small columns only (JSON per chunk)."""

    pk: int
    person_id: int
    person_name: str
    unit_id: int
    role: str
    assigned_fields: list[Any]
    framework_id: int
    state: str
    leader: dict[str, Any]
    points: Decimal | None
    rating: str
    version: int
    compiled_version: int | None
    compiled_token: str
    # set while closing
    data: dict[str, Any] | None = None
    facts: dict[str, KindFacts] = field(default_factory=dict)


@dataclass(frozen=True)
class UnitNode:
    pk: int
    path: str
    depth: int
    code: str
    name: str
    parent_id: int | None


class Book:
    """What a close reads once per period; with `under`, only the evaluations and work of
    the units under those paths (the decision page's group and the charges of its leaders)."""

    def __init__(self, period: Period, under: Sequence[str] | None = None) -> None:
        self.period = period
        self.span = period_range(period)
        self.under = under
        self.rows = _rows(period, under)
        self.by_pk = {row.pk: row for row in self.rows}
        self.units = _units(period.agency)
        self.children: dict[int, list[int]] = defaultdict(list)
        for unit in self.units.values():
            if unit.parent_id is not None:
                self.children[unit.parent_id].append(unit.pk)
        self.by_path = {unit.path: unit.pk for unit in self.units.values()}
        self.frameworks = _frameworks({row.framework_id for row in self.rows})
        self.unit_ratings = dict(
            UnitEvaluation.objects.filter(
                period=period, state=UnitEvaluation.State.DECIDED
            ).values_list("unit_id", "rating")
        )
        self._rates: dict[int, tuple[int, ...]] | None = None
        self.rows_by_unit: dict[int, list[Row]] = defaultdict(list)
        for row in self.rows:
            self.rows_by_unit[row.unit_id].append(row)

    def subtree(self, unit_id: int) -> Iterator[int]:
        stack = [unit_id]
        while stack:
            pk = stack.pop()
            yield pk
            stack.extend(self.children.get(pk, ()))

    def framework(self, row: Row) -> Framework:
        return self.frameworks[row.framework_id]

    # -- a leader's charge (the same rules as selectors.charge_paths / staff_in_charge) ----

    def as_deputy(self, row: Row) -> bool:
        return row.role == Assignment.Role.DEPUTY or (
            row.role == Assignment.Role.ACTING_HEAD
            and self.period.acting_head_rule == Period.ActingHeadRule.AS_DEPUTY
        )

    def charge(self, row: Row) -> tuple[list[str], str]:
        unit = self.units[row.unit_id]
        if not self.as_deputy(row):
            return [unit.path], "whole_unit"
        wanted = {fold(str(f)).strip() for f in row.assigned_fields or [] if str(f).strip()}
        matched = sorted(
            self.units[pk].path
            for pk in self.subtree(unit.pk)
            if pk != unit.pk
            and (
                fold(self.units[pk].code).strip() in wanted
                or fold(self.units[pk].name).strip() in wanted
            )
        )
        if matched:
            return matched, "assigned_fields"
        return [unit.path], "whole_unit_fallback"

    def charge_units(self, paths: Iterable[str]) -> set[int]:
        found: set[int] = set()
        for path in paths:
            found.update(self.subtree(self.by_path[path]))
        return found

    def staff(
        self, row: Row, paths: list[str], rules: RatingRules
    ) -> list[tuple[int, int, Decimal | None, str]]:
        fallback = self.as_deputy(row) and paths == [self.units[row.unit_id].path]
        members_only = not self.as_deputy(row) and rules.unit_result_scope == "unit_members"
        found = []
        units = {row.unit_id} if members_only else self.charge_units(paths)
        for unit_id in units:
            for other in self.rows_by_unit.get(unit_id, ()):
                if other.pk == row.pk:
                    continue
                if fallback and other.unit_id == row.unit_id and other.role in LEADING:
                    continue
                if members_only and other.role in rules.head_roles:
                    continue
                found.append((other.pk, other.person_id, other.points, other.rating))
        return sorted(found)

    def rates(self, paths: list[str]) -> WorkRates:
        if self._rates is None:
            self._rates = _unit_rates(self.period, self.span, self.under)
        sums = [0] * 6
        for unit_id in self.charge_units(paths):
            for i, value in enumerate(self._rates.get(unit_id, ())):
                sums[i] += value
        return WorkRates(*sums)


def _under(paths: Sequence[str] | None) -> Q:
    """Everything (None), or what lies in the units under `paths`."""
    if paths is None:
        return Q()
    query = Q(pk__in=[])
    for path in paths:
        query |= Q(unit__path__startswith=path)
    return query


def _rows(period: Period, under: Sequence[str] | None = None) -> list[Row]:
    return [
        Row(*values)
        for values in Evaluation.objects.filter(_under(under), period=period)
        .exclude(state=E.EXCLUDED)  # left out of the period: not scored, in no quota group
        .order_by("pk")
        .values_list(
            "pk",
            "person_id",
            "person__full_name",
            "unit_id",
            "role",
            "assigned_fields",
            "framework_id",
            "state",
            "leader",
            "points",
            "rating",
            "version",
            "compiled_version",
            "compiled_token",
        )
        .iterator(chunk_size=CHUNK)
    ]


def _units(agency: Unit) -> dict[int, UnitNode]:
    return {
        values[0]: UnitNode(*values)
        for values in Unit.objects.filter(path__startswith=agency.path).values_list(
            "pk", "path", "depth", "code", "name", "parent_id"
        )
    }


def _frameworks(ids: set[int]) -> dict[int, Framework]:
    return {
        version.pk: engine_framework(version)
        for version in FrameworkVersion.objects.filter(pk__in=ids)
    }


def _unit_rates(
    period: Period, span: Any, under: Sequence[str] | None = None
) -> dict[int, tuple[int, ...]]:
    """Work counts per unit, in one grouped query; a charge sums the units under it."""
    accepted = Q(state=Task.State.ACCEPTED)
    late = Q(delays__gt=F("exempt_delays"))
    failed = Q(failures__gt=F("exempt_failures"))
    planned = Q(kind=Task.Kind.PLANNED, extra="")
    rows = (
        Task.objects.filter(
            counted_in(span), _under(under), unit__path__startswith=period.agency.path
        )
        .values("unit_id")
        .annotate(
            planned_due=Count("id", filter=planned),
            planned_accepted=Count("id", filter=planned & accepted),
            planned_short=Count("id", filter=planned & (~accepted | late | failed)),
            counted=Count("id"),
            on_time=Count("id", filter=accepted & ~late),
            returned=Count("id", filter=failed),
        )
        .order_by()
    )
    return {
        row["unit_id"]: (
            row["planned_due"],
            row["planned_accepted"],
            row["planned_short"],
            row["counted"],
            row["on_time"],
            row["returned"],
        )
        for row in rows
    }


def _chunks(rows: Sequence[Row], size: int = CHUNK) -> Iterator[Sequence[Row]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


@dataclass
class _Gathered:
    facts: dict[int, dict[str, KindFacts]]
    manual: dict[int, list[tuple[str, Decimal | None, Decimal | None, str]]]
    overrides: dict[int, list[tuple[str, str, str]]]


def _gather(book: Book, chunk: Sequence[Row]) -> _Gathered:
    """Task facts, general-criteria scores and overrides of a chunk: three queries per
    framework in use (one, nearly always)."""
    facts: dict[int, dict[str, KindFacts]] = {}
    by_framework: dict[int, list[int]] = defaultdict(list)
    for row in chunk:
        by_framework[row.framework_id].append(row.person_id)
    for framework_id, people in by_framework.items():
        facts.update(task_facts(people, book.span, book.frameworks[framework_id]))
    ids = [row.pk for row in chunk]
    manual: dict[int, list[Any]] = defaultdict(list)
    for ev_id, *score in (
        CriterionScore.objects.filter(evaluation_id__in=ids)
        .order_by("evaluation_id", "id")
        .values_list("evaluation_id", "key", "self_score", "reviewer_score", "reason")
    ):
        manual[ev_id].append(tuple(score))
    overrides: dict[int, list[Any]] = defaultdict(list)
    for ev_id, *override in (
        Override.objects.filter(evaluation_id__in=ids)
        .order_by("evaluation_id", "id")
        .values_list("evaluation_id", "kind", "value", "document_ref")
    ):
        overrides[ev_id].append(tuple(override))
    return _Gathered(facts, manual, overrides)


def engine_role_of(book: Book, row: Row) -> str:
    if (
        row.role == Assignment.Role.ACTING_HEAD
        and book.period.acting_head_rule == Period.ActingHeadRule.AS_DEPUTY
    ):
        return str(Assignment.Role.DEPUTY)
    return row.role


def _inputs(book: Book, row: Row, gathered: _Gathered) -> EvaluationInputs:
    fw = book.framework(row)
    role = engine_role_of(book, row)
    leader = None
    record: dict[str, Any] = {}
    if role in fw.settings.leader_roles:
        paths, how = book.charge(row)
        leader, record = leader_from(
            dict(row.leader or {}),
            paths=paths,
            how=how,
            staff=book.staff(row, paths, fw.rating),
            rates=book.rates(paths),
        )
    row.facts = gathered.facts.get(row.person_id, {})
    return EvaluationInputs(
        role=role,
        facts=row.facts,
        manual=manual_from_rows(gathered.manual.get(row.pk, ())),
        leader=leader,
        leader_record=record,
        overrides=overrides_json(gathered.overrides.get(row.pk, ())),
        unit_rating=book.unit_ratings.get(row.unit_id),
    )


def _order(book: Book, rows: Iterable[Row]) -> list[Row]:
    """Officials first (nothing else feeds their score), then leaders from the deepest
    unit up and deputies before heads: d reads the points of the officials in charge."""
    staff = [row for row in rows if row.role not in LEADING]
    leaders = sorted(
        (row for row in rows if row.role in LEADING),
        key=lambda r: (-book.units[r.unit_id].depth, ROLE_RANK.get(r.role, 0), r.pk),
    )
    return staff + leaders


def score_rows(
    book: Book,
    rows: Sequence[Row],
    *,
    progress: Progress | None = None,
    scored: Callable[[Sequence[Row]], None] | None = None,
    unless_same: set[int] | None = None,
) -> set[int]:
    """Sets `row.data`, `row.points` and `row.rating` for every row, in dependency order.
    `scored` is handed each chunk once it is scored (to write it and let its data go).
    A row in `unless_same` whose inputs are still the ones its kept proposal was scored
    from keeps it: not scored again, its data left None, its pk returned (proposals are
    read a chunk at a time: a leader's holds the points of everyone in their charge)."""
    if book.period.kind == Period.Kind.YEAR:
        _score_years(book, rows, progress, scored)
        return set()
    ordered = _order(book, rows)
    staff_count = sum(1 for row in ordered if row.role not in LEADING)
    done = 0
    unchanged: set[int] = set()
    for part in (ordered[:staff_count], ordered[staff_count:]):
        for chunk in _chunks(part):
            gathered = _gather(book, chunk)
            proposals = _proposals([row.pk for row in chunk if row.pk in (unless_same or ())])
            for row in chunk:
                fw = book.framework(row)
                inputs = _inputs(book, row, gathered)
                kept = proposals.get(row.pk)
                if kept is not None and scored_from(fw, inputs, kept):
                    unchanged.add(row.pk)  # its points and rating stay as compiled
                    continue
                _result, data = score_inputs(fw, row.person_id, inputs)
                _keep(row, data)
            if scored is not None:
                scored(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, len(rows))
    return unchanged


def _keep(row: Row, data: dict[str, Any]) -> None:
    row.data = data
    row.points = Decimal(data["points"]) if data.get("points") else None
    row.rating = data.get("rating") or ""


def _score_years(
    book: Book,
    rows: Sequence[Row],
    progress: Progress | None,
    scored: Callable[[Sequence[Row]], None] | None,
) -> None:
    """A year is the mean of the months worked, wherever they were worked (Art. 17(3), 19):
    still read person by person (`compute.compute_year`), a chunk of rows at a time."""
    done = 0
    for chunk in _chunks(rows):
        evs = Evaluation.objects.filter(pk__in=[row.pk for row in chunk]).select_related(
            "period", "unit", "person", "framework"
        )
        by_pk = {ev.pk: ev for ev in evs}
        for row in chunk:
            _keep(row, compute_year(by_pk[row.pk], unit_rating=book.unit_ratings.get(row.unit_id)))
        if scored is not None:
            scored(chunk)
        done += len(chunk)
        if progress is not None:
            progress(done, len(rows))


@dataclass
class Proposal:
    """What deciding some evaluations would give now (`propose`)."""

    data: dict[int, dict[str, Any]]  # each undecided evaluation's result as it would be decided
    waiting: list[Row]  # heads whose unit is not decided yet: their group cannot be decided


def propose(period: Period, members: Sequence[Evaluation]) -> Proposal:
    """What `services.group_decide` would decide for these evaluations now, written nowhere,
    so the decision page shows the proposal the server then accepts: the same inputs (task
    facts now, overrides, the unit's decided rating for a head; a leader's d reads the
    others' points as kept, as the decision does). Only the members' units and the units
    under them are read, in a fixed number of queries whatever the group's size (a year
    still reads each member's months, `compute.compute_year`)."""
    paths = sorted({ev.unit.path for ev in members})
    # a unit under another listed unit is read with it
    paths = [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]
    book = Book(period, paths)
    rows = [book.by_pk[ev.pk] for ev in members if book.by_pk[ev.pk].state != E.DECIDED]
    data: dict[int, dict[str, Any]] = {}
    if period.kind == Period.Kind.YEAR:
        evs = Evaluation.objects.filter(pk__in=[row.pk for row in rows]).select_related(
            "period", "unit", "person", "framework"
        )
        for ev in evs:
            data[ev.pk] = compute_year(ev, unit_rating=book.unit_ratings.get(ev.unit_id))
    elif rows:
        gathered = _gather(book, rows)
        book.rates([])  # read whether or not a leader is in the group: a flat page cost
        for row in _order(book, rows):
            # rows keep their points as compiled: a leader's d reads them, as a decision does
            data[row.pk] = score_inputs(
                book.framework(row), row.person_id, _inputs(book, row, gathered)
            )[1]
    return Proposal(data, [row for row in rows if _waits_for_unit(book, row)])


def stamps(period: Period) -> dict[int, str]:
    """{person: the current task stamp} of everyone evaluated in the period: one query.
    Read before the task facts, so a task written meanwhile leaves a newer stamp."""
    people = Evaluation.objects.filter(period=period).values("person_id")
    return dict(LiveStamp.objects.filter(person_id__in=people).values_list("person_id", "token"))


# --- compile -----------------------------------------------------------------------------------


@collector_paused()  # the close keeps every leader's people in memory (core.memory)
def compile_period(
    *,
    actor: User,
    period: Period,
    now: dt.datetime,
    progress: Progress | None = None,
) -> int:
    """Every undecided evaluation's proposal recomputed; the unit quota groups refreshed.
    One audit entry per evaluation (points and rating before and after)."""
    book = Book(period)
    written = clock.now()  # `updated_at`: when the row was written, whatever `now` says
    tokens = stamps(period)
    before = {row.pk: (row.points, row.rating) for row in book.rows}
    undecided = [row for row in book.rows if row.state != E.DECIDED]
    fields = ["proposed", "points", "rating", "version", "compiled_version", "compiled_token"]

    def write(chunk: Sequence[Row]) -> None:
        """A scored chunk is written at once and its data let go: memory stays bounded by
        the chunk, whatever the headcount (points and ratings stay for the leaders' d)."""
        update_rows(
            Evaluation,
            [*fields, "updated_at"],
            [
                (
                    row.pk,
                    row.data,
                    row.points,
                    row.rating,
                    row.version + 1,
                    row.version + 1,
                    tokens.get(row.person_id, ""),
                    written,
                )
                for row in chunk
            ],
        )
        record_many(
            [
                _entry(
                    actor,
                    "compile",
                    row,
                    period,
                    before=_points(*before[row.pk]),
                    after=_points(row.points, row.rating),
                )
                for row in chunk
            ]
        )
        for row in chunk:
            row.data, row.facts = None, {}

    score_rows(book, undecided, progress=progress, scored=write)
    # Art. 20(5) per unit only where the framework's quota.scopes say so
    per_unit = [row for row in book.rows if "unit" in book.framework(row).quota.scopes]
    refresh_unit_groups(period, per_unit, {pk: book.units[pk] for pk in book.units})
    return len(undecided)


def _entry(actor: User, step: str, row: Row, period: Period, **change: Any) -> AuditEntry:
    """The audit entry of one evaluation's step in a close (`before`/`after` in `change`)."""
    return build_entry(
        actor=actor,
        action=f"evaluations.evaluation.{step}",
        object_type="evaluations.evaluation",
        object_id=str(row.pk),
        object_repr=f"{row.person_name} — {period.name('vi')}",
        agency_id=period.agency_id,
        **change,
    )


def _points(points: Decimal | None, rating: str) -> dict[str, Any]:
    return {"points": str(points) if points is not None else None, "rating": rating or ""}


def refresh_unit_groups(period: Period, rows: Iterable[Row], units: dict[int, UnitNode]) -> None:
    """One quota group per unit with evaluations; an undecided group's members are the
    unit's evaluations (decided groups keep theirs)."""
    by_unit: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        by_unit[row.unit_id].append(row.pk)
    codes = {f"unit:{units[pk].code}": pk for pk in by_unit}
    existing = {
        group.code: group for group in QuotaGroup.objects.filter(period=period, code__in=codes)
    }
    missing = [
        QuotaGroup(
            period=period,
            code=code,
            kind=QuotaGroup.Kind.UNIT,
            name=units[pk].name,
            unit_id=pk,
        )
        for code, pk in codes.items()
        if code not in existing
    ]
    if missing:
        QuotaGroup.objects.bulk_create(missing)
        existing.update(
            {g.code: g for g in QuotaGroup.objects.filter(period=period, code__in=codes)}
        )
    open_groups = {code: g for code, g in existing.items() if g.decided_at is None}
    through = QuotaGroup.members.through
    through.objects.filter(quotagroup_id__in=[g.pk for g in open_groups.values()]).delete()
    through.objects.bulk_create(
        [
            through(quotagroup_id=group.pk, evaluation_id=ev_id)
            for code, group in open_groups.items()
            for ev_id in by_unit[codes[code]]
        ],
        batch_size=CHUNK,
    )


# --- decide --------------------------------------------------------------------------------------


@dataclass
class Skipped:
    group: str
    name: str
    reason_vi: str
    reason_en: str


@dataclass
class Decided:
    groups: list[str] = field(default_factory=list)
    evaluations: int = 0
    skipped: list[Skipped] = field(default_factory=list)


@collector_paused()
def decide_period(
    *,
    actor: User,
    period: Period,
    now: dt.datetime,
    progress: Progress | None = None,
) -> Decided:
    """Decides every undecided quota group whose outcome needs no human choice: the
    engine's demotions are taken as proposed. A group with a tie at the quota line, or
    with a head whose unit is not decided yet, is left for the authority and reported.
    Each member is scored once more only when its inputs changed since the compile."""

    book = Book(period)
    written = clock.now()
    groups = list(
        QuotaGroup.objects.filter(period=period, decided_at__isnull=True).order_by("code")
    )
    through = QuotaGroup.members.through
    members: dict[int, list[int]] = defaultdict(list)
    for group_id, ev_id in through.objects.filter(
        quotagroup_id__in=[g.pk for g in groups]
    ).values_list("quotagroup_id", "evaluation_id"):
        members[group_id].append(ev_id)
    outcome = Decided()
    ready: list[QuotaGroup] = []
    for group in groups:
        reason = _blocked(book, group, members[group.pk])
        if reason is not None:
            outcome.skipped.append(reason)
        elif members[group.pk]:
            ready.append(group)
    tokens = stamps(period)
    undecided = [
        book.by_pk[pk]
        for group in ready
        for pk in members[group.pk]
        if book.by_pk[pk].state != E.DECIDED
    ]
    # A compiled proposal holds while nothing about its official was written since: their
    # evaluation's version and their task stamp are as the compile left them. A leader's
    # also reads the others' points (d) and their unit's rating: theirs holds only if the
    # inputs gathered now are the very ones kept in it.
    untouched = [
        row
        for row in undecided
        if period.kind != Period.Kind.YEAR  # a year reads other periods' results: always again
        and row.compiled_version == row.version
        and row.compiled_token == tokens.get(row.person_id, "")
    ]
    kept = {row.pk for row in untouched if row.role not in LEADING}
    kept |= score_rows(
        book,
        [row for row in undecided if row.pk not in kept],
        progress=progress,
        unless_same={row.pk for row in untouched if row.role in LEADING},
    )
    entries = []
    group_updates: list[tuple[Any, ...]] = []
    as_compiled: list[int] = []
    kept_demoted: list[tuple[int, QuotaGroup, str]] = []
    row_changes: list[tuple[Row, QuotaGroup, bool]] = []
    for group in ready:
        rows = [book.by_pk[pk] for pk in members[group.pk]]
        ordered = sorted(
            rows,
            key=lambda r: (-book.units[r.unit_id].depth, ROLE_RANK.get(r.role, 0), r.pk),
        )
        fw = book.framework(ordered[0])
        quota = group_quota(fw, group, ordered)
        rule = fw.quota
        chosen = {int(d.person_id) for d in quota.demotions}
        limited = sum(1 for r in rows if r.rating == rule.limited_rating and r.pk not in chosen)
        base = sum(1 for r in rows if r.rating == rule.base_rating) + (
            len(chosen) if rule.demote_to == rule.base_rating else 0
        )
        if limited > quota.ratio * base:
            tie = quota.ties[0] if quota.ties else None
            names = ", ".join(book.by_pk[int(c)].person_name for c in tie.candidates) if tie else ""
            outcome.skipped.append(
                Skipped(
                    group.code,
                    group.name,
                    f"{len(tie.candidates)} người bằng {vn_number(tie.points)} điểm ở ngưỡng "
                    f"hạ ({names}): cấp có thẩm quyền chọn {tie.choose} người để hạ."
                    if tie
                    else "Không giữ được tỷ lệ với các đề xuất hạ loại.",
                    f"{len(tie.candidates)} tied at {tie.points} points at the line ({names}): "
                    f"the authority chooses {tie.choose} to demote."
                    if tie
                    else "The proposed demotions do not keep the quota.",
                )
            )
            continue
        for row in rows:
            if row.state == E.DECIDED:
                continue
            row.state = E.DECIDED
            demoted = row.pk in chosen
            if row.pk in kept and not demoted:
                as_compiled.append(row.pk)  # result = proposal, copied by the database
            elif row.pk in kept:
                row.rating = rule.demote_to  # the proposal demoted by the database
                kept_demoted.append((row.pk, group, rule.demote_to))
            else:
                row_changes.append((row, group, demoted))
            entries.append(
                _entry(
                    actor,
                    "decide",
                    row,
                    period,
                    after={
                        "points": str(row.points),
                        "rating": rule.demote_to if demoted else row.rating,
                        "group": group.code,
                        "demoted": demoted,
                    },
                )
            )
        decision = {
            **quota.as_dict(),
            "chosen_demotions": sorted(chosen),
            "final": {rule.limited_rating: limited, rule.base_rating: base},
        }
        group.decision, group.decided_by, group.decided_at = decision, actor, now
        group_updates.append((group.pk, decision, actor.pk, now))
        entries.append(
            build_entry(
                actor=actor,
                action="evaluations.quota_group.decide",
                target=group,
                agency_id=period.agency_id,
                after=decision,
            )
        )
        outcome.groups.append(group.code)
        if len(entries) >= CHUNK:  # written as they come: memory bounded by a chunk
            record_many(entries)
            entries = []
    _write_decisions(book, actor, now, written, as_compiled, row_changes)
    _write_kept_demotions(actor, now, written, kept_demoted)
    update_rows(QuotaGroup, ["decision", "decided_by", "decided_at"], group_updates)
    record_many(entries)
    outcome.evaluations = len(as_compiled) + len(kept_demoted) + len(row_changes)
    return outcome


def _proposals(ids: list[int]) -> dict[int, Any]:
    """The kept proposals of these evaluations (a chunk's leaders)."""
    if not ids:
        return {}
    found = Evaluation.objects.filter(pk__in=ids).values_list("pk", "proposed")
    return {pk: proposal for pk, proposal in found if isinstance(proposal, dict)}


def _write_decisions(
    book: Book,
    actor: User,
    now: dt.datetime,
    written: dt.datetime,
    as_compiled: list[int],
    row_changes: list[tuple[Row, QuotaGroup, bool]],
) -> None:
    """Officials decided as compiled: the database copies the proposal into the result (no
    JSON travels). Those scored again: their result from here."""
    if as_compiled:
        table = Evaluation._meta.db_table
        facts = (
            "proposed -> 'task_facts'"
            if connection.vendor == "postgresql"
            else "json_extract(proposed, '$.task_facts')"
        )
        with connection.cursor() as cursor:
            for start in range(0, len(as_compiled), CHUNK):
                part = as_compiled[start : start + CHUNK]
                cursor.execute(
                    f"UPDATE {table} SET result = proposed, facts_at_decision = {facts}, "
                    f"version = version + 1, {_DECIDED_SETS} "
                    f"WHERE id IN ({', '.join(['%s'] * len(part))})",
                    [E.DECIDED, actor.pk, now, written, *part],
                )
    for first in range(0, len(row_changes), CHUNK):  # a chunk at a time: bounded memory
        _write_changed(book, actor, now, written, row_changes[first : first + CHUNK])


def _write_changed(
    book: Book,
    actor: User,
    now: dt.datetime,
    written: dt.datetime,
    row_changes: Sequence[tuple[Row, QuotaGroup, bool]],
) -> None:
    updates = []
    for row, group, demoted in row_changes:
        proposed: dict[str, Any] = row.data or {}
        data = dict(proposed) if demoted else proposed  # the same object: encoded once
        if demoted:
            row.rating = demote(data, group, book.framework(row).quota.demote_to)
        updates.append(
            (
                row.pk,
                proposed,
                data,
                row.points,
                row.rating,
                E.DECIDED,
                actor.pk,
                now,
                proposed.get("task_facts"),
                row.version + 1,
                written,
            )
        )
    update_rows(
        Evaluation,
        [
            "proposed",
            "result",
            "points",
            "rating",
            "state",
            "decided_by",
            "decided_at",
            "facts_at_decision",
            "version",
            "updated_at",
        ],
        updates,
    )
    for row, _group, _demoted in row_changes:
        row.data = None  # written: let it go


# What every decided row is given, in this order: its state, who decided, when, when written.
_DECIDED_SETS = "state = %s, decided_by_id = %s, decided_at = %s, updated_at = %s"

# The proposal demoted in SQL, as `demote` does in Python: its rating replaced, the
# demotion appended to its rating changes (`v`: id, rule, rating, reason_vi, reason_en).
_DEMOTED_SQL = {
    "postgresql": """
        UPDATE {table} AS e SET result = jsonb_set(jsonb_set(e.proposed, '{{rating_changes}}',
            COALESCE(e.proposed -> 'rating_changes', '[]'::jsonb) || jsonb_build_array(
                jsonb_build_object('rule', v.rule, 'from', e.proposed -> 'rating',
                    'to', v.rating, 'reason_vi', v.reason_vi, 'reason_en', v.reason_en))),
            '{{rating}}', to_jsonb(v.rating)),
          facts_at_decision = e.proposed -> 'task_facts', rating = v.rating,
          version = e.version + 1, {sets}
        FROM (VALUES {values}) AS v (id, rule, rating, reason_vi, reason_en)
        WHERE e.id = v.id""",
    "sqlite": """
        UPDATE {table} SET result = json_set(proposed, '$.rating_changes', json_insert(
            COALESCE(json_extract(proposed, '$.rating_changes'), '[]'), '$[#]',
            json_object('rule', v.rule, 'from', json_extract(proposed, '$.rating'),
                'to', v.rating, 'reason_vi', v.reason_vi, 'reason_en', v.reason_en)),
            '$.rating', v.rating),
          facts_at_decision = json_extract(proposed, '$.task_facts'), rating = v.rating,
          version = version + 1, {sets}
        FROM (SELECT column1 AS id, column2 AS rule, column3 AS rating,
              column4 AS reason_vi, column5 AS reason_en FROM (VALUES {values})) AS v
        WHERE {table}.id = v.id""",
}


def _write_kept_demotions(
    actor: User,
    now: dt.datetime,
    written: dt.datetime,
    demoted: Sequence[tuple[int, QuotaGroup, str]],
) -> None:
    """Officials decided as compiled but demoted by their group's quota (id, group, the
    rating demoted to): the database writes the demoted proposal as their result, a chunk
    a statement (no JSON travels)."""
    if not demoted:
        return
    keys = ("rule", "to", "reason_vi", "reason_en")
    changes: dict[tuple[int, str], tuple[str, ...]] = {}
    for _pk, group, to in demoted:
        if (group.pk, to) not in changes:
            change = demotion(group, None, to)
            changes[(group.pk, to)] = tuple(change[key] for key in keys)
    cast = "%s::bigint, %s::text, %s::text, %s::text, %s::text"
    if connection.vendor != "postgresql":
        cast = "%s, %s, %s, %s, %s"
    with connection.cursor() as cursor:
        for start in range(0, len(demoted), CHUNK):
            part = demoted[start : start + CHUNK]
            sql = _DEMOTED_SQL[connection.vendor].format(
                table=Evaluation._meta.db_table,
                sets=_DECIDED_SETS,
                values=", ".join([f"({cast})"] * len(part)),
            )
            values: list[Any] = [
                v for pk, group, to in part for v in (pk, *changes[(group.pk, to)])
            ]
            cursor.execute(sql, [E.DECIDED, actor.pk, now, written, *values])


def group_quota(fw: Framework, group: QuotaGroup, members: Iterable[Any]) -> QuotaResult:
    """The quota of a group over its members (anything with `pk`, `points`, `rating`, in
    the order the rule reads them), with the group's exception ratio when it has one."""
    ratio = Fraction(group.exception_ratio) if group.exception_ratio is not None else None
    return resolve_quota(
        fw,
        [
            QuotaMember(str(m.pk), m.points, m.rating)
            for m in members
            if m.rating and m.points is not None
        ],
        group=group.code,
        exception_ratio=ratio,
    )


def demote(data: dict[str, Any], group: QuotaGroup, to: str) -> str:
    """Records a quota demotion in a result (Art. 21's ratio kept in the group); returns the
    new rating."""
    data["rating_changes"] = [
        *data.get("rating_changes", []),
        demotion(group, data.get("rating"), to),
    ]
    data["rating"] = to
    return to


def demotion(group: QuotaGroup, was: Any, to: str) -> dict[str, Any]:
    """The rating change a quota demotion records."""
    return {
        "rule": f"quota:{group.code}",
        "from": was,
        "to": to,
        "reason_vi": f"Quyết định hạ để bảo đảm tỷ lệ tại nhóm “{group.name}”.",
        "reason_en": f"Demoted to keep the quota in group {group.name}.",
    }


def _blocked(book: Book, group: QuotaGroup, member_ids: list[int]) -> Skipped | None:
    """A head whose unit is not decided yet cannot be rated (not above the unit)."""
    for pk in member_ids:
        row = book.by_pk[pk]
        if _waits_for_unit(book, row):
            unit = book.units[row.unit_id].name
            return Skipped(
                group.code,
                group.name,
                f"Chưa quyết định đánh giá đơn vị “{unit}”: chưa thể xếp loại người đứng đầu "
                f"{row.person_name}.",
                f"Decide the unit {unit} first: its head {row.person_name} cannot be rated yet.",
            )
    return None


def _waits_for_unit(book: Book, row: Row) -> bool:
    """An undecided head (ruled as head) whose unit has no decided rating yet (Art. 20(6))."""
    return (
        row.state != E.DECIDED
        and row.role in (Assignment.Role.HEAD, Assignment.Role.ACTING_HEAD)
        and book.unit_ratings.get(row.unit_id) is None
        and engine_role_of(book, row) in book.framework(row).rating.head_roles
    )
