"""The import framework: a kind declares its columns and how a row becomes writes.

`plan(kind, file, agency)` reads and checks everything without writing and returns
either every error or the planned steps; `apply(plan)` performs the steps through the
services in one transaction, so any refusal leaves the database as it was.

Adding a kind (catalogues, plans, tasks): subclass `ImportKind`, declare `columns`
and `key`, implement `plan_rows` (and `export_rows` for the download of current data),
then register it in `thuocdo.imports.registry`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import IO, Any, ClassVar, Literal

from django.conf import settings
from django.db import transaction

from thuocdo.core.errors import ThuocDoError
from thuocdo.core.memory import collector_paused
from thuocdo.core.models import User
from thuocdo.imports.columns import CellError, ChoiceIndex, Column, display, is_blank, parse_cell
from thuocdo.imports.errors import FileRejected, ImportRefused, RowError, file_error
from thuocdo.imports.workbook import read_table
from thuocdo.org.models import Unit

Op = Literal["create", "update", "start", "move"]
OPS: tuple[Op, ...] = ("create", "update", "start", "move")

Progress = Callable[[int, int], None]  # (done, total)


class Anyone(Enum):
    """`plan(actor=ANYONE)`: a check of the file alone, for no one in particular (tests,
    tools); the actor's rights are then checked when the plan is applied. The page, the
    job and the command line pass the actor who will apply it (None on the command line),
    so the preview refuses exactly what the writes would."""

    ANYONE = "anyone"


ANYONE = Anyone.ANYONE
Actor = User | None | Anyone


@dataclass(frozen=True)
class Change:
    column: str  # Vietnamese header
    before: str
    after: str


@dataclass
class Write:
    """One service call. Writes run by phase, then by row: a kind can free something in
    phase 0 (end an assignment) that another row takes in phase 1 (a new head)."""

    phase: int
    run: Callable[[User | None], object]


@dataclass
class Step:
    """What the preview shows for a row: one action and the fields it changes."""

    op: Op
    changes: Sequence[Change] = ()
    writes: list[Write] = field(default_factory=list)


class LaterChanges(Sequence[Change]):
    """A step's changes made when first read. The preview shows its first rows only: a
    file of 100,000 new tasks spares formatting half a million cells nobody sees."""

    def __init__(self, make: Callable[[], list[Change]]) -> None:
        self._make: Callable[[], list[Change]] | None = make
        self._made: list[Change] = []

    def _changes(self) -> list[Change]:
        if self._make is not None:
            self._made, self._make = self._make(), None
        return self._made

    def __getitem__(self, index: Any) -> Any:
        return self._changes()[index]

    def __len__(self) -> int:
        return len(self._changes())


@dataclass
class RowPlan:
    row: int
    key: str
    label: str
    steps: list[Step] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return not self.steps


@dataclass
class ParsedRow:
    row: int
    values: dict[str, Any]  # column key → clean value (None when the cell is blank)
    raw: dict[str, Any]


@dataclass
class Plan:
    kind: ImportKind
    agency: Unit
    file_name: str
    rows: list[RowPlan] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    ignored_headers: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def counts(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for row in self.rows:
            counts.update({step.op for step in row.steps})
            if row.unchanged:
                counts["unchanged"] += 1
        return {name: counts[name] for name in (*OPS, "unchanged")}

    @property
    def writes(self) -> list[tuple[RowPlan, Write]]:
        pairs = [(row, write) for row in self.rows for step in row.steps for write in step.writes]
        return sorted(pairs, key=lambda pair: pair[1].phase)  # stable: rows keep file order

    @property
    def has_changes(self) -> bool:
        return any(not row.unchanged for row in self.rows)


class ImportKind:
    """A kind of import: declared columns plus the rules that turn rows into steps."""

    code: ClassVar[str]
    title_vi: ClassVar[str]
    title_en: ClassVar[str]
    sheet_name: ClassVar[str]  # the data sheet (Vietnamese)
    row_noun_vi: ClassVar[str] = "dòng"
    columns: tuple[Column, ...]  # declared on the class; `for_source` may give its own
    key: ClassVar[tuple[str, ...]]  # natural key columns; duplicates in a file are refused
    instructions_vi: ClassVar[tuple[str, ...]] = ()

    def column(self, key: str) -> Column:
        return next(column for column in self.columns if column.key == key)

    def max_rows(self) -> int:
        return int(getattr(settings, "IMPORTS_MAX_ROWS", 20_000))

    def error(self, row: ParsedRow | int | None, key: str, rule_vi: str, rule_en: str) -> RowError:
        column = self.column(key)
        number = row.row if isinstance(row, ParsedRow) else row
        raw = row.raw.get(key) if isinstance(row, ParsedRow) else None
        return RowError(
            row=number,
            column=column.header_vi,
            column_en=column.header_en,
            value=display(raw),
            rule_vi=rule_vi,
            rule_en=rule_en,
        )

    def plan_rows(
        self,
        agency: Unit,
        rows: list[ParsedRow],
        errors: list[RowError],
        *,
        reason: str,
        actor: Actor = ANYONE,
    ) -> list[RowPlan]:
        """Checks the rows against the database and each other; appends every broken rule
        to `errors`. Must not write. `reason` goes into the audit entries; `actor` is who
        will apply the plan (ANYONE: not known, rights are left to the writes)."""
        raise NotImplementedError

    def for_source(self, source: str | IO[bytes], agency: Unit) -> ImportKind:
        """The kind that reads this file: itself, unless its columns depend on the file
        (a period's own template names its period and unit above the headers, and has a
        column per criterion of that period's framework). May raise FileRejected; must
        leave a stream where it found it."""
        return self

    def export_rows(self, agency: Unit) -> Iterable[dict[str, Any]]:
        """The agency's current data in the template's layout (column key → value)."""
        raise NotImplementedError

    def export_total(self, agency: Unit) -> int:
        """How many rows `export_rows` will give (for the export job's progress; 0 when
        not known beforehand)."""
        return 0


@collector_paused()  # a large file keeps millions of objects alive (core.memory)
def plan(
    kind: ImportKind,
    source: str | IO[bytes],
    agency: Unit,
    *,
    file_name: str = "",
    max_rows: int | None = None,
    progress: Callable[[int], None] | None = None,
    actor: Actor = ANYONE,
) -> Plan:
    """Reads and checks the whole file; writes nothing. Give the `actor` who will apply
    the plan so that the preview also checks what they may write."""
    result = Plan(kind=kind, agency=agency, file_name=file_name)
    try:
        kind = result.kind = kind.for_source(source, agency)
        table = read_table(source, kind, max_rows=max_rows or kind.max_rows(), progress=progress)
    except FileRejected as error:
        result.errors.append(file_error(error.message_vi, error.message_en))
        return result
    result.ignored_headers = table.ignored_headers
    indexes = {
        column.key: ChoiceIndex(list(column.choices(agency)))
        for column in kind.columns
        if column.choices is not None and column.key in table.columns
    }
    parsed: list[ParsedRow] = []
    for number, raw in table.rows:
        parsed_row = _parse_row(kind, number, raw, indexes, result.errors)
        if parsed_row is not None:
            parsed.append(parsed_row)
    _check_duplicate_keys(kind, parsed, result.errors)
    reason = f"Nhập Excel: {file_name}" if file_name else "Nhập Excel"
    rows = kind.plan_rows(agency, parsed, result.errors, reason=reason, actor=actor)
    result.errors.sort(key=lambda error: (error.row or 0, _column_order(kind, error.column)))
    if not result.errors:
        result.rows = rows
    return result


def _column_order(kind: ImportKind, header: str) -> int:
    for position, column in enumerate(kind.columns):
        if column.header_vi == header:
            return position
    return len(kind.columns)


def _parse_row(
    kind: ImportKind,
    number: int,
    raw: dict[str, Any],
    indexes: dict[str, ChoiceIndex],
    errors: list[RowError],
) -> ParsedRow | None:
    values: dict[str, Any] = {}
    row_errors: list[RowError] = []
    row = ParsedRow(row=number, values=values, raw=raw)
    for column in kind.columns:
        value = raw.get(column.key)
        if is_blank(value):
            values[column.key] = None
            if column.required:
                row_errors.append(
                    kind.error(
                        row,
                        column.key,
                        "Cột bắt buộc, không được để trống.",
                        "Required; the cell is empty.",
                    )
                )
            continue
        try:
            values[column.key] = parse_cell(column, value, indexes.get(column.key))
        except CellError as error:
            row_errors.append(kind.error(row, column.key, error.rule_vi, error.rule_en))
    errors.extend(row_errors)
    return None if row_errors else row


def _check_duplicate_keys(kind: ImportKind, rows: list[ParsedRow], errors: list[RowError]) -> None:
    seen: dict[tuple[Any, ...], int] = {}
    for row in rows:
        key = tuple(row.values[name] for name in kind.key)
        first = seen.setdefault(key, row.row)
        if first != row.row:
            errors.append(
                kind.error(
                    row,
                    kind.key[0],
                    f"Trùng với dòng {first}: mỗi mã chỉ được một dòng.",
                    f"Same key as row {first}: one row per key.",
                )
            )


@collector_paused()
def apply(plan: Plan, *, actor: User | None, progress: Progress | None = None) -> dict[str, int]:
    """Performs every step in one transaction; any refusal rolls all of them back.

    Raises ImportRefused (with the row at fault) when the plan has errors or a service
    refuses a write. Returns the counts per action.
    """
    if not plan.ok:
        raise ImportRefused(plan.errors)
    writes = plan.writes
    total = len(writes)
    every = max(1, total // 100)
    try:
        with transaction.atomic():
            for done, (row, write) in enumerate(writes, start=1):
                try:
                    write.run(actor)
                except ThuocDoError as error:
                    raise ImportRefused([_refusal(plan.kind, row, error)]) from error
                if progress is not None and (done % every == 0 or done == total):
                    progress(done, total)
    finally:
        if progress is not None and total == 0:
            progress(0, 0)
    return plan.counts


def _refusal(kind: ImportKind, row: RowPlan, error: ThuocDoError) -> RowError:
    header = header_en = ""
    for column in kind.columns:
        if column.key == error.field:
            header, header_en = column.header_vi, column.header_en
    return RowError(
        row=row.row,
        column=header,
        column_en=header_en,
        value=row.key,
        rule_vi=error.message_vi,
        rule_en=error.message_en,
    )


def changes_of(columns: Sequence[Column], pairs: Iterable[tuple[str, Any, Any]]) -> list[Change]:
    """(key, before, after) triples that differ, as Change for the preview."""
    headers = {column.key: column.header_vi for column in columns}
    return [
        Change(headers[key], _show(before), _show(after))
        for key, before, after in pairs
        if before != after
    ]


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    return display(value)
