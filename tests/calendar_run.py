"""`make test-calendar`: the date-sensitive tests under every moment of tests/clock.CALENDAR.

Each moment is one pytest run with THUOCDO_TEST_NOW set (its own VAR_DIR; two runs at a
time, `CALENDAR_JOBS` to change). Tests marked
`@pytest.mark.now(...)` keep their own date and are left out (`-m "not now"`); the scoring
engine's tests are left out because the engine reads no clock (import-linter and ruff's
banned-api rule hold it to that). Prints a table, one row per moment, and exits 1 if any
moment failed. Extra arguments go to pytest (e.g. a path to run only some tests).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.clock import CALENDAR, parse_moment  # noqa: E402

SUMMARY = re.compile(r"^=*\s*(\d+ (?:passed|failed|error).*?) in [\d.]+s", re.M)


def run(moment: str, extra: list[str]) -> tuple[bool, str, float]:
    with tempfile.TemporaryDirectory(prefix="thuocdo-calendar-") as var:
        return _run(moment, extra, var)


def _run(moment: str, extra: list[str], var: str) -> tuple[bool, str, float]:
    env = {**os.environ, "THUOCDO_TEST_NOW": moment, "VAR_DIR": var}
    env.pop("DATABASE_URL", None)  # SQLite; the PostgreSQL suite runs at the default moment
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-m",
        "not now",
        "--ignore=tests/scoring",
        *(extra or ["tests"]),
    ]
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    found = SUMMARY.findall(done.stdout)
    summary = found[-1] if found else f"exit {done.returncode}"
    if done.returncode != 0:
        tail = (done.stdout[-6000:], done.stderr[-3000:])
        print(f"== {moment} ==", *tail, sep="\n", file=sys.stderr)
    return done.returncode == 0, summary, seconds


def one(label: str, moment: str, extra: list[str]) -> tuple[str, str, str, bool, str]:
    local = parse_moment(moment)
    utc = local.astimezone(dt.UTC)
    ok, summary, seconds = run(moment, extra)
    print(f"{'ok' if ok else 'FAILED'} · {label}: {summary} ({seconds:.0f} s)", flush=True)
    return label, f"{local:%a %Y-%m-%d %H:%M}", f"{utc:%a %Y-%m-%d %H:%M}", ok, summary


def main(extra: list[str]) -> int:
    jobs = int(os.environ.get("CALENDAR_JOBS", "2"))
    print(f"calendar: {len(CALENDAR)} moments, {jobs} at a time", flush=True)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(one, label, moment, extra) for label, moment in CALENDAR.items()]
        rows = [future.result() for future in futures]
    print()
    print("| moment | Hà Nội (UTC+7) | UTC | result |")
    print("|---|---|---|---|")
    for label, local_text, utc_text, ok, summary in rows:
        print(f"| {label} | {local_text} | {utc_text} | {'✓' if ok else '✗'} {summary} |")
    failed = [row[0] for row in rows if not row[3]]
    print(f"\ncalendar: {len(rows) - len(failed)} of {len(rows)} moments passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
