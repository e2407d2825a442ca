"""Benchmark of the dashboards under concurrent clients: prints a table (median and p95).

    PYTHONPATH=src python bench/dashboards.py          # 10,000 people, 50 clients
    PYTHONPATH=src python bench/dashboards.py --quick  # 1,000 people, 10 clients

Issue 6 item 9, issue 11. A throw-away database, migrated from scratch: SQLite in a
temporary VAR_DIR (static files are collected there too), or, when DATABASE_URL names a
PostgreSQL server, a database `bench_dash_<pid>` made on that server for the run and
dropped at the end (the server under test uses it too). It holds one agency:
10 departments of 5 offices each, the people spread over the offices (bulk-created, with
their assignments), three tasks each in the open month (accepted, returned late, overdue)
and one accepted task in each of the two months before. Three logins: the agency's head
(leadership), a department head, an official.

gunicorn serves it on 127.0.0.1 and a free port (2 workers × 4 threads, as `make run`);
sessions are made through Django's session engine and sent as cookies. A pool of client
threads (http.client, one connection per request, loopback only) then requests each page
in turn until the request budget or the time budget of the page is spent:

    /healthz                   the trivial page (SELECT 1, JSON): the baseline
    /login/                    reference: the layout alone, signed out (a form, a CSRF token)
    /evaluations/notifications/  reference: the official's notifications, none: the least
                               page a signed-in user is shown (session, login, scope, layout)
    /dashboard/                an official's own dashboard
    /search/?q=nguyen          the agency's head searching the commonest surname
    /dashboard/unit/<id>/      a department head on the department (a tenth of the people)
    /dashboard/agency/         the agency's head on the whole agency

Before gunicorn starts, the live refresh job runs once, as a worker does after a start
(`work.board.refresh`: the kept person rows, then the per-unit totals); its time is
printed. Each page is then first requested once, alone: the own, search and unit pages
find no kept live points for what they show beyond the job's and fill them, and that
time is the "first (cold)" column; the agency page reads the unit totals, as it always
does. The clients then see kept points, as on a working day.

A request still unanswered `--grace` seconds after the page's time budget is given up and
counted as unfinished (slower than all the others in the median and p95); gunicorn is then
restarted so that the next page starts on an idle server. Times are seen by the clients
(queueing included), so the ratio to the baseline median, not
the absolute number, is what carries from one machine to another. gunicorn is stopped at the
end, also on error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

SRC = Path(__file__).resolve().parents[1] / "src"
SURNAMES = ("Nguyễn", "Nguyễn", "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi")
MIDDLE = ("Văn", "Thị", "Đức", "Minh", "Ngọc", "Thu", "Quang", "Hồng")
GIVEN = ("An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hương", "Khánh", "Lan", "Long")
DEPARTMENTS, OFFICES = 10, 5


@dataclass
class Setup:
    people: int = 0
    tasks: int = 0
    cookies: dict[str, str] = field(default_factory=dict)  # role -> "sessionid=…"
    unit_id: int = 0
    unit_members: int = 0


@dataclass
class Result:
    page: str
    times: list[float] = field(default_factory=list)
    first: float = float("nan")  # the first request, alone, on a cold cache of live points
    unfinished: int = 0  # no answer by the page's hard deadline: counted as slower than all
    errors: int = 0
    first_error: str = ""


def note(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# --- the database ---------------------------------------------------------------------------


def throwaway_database() -> tuple[str | None, str]:
    """(URL of a fresh PostgreSQL database next to DATABASE_URL's, its name), or (None,
    "SQLite") when DATABASE_URL is not PostgreSQL."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return None, "SQLite"
    import psycopg

    name = f"bench_dash_{os.getpid()}"
    server = url.replace("postgres://", "postgresql://", 1)
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    base = url.rsplit("/", 1)[0]
    return f"{base}/{name}", name


def drop_database(url: str | None, name: str) -> None:
    if url is None:
        return
    import psycopg
    from django.db import connections

    connections.close_all()
    server = os.environ["BENCH_SERVER_URL"].replace("postgres://", "postgresql://", 1)
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def setup_django(var_dir: Path, database_url: str | None) -> None:
    os.environ["VAR_DIR"] = str(var_dir)
    if database_url is None:
        os.environ.pop("DATABASE_URL", None)
    else:
        os.environ["BENCH_SERVER_URL"] = os.environ["DATABASE_URL"]
        os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "thuocdo.config.settings"
    if str(SRC) not in sys.path:
        sys.path.insert(0, str(SRC))
    import django

    django.setup()
    from io import StringIO

    from django.core.management import call_command

    call_command("migrate", verbosity=0, stdout=StringIO())
    call_command("collectstatic", interactive=False, verbosity=0, stdout=StringIO())


def build(people: int) -> Setup:
    """One agency, its departments and offices, `people` officials, their tasks, 3 logins."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.db import transaction

    from thuocdo.core import clock
    from thuocdo.core.origin import origin_scope
    from thuocdo.core.text import fold
    from thuocdo.org import services as org
    from thuocdo.org.models import Assignment, Person, Unit
    from thuocdo.work.models import Task

    rnd = random.Random(9)
    start = dt.date(2025, 1, 1)
    today = clock.today()
    setup = Setup(people=people)
    with origin_scope("cli:bench"):
        agency = org.agency_create(actor=None, code="BENCH", name="Cơ quan đo hiệu năng")
        departments: list[Unit] = []
        offices: list[Unit] = []
        for d in range(1, DEPARTMENTS + 1):
            department = org.unit_create(
                actor=None, parent=agency, code=f"V{d:02d}", name=f"Vụ số {d}"
            )
            departments.append(department)
            offices += [
                org.unit_create(
                    actor=None, parent=department, code=f"V{d:02d}P{o}", name=f"Phòng {o} Vụ {d}"
                )
                for o in range(1, OFFICES + 1)
            ]

        def official(code: str, unit: Unit, role: str) -> Person:
            person = org.person_create(
                actor=None,
                agency=agency,
                code=code,
                full_name=f"Nguyễn Văn {code}",
                category=Person.Category.CIVIL_SERVANT,
            )
            org.assignment_start(actor=None, person=person, unit=unit, role=role, start_date=start)
            org.person_set_login(
                actor=None, person=person, username=code.lower(), password=os.urandom(12).hex()
            )
            return person

        leader = official("L0001", agency, Assignment.Role.HEAD)
        head = official("H0001", departments[0], Assignment.Role.HEAD)
        me = official("S0001", offices[0], Assignment.Role.STAFF)

    with transaction.atomic():
        names = [
            f"{rnd.choice(SURNAMES)} {rnd.choice(MIDDLE)} {rnd.choice(GIVEN)} {i}"
            for i in range(people - 3)
        ]
        crowd = Person.objects.bulk_create(
            (
                Person(
                    agency=agency,
                    code=f"P{i:05d}",
                    full_name=name,
                    search_name=fold(name),
                    category=Person.Category.CIVIL_SERVANT,
                )
                for i, name in enumerate(names)
            ),
            batch_size=2000,
        )
        homes = {me.pk: offices[0], head.pk: departments[0], leader.pk: agency}
        for i, person in enumerate(crowd):
            homes[person.pk] = offices[i % len(offices)]
        Assignment.objects.bulk_create(
            (
                Assignment(person=p, unit=homes[p.pk], role=Assignment.Role.STAFF, start_date=start)
                for p in crowd
            ),
            batch_size=2000,
        )
        first = today.replace(day=1)
        tasks: list[Task] = []
        for p in [me, *crowd]:
            common: dict[str, Any] = {
                "agency": agency,
                "unit": homes[p.pk],
                "kind": Task.Kind.ARISING,
                "assigner": head,
                "owner": p,
                "quantity": Decimal(2),
                "coefficient": Decimal("1.5"),
            }
            tasks += [
                Task(
                    title="Báo cáo tháng",
                    deadline=today,
                    effective_deadline=today,
                    assigned_on=first,
                    state=Task.State.ACCEPTED,
                    done_quantity=Decimal(2),
                    completed_on=today,
                    **common,
                ),
                Task(
                    title="Đề án bị trả lại",
                    deadline=first,
                    effective_deadline=first,
                    assigned_on=first,
                    state=Task.State.ACCEPTED,
                    done_quantity=Decimal(1),
                    completed_on=today,
                    failures=1,
                    delays=1,
                    **common,
                ),
                Task(
                    title="Công văn quá hạn",
                    deadline=today - dt.timedelta(days=1),
                    effective_deadline=today - dt.timedelta(days=1),
                    assigned_on=first,
                    state=Task.State.ASSIGNED,
                    **common,
                ),
            ]
            for back in (1, 2):
                day = (first - dt.timedelta(days=28 * back)).replace(day=10)
                tasks.append(
                    Task(
                        title=f"Báo cáo tháng {day:%m/%Y}",
                        deadline=day,
                        effective_deadline=day,
                        assigned_on=day.replace(day=1),
                        state=Task.State.ACCEPTED,
                        done_quantity=Decimal(2),
                        completed_on=day + dt.timedelta(days=rnd.choice((0, 0, 2))),
                        **common,
                    )
                )
        for task in tasks:  # bulk_create skips Task.save()
            task.search_title = fold(task.title)
        Task.objects.bulk_create(tasks, batch_size=2000)
    setup.tasks = len(tasks)
    setup.unit_id = departments[0].pk
    setup.unit_members = sum(1 for u in homes.values() if u.path.startswith(departments[0].path))

    from importlib import import_module

    engine = import_module(settings.SESSION_ENGINE)
    backend = "django.contrib.auth.backends.ModelBackend"
    for role, person in (("leader", leader), ("head", head), ("official", me)):
        user = person.user
        assert user is not None
        store = engine.SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = backend
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.save()
        assert store.session_key is not None
        setup.cookies[role] = f"{settings.SESSION_COOKIE_NAME}={store.session_key}"
    return setup


# --- the server -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(var_dir: Path, port: int, workers: int, threads: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, VAR_DIR=str(var_dir), PYTHONPATH=str(SRC))  # DATABASE_URL: ours
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "thuocdo.config.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--backlog",
        "256",
        "--timeout",
        "120",
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
    ]
    log = open(var_dir / "gunicorn.log", "wb")  # noqa: SIM115 (closed with the process)
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(
                f"gunicorn exited ({server.returncode}): {(var_dir / 'gunicorn.log').read_text()}"
            )
        try:
            if fetch(port, "/healthz", None)[0] == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    stop_server(server)
    raise RuntimeError("gunicorn did not answer /healthz within 30 s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


# --- the clients ----------------------------------------------------------------------------


def fetch(port: int, path: str, session: str | None, timeout: float = 120) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Host": "127.0.0.1", "Accept-Language": "vi"}
        if session:
            headers["Cookie"] = session
        connection.request("GET", path, headers=headers)
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


def hammer(
    port: int,
    page: str,
    path: str,
    session: str | None,
    clients: int,
    budget: int,
    seconds: float,
    grace: float,
) -> Result:
    """`clients` threads request `path` until `budget` requests are started or `seconds` are
    up; a request still unanswered `grace` seconds later is given up as unfinished."""
    result = Result(page)
    lock = threading.Lock()
    started = 0
    deadline = time.monotonic() + seconds
    hard = deadline + grace

    def client() -> None:
        nonlocal started
        while True:
            with lock:
                if started >= budget or time.monotonic() >= deadline:
                    return
                started += 1
            begun = time.perf_counter()
            try:
                status, _body = fetch(port, path, session, max(1.0, hard - time.monotonic()))
                error = "" if status == 200 else f"HTTP {status}"
            except TimeoutError:
                error = "unfinished"
            except OSError as failure:
                error = f"{type(failure).__name__}: {failure}"
            elapsed = time.perf_counter() - begun
            with lock:
                if error == "unfinished":
                    result.unfinished += 1
                elif error:
                    result.errors += 1
                    result.first_error = result.first_error or error
                else:
                    result.times.append(elapsed)

    with ThreadPoolExecutor(max_workers=clients) as pool:
        for future in [pool.submit(client) for _ in range(clients)]:
            future.result()
    return result


def check(port: int, path: str, session: str | None, expect: str) -> None:
    status, body = fetch(port, path, session)
    if status != 200 or expect.encode() not in body:
        raise RuntimeError(f"{path}: HTTP {status}, {expect!r} not in the page")


def quantile(result: Result, q: float) -> float:
    """Nearest-rank quantile; unfinished requests count as infinitely slow."""
    ordered = sorted(result.times) + [float("inf")] * result.unfinished
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def ms(seconds: float, cap: float) -> str:
    return f"> {cap * 1000:,.0f}" if seconds == float("inf") else f"{seconds * 1000:,.0f}"


def print_table(results: list[Result], header: str, cap: float) -> None:
    base = statistics.median(results[0].times) if results[0].times else float("nan")
    base_p95 = quantile(results[0], 0.95) if results[0].times else float("nan")
    titles = (
        "page",
        "first (cold) ms",
        "requests",
        "unfinished",
        "errors",
        "median ms",
        "p95 ms",
        "× baseline",
        "p95 × baseline p95",
    )
    rows: list[tuple[str, ...]] = [titles]
    for r in results:
        if r.times or r.unfinished:
            median = quantile(r, 0.5)
            ratio = "—" if median == float("inf") else f"{median / base:,.1f}×"
            p95 = quantile(r, 0.95)
            ratio95 = "—" if p95 == float("inf") else f"{p95 / base_p95:,.1f}×"
            rows.append(
                (
                    r.page,
                    f"{r.first * 1000:,.0f}",
                    f"{len(r.times) + r.unfinished + r.errors:,}",
                    str(r.unfinished),
                    str(r.errors),
                    ms(median, cap),
                    ms(p95, cap),
                    ratio,
                    ratio95,
                )
            )
        else:
            rows.append(
                (r.page, f"{r.first * 1000:,.0f}", str(r.errors), "0", str(r.errors))
                + ("—",) * (len(titles) - 5)
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(titles))]
    line = "  ".join("-" * w for w in widths)
    print(header)
    print(line)
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        print("  ".join(cells))
        if n == 0:
            print(line)
    print(line)
    for r in results:
        if r.first_error:
            print(f"{r.page}: first error: {r.first_error}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--quick", action="store_true", help="1,000 people, 10 clients")
    parser.add_argument("--people", type=int, help="default 10,000 (1,000 with --quick)")
    parser.add_argument("--clients", type=int, help="default 50 (10 with --quick)")
    parser.add_argument("--requests", type=int, help="per page; default 300 (60 with --quick)")
    parser.add_argument(
        "--seconds", type=float, help="per page, to start requests; default 40 (6 with --quick)"
    )
    parser.add_argument(
        "--grace", type=float, help="then to wait for answers; default 80 (20 with --quick)"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (4)")
    args = parser.parse_args(argv)
    people = args.people or (1000 if args.quick else 10_000)
    clients = args.clients or (10 if args.quick else 50)
    budget = args.requests or (60 if args.quick else 300)
    seconds = args.seconds or (6.0 if args.quick else 40.0)
    grace = args.grace or (20.0 if args.quick else 80.0)

    with tempfile.TemporaryDirectory(prefix="thuocdo-bench-dash-") as name:
        var_dir = Path(name) / "var"
        var_dir.mkdir()
        database_url, database = throwaway_database()
        note(f"migrating a throw-away database ({database}) in {var_dir}")
        setup_django(var_dir, database_url)
        began = time.perf_counter()
        setup = build(people)
        if database_url is not None:
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # as autovacuum would before anyone looks
        note(
            f"{setup.people:,} people, {setup.tasks:,} tasks in {time.perf_counter() - began:.1f} s"
        )
        # What a worker does after start (`refresh_live --queue`): the kept person rows and
        # the per-unit totals the agency page reads (it never computes them itself).
        from thuocdo.core import clock
        from thuocdo.org.models import Unit
        from thuocdo.work import board

        began = time.perf_counter()
        agency = Unit.objects.get(code="BENCH")
        stale, rows = board.refresh(agency.pk, today=clock.today())
        note(
            f"live refresh job: {stale:,} person-months and {rows:,} unit rows in "
            f"{time.perf_counter() - began:.1f} s; starting gunicorn"
        )
        port = free_port()
        server = start_server(var_dir, port, args.workers, args.threads)
        try:
            cookies = setup.cookies
            pages = [
                ("/healthz", "/healthz", None, '"ok"'),
                # Two references, not dashboards: what the layout alone costs, signed out
                # and signed in (the official's empty notifications: the least page a
                # signed-in user can be shown). Every dashboard costs at least the latter.
                ("/login/ (signed out: layout)", "/login/", None, 'name="username"'),
                (
                    "/evaluations/notifications/ (official, none)",
                    "/evaluations/notifications/",
                    cookies["official"],
                    "ev-notes",
                ),
                ("/dashboard/ (official)", "/dashboard/", cookies["official"], 'data-kpi="a"'),
                ("/search/?q=nguyen (leader)", "/search/?q=nguyen", cookies["leader"], "Nguyễn"),
                (
                    f"/dashboard/unit/<id>/ (head, {setup.unit_members:,} people)",
                    f"/dashboard/unit/{setup.unit_id}/",
                    cookies["head"],
                    'data-table="heatmap"',
                ),
                (
                    "/dashboard/agency/ (leader)",
                    "/dashboard/agency/",
                    cookies["leader"],
                    "data-unit",
                ),
            ]
            cold: dict[str, float] = {}
            for page, path, session, expect in pages:  # warm up, and check what is served
                began_check = time.perf_counter()
                check(port, path, session, expect)  # the first: kept live points filled
                cold[page] = time.perf_counter() - began_check
            results = []
            for page, path, session, _expect in pages:
                note(f"{page}: {clients} clients, up to {budget} requests or {seconds:.0f} s")
                result = hammer(port, page, path, session, clients, budget, seconds, grace)
                result.first = cold[page]
                results.append(result)
                if result.unfinished:  # the server is still busy with them: start afresh
                    note(f"{result.unfinished} unfinished; restarting gunicorn")
                    stop_server(server)
                    server = start_server(var_dir, port, args.workers, args.threads)
        except Exception:
            log = (var_dir / "gunicorn.log").read_text(errors="replace")
            print(f"--- gunicorn log (end) ---\n{log[-4000:]}", file=sys.stderr)
            raise
        finally:
            stop_server(server)
            note("gunicorn stopped")
            drop_database(database_url, database)
    kind = "SQLite" if database_url is None else "PostgreSQL"
    print_table(
        results,
        f"bench/dashboards.py — {kind}, gunicorn {args.workers}×{args.threads} on "
        f"{os.cpu_count()} CPUs, {people:,} people, {clients} clients, Python "
        f"{sys.version.split()[0]}{' (quick)' if args.quick else ''}; up to {budget} requests "
        f"a page, started within {seconds:.0f} s, answered within {seconds + grace:.0f} s",
        seconds + grace,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
