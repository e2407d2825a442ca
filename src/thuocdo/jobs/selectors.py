"""What a job's page and its status endpoint show: state, done/total, elapsed, remaining."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from thuocdo.core import clock
from thuocdo.jobs import progress
from thuocdo.jobs.models import Job


@dataclass
class JobView:
    job: Job
    state: str  # queued | running | stopped | done | failed
    done: int
    total: int
    phase: str
    elapsed: float | None  # seconds
    remaining: float | None  # seconds, estimated from the pace so far

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed", "stopped")

    @property
    def percent(self) -> int:
        if self.state == "done":
            return 100
        return min(99, round(100 * self.done / self.total)) if self.total else 0

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.job.pk,
            "state": self.state,
            "finished": self.finished,
            "done": self.done,
            "total": self.total,
            "phase": self.phase,
            "percent": self.percent,
            "elapsed": round(self.elapsed, 1) if self.elapsed is not None else None,
            "remaining": round(self.remaining, 1) if self.remaining is not None else None,
        }


def job_view(job: Job) -> JobView:
    now = clock.now()
    if job.state in (Job.State.DONE, Job.State.FAILED):
        elapsed = (
            (job.finished_at - job.started_at).total_seconds()
            if job.started_at and job.finished_at
            else None
        )
        return JobView(job, job.state, job.done, job.total, "", elapsed, None)
    if job.state == Job.State.QUEUED:
        return JobView(job, "queued", 0, 0, "queued", None, None)
    live = progress.read(str(job.uid), job.attempt)
    elapsed = (now - job.started_at).total_seconds() if job.started_at else None
    state = "stopped" if live.stale(now.timestamp()) else "running"
    remaining = None
    if elapsed is not None and live.total and 0 < live.done < live.total:
        remaining = elapsed * (live.total - live.done) / live.done
    return JobView(job, state, live.done, live.total, live.phase, elapsed, remaining)
