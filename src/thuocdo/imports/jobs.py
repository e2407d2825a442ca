"""An import as a job: the file kept in the database, planned again by a worker (the data
may have changed since the preview) and applied in the job's one transaction.

Progress has two phases: "check" (rows read) and "write" (changes written).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from django.urls import reverse

from thuocdo.core import clock
from thuocdo.core.models import User
from thuocdo.imports.errors import ImportRefused
from thuocdo.imports.framework import apply, plan
from thuocdo.imports.registry import get_kind
from thuocdo.imports.workbook import vn_number, write_workbook
from thuocdo.jobs.models import Job
from thuocdo.jobs.progress import Progress
from thuocdo.jobs.registry import JobFailed, Outcome, job_kind
from thuocdo.jobs.selectors import JobView
from thuocdo.jobs.services import job_start, keep_file, upload_discard, upload_read
from thuocdo.org.models import Unit

KIND = "imports.run"
EXPORT = "imports.export"


def start_import(
    *,
    kind: str,
    agency: Unit,
    token: str,
    file_name: str,
    actor: User | None,
    back: str = "",
) -> Job:
    """Queues the import of an uploaded file (refused at once when the file is gone);
    `back` is the page its job page leads back to (a unit's page for its evaluations)."""
    import_kind = get_kind(kind)
    upload_read(token)
    return job_start(
        actor=actor,
        kind=KIND,
        title_vi=f"Nhập Excel ({import_kind.title_vi}): {file_name}",
        title_en=f"Excel import ({import_kind.title_en}): {file_name}",
        agency=agency,
        target=f"imports.upload:{token}",
        params={"kind": kind, "token": token, "file_name": file_name[:255], "back": back},
    )


def _discard(job: Job) -> None:
    upload_discard(str(job.params.get("token", "")))


@job_kind(KIND, on_refused=_discard)
def run_import(job: Job, progress: Progress) -> Outcome:
    assert job.agency is not None
    upload = upload_read(str(job.params.get("token", "")))
    progress.set(0, 0, "check")
    result = plan(
        get_kind(str(job.params["kind"])),
        io.BytesIO(bytes(upload.data)),
        job.agency,
        file_name=str(job.params.get("file_name", "")),
        progress=lambda read: progress.set(read, 0, "check"),
        actor=job.created_by,  # the preview's checks, for the one who applies it
    )
    if not result.ok:
        raise _refused(result.errors)
    total = len(result.writes)
    progress.set(0, total, "write")
    try:
        counts = apply(result, actor=job.created_by, progress=lambda done, _: progress.set(done))
    except ImportRefused as error:
        raise _refused(error.errors) from error
    upload.delete()  # with the writes: a rolled-back import keeps its file for a retry
    return Outcome(done=total, total=total, result={"counts": counts})


def start_export(*, kind: str, agency: Unit, actor: User) -> Job:
    """Queues the export of an agency's current data (a whole agency's tasks is a large
    file: made by a worker, downloaded from the job's page)."""
    import_kind = get_kind(kind)
    return job_start(
        actor=actor,
        kind=EXPORT,
        title_vi=f"Xuất Excel ({import_kind.title_vi}): {agency.name}",
        title_en=f"Excel export ({import_kind.title_en}): {agency.name}",
        agency=agency,
        # One export of a kind per person at a time; others may export meanwhile.
        target=f"imports.export:{kind}:{agency.pk}:{actor.pk}",
        params={"kind": kind, "back": reverse("imports:index")},
    )


@job_kind(EXPORT)
def run_export(job: Job, progress: Progress) -> Outcome:
    agency = job.agency
    assert agency is not None
    kind = get_kind(str(job.params["kind"]))
    total = kind.export_total(agency)
    progress.set(0, total)
    counted = 0

    def rows() -> Iterator[dict[str, Any]]:
        nonlocal counted
        for row in kind.export_rows(agency):
            yield row
            counted += 1
            if counted % 1000 == 0:
                progress.set(counted, max(total, counted))

    content = write_workbook(kind, agency, rows())
    name = f"{kind.code}-{agency.code}-{clock.today().isoformat()}.xlsx"
    kept = keep_file(job=job, content=content, name=name)
    return Outcome(
        done=counted,
        total=counted,
        result={
            **kept,
            "summary_vi": f"Đã xuất {vn_number(counted)} dòng.",
            "summary_en": f"Exported {counted:,} rows.",
        },
    )


def _refused(errors: list[Any]) -> JobFailed:
    return JobFailed(
        f"Tệp có {len(errors)} lỗi; chưa ghi dữ liệu nào.",
        f"The file has {len(errors)} errors; nothing was written.",
        errors=[error.to_json() for error in errors],
    )


def progress_text(view: JobView, language: str = "vi") -> str:
    english = language.startswith("en")
    done, total = view.done, view.total
    if view.state == "queued":
        return "Waiting for a worker…" if english else "Đang chờ đến lượt xử lý…"
    if view.state == "stopped":
        return (
            "The worker stopped half way; nothing was written."
            if english
            else "Tiến trình đã dừng giữa chừng; chưa ghi dữ liệu nào."
        )
    if view.phase == "check":
        return (
            f"Checking the file: {done:,} rows read"
            if english
            else f"Đang kiểm tra tệp: đã đọc {vn_number(done)} dòng"
        )
    if view.phase == "write":
        return (
            f"Written {done:,}/{total:,} changes"
            if english
            else f"Đã ghi {vn_number(done)}/{vn_number(total)} thay đổi"
        )
    return ""
