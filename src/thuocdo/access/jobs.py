"""Who may follow a job: whoever started it, the agency's personnel office and auditors,
its leadership, and operators. Jobs carry an agency's data (names, counts, errors)."""

from __future__ import annotations

from typing import Any

from thuocdo.access.common import denied
from thuocdo.access.scope import scope_for
from thuocdo.core.errors import NotFound
from thuocdo.jobs.models import Job


def access_job(user: Any, job_id: Any) -> Job:
    try:
        pk = int(job_id)
    except (TypeError, ValueError):
        pk = 0
    job = Job.objects.select_related("agency", "created_by").filter(pk=pk).first()
    if job is None:
        raise NotFound("Không tìm thấy tiến trình.", "Job not found.")
    scope = scope_for(user)
    mine = job.created_by_id is not None and job.created_by_id == getattr(user, "pk", None)
    if not (mine or scope.operator or (job.agency_id and scope.reads_agency(job.agency_id))):
        raise denied("view", "tiến trình", "job")
    return job
