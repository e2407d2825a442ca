"""Jobs: queued in the database, run by a worker, all-or-nothing, followed on a page that
survives a reload, retried after a failure or a worker that stopped."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from tests.clock import Travel
from tests.conftest import Cast
from tests.imports.conftest import person_row, xlsx
from tests.jobs.kinds import running_job  # importing it registers the test job kinds
from thuocdo.audit.models import AuditEntry
from thuocdo.core import clock
from thuocdo.core.errors import AccessDenied, Conflict, NotFound
from thuocdo.jobs import progress, runner
from thuocdo.jobs.models import Job
from thuocdo.jobs.selectors import job_view
from thuocdo.jobs.services import job_retry, job_start, upload_read, upload_save
from thuocdo.org.models import Unit

DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": []}}


def rename(cast: Cast, *, target: str = "", **params: Any) -> Job:
    units = [cast.unit_x.pk, cast.office_x1.pk, cast.unit_y.pk]
    return job_start(
        actor=cast.user("personnel_a"),
        kind="tests.rename_units",
        title_vi="Đổi tên đơn vị",
        title_en="Rename units",
        agency=cast.agency_a,
        target=target,
        params={"units": units, **params},
    )


def names(cast: Cast) -> list[str]:
    return [Unit.objects.get(pk=u.pk).name for u in (cast.unit_x, cast.office_x1, cast.unit_y)]


def test_a_job_runs_to_the_end_and_keeps_its_outcome(cast: Cast) -> None:
    job = rename(cast)
    job.refresh_from_db()
    assert (job.state, job.done, job.total, job.attempt) == ("done", 3, 3, 1)
    assert job.result == {"summary_vi": "Đổi tên 3"}
    assert names(cast) == ["Vụ Xây dựng (mới)", "Phòng Một (mới)", "Vụ Yên Bình (mới)"]
    started = AuditEntry.objects.get(action="jobs.job.start", object_id=str(job.pk))
    assert started.after["kind"] == "tests.rename_units"
    view = job_view(job)
    assert (view.state, view.percent, view.finished) == ("done", 100, True)


def test_a_job_that_fails_half_way_writes_nothing_and_a_retry_finishes_it(cast: Cast) -> None:
    before = names(cast)
    renames = AuditEntry.objects.filter(action="org.unit.update").count()
    job = rename(cast, fail_on_attempt=1)
    job.refresh_from_db()
    assert job.state == "failed"
    assert job.errors == [runner.UNEXPECTED]  # no traceback on the page; the log has it
    assert names(cast) == before  # two units were renamed, then rolled back with the third
    assert AuditEntry.objects.filter(action="org.unit.update").count() == renames

    with pytest.raises(AccessDenied):
        job_retry(actor=cast.user("head_x"), job=job)  # only whoever started it
    job = job_retry(actor=cast.user("personnel_a"), job=job)
    job.refresh_from_db()
    assert (job.state, job.attempt, job.errors) == ("done", 2, [])
    assert names(cast)[0] == "Vụ Xây dựng (mới)"
    retried = AuditEntry.objects.get(action="jobs.job.retry", object_id=str(job.pk))
    assert retried.before == {"state": "failed", "attempt": 1}


def test_a_refusal_is_shown_in_the_users_words_and_changes_nothing(cast: Cast) -> None:
    before = names(cast)
    job = rename(cast, refuse=True)
    job.refresh_from_db()
    assert job.state == "failed"
    assert job.errors == [{"message_vi": "Không đổi tên được.", "message_en": "Cannot rename."}]
    assert names(cast) == before


def test_a_worker_that_stopped_leaves_a_stopped_job_whose_old_attempt_can_never_commit(
    cast: Cast, travel: Travel, client: Client
) -> None:
    job = running_job(
        cast.agency_a,
        "tests.rename_units",
        title="Đổi tên đơn vị",
        params={"units": [cast.unit_x.pk]},
        created_by=cast.user("personnel_a"),
    )
    assert job_view(job).state == "running"
    travel.shift(dt.timedelta(seconds=progress.STALE_AFTER + 1))  # no heartbeat since
    assert job_view(job).state == "stopped"

    client.force_login(cast.user("personnel_a"))
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "Đã dừng giữa chừng" in page and "chưa có thay đổi nào được ghi" in page
    assert f'action="/jobs/{job.pk}/retry/"' in page
    response = client.post(f"/jobs/{job.pk}/retry/")
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    job.refresh_from_db()
    assert (job.state, job.attempt) == ("done", 2)
    assert runner.execute(str(job.uid), 1) == "skipped"  # the dead attempt, should it wake


def test_one_job_at_a_time_works_on_a_target(cast: Cast, settings: Any) -> None:
    settings.TASKS = DATABASE_BACKEND  # queued, not run: a worker would take it
    job = rename(cast, target="tests:units")
    assert job.state == "queued"
    with pytest.raises(Conflict) as refused:
        rename(cast, target="tests:units")
    assert "Đang có một tiến trình khác xử lý việc này" in refused.value.message_vi
    rename(cast, target="tests:other")  # another target is free


def test_the_page_shows_done_total_elapsed_and_remaining(
    cast: Cast, client: Client, travel: Travel
) -> None:
    job = running_job(
        cast.agency_a,
        "tests.rename_units",
        title="Đổi tên đơn vị",
        title_en="Rename units",
        created_by=cast.user("personnel_a"),
    )
    travel.shift(dt.timedelta(seconds=30))
    progress.beat(str(job.uid), job.attempt)
    progress.Progress(str(job.uid), job.attempt).set(2_500, 10_000, "rename")
    # The pinned clock ticks on: each request below is made at this same moment, so a
    # slow machine cannot turn 90 s to go into 91.
    moment = clock.now()
    client.force_login(cast.user("personnel_a"))
    travel.to(moment)
    state = client.get(f"/jobs/{job.pk}/status/").json()
    assert (state["state"], state["done"], state["total"], state["percent"]) == (
        "running",
        2_500,
        10_000,
        25,
    )
    assert (state["done_text"], state["elapsed_text"]) == ("2.500 / 10.000", "30 giây")
    assert state["remaining_text"] == "1 phút 30 giây"  # 30 s for a quarter: 90 s to go
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "data-progress-url" in page and "thuocdo/progress.js" in page
    client.cookies.load({"thuocdo_language": "en"})
    travel.to(moment)
    state = client.get(f"/jobs/{job.pk}/status/").json()
    assert (state["done_text"], state["remaining_text"]) == ("2,500 / 10,000", "1 min 30 s")
    assert "Rename units" in client.get(f"/jobs/{job.pk}/").content.decode()


@pytest.mark.parametrize(
    ("name", "allowed"),
    [
        ("personnel_a", True),  # started it
        ("leader_a", True),  # the agency's leadership reads the agency
        ("auditor_a", True),
        ("operator", True),
        ("staff_x", False),
        ("head_z", False),  # another agency
        ("nobody", False),
    ],
)
def test_who_may_follow_a_job(cast: Cast, client: Client, name: str, allowed: bool) -> None:
    job = rename(cast)
    client.force_login(cast.user(name))
    for url in (f"/jobs/{job.pk}/", f"/jobs/{job.pk}/status/"):
        assert client.get(url).status_code == (200 if allowed else 403), url
    assert client.get("/jobs/999999/").status_code == 404


def test_uploads_live_in_the_database_and_old_ones_are_swept(cast: Cast, travel: Travel) -> None:
    token = upload_save(actor=None, name="tệp.xlsx", chunks=[b"PK\x03", b"\x04"])
    kept = upload_read(token)
    assert (bytes(kept.data), kept.size, kept.name) == (b"PK\x03\x04", 4, "tệp.xlsx")
    with pytest.raises(NotFound) as unknown:
        upload_read("../../secret_key")
    assert unknown.value.message_vi == "Không tìm thấy tệp đã tải lên."
    travel.shift(dt.timedelta(days=1, minutes=1))
    upload_save(actor=None, name="mới.xlsx", chunks=[b"x"])
    with pytest.raises(NotFound):
        upload_read(token)  # a day old and never confirmed


@pytest.mark.usefixtures("transactional_db")
def test_a_request_queues_an_import_and_a_worker_process_runs_it(
    cast_committed: Cast, settings: Any, client: Client
) -> None:
    settings.TASKS = DATABASE_BACKEND
    cast = cast_committed
    client.force_login(cast.user("personnel_a"))
    rows = [person_row(f"T{i:03d}", f"Người Nền {i}") for i in range(40)]
    content = xlsx(rows).getvalue()
    upload = SimpleUploadedFile("nen.xlsx", content)
    client.post("/imports/", {"kind": "people", "agency": cast.agency_a.pk, "file": upload})
    response = client.post("/imports/confirm/")
    job = Job.objects.get(kind="imports.run")
    assert response["Location"] == f"/imports/jobs/{job.pk}/"
    assert client.get(f"/imports/jobs/{job.pk}/status/").json()["state"] == "queued"
    assert "Đang chờ đến lượt xử lý" in client.get(f"/imports/jobs/{job.pk}/").content.decode()

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)

    job.refresh_from_db()
    assert job.state == "done", job.errors
    assert (job.total, job.done, job.result["counts"]["create"]) == (80, 80, 40)
    assert job.started_at is not None and job.finished_at is not None
    entry = AuditEntry.objects.filter(action="org.person.create").latest("id")
    started = AuditEntry.objects.get(action="jobs.job.start", object_id=str(job.pk))
    assert entry.channel == "web"  # the request's origin followed the job to the worker
    assert entry.request_id == started.request_id
    state = client.get(f"/imports/jobs/{job.pk}/status/").json()
    assert state["finished"] and state["percent"] == 100
