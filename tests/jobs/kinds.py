"""Job kinds for the tests of the job machinery (registered when this module is imported)."""

from __future__ import annotations

from typing import Any

from thuocdo.core import clock
from thuocdo.jobs import progress as job_progress
from thuocdo.jobs.models import Job
from thuocdo.jobs.progress import Progress
from thuocdo.jobs.registry import JobFailed, Outcome, job_kind
from thuocdo.org import services
from thuocdo.org.models import Unit


@job_kind("tests.rename_units")
def rename_units(job: Job, progress: Progress) -> Outcome:
    """Renames units one by one (each write audited); fails half way when asked."""
    ids = list(job.params["units"])
    progress.set(0, len(ids), "rename")
    for done, pk in enumerate(ids, start=1):
        unit = Unit.objects.get(pk=pk)
        services.unit_update(actor=job.created_by, unit=unit, name=f"{unit.name} (mới)")
        progress.set(done)
        if job.params.get("fail_on_attempt") == job.attempt and done == len(ids) // 2 + 1:
            raise RuntimeError("the disk is full")
    if job.params.get("refuse"):
        raise JobFailed("Không đổi tên được.", "Cannot rename.")
    return Outcome(done=len(ids), total=len(ids), result={"summary_vi": f"Đổi tên {len(ids)}"})


def running_job(agency: Unit, kind: str = "imports.run", **fields: Any) -> Job:
    """A job a worker is running now, its heartbeat fresh (for pages and progress tests)."""
    job = Job.objects.create(
        kind=kind,
        agency=agency,
        state=Job.State.RUNNING,
        started_at=clock.now(),
        **{"title": "Nhập Excel: x.xlsx", **fields},
    )
    job_progress.beat(str(job.uid), job.attempt)
    return job
