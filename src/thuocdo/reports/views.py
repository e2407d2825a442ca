"""Downloads of the forms: `/reports/evaluations/<id>.pdf|.xlsx`,
`/reports/units/<unit_id>/periods/<period_id>.pdf|.xlsx` and, to print everything of a
unit at once, POST `/reports/units/<unit_id>/periods/<period_id>/all.pdf` (the summary,
then every member's form; made by a job whose page offers the file).

Every object comes through the access helpers: an official gets their own form, a unit
leader the forms and summaries of their unit's subtree, the agency's leadership, personnel
office and auditors the whole agency; anyone else gets 403 with the Vietnamese message
(`ThuocDoErrorMiddleware`), an unknown id 404.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from thuocdo.access import access_evaluation, visible_evaluations
from thuocdo.core.models import User
from thuocdo.core.text import fold
from thuocdo.evaluations.models import Evaluation, Period
from thuocdo.reports import jobs
from thuocdo.reports.access import access_unit_summary
from thuocdo.reports.forms import FORM_RELATED, individual_form, unit_summary
from thuocdo.reports.pdf import individual_pdf, unit_pdf
from thuocdo.reports.xlsx import individual_xlsx, unit_xlsx

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _period_slug(period: Period) -> str:
    return f"{period.kind}-{period.year}-{period.number:02d}"


def _download(content: bytes, fmt: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    # A PDF opens in the browser; a workbook is saved. The name keeps no accents (fold).
    filename = f"{slugify(fold(name)) or 'bieu-mau'}.{fmt}"
    response["Content-Disposition"] = content_disposition_header(fmt == "xlsx", filename) or ""
    response["Cache-Control"] = "private, no-store"
    return response


@never_cache
@require_GET
@login_required
def evaluation_form(request: HttpRequest, evaluation_id: str, fmt: str) -> HttpResponse:
    ev = access_evaluation(request.user, int(evaluation_id), action="view")
    ev = Evaluation.objects.select_related(*FORM_RELATED).get(pk=ev.pk)
    form = individual_form(ev)
    content = individual_pdf(form) if fmt == "pdf" else individual_xlsx(form)
    return _download(
        content, fmt, f"phieu-danh-gia-{ev.person.full_name}-{_period_slug(ev.period)}"
    )


@never_cache
@require_GET
@login_required
def unit_summary_form(request: HttpRequest, unit_id: str, period_id: str, fmt: str) -> HttpResponse:
    period, unit = access_unit_summary(request.user, int(unit_id), int(period_id))
    evaluations = visible_evaluations(request.user).filter(period=period, unit=unit)
    summary = unit_summary(
        period, unit, evaluations.select_related("person", "job_position", "unit", "framework")
    )
    content = unit_pdf(summary) if fmt == "pdf" else unit_xlsx(summary)
    return _download(content, fmt, f"tong-hop-{unit.code}-{_period_slug(period)}")


@require_POST
@login_required
def unit_bundle(request: HttpRequest, unit_id: str, period_id: str) -> HttpResponse:
    """Starts the bundle of a unit's forms (the summary, then every member's form) as a
    job, for whoever may read the summary, and follows it: drawing takes about 0.2 s a
    person, too long for a request in a large unit."""
    period, unit = access_unit_summary(request.user, int(unit_id), int(period_id))
    user = request.user
    assert isinstance(user, User)  # login_required
    job = jobs.start_unit_bundle(actor=user, period=period, unit=unit)
    return redirect("web:job", job.pk)
