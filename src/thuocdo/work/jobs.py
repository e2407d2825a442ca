"""Warming the kept live points (`work.live`) and the per-unit totals (`work.board`) as a
job: after start, nightly and when the agency dashboard finds its totals out of date, so
that no dashboard request fills an agency's rows itself (at 10,000 people a cold fill of
the six months takes tens of seconds)."""

from __future__ import annotations

from thuocdo.core import clock
from thuocdo.core.models import User
from thuocdo.jobs.models import Job
from thuocdo.jobs.progress import Progress
from thuocdo.jobs.registry import Outcome, job_kind
from thuocdo.jobs.services import active_job, job_start
from thuocdo.org.models import Unit
from thuocdo.work import board, live

KIND = "work.live_refresh"


def target(agency: Unit) -> str:
    return f"work.live:{agency.pk}"


def start_live_refresh(*, agency: Unit, actor: User | None = None, back: str = "") -> Job:
    """Queues the agency's warm-up, or returns the one already queued or running."""
    running = active_job(target(agency))
    if running is not None:
        return running
    return job_start(
        actor=actor,
        kind=KIND,
        title_vi=f"Làm mới điểm nhiệm vụ tạm tính: {agency.name}",
        title_en=f"Refreshing live task points: {agency.name}",
        agency=agency,
        target=target(agency),
        params={"back": back} if back else {},
    )


def last_refresh(agency: Unit) -> Job | None:
    """The agency's latest finished refresh (the agency page shows `UnitMonth.computed_at`)."""
    return (
        Job.objects.filter(kind=KIND, agency=agency, state=Job.State.DONE)
        .order_by("-finished_at")
        .first()
    )


@job_kind(KIND)
def run_live_refresh(job: Job, progress: Progress) -> Outcome:
    agency = job.agency
    assert agency is not None
    stale, _rows = board.refresh(agency.pk, today=clock.today(), progress=progress.set)
    return Outcome(
        done=live.MONTHS_BACK,
        total=live.MONTHS_BACK,
        result={
            "stale": stale,
            "summary_vi": f"Đã tính lại {stale:,} lượt người × tháng.".replace(",", "."),
            "summary_en": f"Recomputed {stale:,} person-months.",
        },
    )
