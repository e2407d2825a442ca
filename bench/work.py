"""Benchmark of the work tracking paths: prints a table (medians of several runs).

    PYTHONPATH=src python bench/work.py          # 3,000 API creates, 100,000 Excel rows
    PYTHONPATH=src python bench/work.py --quick  # 300 creates, 10,000 rows
    DATABASE_URL=postgres://… PYTHONPATH=src python bench/work.py  # throw-away PostgreSQL db

Everything runs against a throw-away database (SQLite file in a temporary VAR_DIR, or a
`test_bench_work_<pid>` database next to DATABASE_URL's, dropped at the end), migrated
from scratch, with a small agency: a head, a unit head, 20 officials, a decided catalogue.

Phases, each against its baseline measured in the same run:
  create    POST /api/v1/tasks (Django test client: routing, bearer token, JSON, the
            Idempotency-Key record, task_assign with its event and audit entry, the
            answer) vs the bare task_assign service call.
  excel     a 100,000-row task workbook: openpyxl's bare read (read_only, values_only) of the
            file the importer reads (the kind's template) vs
            the tasks importer of thuocdo.imports (plan + apply) when it exists, else
            "not available"; plus read + Task.bulk_create (no events, no audit: the floor
            any importer can reach). Writing the file is shown for scale.
  live KPI  live_kpi() of one official with 1,000 tasks in the month (one grouped query +
            the engine; with and without the breakdown) vs the task_update service call.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

ROWS_FULL, ROWS_QUICK = 100_000, 10_000
HEADERS = (
    "Mã cán bộ",
    "Tên nhiệm vụ",
    "Loại nhiệm vụ",
    "Hạn hoàn thành",
    "Số lượng",
    "Mã sản phẩm",
)


def setup_django(tmp: Path) -> str:
    os.environ["VAR_DIR"] = str(tmp / "var")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thuocdo.config.settings")
    if os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_TEST_NAME"] = f"test_bench_work_{os.getpid()}"
    else:
        os.environ["DATABASE_TEST_NAME"] = str(tmp / "bench.sqlite3")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    return f"{connection.vendor} {connection.settings_dict['NAME']}"


def teardown_django(name: str) -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        connection.creation.destroy_test_db(name, verbosity=0)


# --- the agency -------------------------------------------------------------------------------


class Agency:
    def __init__(self, officials: int = 20) -> None:
        from thuocdo.core.origin import origin_scope
        from thuocdo.org import services as org
        from thuocdo.org.models import Assignment, Person, RoleGrant
        from thuocdo.work import services as work

        start = dt.date(2025, 1, 1)
        with origin_scope("cli:bench"):
            self.agency = org.agency_create(actor=None, code="BENCH", name="Cơ quan đo hiệu năng")
            self.unit = org.unit_create(actor=None, parent=self.agency, code="U1", name="Phòng Một")
            self.people: list[Person] = []

            def official(code: str, unit: Any, role: str) -> Person:
                person = org.person_create(
                    actor=None,
                    agency=self.agency,
                    code=code,
                    full_name=f"Nguyễn Văn {code}",
                    category=Person.Category.CIVIL_SERVANT,
                )
                org.assignment_start(
                    actor=None, person=person, unit=unit, role=role, start_date=start
                )
                org.person_set_login(
                    actor=None, person=person, username=code.lower(), password=uuid.uuid4().hex
                )
                return person

            self.leader = official("L001", self.agency, Assignment.Role.HEAD)
            self.head = official("H001", self.unit, Assignment.Role.HEAD)
            self.staff = [
                official(f"S{i:03d}", self.unit, Assignment.Role.STAFF)
                for i in range(1, officials + 1)
            ]
            leader_user, head_user = self.leader.user, self.head.user
            assert leader_user is not None and head_user is not None
            self.head_user = head_user
            org.role_grant(
                actor=None,
                user=leader_user,
                agency=self.agency,
                role=RoleGrant.Role.PERSONNEL,
                start_date=start,
            )
            catalogue = work.catalogue_create(
                actor=leader_user, agency=self.agency, name="Danh mục"
            )
            version = work.catalogue_version_propose(actor=head_user, catalogue=catalogue)
            self.products = {
                code: work.product_type_add(
                    actor=head_user,
                    version=version,
                    code=code,
                    name=name,
                    unit_of_measure="văn bản",
                    coefficient=Decimal(coefficient),
                    complexity_group=group,
                )
                for code, name, coefficient, group in (
                    ("BC", "Báo cáo", "2.0", 4),
                    ("CV", "Công văn", "0.5", 1),
                    ("TD", "Thẩm định", "1.0", 2),
                )
            }
            work.catalogue_version_standardise(actor=leader_user, version=version)
            work.catalogue_version_decide(actor=leader_user, version=version)


# --- measuring --------------------------------------------------------------------------------


def note(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def median_of(runs: int, action: Callable[[], Any]) -> float:
    return statistics.median(timed(action) for _ in range(runs))


Row = tuple[str, str, str, str]  # phase, what, result, versus baseline


def bench_create(agency: Agency, n: int, runs: int) -> list[Row]:
    from django.test import Client

    from thuocdo.api.services import client_create
    from thuocdo.core import clock
    from thuocdo.core.origin import origin_scope
    from thuocdo.work import services as work

    with origin_scope("cli:bench"):
        _, token = client_create(
            actor=None,
            agency=agency.agency,
            name="Bench",
            scopes=["tasks:write"],
            act_for_units=[agency.agency.code],  # the whole agency
        )
    http = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    deadline = clock.today() + dt.timedelta(days=30)
    product = agency.products["CV"]
    head_code = agency.head.code

    def via_api() -> None:
        for i in range(n):
            owner = agency.staff[i % len(agency.staff)]
            answer = http.post(
                "/api/v1/tasks",
                {
                    "assigner_code": head_code,
                    "owner_code": owner.code,
                    "title": f"Công văn số {i}",
                    "kind": "arising",
                    "deadline": deadline.isoformat(),
                    "quantity": "2",
                    "product_type_id": product.pk,
                },
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
            )
            if answer.status_code != 201:
                raise SystemExit(f"API create failed: {answer.status_code} {answer.content!r}")

    def via_service() -> None:
        with origin_scope("cli:bench"):
            for i in range(n):
                work.task_assign(
                    actor=agency.head_user,
                    owner=agency.staff[i % len(agency.staff)],
                    title=f"Công văn số {i}",
                    kind="arising",
                    deadline=deadline,
                    quantity="2",
                    product_type=product,
                )

    def queries(action: Callable[[], Any]) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        nonlocal n
        kept, n = n, 1
        try:
            with CaptureQueriesContext(connection) as captured:
                action()
        finally:
            n = kept
        return len(captured)

    q_service, q_api = queries(via_service), queries(via_api)
    base = median_of(runs, via_service)
    api = median_of(runs, via_api)
    return [
        (
            "create",
            f"task_assign service ×{n:,}, {q_service} queries each (baseline)",
            f"{n / base:,.0f} tasks/s",
            "1.00×",
        ),
        (
            "create",
            f"POST /api/v1/tasks ×{n:,}, {q_api} queries each (Idempotency-Key)",
            f"{n / api:,.0f} tasks/s",
            f"{api / base:.2f}× the time",
        ),
    ]


def write_workbook(path: Path, agency: Agency, rows: int) -> None:
    from openpyxl import Workbook

    from thuocdo.core import clock

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Nhiệm vụ")
    sheet.append(HEADERS)
    rnd = random.Random(7)
    codes = [p.code for p in agency.staff]
    products = list(agency.products)
    deadline = clock.today() + dt.timedelta(days=30)
    for i in range(rows):
        sheet.append(
            (
                codes[i % len(codes)],
                f"Nhiệm vụ nhập từ Excel số {i}",
                "arising",
                deadline,
                rnd.randint(1, 5),
                products[i % len(products)],
            )
        )
    book.save(path)


def read_rows(path: Path) -> list[tuple[Any, ...]]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))
    finally:
        book.close()
    return rows


def bulk_insert(path: Path, agency: Agency) -> int:
    """Read + map codes + Task.bulk_create in one transaction: no events, no audit."""
    from django.db import transaction

    from thuocdo.core import clock
    from thuocdo.core.text import fold
    from thuocdo.work.models import Task

    people = {p.code: p for p in agency.staff}
    products = agency.products
    today = clock.today()
    rows = read_rows(path)
    tasks = []
    for owner_code, title, kind, deadline, quantity, product_code in rows:
        product = products[product_code]
        day = deadline.date() if isinstance(deadline, dt.datetime) else deadline
        tasks.append(
            Task(
                agency=agency.agency,
                unit=agency.unit,
                kind=kind,
                title=title,
                assigner=agency.head,
                owner=people[owner_code],
                product_type=product,
                unit_of_measure=product.unit_of_measure,
                quantity=Decimal(quantity),
                coefficient=product.coefficient,
                deadline=day,
                effective_deadline=day,
                assigned_on=today,
            )
        )
    with transaction.atomic():
        for task in tasks:  # bulk_create skips Task.save()
            task.search_title = fold(task.title)
        Task.objects.bulk_create(tasks, batch_size=2000)
    return len(tasks)


def tasks_importer() -> Any:
    try:
        from thuocdo.imports.registry import KINDS
    except ImportError:  # pragma: no cover - the imports app is being built
        return None
    return KINDS.get("tasks")


def bench_excel(agency: Agency, rows: int, runs: int, tmp: Path) -> list[Row]:
    from thuocdo.work.models import Task

    path = tmp / "tasks.xlsx"
    written = timed(lambda: write_workbook(path, agency, rows))
    size = path.stat().st_size / 1e6

    def bulk_once() -> float:
        seconds = timed(lambda: bulk_insert(path, agency))
        Task.objects.filter(title__startswith="Nhiệm vụ nhập từ Excel").delete()
        return seconds

    kind = tasks_importer()
    importer = None if kind is None else importer_run(kind, agency, rows, tmp)
    # The baseline is openpyxl's read of the very file the importer reads (the kind's own
    # template); without an importer, of the six-column file the floor reads.
    source = path if importer is None else importer[1]
    # Interleaved run by run (machines are noisy): the bare read, the floor, the importer.
    reads, bulks, imports = [], [], []
    for _ in range(runs):
        reads.append(timed(lambda: read_rows(source)))
        bulks.append(bulk_once())
        if importer is not None:
            imports.append(importer[0]())
    read, bulk = statistics.median(reads), statistics.median(bulks)
    out: list[Row] = [
        ("excel", f"write {rows:,} rows with openpyxl ({size:.1f} MB)", f"{written:.2f} s", ""),
        (
            "excel",
            f"openpyxl bare read of the imported file, {rows:,} rows (baseline)",
            f"{read:.2f} s ({rows / read:,.0f} rows/s)",
            "1.00×",
        ),
        (
            "excel",
            "read 6 columns + Task.bulk_create (floor: no events, no audit)",
            f"{bulk:.2f} s ({rows / bulk:,.0f} rows/s)",
            f"{bulk / read:.2f}× the time",
        ),
    ]
    if importer is None:
        out.append(("excel", "tasks importer (thuocdo.imports)", "not available", "—"))
    else:
        seconds = statistics.median(imports)
        out.append(
            (
                "excel",
                "tasks importer (thuocdo.imports): plan + apply",
                f"{seconds:.2f} s ({rows / seconds:,.0f} rows/s)",
                f"{seconds / read:.2f}× the time",
            )
        )
    return out


def importer_run(
    kind: Any, agency: Agency, rows: int, tmp: Path
) -> tuple[Callable[[], float], Path]:
    """One timed import (plan + apply) of a file in the kind's own template, undone after,
    under one origin as the import job runs; and the file."""
    from thuocdo.core import clock
    from thuocdo.core.origin import origin_scope
    from thuocdo.imports.framework import apply, plan
    from thuocdo.imports.workbook import write_workbook as template
    from thuocdo.work.models import Task, TaskEvent

    deadline = clock.today() + dt.timedelta(days=30)
    sample = {
        "owner_code": None,
        "owner": None,
        "title": None,
        "kind": "arising",
        "deadline": deadline,
        "quantity": 2,
        "product_code": "CV",
        "product_type": "CV",
        "assigner_code": agency.head.code,
        "assigner": agency.head.code,
    }
    keys = [column.key for column in kind.columns]
    lines = []
    for i in range(rows):
        values = dict(sample, title=f"Nhiệm vụ nhập từ Excel số {i}", external_ref=f"B-{i}")
        values["owner_code"] = values["owner"] = agency.staff[i % len(agency.staff)].code
        lines.append({key: values.get(key) for key in keys})
    path = tmp / "tasks-template.xlsx"
    path.write_bytes(template(kind, agency.agency, lines))

    def once() -> float:
        started = time.perf_counter()
        with origin_scope("job:import"):
            checked = plan(kind, str(path), agency.agency, max_rows=rows + 1)
            if not checked.ok:
                raise RuntimeError(f"{len(checked.errors)} errors, first: {checked.errors[0]}")
            apply(checked, actor=agency.head_user)
        seconds = time.perf_counter() - started
        # Events protect their task; the audit entries stay (append-only) and do no harm.
        TaskEvent.objects.filter(task__title__startswith="Nhiệm vụ nhập từ Excel").delete()
        Task.objects.filter(title__startswith="Nhiệm vụ nhập từ Excel").delete()
        return seconds

    return once, path


def bench_live_kpi(agency: Agency, tasks: int, repeats: int) -> list[Row]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from thuocdo.core import clock
    from thuocdo.core.origin import origin_scope
    from thuocdo.core.text import fold
    from thuocdo.scoring import load_preset
    from thuocdo.work import services as work
    from thuocdo.work.models import Task
    from thuocdo.work.selectors import DateRange, live_kpi, tasks_counted

    today = clock.today()
    period = DateRange.month(today.year, today.month)
    person = agency.staff[0]
    rnd = random.Random(11)
    products = list(agency.products.values())
    rows = []
    for i in range(tasks):
        product = products[i % len(products)]
        day = period.start + dt.timedelta(days=rnd.randrange((today - period.start).days + 1))
        quantity = Decimal(rnd.randint(1, 4))
        accepted = i % 3 != 0
        rows.append(
            Task(
                agency=agency.agency,
                unit=agency.unit,
                kind=rnd.choice(("planned", "arising", "other")) if i % 5 else "arising",
                title=f"KPI {i}",
                assigner=agency.head,
                owner=person,
                product_type=product,
                unit_of_measure=product.unit_of_measure,
                quantity=quantity,
                coefficient=product.coefficient,
                done_quantity=quantity if accepted else None,
                completed_on=day if accepted else None,
                state="accepted" if accepted else "in_progress",
                deadline=day,
                effective_deadline=day,
                assigned_on=period.start,
                failures=rnd.choice((0, 0, 0, 1)),
                delays=rnd.choice((0, 0, 1)),
            )
        )
    # Planned tasks need a plan item; the check constraint is not what is measured here.
    for row in rows:
        row.kind = "arising" if row.kind == "planned" else row.kind
    for task in rows:  # bulk_create skips Task.save()
        task.search_title = fold(task.title)
    Task.objects.bulk_create(rows, batch_size=1000)
    framework = load_preset("decree-335-2025")

    def kpi(explain: bool) -> Callable[[], Any]:
        return lambda: live_kpi(
            person=person, period=period, framework=framework, general_points=30, explain=explain
        )

    result = kpi(True)()
    with CaptureQueriesContext(connection) as queries:
        kpi(False)()
    target = Task.objects.filter(owner=person, state="in_progress").first()
    assert target is not None

    def update() -> None:
        fresh = Task.objects.get(pk=target.pk)
        with origin_scope("cli:bench"):
            work.task_update(
                actor=agency.head_user,
                task=fresh,
                expected_version=fresh.version,
                title=f"KPI sửa {fresh.version}",
            )

    def bare() -> None:
        from django.db import transaction

        with transaction.atomic():
            Task.objects.filter(pk=target.pk).update(title=f"KPI trần {rnd.random()}")

    bare_update = median_of(repeats, bare)
    base = median_of(repeats, update)
    lean = median_of(repeats, kpi(False))
    full = median_of(repeats, kpi(True))
    counted = tasks_counted([person.pk], period).count()
    return [
        (
            "live KPI",
            "bare UPDATE of 1 task, committed (the issue's floor)",
            f"{bare_update * 1000:.1f} ms",
            f"{bare_update / base:.2f}×",
        ),
        ("live KPI", "task_update service, 1 task (baseline)", f"{base * 1000:.1f} ms", "1.00×"),
        (
            "live KPI",
            f"live_kpi, {counted:,} tasks in the month, no breakdown ({len(queries)} queries)",
            f"{lean * 1000:.1f} ms",
            f"{lean / base:.2f}× the time ({lean / bare_update:.1f}× the bare UPDATE)",
        ),
        (
            "live KPI",
            f"live_kpi with breakdown ({result.status}, {result.points} points)",
            f"{full * 1000:.1f} ms",
            f"{full / base:.2f}× the time",
        ),
    ]


def print_table(rows: list[Row], header: str) -> None:
    print(header)
    titles = ("phase", "what", "result (median)", "vs baseline")
    widths = [max(len(str(r[i])) for r in [titles, *rows]) for i in range(4)]
    line = "  ".join("-" * w for w in widths)
    print(line)
    print("  ".join(t.ljust(w) for t, w in zip(titles, widths, strict=True)))
    print(line)
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    print(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--quick", action="store_true", help="a short run")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=("create", "excel", "live"),
        default=("create", "excel", "live"),
        help="the phases to run (all by default)",
    )
    args = parser.parse_args(argv)
    creates = 300 if args.quick else 3000
    rows = ROWS_QUICK if args.quick else ROWS_FULL
    with tempfile.TemporaryDirectory(prefix="thuocdo-bench-") as name:
        tmp = Path(name)
        database = setup_django(tmp)
        try:
            from django.db import connection

            db_name = str(connection.settings_dict["NAME"])
            note(f"migrated {database}; building the agency")
            agency = Agency()
            table: list[Row] = []
            if "create" in args.only:
                note(f"create: {creates:,} tasks × {args.runs} runs, API and service")
                table += bench_create(agency, creates, args.runs)
            if "excel" in args.only:
                note(f"excel: {rows:,} rows")
                table += bench_excel(agency, rows, args.runs, tmp)
            if "live" in args.only:
                note("live KPI: 1,000 tasks")
                table += bench_live_kpi(agency, 1000, max(10, args.runs * 5))
        finally:
            teardown_django(db_name if "db_name" in locals() else "")
    print_table(
        table,
        f"bench/work.py — {database.split(' ')[0]}, Python {sys.version.split()[0]}, "
        f"{args.runs} runs{' (quick)' if args.quick else ''}",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
