"""The confirmed import runs in a background thread with its own connection (committed data)."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.conftest import load_cast, make_cast
from thuocdo.audit.models import AuditEntry
from thuocdo.imports import jobs
from thuocdo.imports.models import ImportJob
from thuocdo.org.models import Person, Unit

from .conftest import person_row, xlsx


def test_a_confirmed_import_runs_in_a_thread_and_reports_its_outcome(
    transactional_db: None, settings: Any, client: Client
) -> None:
    settings.IMPORTS_RUN_INLINE = False
    if not Unit.objects.filter(code="BA").exists():  # an earlier flush removed the cast
        make_cast()
    cast = load_cast()
    client.force_login(cast.user("personnel_a"))
    rows = [person_row(f"T{i:03d}", f"Người Nền {i}") for i in range(40)]
    client.post(
        "/imports/",
        {
            "kind": "people",
            "agency": cast.agency_a.pk,
            "file": SimpleUploadedFile("nen.xlsx", xlsx(rows).getvalue()),
        },
    )
    response = client.post("/imports/confirm/")
    job = ImportJob.objects.get()
    assert response["Location"] == f"/imports/jobs/{job.pk}/"
    jobs.wait(job.pk, timeout=60)
    job.refresh_from_db()
    assert job.status == "done", job.errors
    assert (job.total, job.done, job.counts["create"]) == (80, 80, 40)
    assert job.started_at is not None and job.finished_at is not None
    assert Person.objects.filter(code__startswith="T").count() == 40
    entry = AuditEntry.objects.filter(action="org.person.create").latest("id")
    assert entry.channel == "web"  # the request's origin followed the job into its thread
    state = client.get(f"/imports/jobs/{job.pk}/status/").json()
    assert state["finished"] and state["percent"] == 100
