"""Long reports as jobs: the personnel lists (every decided evaluation of the agency, over
every period), the agency's summary of a period and a unit's bundle of forms (about 0.2 s
of drawing a person) are made by a worker and downloaded from the job's page, never built
inside a web request.

The job reads what its starter may see (`visible_evaluations` of the job's creator, and
for a bundle `access_unit_summary` again), exactly as the page that started it would have.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils.text import slugify

from thuocdo.access import visible_evaluations
from thuocdo.core.errors import NotFound
from thuocdo.core.models import User
from thuocdo.core.text import fold
from thuocdo.evaluations.models import Evaluation, Period, UnitEvaluation
from thuocdo.jobs.models import Job
from thuocdo.jobs.progress import Progress
from thuocdo.jobs.registry import Outcome, job_kind
from thuocdo.jobs.services import job_start, keep_file
from thuocdo.org.models import Unit
from thuocdo.reports.access import access_unit_summary
from thuocdo.reports.exports import agency_summary
from thuocdo.reports.forms import (
    FORM_RELATED,
    in_summary_order,
    individual_forms,
    period_label,
    unit_summary,
)
from thuocdo.reports.pdf import unit_bundle_pdf
from thuocdo.reports.personnel import CandidateRule, StreakRule, personnel_report
from thuocdo.reports.tables import TableReport, table_pdf, table_xlsx

KIND = "reports.file"
TITLES = {
    "excellent-streak": (
        "Danh sách hoàn thành xuất sắc nhiều kỳ liên tiếp",
        "Excellent for several periods in a row",
    ),
    "not-completed": (
        "Danh sách không hoàn thành nhiệm vụ hai năm liên tiếp",
        "Not completed two years in a row",
    ),
    "candidates": ("Danh sách đề xuất theo tiêu chí", "Candidates by the agency's rule"),
}


def start_personnel_report(
    *, actor: User, agency: Unit, report: str, fmt: str, streak: StreakRule, rule: CandidateRule
) -> Job:
    title_vi, title_en = TITLES[report]
    return job_start(
        actor=actor,
        kind=KIND,
        title_vi=f"{title_vi} ({fmt.upper()}): {agency.name}",
        title_en=f"{title_en} ({fmt.upper()}): {agency.name}",
        agency=agency,
        target=f"reports:{report}:{fmt}:{agency.pk}:{actor.pk}",
        params={
            "report": report,
            "fmt": fmt,
            "streak": {"kind": streak.kind, "periods": streak.periods},
            "rule": {
                "kind": rule.kind,
                "periods": rule.periods,
                "min_points": str(rule.min_points),
                "min_rating": rule.min_rating,
            },
            "back": _back(agency),
        },
    )


def start_agency_summary(*, actor: User, period: Period, fmt: str) -> Job:
    agency = period.agency
    label = f"{period.get_kind_display()} {period.number}/{period.year}"
    return job_start(
        actor=actor,
        kind=KIND,
        title_vi=f"Tổng hợp kết quả toàn cơ quan, {label} ({fmt.upper()})",
        title_en=f"The agency's summary, {period.kind} {period.number}/{period.year} "
        f"({fmt.upper()})",
        agency=agency,
        target=f"reports:agency-summary:{fmt}:{period.pk}:{actor.pk}",
        params={"report": "agency-summary", "fmt": fmt, "period": period.pk, "back": _back(agency)},
    )


def start_unit_bundle(*, actor: User, period: Period, unit: Unit) -> Job:
    """Every form of a unit for a period in one PDF (the access was checked by the caller
    and is checked again when the job runs)."""
    return job_start(
        actor=actor,
        kind=KIND,
        title_vi=f"Tất cả phiếu đánh giá của {unit.name}, {period_label(period)} (PDF)",
        title_en=f"Every form of {unit.display_name('en')}, {period.kind} "
        f"{period.number}/{period.year} (PDF)",
        agency=period.agency,
        target=f"reports:unit-bundle:{unit.pk}:{period.pk}:{actor.pk}",
        params={
            "report": "unit-bundle",
            "fmt": "pdf",
            "period": period.pk,
            "unit": unit.pk,
            "back": _unit_page(period, unit),
        },
    )


def _unit_bundle(job: Job, reader: User, progress: Progress) -> Outcome:
    params: dict[str, Any] = job.params
    period, unit = access_unit_summary(reader, int(params["unit"]), int(params["period"]))
    evaluations = in_summary_order(
        visible_evaluations(reader)
        .filter(period=period, unit=unit)
        .exclude(state=Evaluation.State.EXCLUDED)  # left out of the period: no form to sign
        .select_related(*FORM_RELATED)
    )
    total = len(evaluations) + 1
    progress.set(0, total)
    summary = unit_summary(period, unit, evaluations)
    forms = individual_forms(evaluations)
    progress.set(1, total)
    content = unit_bundle_pdf(summary, forms, progress=lambda done: progress.set(done + 1))
    slug = f"{period.kind}-{period.year}-{period.number:02d}"
    name = f"phieu-danh-gia-{slugify(fold(unit.code))}-{slug}.pdf"
    kept = keep_file(job=job, content=content, name=name)
    return Outcome(done=total, total=total, result=kept)


def _unit_page(period: Period, unit: Unit) -> str:
    """The unit's evaluation page, which offers the bundle (the period's page without one)."""
    ue = UnitEvaluation.objects.filter(period=period, unit=unit).only("pk").first()
    if ue is None:
        return reverse("web:ev_period", args=[period.pk])
    return reverse("web:ev_unit", args=[ue.pk])


def _back(agency: Unit) -> str:
    return f"{reverse('reports:personnel_page')}?agency={agency.pk}"


@job_kind(KIND)
def run_report(job: Job, progress: Progress) -> Outcome:
    agency, reader = job.agency, job.created_by
    if agency is None or reader is None:
        raise NotFound("Không còn cơ quan hoặc người yêu cầu.", "The agency or reader is gone.")
    params: dict[str, Any] = job.params
    if params["report"] == "unit-bundle":
        return _unit_bundle(job, reader, progress)
    progress.set(0, 1)
    built, name = _build(reader, agency, params)
    fmt = str(params["fmt"])
    content = table_pdf(built) if fmt == "pdf" else table_xlsx(built)
    kept = keep_file(job=job, content=content, name=f"{slugify(fold(name))}.{fmt}")
    return Outcome(done=1, total=1, result=kept)


def _build(reader: User, agency: Unit, params: dict[str, Any]) -> tuple[TableReport, str]:
    evaluations = visible_evaluations(reader)
    if params["report"] == "agency-summary":
        period = Period.objects.filter(pk=params["period"], agency=agency).first()
        if period is None:
            raise NotFound("Không tìm thấy kỳ đánh giá.", "The period was not found.")
        units = list(Unit.objects.filter(agency_id=agency.pk).order_by("path"))
        chosen = evaluations.filter(period=period).only(
            "id", "unit_id", "state", "rating", "points"
        )
        slug = f"{period.kind}-{period.year}-{period.number:02d}"
        return (
            agency_summary(period, agency, units, chosen),
            f"tong-hop-co-quan-{agency.code}-{slug}",
        )
    streak, rule = params["streak"], params["rule"]
    built = personnel_report(
        agency,
        str(params["report"]),
        evaluations.filter(agency_id=agency.pk),
        streak=StreakRule(kind=streak["kind"], periods=int(streak["periods"])),
        rule=CandidateRule(
            kind=rule["kind"],
            periods=int(rule["periods"]),
            min_points=Decimal(rule["min_points"]),
            min_rating=rule["min_rating"],
        ),
    )
    return built, f"danh-sach-{params['report']}-{agency.code}"
