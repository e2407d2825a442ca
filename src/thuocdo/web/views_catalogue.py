"""Product catalogue and plan pages: the catalogues with their versions and product types,
the lifecycle (propose → standardise → decide), the units' plans and the tasks serving
each plan item.

Views only translate. Every catalogue comes through `access_catalogue`, every plan through
`access_plan`, every list through `visible_*`; every write through a work service, whose
refusal becomes a form error with its own message (nothing changed). What the page offers
mirrors the services' roles, but the service decides.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dates import MONTHS
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from thuocdo.access import (
    Scope,
    access_catalogue,
    access_plan,
    scope_for,
    visible_catalogues,
    visible_plans,
    visible_tasks,
)
from thuocdo.core import clock
from thuocdo.core.errors import AccessDenied, NotFound
from thuocdo.core.models import User
from thuocdo.org.models import Person, Unit
from thuocdo.web.actions import attempt
from thuocdo.web.forms_catalogue import (
    PlanForm,
    PlanItemForm,
    ProductTypeEditForm,
    ProductTypeForm,
    ProposeForm,
    StepForm,
)
from thuocdo.web.forms_work import PlanMonthForm
from thuocdo.work import rules, services
from thuocdo.work.models import CatalogueVersion, Plan, PlanItem, ProductCatalogue, ProductType
from thuocdo.work.selectors import (
    OWNER_PENDING,
    plan_items_in_month,
    plan_month_counts,
    product_types_in_force,
    urgent_first,
)

V = CatalogueVersion.Status


def _viewer(request: HttpRequest) -> tuple[User, Scope]:
    user = request.user
    assert isinstance(user, User)  # login_required ran first
    return user, scope_for(user)


# --- product catalogues -------------------------------------------------------------------------


def _powers(user: User, catalogue: ProductCatalogue) -> dict[str, bool]:
    """The lifecycle steps this viewer's roles allow (the same checks the services make)."""
    agency = catalogue.agency
    today = clock.today()
    person = Person.objects.filter(user=user, is_active=True).first()
    personnel = rules.is_personnel(user, agency, today)
    leader = person is not None and rules.leads_any_unit(person, agency, today)
    return {
        "propose": leader,
        "edit": leader or personnel,
        "standardise": personnel,
        "decide": person is not None and rules.heads_agency(person, agency, today),
    }


def _version(user: User, version_id: int) -> CatalogueVersion:
    """A version, seen through its catalogue's view rights."""
    catalogue_id = (
        CatalogueVersion.objects.filter(pk=version_id)
        .values_list("catalogue_id", flat=True)
        .first()
    )
    if catalogue_id is None:
        raise NotFound(
            f"Không tìm thấy phiên bản danh mục #{version_id}.",
            f"Catalogue version #{version_id} was not found.",
        )
    catalogue = access_catalogue(user, catalogue_id)
    version = CatalogueVersion.objects.get(pk=version_id)
    version.catalogue = catalogue
    return version


def _product(user: User, product_id: int, *, action: str = "view") -> ProductType:
    product = ProductType.objects.filter(pk=product_id).select_related("version").first()
    if product is None:
        raise NotFound(
            f"Không tìm thấy loại sản phẩm #{product_id}.",
            f"Product type #{product_id} was not found.",
        )
    product.version.catalogue = access_catalogue(
        user,
        product.version.catalogue_id,
        action="change" if action == "change" else "view",
    )
    return product


@login_required
def catalogue_list(request: HttpRequest) -> HttpResponse:
    user, _scope = _viewer(request)
    catalogues = list(
        visible_catalogues(user)
        .select_related("agency", "job_position")
        .prefetch_related(
            Prefetch("versions", queryset=CatalogueVersion.objects.order_by("-number"))
        )
        .annotate(
            n_versions=Count("versions", distinct=True),
            n_pending=Count("versions", filter=~Q(versions__status=V.DECIDED), distinct=True),
        )
        .order_by("agency__path", "job_position__code", "name", "id")
    )
    for catalogue in catalogues:
        versions = list(catalogue.versions.all())
        catalogue.latest = versions[0] if versions else None  # type: ignore[attr-defined]
        catalogue.in_force = next(  # type: ignore[attr-defined]
            (v for v in versions if v.status == V.DECIDED), None
        )
    return render(request, "web/catalogue/catalogue_list.html", {"catalogues": catalogues})


def _catalogue_page(
    request: HttpRequest,
    catalogue: ProductCatalogue,
    *,
    status: int = 200,
    failed: forms.Form | None = None,
    slot: str = "",
) -> HttpResponse:
    """The catalogue page. After a refused write, `failed` is shown in `slot` with its errors."""
    user, _scope = _viewer(request)
    catalogue = ProductCatalogue.objects.select_related("agency", "job_position").get(
        pk=catalogue.pk
    )
    can = _powers(user, catalogue)
    versions = list(
        catalogue.versions.select_related(
            "proposed_by__person", "standardised_by__person", "decided_by__person"
        )
        .prefetch_related(
            Prefetch("product_types", queryset=ProductType.objects.order_by("sort_order", "code"))
        )
        .order_by("-number")
    )
    for version in versions:
        open_ = version.status != V.DECIDED
        version.editable = open_ and can["edit"]  # type: ignore[attr-defined]
        version.add_form = (  # type: ignore[attr-defined]
            (failed if slot == f"add:{version.pk}" else ProductTypeForm())
            if version.editable  # type: ignore[attr-defined]
            else None
        )
        version.standardise_form = (  # type: ignore[attr-defined]
            (failed if slot == f"standardise:{version.pk}" else StepForm())
            if can["standardise"] and version.status == V.PROPOSED
            else None
        )
        version.decide_form = (  # type: ignore[attr-defined]
            (failed if slot == f"decide:{version.pk}" else StepForm())
            if can["decide"] and version.status == V.STANDARDISED
            else None
        )
    propose_form = None
    if can["propose"]:
        propose_form = (
            failed if slot == "propose" else ProposeForm(initial={"copy_from_latest": True})
        )
    return render(
        request,
        "web/catalogue/catalogue_detail.html",
        {
            "catalogue": catalogue,
            "versions": versions,
            "can": can,
            "propose_form": propose_form,
            "failed": failed,
        },
        status=status,
    )


@login_required
def catalogue_detail(request: HttpRequest, catalogue_id: int) -> HttpResponse:
    user, _scope = _viewer(request)
    return _catalogue_page(request, access_catalogue(user, catalogue_id))


@login_required
@require_POST
def catalogue_propose(request: HttpRequest, catalogue_id: int) -> HttpResponse:
    user, _scope = _viewer(request)
    catalogue = access_catalogue(user, catalogue_id)
    form = ProposeForm(request.POST)
    if not form.is_valid():
        return _catalogue_page(request, catalogue, status=400, failed=form, slot="propose")
    data = form.cleaned_data
    version, status = attempt(
        request,
        form,
        lambda: services.catalogue_version_propose(
            actor=user,
            catalogue=catalogue,
            note=data["note"],
            copy_from_latest=data["copy_from_latest"],
        ),
    )
    if version is None:
        return _catalogue_page(request, catalogue, status=status, failed=form, slot="propose")
    messages.success(request, _("Đã đề xuất phiên bản %(n)s.") % {"n": version.number})
    return redirect("web:work_catalogue", catalogue_id=catalogue.pk)


@login_required
@require_POST
def product_add(request: HttpRequest, version_id: int) -> HttpResponse:
    user, _scope = _viewer(request)
    version = _version(user, version_id)
    form = ProductTypeForm(request.POST)
    slot = f"add:{version.pk}"
    if not form.is_valid():
        return _catalogue_page(request, version.catalogue, status=400, failed=form, slot=slot)
    data = form.cleaned_data
    product, status = attempt(
        request,
        form,
        lambda: services.product_type_add(
            actor=user,
            version=version,
            code=data["code"],
            name=data["name"],
            unit_of_measure=data["unit_of_measure"],
            coefficient=data["coefficient"],
            complexity_group=data["complexity_group"],
            sort_order=data["sort_order"] or 0,
        ),
    )
    if product is None:
        return _catalogue_page(request, version.catalogue, status=status, failed=form, slot=slot)
    messages.success(
        request,
        _("Đã thêm sản phẩm “%(code)s — %(name)s” vào phiên bản %(n)s.")
        % {"code": product.code, "name": product.name, "n": version.number},
    )
    return redirect("web:work_catalogue", catalogue_id=version.catalogue_id)


@login_required
@require_http_methods(["GET", "POST"])
def product_edit(request: HttpRequest, product_id: int) -> HttpResponse:
    user, _scope = _viewer(request)
    product = _product(user, product_id, action="change")
    version = product.version
    form = ProductTypeEditForm(request.POST) if request.method == "POST" else None
    status = 200
    if form is not None:
        if form.is_valid():
            changes = form.change_set()
            reason = form.cleaned_data["reason"] or ""
            updated, status = attempt(
                request,
                form,
                lambda: services.product_type_update(
                    actor=user, product_type=product, reason=reason, **changes
                ),
            )
            if updated is not None:
                messages.success(request, _("Đã sửa sản phẩm “%(code)s”.") % {"code": updated.code})
                return redirect("web:work_catalogue", catalogue_id=version.catalogue_id)
        else:
            status = 400
    elif version.status != V.DECIDED:
        form = ProductTypeEditForm.of(product)
    return render(
        request,
        "web/catalogue/product_edit.html",
        {"product": product, "version": version, "catalogue": version.catalogue, "form": form},
        status=status,
    )


def _step(request: HttpRequest, version_id: int, step: str) -> HttpResponse:
    user, _scope = _viewer(request)
    version = _version(user, version_id)
    form = StepForm(request.POST)
    slot = f"{step}:{version.pk}"
    if not form.is_valid():
        return _catalogue_page(request, version.catalogue, status=400, failed=form, slot=slot)
    service = (
        services.catalogue_version_standardise
        if step == "standardise"
        else services.catalogue_version_decide
    )
    done, status = attempt(
        request, form, lambda: service(actor=user, version=version, note=form.cleaned_data["note"])
    )
    if done is None:
        return _catalogue_page(request, version.catalogue, status=status, failed=form, slot=slot)
    text = (
        _("Đã chuẩn hoá phiên bản %(n)s.")
        if step == "standardise"
        else _("Đã quyết định phiên bản %(n)s; từ nay phiên bản này không sửa được.")
    )
    messages.success(request, text % {"n": done.number})
    return redirect("web:work_catalogue", catalogue_id=version.catalogue_id)


@login_required
@require_POST
def version_standardise(request: HttpRequest, version_id: int) -> HttpResponse:
    return _step(request, version_id, "standardise")


@login_required
@require_POST
def version_decide(request: HttpRequest, version_id: int) -> HttpResponse:
    return _step(request, version_id, "decide")


# --- plans ----------------------------------------------------------------------------------------


def _led_units(scope: Scope) -> Any:
    query = Q(pk__in=[])
    for path in scope.led_paths:
        query |= Q(path__startswith=path)
    return Unit.objects.filter(query).order_by("path")


def _may_change_plan(scope: Scope, plan: Plan) -> bool:
    """Mirrors `access_plan(…, change)`: the unit's leaders (or above) and personnel."""
    return scope.leads_path(plan.unit.path) or plan.unit.agency_id in scope.personnel_agencies


@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    user, scope = _viewer(request)
    plans = (
        visible_plans(user)
        .select_related("unit")
        .annotate(n_items=Count("items", distinct=True))
        .order_by("-year", "unit__path", "id")
    )
    return render(
        request,
        "web/catalogue/plan_list.html",
        {"plans": plans, "may_create": scope.is_unit_leader and scope.person_id is not None},
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_new(request: HttpRequest) -> HttpResponse:
    user, scope = _viewer(request)
    if not scope.is_unit_leader or scope.person_id is None:
        raise AccessDenied(
            "Lập kế hoạch công tác dành cho lãnh đạo đơn vị.",
            "Drawing up a work plan is for unit leaders.",
        )
    units = _led_units(scope)
    initial = {"year": clock.today().year}
    if units.count() == 1:
        initial["unit"] = units.first()
    form = PlanForm(request.POST or None, units=units, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            plan, status = attempt(
                request,
                form,
                lambda: services.plan_create(
                    actor=user,
                    unit=data["unit"],
                    year=data["year"],
                    title=data["title"],
                    note=data["note"],
                ),
            )
            if plan is not None:
                messages.success(request, _("Đã lập kế hoạch “%(title)s”.") % {"title": plan.title})
                return redirect("web:work_plan", plan_id=plan.pk)
        else:
            status = 400
    return render(request, "web/catalogue/plan_form.html", {"form": form}, status=status)


def _item_form(plan: Plan, data: Any = None, *, month: int | None = None) -> PlanItemForm:
    products = product_types_in_force(plan.unit.agency or plan.unit).order_by("sort_order", "code")
    initial = {"frequency": PlanItem.Frequency.MONTH, "period_number": month}
    return PlanItemForm(data, products=products, initial=initial)


# Overdue tasks an item shows above its folded list (the list has them all, first).
LATE_IN_VIEW = 5


def _month_label(month: int, year: int) -> str:
    return _("%(month)s năm %(year)s") % {"month": MONTHS[month], "year": year}


def _default_month(plan: Plan, today: dt.date, counts: dict[int, int]) -> int:
    """This month in the plan's year; for another year's plan, the month with items
    nearest to today (the last one of a past plan, the first one of a future plan)."""
    if plan.year == today.year:
        return today.month
    filled = [m for m, n in counts.items() if n] or [1, 12]
    return max(filled) if plan.year < today.year else min(filled)


def _plan_month(request: HttpRequest, plan: Plan, today: dt.date) -> dict[str, Any]:
    """The month shown and its switcher: neighbours, the months with items and their counts,
    links that keep every other query parameter. A bad `?month=` falls back with a note."""
    counts = plan_month_counts(plan)
    form = PlanMonthForm(request.GET, year=plan.year)
    month = form.cleaned_data["month"] if form.is_valid() else None
    notice = "" if form.is_valid() else form.errors["month"][0]
    if month is None:
        month = _default_month(plan, today, counts)
    keep = request.GET.copy()
    keep.pop("month", None)

    def link(number: int) -> dict[str, Any]:
        query = keep.copy()
        query["month"] = f"{plan.year}-{number:02d}"
        return {
            "number": number,
            "value": query["month"],
            "href": f"?{query.urlencode()}",
            "label": _month_label(number, plan.year),
            "n": counts[number],
        }

    choices = [link(m) for m in range(1, 13) if counts[m] or m == month]
    return {
        "current": link(month),
        "previous": link(month - 1) if month > 1 else None,
        "next": link(month + 1) if month < 12 else None,
        "choices": choices,
        "total": plan.items.count(),
        "keep": [(key, value) for key in keep for value in keep.getlist(key)],
        "notice": notice,
    }


def _plan_page(
    request: HttpRequest, plan: Plan, *, status: int = 200, failed: PlanItemForm | None = None
) -> HttpResponse:
    """A plan one month at a time: its items of the month (a quarter's items in each of its
    months), each with its tasks — overdue ones in view, the full list folded away."""
    user, scope = _viewer(request)
    today = clock.today()
    switcher = _plan_month(request, plan, today)
    month = switcher["current"]["number"]
    tasks = urgent_first(
        visible_tasks(user).filter(plan_item__plan=plan).select_related("owner"), today=today
    )
    items = list(
        plan.items.filter(plan_items_in_month(month))
        .select_related("product_type")
        .prefetch_related(Prefetch("tasks", queryset=tasks, to_attr="visible"))
        .order_by("frequency", "period_number", "sort_order", "id")
    )
    for item in items:
        for task in item.visible:
            task.overdue = (  # type: ignore[attr-defined]
                task.state in OWNER_PENDING and task.effective_deadline < today
            )
        item.n_tasks = len(item.visible)  # type: ignore[attr-defined]
        item.n_accepted = sum(t.state == "accepted" for t in item.visible)  # type: ignore[attr-defined]
        late = [t for t in item.visible if t.overdue]  # type: ignore[attr-defined]
        item.n_late = len(late)  # type: ignore[attr-defined]
        item.late = late[:LATE_IN_VIEW]  # type: ignore[attr-defined]
    item_form = failed if failed is not None else None
    if item_form is None and _may_change_plan(scope, plan):
        item_form = _item_form(plan, month=month)
    return render(
        request,
        "web/catalogue/plan_detail.html",
        {
            "plan": plan,
            "items": items,
            "item_form": item_form,
            "failed": failed,
            "switcher": switcher,
        },
        status=status,
    )


@login_required
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    user, _scope = _viewer(request)
    return _plan_page(request, access_plan(user, plan_id))


@login_required
@require_POST
def plan_item_add(request: HttpRequest, plan_id: int) -> HttpResponse:
    user, _scope = _viewer(request)
    plan = access_plan(user, plan_id)
    form = _item_form(plan, request.POST)
    if not form.is_valid():
        return _plan_page(request, plan, status=400, failed=form)
    data = form.cleaned_data
    item, status = attempt(
        request,
        form,
        lambda: services.plan_item_add(
            actor=user,
            plan=plan,
            title=data["title"],
            frequency=data["frequency"],
            period_number=data["period_number"],
            product_type=data["product_type"],
            target_quantity=data["target_quantity"],
            sort_order=data["sort_order"] or 0,
        ),
    )
    if item is None:
        return _plan_page(request, plan, status=status, failed=form)
    messages.success(request, _("Đã thêm nội dung “%(title)s”.") % {"title": item.title})
    # Back on the month where the new item shows (a quarter's first month).
    first = item.period_number if item.frequency == "month" else 3 * item.period_number - 2
    target = reverse("web:work_plan", args=[plan.pk])
    return redirect(f"{target}?month={plan.year}-{first:02d}")
