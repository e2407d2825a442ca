"""Benchmark of the preview of a draft framework (what-if, issue 14): prints a table.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python bench/whatif.py
    python bench/whatif.py --people 1000 --months 12 --runs 3

A synthetic agency (`thuocdo.demo.synthetic`, COPY on PostgreSQL) with about 20 tasks per
official in one month, closed as the jobs close it (`period_compile` +
`period_decide_all`), then copied in SQL to `--months` decided months (evaluations with
their kept results, quota groups and members, unit ratings: the same rows a real year
would hold). The draft changes the excellent band (90 → 92), the quota ratio (20% →
15%) and the weights of the two groups (general 40, tasks 60). Then, interleaved run by
run, each in a transaction rolled back afterwards:

  floor    the least a preview must do: read every decided evaluation's kept result
           (`SELECT id, result - <keys not read> …`, decoded), nothing scored or written
  preview  `whatif.whatif_compute`: every decided evaluation scored again with the draft,
           the draft's quota in every stored group, lines written (COPY), summary kept

Medians of the runs; the ratio is preview ÷ floor. Peak memory is the peak of Python's
heap during one more preview under tracemalloc (not timed). The last line reads
`whatif: <people> people × <months> months, <seconds> s`.
Runs against a throw-away database next to DATABASE_URL's (SQLite file when unset).
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from harness import rolled_back, setup_django, teardown_django  # also puts src/ on the path


def _columns(model: Any, skip: set[str]) -> list[str]:
    return [f.column for f in model._meta.concrete_fields if f.column not in skip]


def copy_months(made: Any, months: int) -> list[int]:
    """The decided month copied in SQL to `months` months of the same year (published)."""
    from django.db import connection, transaction

    from thuocdo.evaluations.models import Evaluation, Period, QuotaGroup, UnitEvaluation

    source = made.period
    q = connection.ops.quote_name
    through = QuotaGroup.members.through
    ids = [source.pk]
    with transaction.atomic(), connection.cursor() as cursor:
        for number in [n for n in range(1, 13) if n != source.number][: months - 1]:
            period = Period.objects.create(
                agency=source.agency,
                kind=source.kind,
                year=source.year,
                number=number,
                start=source.start.replace(month=number, day=1),
                end=source.start.replace(month=number, day=28),
                state=Period.State.PUBLISHED,
                framework_key=source.framework_key,
            )
            ids.append(period.pk)
            for model in (Evaluation, QuotaGroup, UnitEvaluation):
                cols = _columns(model, {"id", "period_id"})
                names = ", ".join(q(c) for c in cols)
                cursor.execute(
                    f"INSERT INTO {q(model._meta.db_table)} (period_id, {names}) "
                    f"SELECT %s, {names} FROM {q(model._meta.db_table)} WHERE period_id = %s",
                    [period.pk, source.pk],
                )
            ev, qg, tt = (
                q(Evaluation._meta.db_table),
                q(QuotaGroup._meta.db_table),
                q(through._meta.db_table),
            )
            cursor.execute(
                f"INSERT INTO {tt} (quotagroup_id, evaluation_id) "
                f"SELECT ng.id, ne.id FROM {tt} t "
                f"JOIN {qg} og ON og.id = t.quotagroup_id "
                f"JOIN {ev} oe ON oe.id = t.evaluation_id "
                f"JOIN {qg} ng ON ng.period_id = %s AND ng.code = og.code "
                f"JOIN {ev} ne ON ne.period_id = %s AND ne.person_id = oe.person_id "
                f"WHERE og.period_id = %s",
                [period.pk, period.pk, source.pk],
            )
        Period.objects.filter(pk=source.pk).update(state=Period.State.PUBLISHED)
    return ids


def make_draft(made: Any) -> Any:
    from thuocdo.frameworks import services as frameworks
    from thuocdo.frameworks.selectors import framework_for

    version, _fw = framework_for(made.agency, made.period.framework_key, made.period.end)
    document = copy.deepcopy(version.document)
    document["version"] = f"{document['version']}-whatif"
    document["rating"]["bands"][0]["min"] = 92
    document["quota"]["ratio"] = "0.15"
    root = document["individual"]["root"]
    root["combine"], root["max_points"] = "weighted_mean", 100
    root["children"][0]["weight"], root["children"][1]["weight"] = 40, 60
    return frameworks.framework_import(
        actor=made.office, agency=made.agency, document_or_preset_name=document
    )


def floor(period_ids: list[int]) -> int:
    from django.db import connection

    from thuocdo.evaluations.models import Evaluation
    from thuocdo.evaluations.whatif import UNREAD

    table = connection.ops.quote_name(Evaluation._meta.db_table)
    column, skip = "result", ()
    if connection.vendor == "postgresql":  # the same keys the preview reads
        column, skip = f"result - ARRAY[{', '.join(['%s'] * len(UNREAD))}]::text[]", UNREAD
    read = 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, {column} FROM {table} WHERE period_id IN "
            f"({', '.join(['%s'] * len(period_ids))}) AND state = 'decided'",
            [*skip, *period_ids],
        )
        while rows := cursor.fetchmany(2000):
            for _pk, result in rows:
                json.loads(result) if isinstance(result, str) else result
                read += 1
    return read


def preview(made: Any, version: Any, period_ids: list[int]) -> Any:
    from thuocdo.core import clock
    from thuocdo.evaluations import whatif
    from thuocdo.evaluations.models import WhatIfRun

    run = WhatIfRun.objects.create(
        agency=made.agency,
        framework=version,
        periods=period_ids,
        requested_by=made.office,
        created_at=clock.now(),
    )
    return whatif.whatif_compute(run=run)


def bench(people: int, months: int, runs: int) -> dict[str, Any]:
    from django.db import connection

    from thuocdo.demo.synthetic import generate
    from thuocdo.evaluations import services
    from thuocdo.evaluations.models import Evaluation

    started = time.perf_counter()
    made = generate(people, code=f"W{people}")
    services.period_compile(actor=made.office, period=made.period)
    services.period_decide_all(actor=made.authority, period=made.period)
    period_ids = copy_months(made, months)
    version = make_draft(made)
    built = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    decided = Evaluation.objects.filter(period_id__in=period_ids, state="decided").count()
    outcome: dict[str, Any] = {}
    rolled_back(lambda: preview(made, version, period_ids))  # warm: caches, plans
    floors, previews = [], []
    for _ in range(runs):
        floors.append(rolled_back(lambda: floor(period_ids)))
        previews.append(
            rolled_back(lambda: outcome.update(run=preview(made, version, period_ids).summary))
        )
    tracemalloc.start()
    rolled_back(lambda: preview(made, version, period_ids))
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    totals = outcome["run"]["totals"]
    return {
        "people": people,
        "months": len(period_ids),
        "decided": decided,
        "built": built,
        "floor": statistics.median(floors),
        "preview": statistics.median(previews),
        "peak": peak,
        "up": totals["up"],
        "down": totals["down"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--people", type=int, nargs="+", default=[10000])
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        where = setup_django(Path(tmp), "whatif")
        try:
            rows = []
            for people in args.people:
                row = bench(people, args.months, args.runs)
                rows.append(row)
                print(
                    f"… {people:,} people × {row['months']} months: floor {row['floor']:.2f} s, "
                    f"preview {row['preview']:.2f} s",
                    flush=True,
                )
        finally:
            teardown_django()
    print(f"\nDatabase: {where}; medians of {args.runs} interleaved runs, rolled back each time\n")
    print(
        "| people × months | decided evaluations | built in | floor (SELECT results) | "
        "preview | ratio | per evaluation | peak heap | up / down |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['people']:,} × {row['months']} | {row['decided']:,} | {row['built']:.1f} s | "
            f"{row['floor']:.2f} s | {row['preview']:.2f} s | "
            f"{row['preview'] / row['floor']:.1f}× | "
            f"{row['preview'] / max(1, row['decided']) * 1e6:.0f} µs | "
            f"{row['peak'] / 2**20:.0f} MiB | {row['up']:,} / {row['down']:,} |"
        )
    last = rows[-1]
    print(f"\nwhatif: {last['people']} people × {last['months']} months, {last['preview']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
