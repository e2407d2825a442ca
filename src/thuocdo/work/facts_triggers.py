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

PostgreSQL: statement triggers with transition tables, so a bulk insert, a COPY or an
UPDATE of many tasks is summed in one grouped upsert, and an update that moves nothing
(a title) writes nothing. SQLite: row triggers (it has no statement triggers).

Concurrency: a task write locks the kept rows it moves until its transaction ends, so two
transactions writing tasks of the same person, month and group wait for each other there
(docs/locking.md). One statement locks its rows in key order (`ORDER BY`), so two bulk
writes over the same people cannot deadlock on them.

SQLite rebuilds a table for most `AlterField`s and drops its triggers with it: a migration
that alters `work_task` must call `install` again afterwards (tests/work/test_task_facts.py
fails otherwise). No '%' in the SQL: psycopg would read it as a placeholder.
"""

from __future__ import annotations

from typing import Any

KEY = "owner_id, month, pending, due, kind, extra, f, lt"


def _contribution(row: str, sign: str) -> str:
    """The SELECT list of `row`'s contribution (`sign` '+' or '-') and its WHERE."""
    accepted = f"{row}.state = 'accepted'"
    return (
        f"SELECT {row}.owner_id AS owner_id, "
        f"CAST(date_trunc('month', CAST(CASE WHEN {accepted} THEN {row}.completed_on "
        f"ELSE {row}.effective_deadline END AS timestamp)) AS date) AS month, "
        f"NOT ({accepted}) AS pending, "
        f"CASE WHEN {accepted} THEN "
        f"CAST(date_trunc('month', CAST({row}.completed_on AS timestamp)) AS date) "
        f"ELSE {row}.effective_deadline END AS due, "
        f"{row}.kind AS kind, {row}.extra <> '' AS extra, "
        f"{row}.failures - {row}.exempt_failures AS f, "
        f"{row}.delays - {row}.exempt_delays AS lt, "
        f"{sign}(CASE WHEN {row}.extra = '' THEN {row}.quantity * {row}.coefficient "
        f"ELSE 0 END) AS w, "
        f"{sign}(CASE WHEN {accepted} THEN COALESCE({row}.done_quantity, 0) * {row}.coefficient "
        f"ELSE 0 END) AS done, "
        f"{sign}1 AS n "
        f"FROM {{table}} AS {row} "
        f"WHERE {row}.state <> 'cancelled' "
        f"AND ({row}.state <> 'accepted' OR {row}.completed_on IS NOT NULL)"
    )


def _pg_function(name: str, parts: list[str], tables: list[str]) -> str:
    rows = " UNION ALL ".join(parts)
    owners = " UNION ".join(f"SELECT owner_id FROM {table}" for table in tables)
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
BEGIN
    INSERT INTO work_taskfacts AS kept ({KEY}, w, done, n)
    SELECT {KEY}, SUM(w), SUM(done), SUM(n) FROM ({rows}) AS moved
    GROUP BY {KEY}
    HAVING SUM(n) <> 0 OR SUM(w) <> 0 OR SUM(done) <> 0
    ORDER BY {KEY}
    ON CONFLICT ({KEY}) DO UPDATE SET
        w = kept.w + EXCLUDED.w, done = kept.done + EXCLUDED.done, n = kept.n + EXCLUDED.n;
    DELETE FROM work_taskfacts WHERE n <= 0 AND owner_id IN ({owners});
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


_NEW = _contribution("r", "+").replace("{table}", "new_rows")
_OLD = _contribution("r", "-").replace("{table}", "old_rows")

PG_UP = [
    _pg_function("work_task_facts_insert", [_NEW], ["new_rows"]),
    _pg_function("work_task_facts_update", [_NEW, _OLD], ["new_rows", "old_rows"]),
    _pg_function("work_task_facts_delete", [_OLD], ["old_rows"]),
    """CREATE TRIGGER work_task_facts_insert AFTER INSERT ON work_task
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION work_task_facts_insert();""",
    """CREATE TRIGGER work_task_facts_update AFTER UPDATE ON work_task
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION work_task_facts_update();""",
    """CREATE TRIGGER work_task_facts_delete AFTER DELETE ON work_task
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION work_task_facts_delete();""",
]
PG_DOWN = [
    "DROP TRIGGER IF EXISTS work_task_facts_insert ON work_task;",
    "DROP TRIGGER IF EXISTS work_task_facts_update ON work_task;",
    "DROP TRIGGER IF EXISTS work_task_facts_delete ON work_task;",
    "DROP FUNCTION IF EXISTS work_task_facts_insert();",
    "DROP FUNCTION IF EXISTS work_task_facts_update();",
    "DROP FUNCTION IF EXISTS work_task_facts_delete();",
]


def _sqlite_upsert(row: str, sign: str) -> str:
    """One row's contribution upserted (SQLite: no date_trunc, booleans as 0/1)."""
    accepted = f"{row}.state = 'accepted'"
    return f"""
    INSERT INTO work_taskfacts ({KEY}, w, done, n)
    SELECT {row}.owner_id,
        date(CASE WHEN {accepted} THEN {row}.completed_on ELSE {row}.effective_deadline END,
             'start of month'),
        NOT ({accepted}),
        CASE WHEN {accepted} THEN date({row}.completed_on, 'start of month')
             ELSE {row}.effective_deadline END,
        {row}.kind, {row}.extra <> '',
        {row}.failures - {row}.exempt_failures, {row}.delays - {row}.exempt_delays,
        {sign}(CASE WHEN {row}.extra = '' THEN {row}.quantity * {row}.coefficient ELSE 0 END),
        {sign}(CASE WHEN {accepted} THEN COALESCE({row}.done_quantity, 0) * {row}.coefficient
             ELSE 0 END),
        {sign}1
    WHERE {row}.state <> 'cancelled'
        AND ({row}.state <> 'accepted' OR {row}.completed_on IS NOT NULL)
    ON CONFLICT ({KEY}) DO UPDATE SET
        w = w + excluded.w, done = done + excluded.done, n = n + excluded.n;"""


_SQLITE_PRUNE = "DELETE FROM work_taskfacts WHERE owner_id = {row}.owner_id AND n <= 0;"
# Only the columns a contribution reads fire the update trigger (a title edit does not).
_COUNTED = (
    "owner_id, state, completed_on, effective_deadline, kind, extra, failures, "
    "exempt_failures, delays, exempt_delays, quantity, coefficient, done_quantity"
)
SQLITE_UP = [
    f"""CREATE TRIGGER work_task_facts_insert AFTER INSERT ON work_task BEGIN
    {_sqlite_upsert("NEW", "+")}
END;""",
    f"""CREATE TRIGGER work_task_facts_update AFTER UPDATE OF {_COUNTED} ON work_task BEGIN
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

_REFILL_SELECT = _contribution("r", "+").replace("{table}", "work_task")
_SQLITE_REFILL_SELECT = """
    SELECT r.owner_id AS owner_id,
        date(CASE WHEN r.state = 'accepted' THEN r.completed_on ELSE r.effective_deadline END,
             'start of month') AS month,
        NOT (r.state = 'accepted') AS pending,
        CASE WHEN r.state = 'accepted' THEN date(r.completed_on, 'start of month')
             ELSE r.effective_deadline END AS due,
        r.kind AS kind, r.extra <> '' AS extra,
        r.failures - r.exempt_failures AS f, r.delays - r.exempt_delays AS lt,
        CASE WHEN r.extra = '' THEN r.quantity * r.coefficient ELSE 0 END AS w,
        CASE WHEN r.state = 'accepted' THEN COALESCE(r.done_quantity, 0) * r.coefficient
             ELSE 0 END AS done,
        1 AS n
    FROM work_task AS r
    WHERE r.state <> 'cancelled' AND (r.state <> 'accepted' OR r.completed_on IS NOT NULL)"""


def refill(connection: Any) -> None:
    """Recomputes the whole kept table from the tasks (a migration's backfill, or a repair
    after the triggers were off)."""
    select = _REFILL_SELECT if connection.vendor == "postgresql" else _SQLITE_REFILL_SELECT
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM work_taskfacts")
        cursor.execute(
            f"INSERT INTO work_taskfacts ({KEY}, w, done, n) "
            f"SELECT {KEY}, SUM(w), SUM(done), SUM(n) FROM ({select}) AS counted "
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
