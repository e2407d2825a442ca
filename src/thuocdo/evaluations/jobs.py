"""The long steps of a period as jobs: moving it on (creating, compiling or publishing
every evaluation), compiling again, deciding every group at once, reopening. Each runs in
the job's one transaction; a worker killed half way leaves the period as it was."""

from __future__ import annotations

from django.utils import translation

from thuocdo.core.errors import ValidationFailed
from thuocdo.core.models import User
from thuocdo.evaluations import close, services
from thuocdo.evaluations.models import Period
from thuocdo.jobs.models import Job
from thuocdo.jobs.progress import Progress
from thuocdo.jobs.registry import Outcome, job_kind


def _actor(job: Job) -> User:
    if job.created_by is None:
        raise ValidationFailed(
            "Tiến trình không còn người thực hiện.", "The job has no one to act for."
        )
    return job.created_by


def _period(job: Job) -> Period:
    return Period.objects.select_related("agency").get(pk=int(job.params["period"]))


def _counter(progress: Progress, phase: str) -> close.Progress:
    def report(done: int, total: int) -> None:
        progress.set(done, total, phase)

    return report


@job_kind("evaluations.step")
def run_step(job: Job, progress: Progress) -> Outcome:
    period = services.period_transition(
        actor=_actor(job),
        period=_period(job),
        action=str(job.params["action"]),
        expected_version=int(job.params["version"]),
        progress=_counter(progress, "step"),
    )
    count = period.evaluations.count()
    name, name_en = period.name("vi"), period.name("en")
    with translation.override("vi"):
        label = str(period.get_state_display())
    with translation.override("en"):
        label_en = str(period.get_state_display())
    return Outcome(
        done=count,
        total=count,
        result={
            "summary_vi": f"Kỳ {name} đã chuyển sang bước “{label}” ({count} phiếu).",
            "summary_en": f"{name_en} moved to “{label_en}” ({count} evaluations).",
        },
    )


@job_kind("evaluations.compile")
def run_compile(job: Job, progress: Progress) -> Outcome:
    period = services.period_compile(
        actor=_actor(job), period=_period(job), progress=_counter(progress, "compile")
    )
    count = period.evaluations.exclude(state__in=["decided", "excluded"]).count()
    return Outcome(
        done=count,
        total=count,
        result={
            "summary_vi": f"Đã tổng hợp lại {count} phiếu chưa quyết định.",
            "summary_en": f"{count} undecided evaluations compiled again.",
        },
    )


@job_kind("evaluations.decide_all")
def run_decide_all(job: Job, progress: Progress) -> Outcome:
    outcome = services.period_decide_all(
        actor=_actor(job), period=_period(job), progress=_counter(progress, "decide")
    )
    left_vi = [f"{item.name}: {item.reason_vi}" for item in outcome.skipped]
    left_en = [f"{item.name}: {item.reason_en}" for item in outcome.skipped]
    return Outcome(
        done=outcome.evaluations,
        total=outcome.evaluations,
        result={
            "summary_vi": f"Đã quyết định {len(outcome.groups)} nhóm, {outcome.evaluations} "
            f"phiếu. Còn {len(outcome.skipped)} nhóm cần quyết định riêng.",
            "summary_en": f"{len(outcome.groups)} groups decided, {outcome.evaluations} "
            f"evaluations. {len(outcome.skipped)} groups need a decision of their own.",
            "notes_vi": left_vi,
            "notes_en": left_en,
        },
    )


@job_kind("evaluations.reopen")
def run_reopen(job: Job, progress: Progress) -> Outcome:
    period = services.period_reopen(
        actor=_actor(job),
        period=_period(job),
        to_state=str(job.params["to_state"]),
        reason=str(job.params["reason"]),
        expected_version=int(job.params["version"]),
    )
    progress.set(1, 1, "reopen")
    name, name_en = period.name("vi"), period.name("en")
    with translation.override("vi"):
        label = str(period.get_state_display())
    with translation.override("en"):
        label_en = str(period.get_state_display())
    return Outcome(
        done=1,
        total=1,
        result={
            "summary_vi": f"Đã mở lại kỳ {name} về bước “{label}”.",
            "summary_en": f"{name_en} reopened to “{label_en}”.",
        },
    )
