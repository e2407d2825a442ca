"""An auditor checks the agency's audit chain from the audit page (issue 16, point 5).

The walk reads every entry of the agency, so it runs as a job, never in the request; the
page then shows the last finished check: intact (how many entries, when) or the first
broken entry and what differs. `manage.py verify_audit` does the same for every chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Max
from django.urls import reverse
from django.utils.translation import get_language

from thuocdo.access import access_audited_agency
from thuocdo.access.scope import scope_for
from thuocdo.audit.models import AuditEntry
from thuocdo.audit.verify import verify_audit
from thuocdo.core.models import User
from thuocdo.jobs.models import Job
from thuocdo.jobs.progress import Progress
from thuocdo.jobs.registry import Outcome, job_kind
from thuocdo.jobs.services import job_start
from thuocdo.org.models import Unit

KIND = "audit.verify"


def start_chain_check(*, actor: User, agency_id: int) -> Job:
    agency = access_audited_agency(actor, agency_id)
    return job_start(
        actor=actor,
        kind=KIND,
        title_vi=f"Kiểm tra tính toàn vẹn của nhật ký: {agency.name}",
        title_en=f"Audit log integrity check: {agency.name}",
        agency=agency,
        target=f"{KIND}:{agency.pk}",
        params={"back": reverse("web:audit_log")},
    )


@job_kind(KIND)
def run_chain_check(job: Job, progress: Progress) -> Outcome:
    agency_id = job.agency_id
    total = AuditEntry.objects.filter(agency_id=agency_id).count()
    progress.set(0, total, phase="verify")
    report = verify_audit(agency_id=agency_id, on_progress=lambda n: progress.set(n, total))
    broken = report.broken
    result: dict[str, Any] = {
        "intact": broken is None,
        "entries": report.entries,
        "broken": str(broken) if broken else "",
        "broken_en": broken.english() if broken else "",
        "entry_id": broken.entry_id if broken else None,
        "summary_vi": f"Chuỗi nhật ký nguyên vẹn: {report.entries} mục."
        if broken is None
        else f"Nhật ký đã bị can thiệp. {broken}",
        "summary_en": f"The audit chain is intact: {report.entries} entries."
        if broken is None
        else f"The audit log was tampered with. {broken.english()}",
    }
    # The walk stops at the first break; the check itself is done either way.
    walked = max(total, report.entries)
    return Outcome(done=walked, total=walked, result=result)


@dataclass(frozen=True)
class ChainCheck:
    """The last finished check of one agency's chain, as the audit page shows it."""

    agency: Unit
    job: Job | None  # None: never checked
    running: Job | None

    @property
    def intact(self) -> bool | None:
        if self.job is None or self.job.state != Job.State.DONE:
            return None
        return bool(self.job.result.get("intact"))

    @property
    def problem(self) -> str:
        """What the last check found, in the language of the page."""
        english = (get_language() or "vi").startswith("en")
        if self.job is None:
            return ""
        if self.job.state == Job.State.FAILED:
            key = "message_en" if english else "message_vi"
            return "; ".join(str(e.get(key, "")) for e in self.job.errors)
        return str(self.job.result.get("broken_en" if english else "broken", ""))


def chain_checks(user: User | AnonymousUser) -> list[ChainCheck]:
    """The agencies whose chain this user may check, with their last check (a fixed
    number of queries for all of them, however many checks they have had)."""
    scope = scope_for(user)
    agencies = Unit.objects.filter(parent__isnull=True).order_by("name")
    if not scope.operator:
        agencies = agencies.filter(pk__in=scope.auditor_agencies)
    shown = list(agencies[:20])
    jobs = Job.objects.filter(kind=KIND, agency__in=shown)
    last_ids = (
        jobs.filter(state__in=[Job.State.DONE, Job.State.FAILED])
        .values("agency")
        .annotate(last=Max("id"))
        .values("last")
    )
    finished = {job.agency_id: job for job in Job.objects.filter(pk__in=last_ids)}
    running = {job.agency_id: job for job in jobs.filter(state__in=Job.ACTIVE)}
    return [ChainCheck(a, finished.get(a.pk), running.get(a.pk)) for a in shown]
