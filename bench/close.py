"""Benchmark of a month's close at the size of a ministry (issue 11): prints a table.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python bench/close.py
    python bench/close.py --people 1000 10000 100000 --runs 3

For each size, a synthetic agency (`thuocdo.demo.synthetic`, COPY on PostgreSQL) with about
20 tasks per official in the month, its period at the decision step. Then, interleaved run
by run, each in a transaction rolled back afterwards so every run starts from the same rows:

  floor   one INSERT … SELECT aggregating the month's task rows per person into a table
          (the least any close must do: read every task once, write a row per person)
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
    floors, closes = [], []
    rolled_back(lambda: close(made))  # warm: caches, plans
    for _ in range(runs):
        floors.append(rolled_back(lambda: floor(made.agency.pk, period.start, period.end)))
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
                    f"… {people:,} people: floor {row['floor']:.2f} s, close {row['close']:.2f} s",
                    flush=True,
                )
        finally:
            teardown_django()
    print(f"\nDatabase: {where}; medians of {args.runs} interleaved runs, rolled back each time\n")
    print("| people | tasks | generated in | floor (INSERT … SELECT) | close | ratio | peak heap |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['people']:,} | {row['tasks']:,} | {row['built']:.1f} s | "
            f"{row['floor']:.3f} s | {row['close']:.2f} s | {row['close'] / row['floor']:.1f}× | "
            f"{row['peak'] / 2**20:.0f} MiB |"
        )
    last = rows[-1]
    print(f"\nclose: {last['people']} people, {last['close'] / last['floor']:.1f}× the floor")
    return 0


if __name__ == "__main__":
    sys.exit(main())
