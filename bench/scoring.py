"""Benchmark of the scoring engine: prints a table (medians of several runs).

    PYTHONPATH=src python bench/scoring.py            # 1,000,000 + 10,000, 3 runs, 2 workers
    PYTHONPATH=src python bench/scoring.py --quick    # 50,000 + 2,000, 3 runs

Phases:
  baseline    a bare loop summing the same Decimals the aggregated inputs carry
  aggregated  score_person(explain=False) from aggregated facts (20 tasks per person-period
              reduced per kind, as SQL would), decree-335-2025 preset; the inputs are built
              per call from the Decimal columns SQL returns (what an adapter pays)
  engine only the same, inputs built beforehand: the engine's own cost
              (explain=False runs the compiled plan of scoring/fastpath.py)
  breakdown   score_person(explain=True) from 20 per-task lines + as_dict() (JSON-ready)
Peak memory is the peak RSS of the process that ran the phase (resource.getrusage).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from fractions import Fraction

from thuocdo.scoring import (
    Framework,
    KindFacts,
    PersonInputs,
    TaskLine,
    aggregate_tasks,
    load_preset,
    score_person,
)

KINDS = ("planned", "arising", "other")


def make_lines(rnd: random.Random) -> tuple[TaskLine, ...]:
    out = []
    for _ in range(20):
        quantity = rnd.randint(1, 5)
        out.append(
            TaskLine(
                kind=rnd.choice(KINDS),
                quantity=Fraction(quantity),
                coefficient=Fraction(rnd.choice((25, 50, 100, 150, 200)), 100),
                done=Fraction(rnd.randint(0, quantity)),
                failures=rnd.choice((0, 0, 0, 1, 2)),
                delays=rnd.choice((0, 0, 0, 1)),
                extra=rnd.choice((None,) * 9 + ("taken_over",)),
            )
        )
    return tuple(out)


def make_pool(fw: Framework, size: int, seed: int) -> list[dict[str, tuple[Decimal, ...]]]:
    """Distinct aggregated inputs, as Decimal columns the database would return."""
    rnd = random.Random(seed)
    pool = []
    for _ in range(size):
        facts = aggregate_tasks(fw, make_lines(rnd))
        pool.append(
            {
                k: tuple(
                    Decimal(x.numerator) / Decimal(x.denominator)
                    for x in (f.w, f.done, f.done_q, f.done_t)
                )
                for k, f in facts.items()
            }
        )
    return pool


def run_baseline(n: int, seed: int) -> tuple[float, int]:
    fw = load_preset("decree-335-2025")
    pool = make_pool(fw, 1000, seed)
    t0 = time.perf_counter()
    total = Decimal(0)
    for i in range(n):
        row = pool[i % 1000]
        for cols in row.values():
            total += cols[0] + cols[1] + cols[2] + cols[3]
        total += Decimal(27)
    return time.perf_counter() - t0, _rss_kib()


def run_aggregated(n: int, seed: int) -> tuple[float, int]:
    fw = load_preset("decree-335-2025")
    pool = make_pool(fw, 1000, seed)
    general = {"general": Fraction(27)}
    t0 = time.perf_counter()
    scored = 0
    for i in range(n):
        row = pool[i % 1000]
        facts = {
            k: KindFacts(Fraction(c[0]), Fraction(c[1]), Fraction(c[2]), Fraction(c[3]))
            for k, c in row.items()
        }
        r = score_person(
            fw, PersonInputs(person_id=str(i), tasks=facts, given_points=general), explain=False
        )
        scored += r.points is not None
    return time.perf_counter() - t0, _rss_kib()


def run_engine_only(n: int, seed: int) -> tuple[float, int]:
    fw = load_preset("decree-335-2025")
    general = {"general": Fraction(27)}
    prebuilt = [
        PersonInputs(
            person_id=str(i),
            tasks={k: KindFacts(*(Fraction(x) for x in c)) for k, c in row.items()},
            given_points=general,
        )
        for i, row in enumerate(make_pool(fw, 1000, seed))
    ]
    t0 = time.perf_counter()
    scored = 0
    for i in range(n):
        r = score_person(fw, prebuilt[i % 1000], explain=False)
        scored += r.points is not None
    return time.perf_counter() - t0, _rss_kib()


def run_breakdown(n: int, seed: int) -> tuple[float, int]:
    fw = load_preset("decree-335-2025")
    rnd = random.Random(seed)
    inputs = [make_lines(rnd) for _ in range(min(n, 1000))]
    general = {"general": Fraction(27)}
    t0 = time.perf_counter()
    for i in range(n):
        r = score_person(
            fw,
            PersonInputs(
                person_id=str(i), task_lines=inputs[i % len(inputs)], given_points=general
            ),
            explain=True,
        )
        r.as_dict()
    return time.perf_counter() - t0, _rss_kib()


def _rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def parallel(
    fn: Callable[[int, int], tuple[float, int]], n: int, workers: int, seed: int
) -> tuple[float, int]:
    """Wall time with ``workers`` processes sharing ``n`` person-periods."""
    if workers <= 1:
        return fn(n, seed)
    share = [n // workers + (1 if i < n % workers else 0) for i in range(workers)]
    with ProcessPoolExecutor(workers) as ex:
        results = list(ex.map(fn, share, [seed + i for i in range(workers)]))
    # the slowest worker's scoring loop (set-up and process start excluded)
    return max(r[0] for r in results), max(r[1] for r in results)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="50,000 + 2,000 person-periods")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--aggregated", type=int, default=None)
    ap.add_argument("--breakdown", type=int, default=None)
    args = ap.parse_args()
    n_agg = args.aggregated or (50_000 if args.quick else 1_000_000)
    n_bd = args.breakdown or (2_000 if args.quick else 10_000)
    phases: list[tuple[str, Callable[[int, int], tuple[float, int]], int, int]] = [
        ("baseline: Σ Decimals (bare loop)", run_baseline, n_agg, 1),
        ("aggregated, 1 process", run_aggregated, min(n_agg, 100_000), 1),
        ("aggregated, engine only, 1 process", run_engine_only, min(n_agg, 100_000), 1),
        (f"aggregated, {args.workers} processes", run_aggregated, n_agg, args.workers),
        ("full breakdown + JSON, 1 process", run_breakdown, n_bd, 1),
    ]
    print(
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPU(s), median of {args.runs} run(s)\n"
    )
    header = (
        f"{'phase':<38} {'person-periods':>14} {'median s':>9} {'per second':>12} "
        f"{'vs baseline':>11} {'peak RSS MiB':>12}"
    )
    print(header)
    print("-" * len(header))
    base_rate = None
    for name, fn, n, workers in phases:
        times, peaks = [], []
        for run in range(args.runs):
            secs, peak = parallel(fn, n, workers, seed=run * 10)
            times.append(secs)
            peaks.append(peak)
        med = statistics.median(times)
        rate = n / med
        if base_rate is None:
            base_rate = rate
        print(
            f"{name:<38} {n:>14,} {med:>9.2f} {rate:>12,.0f} {rate / base_rate:>10.3f}x "
            f"{max(peaks) / 1024:>12.1f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
