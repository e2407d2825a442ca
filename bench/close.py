"""Benchmark of a month's close at the size of a ministry (issue 11): prints a table.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python bench/close.py
    python bench/close.py --people 1000 10000 100000 --runs 3

For each size, a synthetic agency (`thuocdo.demo.synthetic`, COPY on PostgreSQL) with about
20 tasks per official in the month, its period at the decision step. Then, interleaved run
by run, each in a transaction rolled back afterwards so every run starts from the same rows:

  floor   one INSERT … SELECT aggregating the month's task rows per person into a table
          (the least any close must do: read every task once, write a row per person)
  writes  the close's output written alone: the rows one close leaves behind (every
          evaluation's compiled and decided columns, the audit entries it recorded),
          captured once as the database's own text and written back in one UPDATE … FROM a
          table filled by COPY, and one COPY into the audit log (executemany on SQLite).
          No reading of tasks, no scoring, no JSON made in Python: the least any close
          that stores what this one stores can cost
  close   the whole close as the jobs run it: compile every evaluation, then decide every
          quota group (`period_compile` + `period_decide_all`, set-based)

Medians of the runs; the ratio is close ÷ floor. Peak memory is the peak of Python's heap
during one more close run under tracemalloc (not timed). The last line reads
`close: <people> people, <ratio>× the floor` for the largest size.
Runs against a throw-away database next to DATABASE_URL's (SQLite file when unset).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from harness import rolled_back, setup_django, teardown_django  # also puts src/ on the path


def floor(agency_id: int, start: Any, end: Any) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS bench_floor "
            "(person_id integer, n integer, w numeric, done numeric)"
        )
        cursor.execute(
            "INSERT INTO bench_floor (person_id, n, w, done) "
            "SELECT owner_id, COUNT(*), SUM(quantity * coefficient), "
            "SUM(CASE WHEN state = 'accepted' THEN done_quantity * coefficient ELSE 0 END) "
            "FROM work_task WHERE agency_id = %s AND effective_deadline BETWEEN %s AND %s "
            "GROUP BY owner_id",
            [agency_id, start, end],
        )


def close(made: Any) -> None:
    """Both steps as their jobs run them: under one origin (the job runner's), so the
    audit entries share it instead of each making its own."""
    from thuocdo.core.origin import origin_scope
    from thuocdo.evaluations import services

    with origin_scope("job:evaluations.compile"):
        services.period_compile(actor=made.office, period=made.period)
    with origin_scope("job:evaluations.decide_all"):
        services.period_decide_all(actor=made.authority, period=made.period)


# What a close stores: the evaluation columns it sets, and every column of an audit entry.
EVALUATION_COLUMNS = (
    "id, proposed, result, points, rating, state, version, compiled_version, compiled_token, "
    "facts_at_decision, decided_by_id, decided_at, updated_at"
)
AUDIT_COLUMNS = (
    "at, actor_id, actor_name, agency_id, action, object_type, object_id, object_repr, "
    "before, after, reason, channel, ip, user_agent, path, request_id, prev_hash, hash"
)


class Output:
    """The rows one close leaves behind, captured inside its (rolled back) transaction."""

    def __init__(self) -> None:
        self.evaluations: Any = None
        self.audit: Any = None

    def capture(self, made: Any) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM audit_auditentry")
            (last,) = cursor.fetchone()
        close(made)
        evaluations = (
            f"SELECT {EVALUATION_COLUMNS} FROM evaluations_evaluation "
            f"WHERE period_id = {made.period.pk}"
        )
        audit = f"SELECT {AUDIT_COLUMNS} FROM audit_auditentry WHERE id > {last} ORDER BY id"
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                self.evaluations, self.audit = (
                    _copy_out(cursor, evaluations),
                    _copy_out(cursor, audit),
                )
            else:
                self.evaluations = cursor.execute(evaluations).fetchall()
                self.audit = cursor.execute(audit).fetchall()

    def write(self) -> None:
        from django.db import connection

        names = [name.strip() for name in EVALUATION_COLUMNS.split(",")]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "CREATE TEMP TABLE bench_output ON COMMIT DROP AS "
                    f"SELECT {EVALUATION_COLUMNS} FROM evaluations_evaluation LIMIT 0"
                )
                with cursor.cursor.copy(
                    f"COPY bench_output ({EVALUATION_COLUMNS}) FROM STDIN"
                ) as copy:
                    copy.write(self.evaluations)
                sets = ", ".join(f"{name} = o.{name}" for name in names[1:])
                cursor.execute(
                    f"UPDATE evaluations_evaluation e SET {sets} FROM bench_output o "
                    "WHERE e.id = o.id"
                )
                with cursor.cursor.copy(
                    f"COPY audit_auditentry ({AUDIT_COLUMNS}) FROM STDIN"
                ) as copy:
                    copy.write(self.audit)
            else:
                sets = ", ".join(f"{name} = %s" for name in names[1:])
                cursor.executemany(
                    f"UPDATE evaluations_evaluation SET {sets} WHERE id = %s",
                    [(*row[1:], row[0]) for row in self.evaluations],
                )
                marks = ", ".join(["%s"] * len(AUDIT_COLUMNS.split(",")))
                cursor.executemany(
                    f"INSERT INTO audit_auditentry ({AUDIT_COLUMNS}) VALUES ({marks})", self.audit
                )


def _copy_out(cursor: Any, query: str) -> bytes:
    with cursor.cursor.copy(f"COPY ({query}) TO STDOUT") as copy:
        return b"".join(bytes(block) for block in copy)


def bench(people: int, runs: int) -> dict[str, Any]:
    from django.db import connection

    from thuocdo.demo.synthetic import generate

    started = time.perf_counter()
    made = generate(people, code=f"B{people}")
    built = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    period = made.period
    floors, writes, closes = [], [], []
    output = Output()
    rolled_back(lambda: output.capture(made))  # also warms caches and plans
    for _ in range(runs):
        floors.append(rolled_back(lambda: floor(made.agency.pk, period.start, period.end)))
        writes.append(rolled_back(output.write))
        closes.append(rolled_back(lambda: close(made)))
    tracemalloc.start()
    rolled_back(lambda: close(made))
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "people": people,
        "tasks": made.tasks,
        "built": built,
        "floor": statistics.median(floors),
        "writes": statistics.median(writes),
        "close": statistics.median(closes),
        "peak": peak,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        where = setup_django(Path(tmp), "close")
        try:
            rows = []
            for people in args.people:
                row = bench(people, args.runs)
                rows.append(row)
                print(
                    f"… {people:,} people: floor {row['floor']:.2f} s, "
                    f"writes {row['writes']:.2f} s, close {row['close']:.2f} s",
                    flush=True,
                )
        finally:
            teardown_django()
    print(f"\nDatabase: {where}; medians of {args.runs} interleaved runs, rolled back each time\n")
    print(
        "| people | tasks | generated in | floor (INSERT … SELECT) | writes alone | ÷ floor "
        "| close | ÷ floor | peak heap |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['people']:,} | {row['tasks']:,} | {row['built']:.1f} s | "
            f"{row['floor']:.3f} s | {row['writes']:.2f} s | {row['writes'] / row['floor']:.1f}× | "
            f"{row['close']:.2f} s | {row['close'] / row['floor']:.1f}× | "
            f"{row['peak'] / 2**20:.0f} MiB |"
        )
    last = rows[-1]
    print(f"\nclose: {last['people']} people, {last['close'] / last['floor']:.1f}× the floor")
    return 0


if __name__ == "__main__":
    sys.exit(main())
