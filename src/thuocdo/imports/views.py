"""Pages of the Excel import: choose, download, upload, preview, confirm, follow progress.

Only the personnel office of an agency (or an operator) gets here; the uploaded file is
kept under a random name that only the session knows.
"""

from __future__ import annotations

import io
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from thuocdo.access import scope_for
from thuocdo.core.errors import AccessDenied, NotFound, ThuocDoError
from thuocdo.core.models import User
from thuocdo.evaluations.models import Period
from thuocdo.imports import jobs
from thuocdo.imports.errors import RowError
from thuocdo.imports.evaluations import EvaluationKind, access_unit_sheet
from thuocdo.imports.framework import ImportKind, Plan, plan
from thuocdo.imports.registry import KINDS, get_kind
from thuocdo.imports.workbook import write_workbook
from thuocdo.jobs.models import Job
from thuocdo.jobs.selectors import job_view
from thuocdo.jobs.services import may_retry, upload_discard, upload_read, upload_save
from thuocdo.org.models import Unit

_STATE_LABELS = {
    "queued": gettext_lazy("Đang chờ"),
    "running": gettext_lazy("Đang nhập"),
    "stopped": gettext_lazy("Đã dừng giữa chừng"),
    "done": gettext_lazy("Hoàn tất"),
    "failed": gettext_lazy("Không thành công"),
}
SESSION_KEY = "imports_upload"
SHOWN_ROWS = 500
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _refused() -> AccessDenied:
    return AccessDenied(
        "Trang này dành cho bộ phận tổ chức cán bộ của cơ quan.",
        "This page is for the agency's personnel office.",
    )


def configurable_agencies(user: Any) -> QuerySet[Unit]:
    scope = scope_for(user)
    roots = Unit.objects.filter(parent__isnull=True).order_by("name")
    return roots if scope.operator else roots.filter(pk__in=scope.personnel_agencies)


def access_import_agency(user: Any, agency_id: Any = None) -> Unit:
    """The agency the user imports into; only one they configure."""
    agencies = configurable_agencies(user)
    if agency_id in (None, ""):
        only = list(agencies[:2])
        if len(only) != 1:
            if not only:
                raise _refused()
            raise NotFound("Hãy chọn cơ quan.", "Choose an agency.", field="agency")
        return only[0]
    try:
        pk = int(agency_id)
    except (TypeError, ValueError):
        raise NotFound("Không tìm thấy cơ quan.", "Agency not found.") from None
    agency = Unit.objects.filter(pk=pk, parent__isnull=True).first()
    if agency is None:
        raise NotFound("Không tìm thấy cơ quan.", "Agency not found.")
    if not scope_for(user).configures_agency(agency.pk):
        raise _refused()
    return agency


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Loại dữ liệu"))
    agency = forms.ModelChoiceField(
        label=gettext_lazy("Cơ quan"), queryset=Unit.objects.none(), empty_label=None
    )
    file = forms.FileField(
        label=gettext_lazy("Tệp Excel (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx," + XLSX}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind_field = self.fields["kind"]
        assert isinstance(kind_field, forms.ChoiceField)
        kind_field.choices = [(k.code, _(k.title_vi)) for k in KINDS.values()]
        agency_field = self.fields["agency"]
        assert isinstance(agency_field, forms.ModelChoiceField)
        agency_field.queryset = configurable_agencies(user)


class UnitSheetForm(forms.Form):
    """The upload of one unit's evaluations (the kind, period and unit come with the page)."""

    period = forms.IntegerField(widget=forms.HiddenInput)
    unit = forms.IntegerField(widget=forms.HiddenInput)
    file = forms.FileField(
        label=gettext_lazy("Tệp Excel (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx," + XLSX}),
    )


EVALUATIONS = EvaluationKind.code


def _unit_sheet_url(period_id: Any, unit_id: Any) -> str:
    return f"{reverse('imports:index')}?kind={EVALUATIONS}&period={period_id}&unit={unit_id}"


def _save_upload(request: HttpRequest, form: forms.Form, pending: dict[str, Any]) -> bool:
    """Keeps the uploaded file and remembers it in the session; False (with the form's
    error) when it is refused."""
    upload = form.cleaned_data["file"]
    try:
        user = request.user if isinstance(request.user, User) else None
        token = upload_save(
            actor=user, name=upload.name or "", chunks=upload.chunks(), size=upload.size
        )
    except ThuocDoError as error:
        form.add_error("file", error.message(request.LANGUAGE_CODE))
        return False
    _forget_upload(request)
    request.session[SESSION_KEY] = {"token": token, "name": upload.name[:255], **pending}
    return True


def _unit_sheet(request: HttpRequest, data: Any) -> HttpResponse:
    """The import page of one unit's evaluations, reached from its progress page: the
    personnel office, the head of the agency and the unit's leaders."""
    period, unit = access_unit_sheet(request.user, data.get("period"), data.get("unit"))
    form = UnitSheetForm(
        request.POST or None,
        request.FILES or None,
        initial={"period": period.pk, "unit": unit.pk},
    )
    if request.method == "POST" and form.is_valid():
        pending = {"kind": EVALUATIONS, "agency": period.agency_id}
        if _save_upload(request, form, {**pending, "period": period.pk, "unit": unit.pk}):
            return redirect("imports:preview")
    recent = Job.objects.filter(
        agency_id=period.agency_id,
        kind=jobs.KIND,
        created_by_id=request.user.pk,
        params__kind=EVALUATIONS,
    ).select_related("created_by")[:10]
    return render(
        request,
        "imports/unit_sheet.html",
        {
            "form": form,
            "kind": KINDS[EVALUATIONS],
            "period": period,
            "unit": unit,
            "open_step": period.state in (Period.State.SELF_ASSESSMENT, Period.State.REVIEW),
            "recent": recent,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else request.GET
    if "period" in data or "unit" in data:
        return _unit_sheet(request, data)
    agencies = configurable_agencies(request.user)
    if not agencies.exists():
        raise _refused()
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        agency = access_import_agency(request.user, form.cleaned_data["agency"].pk)
        if _save_upload(request, form, {"kind": form.cleaned_data["kind"], "agency": agency.pk}):
            return redirect("imports:preview")
    elif request.method == "GET" and request.GET.get("kind") in KINDS:
        form.initial["kind"] = request.GET["kind"]
    recent = Job.objects.filter(agency__in=agencies, kind=jobs.KIND).select_related("created_by")[
        :10
    ]
    periods = Period.objects.filter(
        agency__in=agencies, state__in=(Period.State.SELF_ASSESSMENT, Period.State.REVIEW)
    ).select_related("agency")
    return render(
        request,
        "imports/index.html",
        {
            "form": form,
            "kinds": list(KINDS.values()),
            "agencies": agencies,
            "recent": recent,
            "sheet_periods": periods,
        },
    )


def _download(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_GET
def template(request: HttpRequest, kind: str) -> HttpResponse:
    import_kind = get_kind(kind)
    if isinstance(import_kind, EvaluationKind):  # the period's own, for one unit
        period, unit = access_unit_sheet(
            request.user, request.GET.get("period"), request.GET.get("unit")
        )
        sheet = import_kind.for_sheet(period, unit)
        return _download(sheet.template(), sheet.file_name())
    agency = access_import_agency(request.user, request.GET.get("agency"))
    return _download(write_workbook(import_kind, agency), f"mau-{kind}-{agency.code}.xlsx")


@login_required
@require_POST
def export(request: HttpRequest, kind: str) -> HttpResponse:
    """Starts the export as a job (a whole agency's tasks is a large file) and follows it."""
    import_kind = get_kind(kind)
    agency = access_import_agency(request.user, request.POST.get("agency"))
    if isinstance(import_kind, EvaluationKind):
        messages.error(
            request,
            _("Phiếu đánh giá được tải theo từng kỳ và từng đơn vị, ở trang tiến độ của đơn vị."),
        )
        return redirect("imports:index")
    user = request.user
    assert isinstance(user, User)
    try:
        job = jobs.start_export(kind=kind, agency=agency, actor=user)
    except ThuocDoError as error:
        messages.error(request, error.message(get_language() or "vi"))
        return redirect("imports:index")
    return redirect("web:job", job.pk)


def _pending(request: HttpRequest) -> dict[str, Any] | None:
    pending = request.session.get(SESSION_KEY)
    return pending if isinstance(pending, dict) else None


def _target(request: HttpRequest, pending: dict[str, Any]) -> tuple[Unit, ImportKind]:
    """The agency and kind of a pending upload, with the user's right to them checked
    again: an upload from a unit's page is that unit's (and refused for another)."""
    if "period" in pending:
        period, unit = access_unit_sheet(request.user, pending["period"], pending.get("unit"))
        return period.agency, EvaluationKind().expecting(period, unit)
    return access_import_agency(request.user, pending["agency"]), get_kind(pending["kind"])


def _back(pending: dict[str, Any] | None) -> str:
    """Where "back" and "cancel" lead: the unit's import page, or the import index."""
    if pending is not None and "period" in pending:
        return _unit_sheet_url(pending["period"], pending.get("unit"))
    return reverse("imports:index")


def _forget_upload(request: HttpRequest) -> None:
    pending = request.session.pop(SESSION_KEY, None)
    if isinstance(pending, dict):
        upload_discard(str(pending.get("token", "")))


@login_required
@require_GET
def preview(request: HttpRequest) -> HttpResponse:
    pending = _pending(request)
    if pending is None:
        messages.info(request, _("Hãy chọn tệp để tải lên."))
        return redirect("imports:index")
    agency, kind = _target(request, pending)
    try:
        upload = upload_read(str(pending["token"]))
    except NotFound as error:
        request.session.pop(SESSION_KEY, None)
        messages.error(request, error.message(request.LANGUAGE_CODE))
        return redirect(_back(pending))
    result = plan(
        kind,
        io.BytesIO(bytes(upload.data)),
        agency,
        file_name=pending["name"],
        actor=request.user if isinstance(request.user, User) else None,
    )
    context = _preview_context(result, request)
    context["back_url"] = _back(pending)
    return render(request, "imports/preview.html", context)


def _preview_context(result: Plan, request: HttpRequest) -> dict[str, Any]:
    changed = [row for row in result.rows if not row.unchanged]
    return {
        "plan": result,
        "kind": result.kind,
        "agency": result.agency,
        "counts": result.counts,
        "changed_rows": changed[:SHOWN_ROWS],
        "hidden_rows": max(0, len(changed) - SHOWN_ROWS),
        "errors": _error_rows(result.errors[:SHOWN_ROWS], request),
        "hidden_errors": max(0, len(result.errors) - SHOWN_ROWS),
    }


def _error_rows(errors: list[RowError], request: HttpRequest) -> list[dict[str, Any]]:
    english = (request.LANGUAGE_CODE or "vi").startswith("en")
    return [
        {
            "row": error.row,
            "column": (error.column_en if english else error.column) or "",
            "value": error.value,
            "rule": error.rule("en" if english else "vi"),
        }
        for error in errors
    ]


@login_required
@require_POST
def confirm(request: HttpRequest) -> HttpResponse:
    pending = _pending(request)
    if pending is None:
        messages.info(request, _("Hãy chọn tệp để tải lên."))
        return redirect("imports:index")
    agency, _kind = _target(request, pending)
    user = request.user if isinstance(request.user, User) else None
    job = jobs.start_import(
        kind=pending["kind"],
        agency=agency,
        token=str(pending["token"]),
        file_name=pending["name"],
        actor=user,
        back=_back(pending) if "period" in pending else "",
    )
    request.session.pop(SESSION_KEY, None)  # the job owns the file now and removes it
    return redirect("imports:job", job_id=job.pk)


@login_required
@require_POST
def cancel(request: HttpRequest) -> HttpResponse:
    back = _back(_pending(request))
    _forget_upload(request)
    messages.info(request, _("Đã huỷ; tệp đã tải lên được xoá."))
    return redirect(back)


def _access_job(request: HttpRequest, job_id: int) -> Job:
    job = (
        Job.objects.select_related("agency", "created_by").filter(pk=job_id, kind=jobs.KIND).first()
    )
    if job is None:
        raise NotFound("Không tìm thấy lượt nhập.", "Import not found.")
    started = job.created_by_id is not None and job.created_by_id == request.user.pk
    if not (started or scope_for(request.user).configures_agency(job.agency_id)):
        raise _refused()  # whoever started an import follows it (a unit leader, too)
    return job


@login_required
@require_GET
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _access_job(request, job_id)
    view = job_view(job)
    errors = [RowError.from_json(item) for item in job.errors if "rule_vi" in item]
    general = [item for item in job.errors if "rule_vi" not in item]
    english = (request.LANGUAGE_CODE or "vi").startswith("en")
    return render(
        request,
        "imports/job.html",
        {
            "job": job,
            "view": view,
            "file_name": job.params.get("file_name", ""),
            "kind": get_kind(str(job.params.get("kind", ""))),
            "counts": job.result.get("counts", {}),
            "progress_text": jobs.progress_text(view, get_language() or "vi"),
            "errors": _error_rows(errors[:SHOWN_ROWS], request),
            "general_errors": [
                item.get("message_en" if english else "message_vi", "") for item in general
            ],
            "hidden_errors": max(0, len(errors) - SHOWN_ROWS),
            "may_retry": may_retry(request.user if isinstance(request.user, User) else None, job),
            "back_url": str(job.params.get("back") or "")
            or (
                reverse("imports:index")
                if scope_for(request.user).configures_agency(job.agency_id)
                else reverse("web:ev_index")
            ),
        },
    )


@login_required
@require_GET
@never_cache
def job_status(request: HttpRequest, job_id: int) -> JsonResponse:
    job = _access_job(request, job_id)
    view = job_view(job)
    state = view.as_json()
    state["status"] = view.state
    state["counts"] = job.result.get("counts", {})
    state["error_count"] = len(job.errors)
    state["text"] = jobs.progress_text(view, get_language() or "vi")
    state["status_label"] = str(_STATE_LABELS.get(view.state, view.state))
    return JsonResponse(state)
