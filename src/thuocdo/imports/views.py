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
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from thuocdo.access import scope_for
from thuocdo.core.errors import AccessDenied, NotFound, ThuocDoError
from thuocdo.core.models import User
from thuocdo.imports import jobs
from thuocdo.imports.errors import RowError
from thuocdo.imports.framework import Plan, plan
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


@login_required
@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    agencies = configurable_agencies(request.user)
    if not agencies.exists():
        raise _refused()
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        agency = access_import_agency(request.user, form.cleaned_data["agency"].pk)
        upload = form.cleaned_data["file"]
        try:
            user = request.user if isinstance(request.user, User) else None
            token = upload_save(
                actor=user, name=upload.name or "", chunks=upload.chunks(), size=upload.size
            )
        except ThuocDoError as error:
            form.add_error("file", error.message(request.LANGUAGE_CODE))
        else:
            _forget_upload(request)
            request.session[SESSION_KEY] = {
                "token": token,
                "kind": form.cleaned_data["kind"],
                "agency": agency.pk,
                "name": upload.name[:255],
            }
            return redirect("imports:preview")
    recent = Job.objects.filter(agency__in=agencies, kind=jobs.KIND).select_related("created_by")[
        :10
    ]
    return render(
        request,
        "imports/index.html",
        {"form": form, "kinds": list(KINDS.values()), "agencies": agencies, "recent": recent},
    )


def _download(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_GET
def template(request: HttpRequest, kind: str) -> HttpResponse:
    import_kind = get_kind(kind)
    agency = access_import_agency(request.user, request.GET.get("agency"))
    return _download(write_workbook(import_kind, agency), f"mau-{kind}-{agency.code}.xlsx")


@login_required
@require_POST
def export(request: HttpRequest, kind: str) -> HttpResponse:
    """Starts the export as a job (a whole agency's tasks is a large file) and follows it."""
    get_kind(kind)
    agency = access_import_agency(request.user, request.POST.get("agency"))
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
    agency = access_import_agency(request.user, pending["agency"])
    kind = get_kind(pending["kind"])
    try:
        upload = upload_read(str(pending["token"]))
    except NotFound as error:
        request.session.pop(SESSION_KEY, None)
        messages.error(request, error.message(request.LANGUAGE_CODE))
        return redirect("imports:index")
    result = plan(
        kind,
        io.BytesIO(bytes(upload.data)),
        agency,
        file_name=pending["name"],
        actor=request.user if isinstance(request.user, User) else None,
    )
    return render(request, "imports/preview.html", _preview_context(result, request))


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
    agency = access_import_agency(request.user, pending["agency"])
    get_kind(pending["kind"])
    user = request.user if isinstance(request.user, User) else None
    job = jobs.start_import(
        kind=pending["kind"],
        agency=agency,
        token=str(pending["token"]),
        file_name=pending["name"],
        actor=user,
    )
    request.session.pop(SESSION_KEY, None)  # the job owns the file now and removes it
    return redirect("imports:job", job_id=job.pk)


@login_required
@require_POST
def cancel(request: HttpRequest) -> HttpResponse:
    _forget_upload(request)
    messages.info(request, _("Đã huỷ; tệp đã tải lên được xoá."))
    return redirect("imports:index")


def _access_job(request: HttpRequest, job_id: int) -> Job:
    job = (
        Job.objects.select_related("agency", "created_by").filter(pk=job_id, kind=jobs.KIND).first()
    )
    if job is None:
        raise NotFound("Không tìm thấy lượt nhập.", "Import not found.")
    if not scope_for(request.user).configures_agency(job.agency_id):
        raise _refused()
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
