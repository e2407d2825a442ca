"""Criteria sets per job position (issue 14, point 2): the personnel office keeps each
position's agency-wide set; a unit's head tunes the sets of the unit; everyone in the
agency reads them.

Views only translate: sets come through `access_criteria_set`, versions through
`access_framework_version`, writes through `thuocdo.frameworks.criteria_sets`, whose
refusals (the engine's own messages) are shown next to the field at fault with nothing
changed. POST-redirect-GET; a stale page is refused.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from thuocdo.access import access_framework_version
from thuocdo.access.criteria_sets import (
    access_criteria_set,
    headed_units,
    may_keep_all,
    may_read,
    may_tune,
)
from thuocdo.core import clock
from thuocdo.core.errors import AccessDenied, NotFound, ThuocDoError
from thuocdo.core.models import User
from thuocdo.core.params import id_param
from thuocdo.frameworks import criteria_sets
from thuocdo.frameworks.models import CriteriaSet, FrameworkVersion
from thuocdo.frameworks.refusals import DraftRefused
from thuocdo.frameworks.selectors import engine_framework
from thuocdo.org.models import JobPosition, Unit
from thuocdo.org.selectors import current_q
from thuocdo.web.actions import language, show_refusal
from thuocdo.web.forms_criteria_sets import CriteriaSetForm
from thuocdo.web.framework_reading import read_framework, say

S = FrameworkVersion.Status


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required ran first
    return user


def _base(user: User, version_id: int) -> FrameworkVersion:
    """An agency's version the user may read (criteria sets are built on those)."""
    row = access_framework_version(user, version_id)
    if row.agency_id is None or not may_read(user, row.agency_id):
        raise NotFound(
            "Bộ tiêu chí theo vị trí việc làm được xây dựng trên khung của một cơ quan; "
            "phiên bản này là khung quốc gia.",
            "Criteria sets are built on an agency's framework; this version is national.",
        )
    return row


def _title(base: FrameworkVersion) -> str:
    """The version's title in the page's language."""
    fw = engine_framework(base)
    return say((fw.title_vi, fw.title_en))


def _units_for(user: User, agency_id: int) -> list[Unit]:
    """The units whose sets the user writes (all of the agency's for its office)."""
    if may_keep_all(user, agency_id):
        return list(Unit.objects.filter(agency_id=agency_id, parent__isnull=False).order_by("path"))
    return headed_units(user, agency_id)


def _positions(agency_id: int, units: list[Unit] | None = None) -> list[JobPosition]:
    rows = JobPosition.objects.filter(agency_id=agency_id, is_active=True)
    if units is not None:  # a unit head: the positions of the units, and those held there
        below, held = Q(pk__in=[]), Q(pk__in=[])
        for unit in units:
            below |= Q(unit__path__startswith=unit.path)
            held |= Q(assignments__unit__path__startswith=unit.path)
        rows = rows.filter(below | (held & current_q("assignments", clock.today()))).distinct()
    return list(rows.order_by("sort_order", "name"))


@login_required
@require_GET
def set_list(request: HttpRequest, version_id: int) -> HttpResponse:
    user = _user(request)
    base = _base(user, version_id)
    assert base.agency_id is not None
    keeps_all = may_keep_all(user, base.agency_id)
    units = _units_for(user, base.agency_id)
    sets = list(
        CriteriaSet.objects.filter(base=base)
        .select_related("job_position", "unit")
        .order_by("job_position__sort_order", "job_position__name", "unit__path")
    )
    tuned = {u.pk for u in units}  # a unit head's units (one read, not one per set)
    writable = base.status != S.RETIRED and (keeps_all or bool(units))
    return render(
        request,
        "web/criteria_sets/list.html",
        {
            "base": base,
            "base_title": _title(base),
            "sets": [(s, keeps_all or s.unit_id in tuned) for s in sets],
            "writable": writable,
            "keeps_all": keeps_all,
            "units": units,
            "positions": _positions(base.agency_id, None if keeps_all else units),
        },
    )


def _place(
    request: HttpRequest, user: User, base: FrameworkVersion
) -> tuple[JobPosition, Unit | None]:
    """The position and unit named by ``job`` and ``unit`` (empty: agency-wide)."""
    data = request.POST if request.method == "POST" else request.GET
    assert base.agency_id is not None
    job = JobPosition.objects.filter(
        pk=id_param(data.get("job")) or 0, agency_id=base.agency_id
    ).first()
    if job is None:
        raise NotFound(
            f"Không tìm thấy vị trí việc làm #{data.get('job')} của cơ quan.",
            f"Job position #{data.get('job')} of the agency was not found.",
        )
    unit = None
    if data.get("unit"):
        unit = Unit.objects.filter(
            pk=id_param(data.get("unit")) or 0, agency_id=base.agency_id
        ).first()
        if unit is None:
            raise NotFound(
                f"Không tìm thấy đơn vị #{data.get('unit')} của cơ quan.",
                f"Unit #{data.get('unit')} of the agency was not found.",
            )
    if not may_tune(user, base.agency_id, unit):
        raise AccessDenied(
            "Bạn không có quyền điều chỉnh bộ tiêu chí này: trưởng đơn vị điều chỉnh bộ của "
            "đơn vị mình, bộ phận tổ chức cán bộ giữ bộ chung của cơ quan.",
            "You may not tune this criteria set: a unit's head tunes the unit's sets, the "
            "personnel office keeps the agency-wide ones.",
        )
    return job, unit


def _starting_spec(
    row: CriteriaSet | None, base: FrameworkVersion, job: JobPosition, unit: Unit | None
) -> dict[str, Any]:
    """What the form starts from: the set itself; for a unit's new set, the agency-wide
    set of the position (the unit tunes from there); else nothing changed."""
    if row is not None:
        return row.spec()
    if unit is not None:
        shared = CriteriaSet.objects.filter(base=base, job_position=job, unit=None).first()
        if shared is not None:
            return shared.spec()
    return {"weights": {}, "remove": [], "add": []}


def _edit_page(
    request: HttpRequest,
    base: FrameworkVersion,
    job: JobPosition,
    unit: Unit | None,
    row: CriteriaSet | None,
    form: CriteriaSetForm,
    status: int = 200,
) -> HttpResponse:
    reading = None
    spec = row.spec() if row is not None else None
    if spec is not None:
        try:
            reading = read_framework(criteria_sets.derived_framework(base, job, unit, spec))
        except DraftRefused:
            reading = None
    return render(
        request,
        "web/criteria_sets/edit.html",
        {
            "base": base,
            "base_title": _title(base),
            "job": job,
            "unit": unit,
            "row": row,
            "form": form,
            "reading": reading,
            "editable": base.status != S.RETIRED,
            "query": urlencode({"job": job.pk, "unit": unit.pk if unit else ""}),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def set_edit(request: HttpRequest, version_id: int) -> HttpResponse:
    user = _user(request)
    base = _base(user, version_id)
    job, unit = _place(request, user, base)
    row = CriteriaSet.objects.filter(base=base, job_position=job, unit=unit).first()
    spec = _starting_spec(row, base, job, unit)
    if request.method == "GET":
        form = CriteriaSetForm(
            document=base.document,
            spec=spec,
            initial={"revision": row.revision if row else None},
        )
        return _edit_page(request, base, job, unit, row, form)
    form = CriteriaSetForm(request.POST, document=base.document, spec=spec)
    if not form.is_valid():
        return _edit_page(request, base, job, unit, row, form, status=400)
    try:
        saved = criteria_sets.criteria_set_save(
            actor=user,
            base=base,
            job_position=job,
            unit=unit,
            **form.tuning(),
            expected_revision=form.cleaned_data["revision"],
            reason=form.cleaned_data["reason"],
        )
    except ThuocDoError as error:
        show_refusal(request, form, error)
        return _edit_page(request, base, job, unit, row, form, status=error.status)
    messages.success(
        request,
        _("Đã lưu bộ tiêu chí của vị trí “%(job)s”.") % {"job": saved.job_position.name},
    )
    query = urlencode({"job": job.pk, "unit": unit.pk if unit else ""})
    return redirect(reverse("web:criteria_set_edit", args=[base.pk]) + "?" + query)


@login_required
@require_POST
def set_delete(request: HttpRequest, set_id: int) -> HttpResponse:
    user = _user(request)
    row = access_criteria_set(user, set_id, "change")
    try:
        criteria_sets.criteria_set_delete(
            actor=user,
            criteria_set=row,
            expected_revision=id_param(request.POST.get("revision")) or 0,
            reason=(request.POST.get("reason") or "")[:500],
        )
    except ThuocDoError as error:
        messages.error(request, error.message_en if language(request) == "en" else error.message_vi)
        query = urlencode({"job": row.job_position_id, "unit": row.unit_id or ""})
        return redirect(reverse("web:criteria_set_edit", args=[row.base_id]) + "?" + query)
    messages.success(
        request,
        _("Đã bỏ bộ tiêu chí của vị trí “%(job)s”: vị trí này dùng bộ chung hoặc khung.")
        % {"job": row.job_position.name},
    )
    return redirect("web:criteria_set_list", version_id=row.base_id)


@login_required
@require_GET
def set_detail(request: HttpRequest, set_id: int) -> HttpResponse:
    """The framework a position's officials are scored with, read like any framework."""
    user = _user(request)
    row = access_criteria_set(user, set_id)
    try:
        fw = criteria_sets.derived_framework(row.base, row.job_position, row.unit, row.spec())
    except DraftRefused as refusal:
        messages.error(request, refusal.errors[0].message(language(request)))
        return redirect("web:criteria_set_list", version_id=row.base_id)
    return render(
        request,
        "web/criteria_sets/detail.html",
        {"row": row, "reading": read_framework(fw), "fw": fw, "base_title": _title(row.base)},
    )
