"""The framework pages (issue 14, points 1 and 4): every official reads the framework in
force for them — its criteria, scales, weights, bands, quota, roll-up and every configurable
default with the article it comes from — and takes it away as YAML or Excel; the
personnel office imports a YAML document as a draft.

Views only translate. Stored versions come through `access_framework_version`, lists
through `visible_framework_versions`; the import goes through
`frameworks.services.framework_import`, whose refusal becomes the form's error.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from thuocdo.access import (
    Scope,
    access_configured_agency,
    access_framework_version,
    configured_agencies,
    scope_for,
    visible_framework_versions,
)
from thuocdo.core import clock
from thuocdo.core.errors import AccessDenied, NotFound, ValidationFailed
from thuocdo.core.models import User
from thuocdo.core.text import is_english
from thuocdo.frameworks import criteria_sets, services
from thuocdo.frameworks.models import CriteriaSet, FrameworkVersion
from thuocdo.frameworks.selectors import engine_framework, framework_in_force
from thuocdo.org.models import Person, Unit
from thuocdo.org.selectors import main_assignment
from thuocdo.scoring import DocumentError, Framework, list_presets, load_preset, loads_document
from thuocdo.web.actions import attempt
from thuocdo.web.framework_files import MAX_UPLOAD, file_name, framework_xlsx, framework_yaml
from thuocdo.web.framework_reading import read_framework, say
from thuocdo.web.framework_workbook import read_framework_workbook

NATIONAL = "national"

SOURCE_WORDS = {
    "period": (
        "Khung của kỳ đánh giá đang diễn ra",
        "The framework of the evaluation period under way",
    ),
    "latest_period": (
        "Khung của kỳ đánh giá gần nhất của cơ quan",
        "The framework of the agency's latest evaluation period",
    ),
    "agency": (
        "Phiên bản riêng của cơ quan đang có hiệu lực",
        "The agency's own version in force",
    ),
    "national": (
        "Khung quốc gia đã ban hành (cơ quan chưa có khung riêng)",
        "The published national framework (the agency has none of its own)",
    ),
    "preset": (
        "Khung mẫu đi kèm phần mềm (chưa lưu phiên bản nào)",
        "The preset shipped with the software (no version stored yet)",
    ),
}


def _viewer(request: HttpRequest) -> tuple[User, Scope]:
    user = request.user
    assert isinstance(user, User)  # login_required ran first
    return user, scope_for(user)


def _home_agency(scope: Scope) -> int | None:
    """The agency whose framework in force the viewer reads first."""
    if scope.agency_id is not None:
        return scope.agency_id
    for agency in sorted(scope.read_agencies):
        return agency
    return None


# --- the import form ------------------------------------------------------------------------


class FrameworkImportForm(forms.Form):
    document = forms.FileField(
        label=gettext_lazy("Tệp khung (YAML hoặc Excel)"),
        help_text=gettext_lazy(
            "Tệp tải về từ trang khung (nút “Tải YAML” hoặc “Tải Excel”). Trong tệp Excel "
            "được sửa: số phiên bản, tên tiêu chí, trọng số, khoảng trọng số, nhóm cho bổ "
            "sung tiêu chí và điểm tối thiểu của từng mức xếp loại."
        ),
    )
    owner = forms.ChoiceField(label=gettext_lazy("Khung của"))
    reason = forms.CharField(
        label=gettext_lazy("Ghi chú"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, user: User, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(str(a.pk), a.name) for a in configured_agencies(user)]
        if scope.operator:
            choices.insert(0, (NATIONAL, _("Khung quốc gia (dùng chung)")))
        self.fields["owner"].choices = choices  # type: ignore[attr-defined]
        self.document_data: dict[str, Any] | None = None
        self.changes: int | None = None  # of a workbook: how many changes it made

    def clean_document(self) -> Any:
        upload = self.cleaned_data["document"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(
                _("Tệp quá lớn: khung đánh giá không quá %(n)s kB.") % {"n": MAX_UPLOAD // 1000}
            )
        raw = upload.read()
        if raw[:2] == b"PK" or (upload.name or "").lower().endswith(".xlsx"):
            try:
                self.document_data, _fw, self.changes = read_framework_workbook(raw)
            except ValidationFailed as refused:
                raise forms.ValidationError(
                    refused.message_en if is_english() else refused.message_vi
                ) from None
            return upload
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(
                _("Tệp phải là văn bản UTF-8 (tệp .yaml); tệp đã gửi không đọc được.")
            ) from None
        try:
            data = loads_document(text, name=upload.name or "")
        except DocumentError as exc:
            raise forms.ValidationError(
                _("Tệp không phải YAML hợp lệ: %(why)s") % {"why": exc}
            ) from None
        if not isinstance(data, dict):
            raise forms.ValidationError(
                _("Tệp YAML phải là một khung: các mục id, version, individual, rating…")
            )
        self.document_data = data
        return upload


def _import_form(request: HttpRequest, user: User, scope: Scope) -> FrameworkImportForm | None:
    if not (scope.operator or scope.personnel_agencies):
        return None
    data = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    return FrameworkImportForm(data, files, user=user, scope=scope)


# --- the list ---------------------------------------------------------------------------------


def _list_page(
    request: HttpRequest, form: FrameworkImportForm | None, *, status: int = 200
) -> HttpResponse:
    user, scope = _viewer(request)
    today = clock.today()
    agency_id = _home_agency(scope)
    in_force = framework_in_force(agency_id, today)
    versions = list(  # a job position's criteria set lives on its own pages
        visible_framework_versions(user)
        .filter(document__derived_from=None)
        .order_by("agency__code", "key", "-valid_from", "-created_at")
    )
    visible_ids = {v.pk for v in versions}
    if in_force.version_id is not None and in_force.version_id in visible_ids:
        in_force_url = reverse("web:framework", args=[in_force.version_id])
    elif in_force.version_id is None:
        in_force_url = reverse("web:framework_preset", args=[in_force.framework.id])
    else:
        in_force_url = ""
    agency = Unit.objects.filter(pk=agency_id).first() if agency_id else None
    base = (
        FrameworkVersion.objects.filter(pk=in_force.version_id, agency__isnull=False).first()
        if in_force.version_id in visible_ids
        else None
    )
    return render(
        request,
        "web/frameworks/list.html",
        {
            "today": today,
            "agency": agency,
            "in_force": in_force,
            "in_force_title": say((in_force.framework.title_vi, in_force.framework.title_en)),
            "in_force_source": say(SOURCE_WORDS.get(in_force.source, ("", ""))),
            "in_force_url": in_force_url,
            "versions": versions,
            "in_force_id": in_force.version_id,
            "sets_url": reverse("web:criteria_set_list", args=[base.pk]) if base else "",
            "my_set": _my_set(scope, base),
            "form": form,
        },
        status=status,
    )


def _my_set(scope: Scope, base: FrameworkVersion | None) -> CriteriaSet | None:
    """The criteria set the viewer is scored with under the version in force, if any."""
    if base is None or scope.person_id is None:
        return None
    home = main_assignment(Person(pk=scope.person_id), clock.today())
    if home is None:
        return None
    return criteria_sets.set_for(base, home.unit, home.job_position_id)


@login_required
@require_GET
def framework_list(request: HttpRequest) -> HttpResponse:
    user, scope = _viewer(request)
    return _list_page(request, _import_form(request, user, scope))


@login_required
@require_POST
def framework_import(request: HttpRequest) -> HttpResponse:
    user, scope = _viewer(request)
    form = _import_form(request, user, scope)
    if form is None:
        raise AccessDenied(
            "Chỉ bộ phận tổ chức cán bộ của cơ quan mới nhập khung đánh giá.",
            "Only the agency's personnel office imports a framework.",
        )
    if not form.is_valid() or form.document_data is None:
        return _list_page(request, form, status=400)
    owner = form.cleaned_data["owner"]
    if owner == NATIONAL:
        if not scope.operator:
            raise AccessDenied(
                "Chỉ quản trị hệ thống mới nhập khung quốc gia.",
                "Only an operator imports a national framework.",
            )
        agency: Unit | None = None
    else:
        agency = access_configured_agency(user, owner)
    document = form.document_data
    saved, status = attempt(
        request,
        form,
        lambda: services.framework_import(
            actor=user,
            agency=agency,
            document_or_preset_name=document,
            reason=form.cleaned_data["reason"],
        ),
    )
    if saved is None:
        return _list_page(request, form, status=status)
    done = _("Đã nhập khung “%(title)s” (phiên bản %(version)s) thành bản nháp.") % {
        "title": saved.title,
        "version": saved.version,
    }
    if form.changes is not None:
        done += " " + ngettext(
            "Tệp Excel có %(n)s thay đổi so với khung gốc.",
            "Tệp Excel có %(n)s thay đổi so với khung gốc.",
            form.changes,
        ) % {"n": form.changes}
    messages.success(request, done)
    if saved.agency_id is not None:  # the agency's draft: its page shows the diff
        return redirect("web:fwdraft_detail", version_id=saved.pk)
    return redirect("web:framework", version_id=saved.pk)


# --- one framework ------------------------------------------------------------------------------


def _stored(request: HttpRequest, version_id: int) -> tuple[FrameworkVersion, Framework]:
    user, _scope = _viewer(request)
    row = access_framework_version(user, version_id)
    return row, engine_framework(row)


def _preset(name: str) -> Framework:
    if name not in list_presets():
        raise NotFound(
            f"Không tìm thấy khung mẫu “{name}”.", f"Framework preset {name} was not found."
        )
    return load_preset(name)


def _detail(request: HttpRequest, fw: Framework, row: FrameworkVersion | None) -> HttpResponse:
    if row is not None:
        files = (
            reverse("web:framework_yaml", args=[row.pk]),
            reverse("web:framework_xlsx", args=[row.pk]),
        )
    else:
        files = (
            reverse("web:framework_preset_yaml", args=[fw.id]),
            reverse("web:framework_preset_xlsx", args=[fw.id]),
        )
    return render(
        request,
        "web/frameworks/detail.html",
        {
            "reading": read_framework(fw),
            "fw": fw,
            "row": row,
            "source": str(fw.to_data().get("source") or ""),
            "yaml_url": files[0],
            "xlsx_url": files[1],
            "sets": (
                CriteriaSet.objects.filter(base=row).count()
                if row is not None and row.agency_id is not None
                else None
            ),
        },
    )


@login_required
@require_GET
def framework_detail(request: HttpRequest, version_id: int) -> HttpResponse:
    row, fw = _stored(request, version_id)
    return _detail(request, fw, row)


@login_required
@require_GET
def preset_detail(request: HttpRequest, name: str) -> HttpResponse:
    return _detail(request, _preset(name), None)


def _yaml_response(fw: Framework) -> HttpResponse:
    response = HttpResponse(framework_yaml(fw), content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file_name(fw, "yaml")}"'
    return response


def _xlsx_response(fw: Framework, row: FrameworkVersion | None) -> HttpResponse:
    if row is None:
        status, owner = _("Khung mẫu đi kèm phần mềm"), _("Quốc gia")
    else:
        status = str(row.get_status_display())
        owner = row.agency.name if row.agency is not None else _("Quốc gia")
    content = framework_xlsx(read_framework(fw), status=status, owner=owner)
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{file_name(fw, "xlsx")}"'
    return response


@login_required
@require_GET
def framework_yaml_file(request: HttpRequest, version_id: int) -> HttpResponse:
    _row, fw = _stored(request, version_id)
    return _yaml_response(fw)


@login_required
@require_GET
def framework_xlsx_file(request: HttpRequest, version_id: int) -> HttpResponse:
    row, fw = _stored(request, version_id)
    return _xlsx_response(fw, row)


@login_required
@require_GET
def preset_yaml_file(request: HttpRequest, name: str) -> HttpResponse:
    return _yaml_response(_preset(name))


@login_required
@require_GET
def preset_xlsx_file(request: HttpRequest, name: str) -> HttpResponse:
    return _xlsx_response(_preset(name), None)
