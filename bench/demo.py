"""Benchmark of loading the demo agency's year (issue 11): prints a table.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python bench/demo.py --runs 3

PostgreSQL only. A database is migrated once (with the presets) and kept as a template;
then, run by run, interleaved:

  load    `load_demo(with_work=True)` into a fresh copy of the template: the agency, its
          people and logins, catalogue and plans, and a year of work written through the
          work services and the bulk history path (tasks, events, exemptions, audit);
  floor   the same rows COPied into another fresh copy of the template, table by table
          (rows read back from the loaded database with COPY … TO beforehand, not timed;
          foreign-key and audit triggers off with `session_replication_role = replica`,
          indexes maintained): the least any loader must do.

Medians of the runs; the ratio is load ÷ floor. The last line reads
`demo: <rows> rows, <ratio>× the floor`. Every database made here is dropped at the end.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(SRC))


def server_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/demo.py needs DATABASE_URL=postgres://… (it measures COPY)")
    return url.replace("postgres://", "postgresql://", 1)


def admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(server_url(), autocommit=True) as connection:
        connection.execute(sql)


def use(name: str) -> None:
    """Points Django's connection at database `name` (closed, reopened on next use)."""
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = name


def setup(template: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "thuocdo.config.settings"
    import django

    django.setup()
    from django.core.management import call_command

    admin(f'DROP DATABASE IF EXISTS "{template}"')
    admin(f'CREATE DATABASE "{template}"')
    use(template)
    call_command("migrate", verbosity=0)
    call_command("load_presets", verbosity=0)
    use("postgres")


def fresh(name: str, template: str) -> None:
    admin(f'DROP DATABASE IF EXISTS "{name}"')
    admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    use(name)


def tables_with_rows() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        names = [row[0] for row in cursor.fetchall()]
        counts = {}
        for name in names:
            cursor.execute(f'SELECT COUNT(*) FROM "{name}"')
            counts[name] = cursor.fetchone()[0]
    return counts


def load(name: str, template: str) -> tuple[float, dict[str, bytes], int]:
    """Loads the demo into a fresh database; returns seconds, the added rows as COPY data
    per table, and how many rows were added."""
    from django.db import connection

    from thuocdo.demo.build import load_demo

    fresh(name, template)
    before = tables_with_rows()
    started = time.perf_counter()
    load_demo(with_work=True)
    seconds = time.perf_counter() - started
    after = tables_with_rows()
    data: dict[str, bytes] = {}
    added = 0
    with connection.cursor() as cursor:
        for table, count in after.items():
            if count == before.get(table, 0):
                continue
            added += count - before.get(table, 0)
            buffer = io.BytesIO()
            # Only the rows the load added (the template's own rows are already there).
            with cursor.cursor.copy(f"COPY ({_added(table, before)}) TO STDOUT") as copy:
                for block in copy:
                    buffer.write(block)
            data[table] = buffer.getvalue()
    use("postgres")
    return seconds, data, added


def _added(table: str, before: dict[str, int]) -> str:
    if not before.get(table):
        return f'SELECT * FROM "{table}"'
    # The template's rows are the lowest ids of the table: skip them.
    return f'SELECT * FROM "{table}" ORDER BY 1 OFFSET {before[table]}'


def floor(name: str, template: str, data: dict[str, bytes]) -> float:
    from django.db import connection

    fresh(name, template)
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute("BEGIN")
        cursor.execute("SET LOCAL session_replication_role = replica")
        for table, rows in data.items():
            with cursor.cursor.copy(f'COPY "{table}" FROM STDIN') as copy:
                copy.write(rows)
        cursor.execute("COMMIT")
        seconds = time.perf_counter() - started
    use("postgres")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    server_url()
    pid = os.getpid()
    template, loaded, copied = (f"bench_demo_{kind}_{pid}" for kind in ("tmpl", "load", "copy"))
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["VAR_DIR"] = tmp
        try:
            setup(template)
            loads, floors, rows = [], [], 0
            for run in range(1, args.runs + 1):
                seconds, data, rows = load(loaded, template)
                loads.append(seconds)
                floors.append(floor(copied, template, data))
                print(
                    f"… run {run}: load {seconds:.1f} s, floor {floors[-1]:.1f} s "
                    f"({rows:,} rows in {len(data)} tables)",
                    flush=True,
                )
        finally:
            from django.db import connection

            connection.close()
            for name in (template, loaded, copied):
                admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    load_s, floor_s = statistics.median(loads), statistics.median(floors)
    print(f"\nPostgreSQL; medians of {args.runs} interleaved runs\n")
    print("| rows | load_demo (with a year of work) | floor (COPY of the same rows) | ratio |")
    print("|---:|---:|---:|---:|")
    print(f"| {rows:,} | {load_s:.1f} s | {floor_s:.1f} s | {load_s / floor_s:.1f}× |")
    print(f"\ndemo: {rows} rows, {load_s / floor_s:.1f}× the floor")
    return 0


if __name__ == "__main__":
    sys.exit(main())
