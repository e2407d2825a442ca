"""Runs a job in a worker: one transaction for all its work and its outcome, so a worker
killed half way leaves nothing behind but a job that says it stopped (and can be retried).

`run_job` is the django-tasks task; the database backend carries it to `db_worker`
processes. The job row, not the task row, is what pages read.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django_tasks import task

from thuocdo.core import clock
from thuocdo.core.errors import ThuocDoError
from thuocdo.core.origin import Origin, origin_scope
from thuocdo.jobs.models import Job
from thuocdo.jobs.progress import Heartbeat, Progress
from thuocdo.jobs.registry import JobFailed, Outcome, get_kind, message

logger = logging.getLogger(__name__)

UNEXPECTED = message(
    "Lỗi không mong đợi; chưa ghi thay đổi nào. Hãy báo quản trị hệ thống.",
    "An unexpected error stopped the job; nothing was written. Tell the operator.",
)


class _Superseded(Exception):
    """A newer attempt of the same job exists: this one must not commit."""


@task()
def run_job(uid: str, attempt: int) -> str:
    return execute(uid, attempt)


def execute(uid: str, attempt: int) -> str:
    claimed = Job.objects.filter(uid=uid, attempt=attempt, state=Job.State.QUEUED).update(
        state=Job.State.RUNNING, started_at=clock.now(), finished_at=None
    )
    if not claimed:  # retried since, or already run by another worker
        return "skipped"
    job = Job.objects.select_related("agency", "created_by").get(uid=uid)
    kind = get_kind(job.kind)
    progress = Progress(str(job.uid), attempt)
    with origin_scope(_origin(job)), Heartbeat(str(job.uid), attempt):
        try:
            with transaction.atomic():
                outcome = kind.handler(job, progress)
                _finish(job, attempt, outcome)
        except _Superseded:
            return "superseded"
        except JobFailed as error:
            _fail(job, attempt, error.errors)
            if kind.on_refused is not None:
                kind.on_refused(job)
        except ThuocDoError as error:
            _fail(job, attempt, [message(error.message_vi, error.message_en)])
        except Exception:
            logger.exception("job %s (%s) failed", job.pk, job.kind)
            _fail(job, attempt, [UNEXPECTED])
    return job.state


def _origin(job: Job) -> Origin:
    """The origin of the request that started the job, so its audit entries say so."""
    saved = job.params.get("_origin") or {}
    return Origin(
        channel=str(saved.get("channel") or f"job:{job.kind}"),
        ip=str(saved.get("ip", "")),
        user_agent=str(saved.get("user_agent", "")),
        path=str(saved.get("path", "")),
        request_id=str(saved.get("request_id") or job.uid.hex),
    )


def _finish(job: Job, attempt: int, outcome: Outcome) -> None:
    """Written in the job's own transaction: 'done' is committed with the work or not at all."""
    current = Job.objects.select_for_update().get(pk=job.pk)
    if current.attempt != attempt:
        raise _Superseded
    job.state = Job.State.DONE
    job.done, job.total = outcome.done, outcome.total or outcome.done
    job.result = outcome.result
    job.errors = []
    job.finished_at = clock.now()
    job.save(update_fields=["state", "done", "total", "result", "errors", "finished_at"])


def _fail(job: Job, attempt: int, errors: list[dict[str, object]]) -> None:
    job.state = Job.State.FAILED
    job.errors = errors
    job.finished_at = clock.now()
    Job.objects.filter(pk=job.pk, attempt=attempt).update(
        state=job.state, errors=errors, finished_at=job.finished_at
    )
