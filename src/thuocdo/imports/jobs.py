"""Uploaded files and import jobs: keep the file, plan again, apply in the background.

Progress while the import's transaction is open cannot go into the database on
SQLite (one writer at a time, and the import is that writer), so the worker writes it
to a small file beside the upload; the job row gets the final numbers.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import secrets
import threading
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import connections, transaction

from thuocdo.core import clock
from thuocdo.core.errors import NotFound
from thuocdo.core.models import User
from thuocdo.imports.errors import FileRejected, ImportRefused, RowError, file_error
from thuocdo.imports.framework import apply, plan
from thuocdo.imports.models import ImportJob
from thuocdo.imports.registry import get_kind
from thuocdo.imports.workbook import vn_number
from thuocdo.org.models import Unit

logger = logging.getLogger(__name__)

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
_THREADS: dict[int, threading.Thread] = {}
UPLOAD_MAX_AGE = 24 * 3600


# --- uploaded files ----------------------------------------------------------------------


def upload_dir() -> Path:
    directory = Path(settings.VAR_DIR) / "uploads"
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def max_upload_bytes() -> int:
    return int(getattr(settings, "IMPORTS_MAX_UPLOAD_BYTES", 20 * 1024 * 1024))


def save_upload(chunks: Any, size: int | None) -> str:
    """Stores the upload under a random name and returns that name (the token).

    The token, never a path from the client, is what the session remembers.
    """
    limit = max_upload_bytes()
    if size is not None and size > limit:
        raise _too_large(limit)
    token = secrets.token_urlsafe(24)
    path = upload_dir() / f"{token}.xlsx"
    written = 0
    with path.open("xb") as handle:
        for chunk in chunks:
            written += len(chunk)
            if written > limit:
                handle.close()
                path.unlink(missing_ok=True)
                raise _too_large(limit)
            handle.write(chunk)
    sweep_uploads(disk_now=path.stat().st_mtime)
    return token


def _too_large(limit: int) -> FileRejected:
    megabytes = limit // (1024 * 1024)
    return FileRejected(
        f"Tệp lớn hơn {megabytes} MB; hãy chia thành nhiều tệp.",
        f"The file is larger than {megabytes} MB; split it into several files.",
    )


def upload_path(token: str) -> Path:
    if not _TOKEN.match(token or ""):
        raise NotFound("Không tìm thấy tệp đã tải lên.", "The uploaded file was not found.")
    path = upload_dir() / f"{token}.xlsx"
    if not path.is_file():
        raise NotFound(
            "Tệp đã tải lên không còn nữa; hãy tải lên lại.",
            "The uploaded file is gone; upload it again.",
        )
    return path


def discard_upload(token: str) -> None:
    if _TOKEN.match(token or ""):
        (upload_dir() / f"{token}.xlsx").unlink(missing_ok=True)


def sweep_uploads(*, disk_now: float, max_age: float = UPLOAD_MAX_AGE) -> None:
    """Removes uploads left behind by previews that were never confirmed.

    Ages are read on the disk's clock (`disk_now` is the mtime of a file just written),
    never the application's: the two may differ (a shared volume, a pinned test clock).
    """
    cutoff = disk_now - max_age
    for path in upload_dir().glob("*"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:  # another worker removed it first
            continue


# --- progress ------------------------------------------------------------------------------


def _progress_path(job_id: int) -> Path:
    return upload_dir() / f"job-{job_id}.progress.json"


def write_progress(job_id: int, phase: str, done: int, total: int) -> None:
    path = _progress_path(job_id)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"phase": phase, "done": done, "total": total}))
    os.replace(temporary, path)  # readers never see half a file


def read_progress(job_id: int) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(_progress_path(job_id).read_text())
        return data
    except (OSError, ValueError):
        return {}


def job_state(job: ImportJob) -> dict[str, Any]:
    """What the progress endpoint reports: status, phase, done/total, percent."""
    phase, done, total = "", job.done, job.total
    if job.status == ImportJob.Status.RUNNING:
        live = read_progress(job.pk)
        phase = live.get("phase", "check")
        done, total = int(live.get("done", 0)), int(live.get("total", 0))
    elif job.status == ImportJob.Status.QUEUED:
        phase = "queued"
    percent = 100 if job.finished else (round(100 * done / total) if total else 0)
    return {
        "id": job.pk,
        "status": job.status,
        "finished": job.finished,
        "phase": phase,
        "done": done,
        "total": total,
        "percent": percent,
        "counts": job.counts,
        "error_count": len(job.errors),
    }


def progress_text(state: dict[str, Any], language: str = "vi") -> str:
    english = language.startswith("en")
    done, total = state["done"], state["total"]
    if state["phase"] == "queued":
        return "Waiting to start…" if english else "Đang chờ bắt đầu…"
    if state["phase"] == "check":
        return (
            f"Checking the file: {done:,} rows read"
            if english
            else f"Đang kiểm tra tệp: đã đọc {vn_number(done)} dòng"
        )
    if state["phase"] == "write":
        return (
            f"Written {done:,}/{total:,} changes"
            if english
            else f"Đã ghi {vn_number(done)}/{vn_number(total)} thay đổi"
        )
    return ""


# --- jobs ----------------------------------------------------------------------------------


def start_job(
    *, kind: str, agency: Unit, token: str, file_name: str, actor: User | None
) -> ImportJob:
    """Records the job and runs it: in a background thread, or here when
    IMPORTS_RUN_INLINE is set (tests, and deployments that prefer a long request)."""
    upload_path(token)  # refuse early when the file is gone
    job = ImportJob.objects.create(
        agency=agency, kind=kind, file_name=file_name[:255], created_by=actor
    )
    actor_id = actor.pk if actor is not None else None
    if getattr(settings, "IMPORTS_RUN_INLINE", False):
        run_job(job.pk, token, actor_id)
        job.refresh_from_db()
    else:
        # The thread must see the committed job row, so it starts after the commit.
        transaction.on_commit(lambda: _spawn(job.pk, token, actor_id))
    return job


def _spawn(job_id: int, token: str, actor_id: int | None) -> None:
    context = contextvars.copy_context()  # keeps the request's origin for the audit trail
    thread = threading.Thread(
        target=context.run,
        args=(_run_in_thread, job_id, token, actor_id),
        name=f"thuocdo-import-{job_id}",
        daemon=True,
    )
    _THREADS[job_id] = thread
    thread.start()


def _run_in_thread(job_id: int, token: str, actor_id: int | None) -> None:
    try:
        run_job(job_id, token, actor_id)
    finally:
        connections.close_all()
        _THREADS.pop(job_id, None)


def wait(job_id: int, timeout: float = 60) -> None:
    """Blocks until a background job of this process has finished (tests, CLI)."""
    thread = _THREADS.get(job_id)
    if thread is not None:
        thread.join(timeout)


def run_job(job_id: int, token: str, actor_id: int | None) -> None:
    """Plans the stored file again (the data may have changed since the preview) and
    applies it; records the outcome on the job; removes the file."""
    job = ImportJob.objects.select_related("agency").get(pk=job_id)
    job.status = ImportJob.Status.RUNNING
    job.started_at = clock.now()
    job.save(update_fields=["status", "started_at"])
    errors: list[RowError] = []
    try:
        actor = User.objects.get(pk=actor_id) if actor_id is not None else None
        write_progress(job_id, "check", 0, 0)
        with upload_path(token).open("rb") as handle:
            result = run_plan(job, handle)
        if not result.ok:
            errors = result.errors
        else:
            job.total = len(result.writes)
            job.save(update_fields=["total"])
            job.counts = apply(
                result,
                actor=actor,
                progress=lambda done, total: write_progress(job_id, "write", done, total),
            )
            job.done = job.total
    except ImportRefused as error:
        errors = error.errors
    except NotFound as error:
        errors = [file_error(error.message_vi, error.message_en)]
    except Exception:
        logger.exception("import job %s failed", job_id)
        errors = [
            file_error(
                "Lỗi không mong đợi khi nhập; chưa ghi dữ liệu nào. Hãy báo quản trị hệ thống.",
                "An unexpected error stopped the import; nothing was written. Tell the operator.",
            )
        ]
    finally:
        discard_upload(token)
        _progress_path(job_id).unlink(missing_ok=True)
    job.status = ImportJob.Status.FAILED if errors else ImportJob.Status.DONE
    job.errors = [error.to_json() for error in errors]
    job.finished_at = clock.now()
    job.save(update_fields=["status", "errors", "counts", "done", "finished_at"])


def run_plan(job: ImportJob, handle: IO[bytes]) -> Any:
    return plan(
        get_kind(job.kind),
        handle,
        job.agency,
        file_name=job.file_name,
        progress=lambda read: write_progress(job.pk, "check", read, 0),
    )
