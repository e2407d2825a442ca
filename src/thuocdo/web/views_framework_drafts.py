"""Framework drafting pages (issue 14, points 2 and 4): the personnel office drafts its
agency's own version from the one in force, edits it through forms (never YAML), reads the
diff against the version in force; the agency's head adopts it with a start date.

Views only translate: every version comes through `access_framework_draft`, every write
through `thuocdo.frameworks.drafting`, whose refusals (the engine's own messages) are shown
next to the field at fault, nothing changed. POST-redirect-GET; a stale page is refused.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from thuocdo.access.framework_drafts import (
    access_framework_draft,
    drafting_agencies,
    may_adopt,
    may_draft,
)
from thuocdo.core import clock
from thuocdo.core.errors import AccessDenied, NotFound, ThuocDoError
from thuocdo.core.models import User
from thuocdo.frameworks import drafting
from thuocdo.frameworks.models import FrameworkVersion
from thuocdo.frameworks.selectors import engine_framework, framework_for, framework_in_force
from thuocdo.org.models import Unit
from thuocdo.scoring.model import RATING_LABELS
from thuocdo.web.actions import language, show_refusal
from thuocdo.web.forms_frameworks import (
    AddCriterionForm,
    AdoptForm,
    BandsForm,
    CombineForm,
    DraftCreateForm,
    NodeForm,
    QuotaForm,
    RemoveForm,
    UnitKpiForm,
)
from thuocdo.web.framework_reading import COMBINE_WORDS

S = FrameworkVersion.Status
TYPE_WORDS = {
    "group": ("Nhóm tiêu chí", "Criteria group"),
    "manual": ("Chấm theo thang điểm", "Scored on a scale"),
    "task_ratio": ("Tính từ nhiệm vụ", "From tasks"),
    "target": ("Chỉ tiêu", "Target"),
    "leader_component": ("Thành phần lãnh đạo", "Leader component"),
}


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required ran first
    return user


def _agency(request: HttpRequest, user: User, raw: Any) -> Unit:
    agencies = drafting_agencies(user)
    if not agencies:
        raise AccessDenied(
            "Bạn không có quyền xem khung KPIs của cơ quan nào.",
            "You may not view any agency's KPI framework.",
        )
    if raw in (None, ""):
        return agencies[0]
    for agency in agencies:
        if str(agency.pk) == str(raw):
            return agency
    raise NotFound(f"Không tìm thấy cơ quan #{raw}.", f"Agency #{raw} was not found.")


def _whatif_url(version: FrameworkVersion) -> str:
    """The what-if preview for this draft, when that page exists."""
    try:
        return f"{reverse('web:whatif_start')}?version={version.pk}"
    except NoReverseMatch:
        return ""


# --- the agency's versions --------------------------------------------------------------------


def _list_page(
    request: HttpRequest, agency: Unit, *, form: DraftCreateForm | None = None, status: int = 200
) -> HttpResponse:
    user = _user(request)
    today = clock.today()
    in_force = framework_in_force(agency, today)
    source = (
        FrameworkVersion.objects.filter(pk=in_force.version_id).first()
        if in_force.version_id
        else None
    )
    versions = list(  # a job position's criteria set lives on its own pages
        FrameworkVersion.objects.filter(agency=agency)
        .filter(document__derived_from=None)
        .order_by("-created_at", "-pk")
    )
    return render(
        request,
        "web/framework_drafts/draft_list.html",
        {
            "agency": agency,
            "agencies": drafting_agencies(user),
            "in_force": in_force,
            "source": source,
            "versions": versions,
            "can_draft": may_draft(user, agency) and source is not None,
            "form": form or DraftCreateForm(),
        },
        status=status,
    )


@login_required
def draft_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return _list_page(request, _agency(request, user, request.GET.get("agency")))


@login_required
@require_POST
def draft_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    agency = _agency(request, user, request.POST.get("agency"))
    if not may_draft(user, agency):
        raise AccessDenied(
            "Chỉ bộ phận tổ chức cán bộ của cơ quan mới tạo bản nháp khung KPIs.",
            "Only the agency's personnel office drafts a KPI framework.",
        )
    form = DraftCreateForm(request.POST)
    if not form.is_valid():
        return _list_page(request, agency, form=form, status=400)
    in_force = framework_in_force(agency, clock.today())
    source = (
        FrameworkVersion.objects.filter(pk=in_force.version_id).first()
        if in_force.version_id is not None
        else None
    )
    if source is None:
        form.add_error(
            None,
            _("Chưa có khung nào được lưu và ban hành để sao chép; hãy nạp các khung mẫu."),
        )
        return _list_page(request, agency, form=form, status=409)
    try:
        row = drafting.framework_draft_from(
            actor=user,
            agency=agency,
            source=source,
            version_label=form.cleaned_data["version"],
            reason=form.cleaned_data["reason"],
        )
    except ThuocDoError as error:
        form.add_error(
            error.field if error.field in form.fields else None, error.message(language(request))
        )
        return _list_page(request, agency, form=form, status=error.status)
    messages.success(
        request,
        _("Đã tạo bản nháp %(version)s từ khung đang áp dụng.") % {"version": row.version},
    )
    return redirect("web:fwdraft_detail", version_id=row.pk)


# --- the draft editor -------------------------------------------------------------------------


def _words(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang.startswith("en") else pair[0]


def _rows(
    document: dict[str, Any], editable: bool, revision: int, failed: forms.Form | None, slot: str
) -> list[dict[str, Any]]:
    """The individual part's tree, flattened (depth first) with its forms."""
    out: list[dict[str, Any]] = []
    body = document.get("individual") or {}

    def pick(name: str, fresh: forms.Form) -> forms.Form:
        return failed if failed is not None and slot == name else fresh

    def walk(node: dict[str, Any], depth: int, parent: dict[str, Any] | None) -> None:
        key = node["key"]
        hidden = {"key": key, "part": "individual", "revision": revision}
        row: dict[str, Any] = {"node": node, "depth": depth, "key": key, **_numbers(node)}
        if node.get("combine") in COMBINE_WORDS:
            row["combine_words"] = _words(COMBINE_WORDS[node["combine"]], get_language() or "vi")
        if editable:
            row["form"] = pick(f"node:{key}", NodeForm(node=node, initial=hidden))
            if parent is not None and not any(n.get("required") for n in _subtree(node)):
                row["remove"] = pick(f"remove:{key}", RemoveForm(initial=hidden))
            if node.get("type") == "group" and node.get("combine") in ("mean", "weighted_mean"):
                row["combine"] = pick(
                    f"combine:{key}",
                    CombineForm(initial={**hidden, "combine": node["combine"]}),
                )
            if node.get("type") == "group" and node.get("allow_additions"):
                row["add"] = pick(
                    f"add:{key}", AddCriterionForm(initial={"parent": key, "revision": revision})
                )
        out.append(row)
        for child in node.get("children") or []:
            walk(child, depth + 1, node)

    if isinstance(body.get("root"), dict):
        walk(body["root"], 0, None)
    return out


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _numbers(node: dict[str, Any]) -> dict[str, Any]:
    """A node's numbers as decimals, for the page's format (0,4 in Vietnamese)."""
    scale = node.get("scale") or {}
    rng = node.get("weight_range") or [None, None]
    return {
        "weight": _dec(node.get("weight")),
        "low": _dec(rng[0]),
        "high": _dec(rng[1]),
        "smax": _dec(scale.get("max")),
        "sstep": _dec(scale.get("step")),
    }


def _subtree(node: dict[str, Any]) -> list[dict[str, Any]]:
    out = [node]
    for child in node.get("children") or []:
        out.extend(_subtree(child))
    return out


def _kpis(
    document: dict[str, Any], editable: bool, revision: int, failed: forms.Form | None, slot: str
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    body = document.get("unit") or {}
    root = body.get("root") if isinstance(body, dict) else None
    if not isinstance(root, dict):
        return out
    for group in root.get("children") or []:
        for node in _subtree(group):
            if node.get("type") != "target":
                continue
            key = node["key"]
            row: dict[str, Any] = {"group": group, "node": node, "key": key, **_numbers(node)}
            if editable:
                fresh = UnitKpiForm(node=node, adding=False, initial={"revision": revision})
                row["form"] = failed if failed is not None and slot == f"kpi:{key}" else fresh
                if not node.get("required"):
                    remove = RemoveForm(initial={"key": key, "part": "unit", "revision": revision})
                    row["remove"] = (
                        failed if failed is not None and slot == f"kpi_remove:{key}" else remove
                    )
            out.append(row)
    return out


def _detail_page(
    request: HttpRequest,
    version: FrameworkVersion,
    *,
    failed: forms.Form | None = None,
    slot: str = "",
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    lang = language(request)
    row = FrameworkVersion.objects.select_related("agency", "created_by").get(pk=version.pk)
    agency = row.agency
    assert agency is not None
    today = clock.today()
    is_draft = row.status == S.DRAFT and row.first_used_at is None
    editable = is_draft and may_draft(user, agency)
    adoptable = is_draft and may_adopt(user, agency)
    document = row.document
    fw = engine_framework(row)
    try:
        in_force_row, in_force = framework_for(agency, row.key, today)
    except NotFound:
        in_force_row, in_force = None, None
    if in_force_row is not None and in_force_row.pk == row.pk:
        in_force_row, in_force = None, None
    changes = drafting.draft_diff(fw, in_force)

    def pick(name: str, fresh: forms.Form) -> forms.Form:
        return failed if failed is not None and slot == name else fresh

    revision = {"revision": row.revision}
    rows = _rows(document, editable, row.revision, failed, slot)
    for item in rows:
        node = item["node"]
        item["type_words"] = _words(TYPE_WORDS.get(node.get("type", ""), ("", "")), lang)
    context: dict[str, Any] = {
        "version": row,
        "agency": agency,
        "framework": fw,
        "editable": editable,
        "adoptable": adoptable,
        "is_draft": is_draft,
        "rows": rows,
        "kpis": _kpis(document, editable, row.revision, failed, slot),
        "has_unit": isinstance(document.get("unit"), dict),
        "bands": [
            {"label": _words(RATING_LABELS[b["rating"]], lang), "min": _dec(b["min"])}
            for b in document["rating"]["bands"]
        ],
        "quota": {
            k: _dec(v)
            for k, v in (document.get("quota") or {}).items()
            if k in ("ratio", "max_exception_ratio")
        },
        "changes": [c.message(lang) for c in changes],
        "in_force_row": in_force_row,
        "whatif_url": _whatif_url(row) if is_draft else "",
    }
    if editable:
        context["bands_form"] = pick(
            "bands", BandsForm(bands=document["rating"]["bands"], initial=revision)
        )
        context["quota_form"] = pick(
            "quota", QuotaForm(quota=document.get("quota"), initial=revision)
        )
        if context["has_unit"]:
            context["kpi_add_form"] = pick("kpi_add", UnitKpiForm(initial=revision))
    if adoptable:
        context["adopt_form"] = pick(
            "adopt",
            AdoptForm(initial={**revision, "valid_from": drafting.default_start(today)}),
        )
    return render(request, "web/framework_drafts/draft_detail.html", context, status=status)


@login_required
def draft_detail(request: HttpRequest, version_id: int) -> HttpResponse:
    return _detail_page(request, access_framework_draft(_user(request), version_id))


def _edit_form(request: HttpRequest, version: FrameworkVersion) -> tuple[forms.Form, str]:
    """The posted form and the slot it is shown in again after a refusal."""
    kind = request.POST.get("form", "")
    post = request.POST
    document = version.document
    key = post.get("key", "")
    if kind == "node":
        node = drafting.node_paths(document, "individual").get(key)
        return NodeForm(post, node=node.node if node else {}), f"node:{key}"
    if kind == "combine":
        return CombineForm(post), f"combine:{key}"
    if kind == "remove":
        return RemoveForm(post), (
            f"kpi_remove:{key}" if post.get("part") == "unit" else f"remove:{key}"
        )
    if kind == "add":
        return AddCriterionForm(post), f"add:{post.get('parent', '')}"
    if kind == "bands":
        return BandsForm(post, bands=document["rating"]["bands"]), "bands"
    if kind == "quota":
        return QuotaForm(post, quota=document.get("quota")), "quota"
    if kind == "kpi_add":
        return UnitKpiForm(post), "kpi_add"
    if kind == "kpi_edit":
        node = drafting.node_paths(document, "unit").get(key)
        return UnitKpiForm(post, node=node.node if node else {}, adding=False), f"kpi:{key}"
    raise NotFound("Không rõ biểu mẫu được gửi.", "Unknown form posted.")


@login_required
@require_POST
def draft_edit(request: HttpRequest, version_id: int) -> HttpResponse:
    user = _user(request)
    version = access_framework_draft(user, version_id, "change")
    form, slot = _edit_form(request, version)
    if not form.is_valid():
        return _detail_page(request, version, failed=form, slot=slot, status=400)
    assert hasattr(form, "edits")
    edits = form.edits()
    if not edits:
        messages.info(request, _("Không có thay đổi nào."))
        return redirect("web:fwdraft_detail", version_id=version.pk)
    try:
        drafting.framework_draft_edit(
            actor=user,
            version=version,
            edits=edits,
            expected_revision=form.cleaned_data["revision"],
        )
    except ThuocDoError as error:
        show_refusal(request, form, error)
        return _detail_page(request, version, failed=form, slot=slot, status=error.status)
    messages.success(request, _("Đã lưu thay đổi của bản nháp."))
    return redirect(reverse("web:fwdraft_detail", args=[version.pk]) + "#" + slot.replace(":", "-"))


@login_required
@require_POST
def draft_adopt(request: HttpRequest, version_id: int) -> HttpResponse:
    user = _user(request)
    version = access_framework_draft(user, version_id, "adopt")
    form = AdoptForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, version, failed=form, slot="adopt", status=400)
    data = form.cleaned_data
    try:
        row = drafting.framework_draft_adopt(
            actor=user,
            version=version,
            valid_from=data["valid_from"],
            expected_revision=data["revision"],
            reason=data["reason"],
        )
    except ThuocDoError as error:
        show_refusal(request, form, error)
        return _detail_page(request, version, failed=form, slot="adopt", status=error.status)
    assert row.valid_from is not None
    messages.success(
        request,
        _("Đã ban hành phiên bản %(version)s, áp dụng từ ngày %(day)s.")
        % {"version": row.version, "day": row.valid_from.strftime("%d/%m/%Y")},
    )
    return redirect("web:fwdraft_detail", version_id=row.pk)
