"""Starting and retrying jobs, keeping uploaded files. Each start and retry is audited in
the transaction that queues the work (the task row is written in the same transaction,
so a worker never sees a job whose start was rolled back)."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from thuocdo.audit.services import record
from thuocdo.core import clock
from thuocdo.core.errors import AccessDenied, Conflict, NotFound, ValidationFailed
from thuocdo.core.models import User
from thuocdo.core.origin import current_origin
from thuocdo.jobs import progress
from thuocdo.jobs.models import Job, Upload
from thuocdo.jobs.registry import get_kind
from thuocdo.org.models import Unit

UPLOAD_MAX_AGE = 24 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{22,64}$")


def _busy(target: str) -> Conflict:
    return Conflict(
        "Đang có một tiến trình khác xử lý việc này; hãy chờ nó xong (hoặc chạy lại nếu nó "
        "đã dừng).",
        "Another job is already working on this; wait for it (or retry it if it stopped).",
        field=target,
    )


def active_job(target: str) -> Job | None:
    return Job.objects.filter(target=target, state__in=Job.ACTIVE).first() if target else None


@transaction.atomic
def job_start(
    *,
    actor: User | None,
    kind: str,
    title_vi: str,
    title_en: str,
    agency: Unit | None = None,
    target: str = "",
    params: dict[str, Any] | None = None,
) -> Job:
    """Records a job and queues it. A second job on the same target while one is queued or
    running is refused (also by a database constraint, for two requests at once)."""
    get_kind(kind)
    if target and active_job(target) is not None:
        raise _busy(target)
    origin = current_origin()
    job = Job(
        kind=kind,
        agency=agency,
        target=target,
        title=title_vi[:300],
        title_en=title_en[:300],
        params={
            **(params or {}),
            "_origin": {
                "channel": origin.channel,
                "ip": origin.ip,
                "user_agent": origin.user_agent[:200],
                "path": origin.path[:200],
                "request_id": origin.request_id,
            },
        },
        created_by=actor,
    )
    try:
        with transaction.atomic():
            job.save()
    except IntegrityError as error:
        raise _busy(target) from error
    record(
        actor=actor,
        action="jobs.job.start",
        target=job,
        agency_id=agency.pk if agency else None,
        after={"kind": kind, "target": target, "title": job.title},
    )
    _enqueue(job)
    return job


def _enqueue(job: Job) -> None:
    from thuocdo.jobs.runner import run_job  # the task module imports the models

    run_job.enqueue(str(job.uid), job.attempt)


def is_stopped(job: Job) -> bool:
    """Running, but its worker has been silent too long: it died (its work rolled back)."""
    if job.state != Job.State.RUNNING:
        return False
    return progress.read(str(job.uid), job.attempt).stale(clock.now().timestamp())


def may_retry(actor: User | None, job: Job) -> bool:
    if actor is None or not (job.state == Job.State.FAILED or is_stopped(job)):
        return False
    return actor.is_superuser or (job.created_by_id is not None and actor.pk == job.created_by_id)


@transaction.atomic
def job_retry(*, actor: User, job: Job) -> Job:
    """Runs a failed or stopped job again, as a new attempt (the old one can never commit)."""
    row = Job.objects.select_for_update().filter(pk=job.pk).first()
    if row is None:
        raise NotFound("Không tìm thấy tiến trình.", "Job not found.")
    if not may_retry(actor, row):
        if row.state in Job.ACTIVE and not is_stopped(row):
            raise Conflict("Tiến trình vẫn đang chạy.", "The job is still running.", field="job")
        raise AccessDenied(
            "Chỉ người đã bắt đầu tiến trình mới chạy lại được tiến trình không thành công.",
            "Only whoever started the job can retry it, and only once it has failed.",
        )
    before = {"state": row.state, "attempt": row.attempt}
    row.attempt += 1
    row.state = Job.State.QUEUED
    row.errors, row.result = [], {}
    row.done = row.total = 0
    row.started_at = row.finished_at = None
    row.save()
    record(
        actor=actor,
        action="jobs.job.retry",
        target=row,
        agency_id=row.agency_id,
        before=before,
        after={"state": row.state, "attempt": row.attempt},
    )
    _enqueue(row)
    return row


# --- uploads ----------------------------------------------------------------------------------


def max_upload_bytes() -> int:
    return int(getattr(settings, "IMPORTS_MAX_UPLOAD_BYTES", 20 * 1024 * 1024))


def _too_large(limit: int) -> ValidationFailed:
    megabytes = limit // (1024 * 1024)
    return ValidationFailed(
        f"Tệp lớn hơn {megabytes} MB; hãy chia thành nhiều tệp.",
        f"The file is larger than {megabytes} MB; split it into several files.",
        field="file",
    )


def upload_save(
    *, actor: User | None, name: str, chunks: Iterable[bytes], size: int | None = None
) -> str:
    """Keeps an uploaded file in the database and returns its token (what the session keeps;
    never a path). Uploads older than a day, never confirmed, are removed on the way."""
    limit = max_upload_bytes()
    if size is not None and size > limit:
        raise _too_large(limit)
    parts: list[bytes] = []
    written = 0
    for chunk in chunks:
        written += len(chunk)
        if written > limit:
            raise _too_large(limit)
        parts.append(chunk)
    token = secrets.token_urlsafe(24)
    with transaction.atomic():
        Upload.objects.filter(
            created_at__lt=clock.now() - dt.timedelta(seconds=UPLOAD_MAX_AGE)
        ).delete()
        Upload.objects.create(
            token=token, name=name[:255], size=written, data=b"".join(parts), created_by=actor
        )
    return token


def upload_read(token: str) -> Upload:
    if not _TOKEN.match(str(token or "")):
        raise NotFound("Không tìm thấy tệp đã tải lên.", "The uploaded file was not found.")
    found = Upload.objects.filter(token=token).first()
    if found is None:
        raise NotFound(
            "Tệp đã tải lên không còn nữa; hãy tải lên lại.",
            "The uploaded file is gone; upload it again.",
        )
    return found


def upload_discard(token: str) -> None:
    Upload.objects.filter(token=str(token or "")[:64]).delete()


# --- files a job makes ----------------------------------------------------------------------

FILE_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def keep_file(*, job: Job, content: bytes, name: str) -> dict[str, Any]:
    """Keeps a file a job made (an export) in the database, in the job's transaction, so
    any web node can serve it; returns the entries of the job's result that name it. Kept
    as long as uploads (a day), then made again by starting the export again."""
    token = secrets.token_urlsafe(24)
    Upload.objects.create(
        token=token, name=name[:255], size=len(content), data=content, created_by=job.created_by
    )
    return {"file": token, "file_name": name[:255], "file_size": len(content)}


def job_file(*, user: User | None, job: Job) -> Upload:
    """The file a finished job made, for whoever started the job (or an operator)."""
    token = str(job.result.get("file") or "")
    if job.state != Job.State.DONE or not token:
        raise NotFound("Tiến trình này không có tệp kết quả.", "This job made no file.")
    mine = user is not None and job.created_by_id == user.pk
    if not (mine or (user is not None and user.is_superuser)):
        raise AccessDenied(
            "Chỉ người đã yêu cầu xuất tệp mới tải được tệp này.",
            "Only whoever asked for the export can download its file.",
        )
    found = Upload.objects.filter(token=token).first()
    if found is None:
        raise NotFound(
            "Tệp kết quả không còn nữa (tệp được giữ một ngày); hãy xuất lại.",
            "The file is gone (files are kept for a day); export again.",
        )
    return found
