from __future__ import annotations

from typing import Any, TypeVar

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from thuocdo.access import (
    access_person,
    access_unit,
    scope_for,
    visible_assignments,
    visible_audit_entries,
    visible_people,
    visible_units,
)
from thuocdo.audit.verify import altered
from thuocdo.core import clock
from thuocdo.core.errors import AccessDenied
from thuocdo.core.models import User
from thuocdo.org import selectors as org
from thuocdo.org.services import person_join, person_move, unit_create
from thuocdo.reports.audit_chain import chain_checks, start_chain_check
from thuocdo.web.actions import attempt
from thuocdo.web.forms import AuditFilterForm, JoinForm, LoginForm, MoveForm, UnitForm

T = TypeVar("T")


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # Single sign-on beside the form, when the install has it (docs/sso.md); why the
        # last SSO attempt was refused, shown once.
        context["sso_enabled"] = settings.OIDC_ENABLED
        if settings.OIDC_ENABLED:
            from thuocdo.web.sso import take_refusal

            context["sso_refusal"] = take_refusal(self.request)
        return context


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("web:login")


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any database failure means "not healthy"
        return JsonResponse({"status": "error", "database": str(error)[:200]}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    today = clock.today()
    context: dict[str, Any] = {"today": today}
    if scope.person_id is not None:
        person = access_person(request.user, scope.person_id)
        context["person"] = person
        context["my_assignments"] = list(
            org.assignments_on(today).filter(person=person).order_by("is_concurrent")
        )
    if scope.led_paths:
        led = visible_units(request.user).filter(path__in=scope.led_paths)
        context["led_units"] = [
            {"unit": unit, "members": org.unit_members(unit, today, with_subunits=True).count()}
            for unit in led
        ]
    if scope.read_agencies:
        context["agency_units"] = (
            visible_units(request.user)
            .filter(depth=1, agency_id__in=scope.read_agencies)
            .annotate(members=Count("assignments", filter=org.current_q("assignments", today)))
            .order_by("sort_order", "name")
        )
        context["people_count"] = visible_people(request.user).filter(is_active=True).count()
    if scope.auditor_agencies or scope.operator:
        context["recent_audit"] = visible_audit_entries(request.user)[:8]
    return render(request, "web/home.html", context)


@login_required
def unit_list(request: HttpRequest) -> HttpResponse:
    units = visible_units(request.user).order_by("path")
    return render(request, "web/unit_list.html", {"units": units})


@login_required
def unit_detail(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = access_unit(request.user, unit_id)
    today = clock.today()
    members = org.unit_members(unit, today).filter(
        pk__in=visible_assignments(request.user).values("pk")
    )
    children = visible_units(request.user).filter(parent=unit).order_by("sort_order", "name")
    members_sorted = sorted(members, key=lambda a: (org.ROLE_ORDER[a.role], a.person.search_name))
    return render(
        request,
        "web/unit_detail.html",
        {
            "unit": unit,
            "members": members_sorted,
            "children": children,
            "ancestors": unit_ancestors(request, unit),
            "can_configure": scope_for(request.user).configures_agency(unit.agency_id),
        },
    )


def unit_ancestors(request: HttpRequest, unit: Any) -> list[Any]:
    ids = [int(part) for part in unit.path.strip("/").split("/")[:-1]]
    found = {u.pk: u for u in visible_units(request.user).filter(pk__in=ids)}
    return [found[i] for i in ids if i in found]


@login_required
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    person = access_person(request.user, person_id)
    history = (
        visible_assignments(request.user)
        .filter(person=person)
        .select_related("unit", "job_position")
        .order_by("-start_date", "-id")
    )
    can_move = scope_for(request.user).configures_agency(person.agency_id)
    return render(
        request,
        "web/person_detail.html",
        {"person": person, "history": history, "can_move": can_move},
    )


@login_required
@require_http_methods(["GET", "POST"])
def person_move_view(request: HttpRequest, person_id: int) -> HttpResponse:
    person = access_person(request.user, person_id, action="change")
    form = MoveForm(request.POST or None, agency=person.agency)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        moved, _status = attempt(
            request,
            form,
            lambda: person_move(
                actor=request.user,  # type: ignore[arg-type]
                person=person,
                unit=data["unit"],
                start_date=data["start_date"],
                role=data["role"],
                job_position=data["job_position"],
                title=data["title"],
                reason=data["reason"],
            ),
        )
        if moved is not None:
            messages.success(request, _("Đã ghi nhận chuyển công tác."))
            return redirect("web:person_detail", person_id=person.pk)
    return render(request, "web/person_move.html", {"person": person, "form": form})


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    if not (scope.auditor_agencies or scope.operator):
        raise AccessDenied("Trang này dành cho thanh tra, kiểm tra.", "This page is for auditors.")
    entries = visible_audit_entries(request.user).select_related("actor")
    form = AuditFilterForm(request.GET or None)
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            entries = entries.filter(
                Q(object_repr__icontains=data["q"])
                | Q(reason__icontains=data["q"])
                | Q(object_id=data["q"])
            )
        if data["action"]:
            entries = entries.filter(action__startswith=data["action"])
        if data["actor"]:
            entries = entries.filter(
                Q(actor_name__icontains=data["actor"]) | Q(actor__username=data["actor"])
            )
        if data["date_from"]:
            entries = entries.filter(at__date__gte=data["date_from"])
        if data["date_to"]:
            entries = entries.filter(at__date__lte=data["date_to"])
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    actions = sorted(set(visible_audit_entries(request.user).values_list("action", flat=True)))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/audit_log.html",
        {
            "form": form,
            "page": page,
            "actions": actions,
            "query": query.urlencode(),
            # Each shown entry is re-hashed (cheap); the whole chain is walked by a job.
            "altered": altered(page.object_list),
            "checks": chain_checks(request.user),
        },
    )


@require_POST
@login_required
def audit_check(request: HttpRequest) -> HttpResponse:
    """Starts the walk of an agency's audit chain as a job and follows it."""
    raw = request.POST.get("agency", "")
    assert isinstance(request.user, User)  # login_required
    job = start_chain_check(actor=request.user, agency_id=int(raw) if raw.isdigit() else 0)
    return redirect("web:job", job.pk)


@login_required
@require_http_methods(["GET", "POST"])
def unit_join(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = access_unit(request.user, unit_id, action="change")
    form = JoinForm(request.POST or None, unit=unit)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person, _status = attempt(
            request,
            form,
            lambda: person_join(
                actor=request.user,  # type: ignore[arg-type]
                unit=unit,
                code=data["code"],
                full_name=data["full_name"],
                category=data["category"],
                gender=data["gender"],
                birth_date=data["birth_date"],
                email=data["email"],
                job_position=data["job_position"],
                role=data["role"],
                title=data["title"],
                start_date=data["start_date"],
                reason=data["reason"],
            ),
        )
        if person is not None:
            messages.success(request, _("Đã thêm cán bộ vào đơn vị."))
            return redirect("web:person_detail", person_id=person.pk)
    return render(
        request, "web/unit_form.html", {"unit": unit, "form": form, "heading": _("Thêm cán bộ")}
    )


@login_required
@require_http_methods(["GET", "POST"])
def unit_add_child(request: HttpRequest, unit_id: int) -> HttpResponse:
    parent = access_unit(request.user, unit_id, action="change")
    form = UnitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        child, _status = attempt(
            request,
            form,
            lambda: unit_create(
                actor=request.user,  # type: ignore[arg-type]
                parent=parent,
                code=data["code"],
                name=data["name"],
                name_en=data["name_en"],
                kind=data["kind"],
            ),
        )
        if child is not None:
            messages.success(request, _("Đã thêm đơn vị."))
            return redirect("web:unit_detail", unit_id=child.pk)
    return render(
        request,
        "web/unit_form.html",
        {"unit": parent, "form": form, "heading": _("Thêm đơn vị trực thuộc")},
    )
