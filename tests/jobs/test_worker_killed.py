"""A real worker process, killed half way through a period's close: the data stays as it
was, the job shows it stopped, and a retry finishes it (PostgreSQL: the worker is another
process, and it must see the test's committed rows)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection

from tests.clock import Travel
from thuocdo.audit.models import AuditEntry
from thuocdo.demo.synthetic import generate
from thuocdo.evaluations import services
from thuocdo.evaluations.models import Evaluation
from thuocdo.jobs.models import Job
from thuocdo.jobs.selectors import job_view
from thuocdo.jobs.services import job_retry

DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": []}}
SRC = Path(__file__).resolve().parents[2] / "src"


def _worker_env() -> dict[str, str]:
    db = connection.settings_dict
    url = (
        f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    return {
        **os.environ,
        "DATABASE_URL": url,
        "VAR_DIR": str(django_settings.VAR_DIR),  # the same cache: progress and heartbeats
        "DJANGO_SETTINGS_MODULE": "thuocdo.config.settings",
        "PYTHONPATH": str(SRC),
    }


@pytest.mark.usefixtures("transactional_db")
def test_a_worker_killed_half_way_leaves_the_period_as_it_was_and_a_retry_finishes(
    settings: Any, travel: Travel
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "the worker is another process and needs the test's committed rows: "
            "SQLite's test database lives in this process's memory; run with DATABASE_URL"
        )
    settings.TASKS = DATABASE_BACKEND
    call_command("load_presets", verbosity=0)
    made = generate(300, code="KILL", tasks_per_person=10)
    job = services.period_job_queue(
        actor=made.office, period=made.period, kind="evaluations.compile"
    )
    last = Evaluation.objects.filter(period=made.period).order_by("-pk").first()
    assert last is not None and last.proposed is None
    audited = AuditEntry.objects.count()

    # Another connection holds the last evaluation's row: the worker reads and scores
    # everything, then waits at its writes, where it is killed.
    from django.db import connections

    blocker = connections.create_connection("default")
    blocker.set_autocommit(False)
    with blocker.cursor() as cursor:
        cursor.execute("SELECT id FROM evaluations_evaluation WHERE id = %s FOR UPDATE", [last.pk])
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "thuocdo.manage",
            "db_worker",
            "--no-startup-delay",
            "--interval",
            "0.2",
        ],
        env=_worker_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with connection.cursor() as cursor:  # not the blocker: its snapshot is frozen
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = %s",
                    [connection.settings_dict["NAME"]],
                )
                if cursor.fetchone()[0]:
                    break
            time.sleep(0.05)
        else:
            pytest.fail("the worker never reached its writes")
        job.refresh_from_db()
        assert job.state == "running"
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=20)
    finally:
        if worker.poll() is None:
            worker.kill()
        blocker.rollback()
        blocker.close()

    assert Evaluation.objects.filter(period=made.period, proposed__isnull=False).count() == 0
    assert AuditEntry.objects.count() == audited  # nothing of the close was committed
    real_now = time_machine.escape_hatch.time.time()
    travel.to(dt.datetime.fromtimestamp(real_now + 120, dt.UTC))  # its heartbeat is old now
    job.refresh_from_db()
    assert job_view(job).state == "stopped"

    job = job_retry(actor=made.office, job=job)
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    job.refresh_from_db()
    assert (job.state, job.attempt) == ("done", 2), job.errors
    assert Evaluation.objects.filter(period=made.period, proposed__isnull=True).count() == 0
    assert Job.objects.filter(kind="evaluations.compile").count() == 1
