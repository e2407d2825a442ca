"""The triggers that keep `work_taskfacts` (`TaskFacts`) in step with `work_task`.

A task's contribution is one row of the kept table's key (owner, month, pending, due,
kind, extra, f, lt) with its w, done and a count of 1:
- accepted with a completion day: the month of `completed_on`, not pending, due on the
  month's first day;
- neither accepted nor cancelled: the month of `effective_deadline`, pending, due then;
- otherwise (cancelled, or accepted without a day): nothing.
A write adds the new row's contribution and takes away the old one's; a key whose count
falls to 0 is deleted (below 0 too: SQLite's flush may empty this table before the tasks,
whose deletion must then leave nothing behind).

PostgreSQL: inserts through a statement trigger with a transition table, so a bulk insert
or a COPY of 100,000 tasks is one grouped upsert; updates and deletes through a row
trigger, which an update fires only when it changes a counted column (a title edit, a
description, a version bump fire nothing). SQLite has row triggers only, with the same
condition on updates.

Concurrency: a task write locks the kept rows it moves until its transaction ends, so two
transactions writing tasks of the same person, month and group wait for each other there
(docs/locking.md). A bulk insert locks its rows in key order (`ORDER BY`), so two of them
over the same people cannot deadlock on them.

SQLite rebuilds a table for most `AlterField`s and drops its triggers with it: a migration
that alters `work_task` must call `install` again afterwards (tests/work/test_task_facts.py
fails otherwise). No '%' in the SQL: psycopg would read it as a placeholder.
"""

from __future__ import annotations

from typing import Any

KEY = "owner_id, month, pending, due, kind, extra, f, lt"


def _columns(row: str, *, sqlite: bool = False) -> list[str]:
    """The key's expressions, then w and done, of one task row."""

    def month_of(day: str) -> str:
        if sqlite:
            return f"date({day}, 'start of month')"
        return f"CAST(date_trunc('month', CAST({day} AS timestamp)) AS date)"

    accepted = f"{row}.state = 'accepted'"
    day = f"CASE WHEN {accepted} THEN {row}.completed_on ELSE {row}.effective_deadline END"
    return [
        f"{row}.owner_id",
        month_of(day),
        f"NOT ({accepted})",
        f"CASE WHEN {accepted} THEN {month_of(f'{row}.completed_on')} "
        f"ELSE {row}.effective_deadline END",
        f"{row}.kind",
        f"{row}.extra <> ''",
        f"{row}.failures - {row}.exempt_failures",
        f"{row}.delays - {row}.exempt_delays",
        f"(CASE WHEN {row}.extra = '' THEN {row}.quantity * {row}.coefficient ELSE 0 END)",
        f"(CASE WHEN {accepted} THEN COALESCE({row}.done_quantity, 0) * {row}.coefficient "
        "ELSE 0 END)",
    ]


def _counts(row: str) -> str:
    """Whether a task row counts anywhere (not cancelled; accepted with a day)."""
    return (
        f"{row}.state <> 'cancelled' "
        f"AND ({row}.state <> 'accepted' OR {row}.completed_on IS NOT NULL)"
    )


_UPSERT = f"""ON CONFLICT ({KEY}) DO UPDATE SET
        w = kept.w + EXCLUDED.w, done = kept.done + EXCLUDED.done, n = kept.n + EXCLUDED.n"""

_NAMES = [*KEY.split(", "), "w", "done"]


def _select(table: str, *, sqlite: bool = False) -> str:
    """Each counted task of `table` as a contribution row."""
    columns = _columns("r", sqlite=sqlite)
    cells = ", ".join(f"{e} AS {n}" for e, n in zip(columns, _NAMES, strict=True))
    return f"SELECT {cells} FROM {table} AS r WHERE {_counts('r')}"


# Inserts, in bulk (COPY, bulk_create) as one by one: one grouped upsert per statement,
# in key order. An insert only adds, so no count can fall to 0 here.
_PG_INSERT = f"""
CREATE OR REPLACE FUNCTION work_task_facts_insert() RETURNS trigger AS $$
BEGIN
    INSERT INTO work_taskfacts AS kept ({KEY}, w, done, n)
    SELECT {KEY}, SUM(w), SUM(done), COUNT(*) FROM ({_select("new_rows")}) AS moved
    GROUP BY {KEY}
    ORDER BY {KEY}
    {_UPSERT};
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""

# Updates and deletes, row by row: a service write changes one task, and a row trigger
# that fires only when a counted column changed (WHEN) costs nothing for a title edit and
# little otherwise. The new contribution is added before the old one is taken away, so a
# task that stays in its group never empties it on the way.
_NEW_VALUES = ", ".join(_columns("NEW"))
*_OLD_KEY, _OLD_W, _OLD_DONE = _columns("OLD")
_OLD_VALUES = ", ".join([*_OLD_KEY, f"-{_OLD_W}", f"-{_OLD_DONE}"])
_PG_ROW = f"""
CREATE OR REPLACE FUNCTION work_task_facts_row() RETURNS trigger AS $$
DECLARE
    kept_id bigint;
    left_n integer;
BEGIN
    IF TG_OP = 'UPDATE' AND {_counts("NEW")} THEN
        INSERT INTO work_taskfacts AS kept ({KEY}, w, done, n)
        VALUES ({_NEW_VALUES}, 1)
        {_UPSERT};
    END IF;
    IF {_counts("OLD")} THEN
        INSERT INTO work_taskfacts AS kept ({KEY}, w, done, n)
        VALUES ({_OLD_VALUES}, -1)
        {_UPSERT}
        RETURNING id, n INTO kept_id, left_n;
        IF left_n <= 0 THEN
            DELETE FROM work_taskfacts WHERE id = kept_id;
        END IF;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""

# What a contribution reads: an update that changes none of these fires nothing.
_COUNTED = (
    "owner_id, state, completed_on, effective_deadline, kind, extra, failures, "
    "exempt_failures, delays, exempt_delays, quantity, coefficient, done_quantity"
)


def _changed(old: str, new: str, *, sqlite: bool = False) -> str:
    """Whether an update changed a counted column (NULLs compared as values)."""
    names = _COUNTED.split(", ")
    if sqlite:
        return "(" + " OR ".join(f"{old}.{n} IS NOT {new}.{n}" for n in names) + ")"
    return (
        f"({', '.join(f'{old}.{n}' for n in names)}) IS DISTINCT FROM "
        f"({', '.join(f'{new}.{n}' for n in names)})"
    )


PG_UP = [
    _PG_INSERT,
    _PG_ROW,
    """CREATE TRIGGER work_task_facts_insert AFTER INSERT ON work_task
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION work_task_facts_insert();""",
    f"""CREATE TRIGGER work_task_facts_update AFTER UPDATE OF {_COUNTED} ON work_task
    FOR EACH ROW WHEN ({_changed("OLD", "NEW")})
    EXECUTE FUNCTION work_task_facts_row();""",
    """CREATE TRIGGER work_task_facts_delete AFTER DELETE ON work_task
    FOR EACH ROW EXECUTE FUNCTION work_task_facts_row();""",
]
PG_DOWN = [
    "DROP TRIGGER IF EXISTS work_task_facts_insert ON work_task;",
    "DROP TRIGGER IF EXISTS work_task_facts_update ON work_task;",
    "DROP TRIGGER IF EXISTS work_task_facts_delete ON work_task;",
    "DROP FUNCTION IF EXISTS work_task_facts_insert();",
    "DROP FUNCTION IF EXISTS work_task_facts_row();",
]


def _sqlite_upsert(row: str, sign: str) -> str:
    """One row's contribution upserted (SQLite has no statement triggers)."""
    *key, w, done = _columns(row, sqlite=True)
    return f"""
    INSERT INTO work_taskfacts ({KEY}, w, done, n)
    SELECT {", ".join(key)}, {sign}{w}, {sign}{done}, {sign}1
    WHERE {_counts(row)}
    ON CONFLICT ({KEY}) DO UPDATE SET
        w = w + excluded.w, done = done + excluded.done, n = n + excluded.n;"""


_SQLITE_PRUNE = "DELETE FROM work_taskfacts WHERE owner_id = {row}.owner_id AND n <= 0;"
SQLITE_UP = [
    f"""CREATE TRIGGER work_task_facts_insert AFTER INSERT ON work_task BEGIN
    {_sqlite_upsert("NEW", "+")}
END;""",
    f"""CREATE TRIGGER work_task_facts_update AFTER UPDATE OF {_COUNTED} ON work_task
    WHEN {_changed("OLD", "NEW", sqlite=True)} BEGIN
    {_sqlite_upsert("OLD", "-")}
    {_SQLITE_PRUNE.format(row="OLD")}
    {_sqlite_upsert("NEW", "+")}
    {_SQLITE_PRUNE.format(row="NEW")}
END;""",
    f"""CREATE TRIGGER work_task_facts_delete AFTER DELETE ON work_task BEGIN
    {_sqlite_upsert("OLD", "-")}
    {_SQLITE_PRUNE.format(row="OLD")}
END;""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS work_task_facts_insert;",
    "DROP TRIGGER IF EXISTS work_task_facts_update;",
    "DROP TRIGGER IF EXISTS work_task_facts_delete;",
]


def refill(connection: Any) -> None:
    """Recomputes the whole kept table from the tasks (a migration's backfill, or a repair
    after the triggers were off)."""
    select = _select("work_task", sqlite=connection.vendor != "postgresql")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM work_taskfacts")
        cursor.execute(
            f"INSERT INTO work_taskfacts ({KEY}, w, done, n) "
            f"SELECT {KEY}, SUM(w), SUM(done), COUNT(*) FROM ({select}) AS counted "
            f"GROUP BY {KEY}"
        )


def install(connection: Any) -> None:
    """Creates the triggers (replacing them) and refills the table."""
    uninstall(connection)
    statements = PG_UP if connection.vendor == "postgresql" else SQLITE_UP
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    refill(connection)


def uninstall(connection: Any) -> None:
    statements = PG_DOWN if connection.vendor == "postgresql" else SQLITE_DOWN
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
