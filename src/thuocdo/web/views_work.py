"""Work pages: My work with the live KPI, assigning, the unit board, the review queue and
the task page.

Views only translate. Every task comes through `access_task` (view rights: the service
then checks the role of the step, so a refused step shows the workflow's own message),
every list through `visible_*` / `reviewable_*`, every write through a work service with
the `expected_version` the page was rendered with.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from thuocdo.access import (
    Scope,
    access_exemption,
    access_person,
    access_task,
    reviewable_tasks,
    scope_for,
    visible_exemptions,
    visible_people,
    visible_plans,
    visible_tasks,
)
from thuocdo.core import clock
from thuocdo.core.errors import AccessDenied, Conflict
from thuocdo.core.models import User
from thuocdo.core.numbers import text_for as _num
from thuocdo.core.params import id_param
from thuocdo.core.text import fold
from thuocdo.frameworks.selectors import framework_in_force
from thuocdo.org.models import Assignment, Person
from thuocdo.org.selectors import current
from thuocdo.scoring import Framework, InputError, TaskLine, render_text
from thuocdo.scoring.inputs import task_contribution
from thuocdo.scoring.numbers import fmt_decimal, fmt_percent, fmt_points
from thuocdo.web.actions import attempt, language
from thuocdo.web.breakdown import shown_tree
from thuocdo.web.forms_work import (
    AssignForm,
    ExemptionDecideForm,
    ExemptionRequestForm,
    ExplainForm,
    ExtendForm,
    TaskFilterForm,
    TransitionForm,
)
from thuocdo.work import services
from thuocdo.work.live import part_keys
from thuocdo.work.models import Exemption, PlanItem, Task, TaskEvent
from thuocdo.work.selectors import (
    OWNER_PENDING,
    SOON_DAYS,
    DateRange,
    live_kpi,
    product_types_in_force,
    task_audit_entries,
    task_events,
    task_lines,
    urgent_first,
)
from thuocdo.work.transitions import ACTIONS, OPEN_STATES, TRANSITIONS

T = TypeVar("T")
S = Task.State

AWAITING_REVIEW = (S.SUBMITTED, S.RESUBMITTED)
CLOSED = (S.ACCEPTED, S.HANDED_BACK, S.CANCELLED)
PAGE_SIZE = 50
# The board shows a glance per column (the most urgent work), then links to its paged
# table; the people table is paged too, an agency's head leading every unit in it. Sized
# so that a page stays a few screens long on a phone, where the columns stack.
BOARD_COLUMN_LIMIT = 6
BOARD_PAGE_SIZE = 25
PEOPLE_PAGE_SIZE = 15


# --- small helpers ----------------------------------------------------------------------------


def _viewer(request: HttpRequest) -> tuple[User, Scope]:
    user = request.user
    assert isinstance(user, User)  # login_required ran first
    return user, scope_for(user)


def _me(request: HttpRequest) -> Person:
    user, scope = _viewer(request)
    if scope.person_id is None:
        raise AccessDenied(
            "Tài khoản này không gắn với cán bộ nào nên không có việc được giao.",
            "This login is not linked to an official, so it has no assigned work.",
        )
    return access_person(user, scope.person_id)


def _require_leader(scope: Scope, what_vi: str, what_en: str) -> None:
    if not scope.is_unit_leader or scope.person_id is None:
        raise AccessDenied(
            f"{what_vi} dành cho lãnh đạo đơn vị.", f"{what_en} is for unit leaders."
        )


def _led(scope: Scope, field: str) -> Q:
    query = Q(pk__in=[])
    for path in scope.led_paths:
        query |= Q(**{f"{field}__startswith": path})
    return query


def _qty(value: Decimal | None, lang: str) -> str:
    if value is None:
        return "—"
    text = f"{value.normalize():f}"
    return _num(text, lang)


def _week(today: dt.date) -> tuple[dt.date, dt.date]:
    monday = today - dt.timedelta(days=today.weekday())
    return monday, monday + dt.timedelta(days=6)


def _safe_next(request: HttpRequest, target: str | None, fallback: str) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _query_without(request: HttpRequest, *names: str) -> str:
    """The page's query string less `names`, ready for `?{{ query }}&name=…` links."""
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def _filter_tasks(tasks: QuerySet[Task], form: TaskFilterForm, today: dt.date) -> QuerySet[Task]:
    if not form.is_valid():
        return tasks
    data = form.cleaned_data
    if data["state"] == "open":
        tasks = tasks.filter(state__in=OPEN_STATES)
    elif data["state"]:
        tasks = tasks.filter(state=data["state"])
    if data["kind"]:
        tasks = tasks.filter(kind=data["kind"])
    if data["due"] == "overdue":
        tasks = tasks.filter(state__in=OWNER_PENDING, effective_deadline__lt=today)
    elif data["due"] == "week":
        tasks = tasks.filter(
            state__in=OWNER_PENDING, effective_deadline__range=(today, _week(today)[1])
        )
    if data.get("owner"):
        tasks = tasks.filter(owner=data["owner"])
    needle = fold(data["q"] or "")
    if needle:  # the folded title kept beside it (`Task.search_title`), in SQL
        tasks = tasks.filter(search_title__contains=needle)
    return tasks


def _annotate_due(tasks: Iterable[Task], today: dt.date) -> None:
    """Adds `due_badge` (overdue | today | soon | "") and `due_days` to each task."""
    for task in tasks:
        days = (task.effective_deadline - today).days
        badge = ""
        if task.state in OWNER_PENDING:
            if days < 0:
                badge = "overdue"
            elif days == 0:
                badge = "today"
            elif days <= SOON_DAYS:
                badge = "soon"
        task.due_badge = badge  # type: ignore[attr-defined]
        task.due_days = abs(days)  # type: ignore[attr-defined]


def _allowed(task: Task, *, owner: bool, reviewer: bool, lang: str) -> list[dict[str, Any]]:
    """The steps of the transition table this viewer may take on the task now."""
    steps = []
    for (state, code), new_state in TRANSITIONS.items():
        spec = ACTIONS[code]
        mine = (spec.who == "owner" and owner) or (spec.who == "reviewer" and reviewer)
        if state == task.state and mine:
            steps.append(
                {
                    "code": code,
                    "label": _action_label(code, lang),
                    "who": spec.who,
                    "needs_reason": spec.needs_reason,
                    "to": S(new_state).label,
                }
            )
    return steps


# --- live KPI -------------------------------------------------------------------------------


def _live(person: Person, today: dt.date, lang: str) -> dict[str, Any]:
    """The running task points of the month: a, b, c, the points and their breakdown.

    The general criteria (30 points) are scored at the evaluation, so only the task
    results part is shown; `general_points=0` keeps the engine from asking for them.
    Scored with the framework in force for the person's agency in the month (the one its
    evaluation of the month uses), named on the panel.
    """
    period = DateRange.month(today.year, today.month)
    in_force = framework_in_force(person.agency_id, period.end)
    fw: Framework = in_force.framework
    panel: dict[str, Any] = {
        "period": period,
        "as_of": today,
        "fw": fw,
        "framework": in_force.title(lang),
    }
    vi = lang.startswith("vi")
    try:
        result = live_kpi(person=person, period=period, framework=fw, general_points=0, as_of=today)
    except InputError as error:
        panel["issues"] = [i.message_vi if vi else i.message_en for i in error.issues]
        return panel
    node = result.breakdown.find("task_results") if result.breakdown else None
    if result.status != "scored" or node is None:
        panel["reason"] = _num(result.reason_vi if vi else result.reason_en, lang)
        return panel
    for name, key in zip(("a", "b", "c"), part_keys(fw), strict=True):
        part = node.find(key) if key else None
        panel[name] = (
            _num(fmt_percent(part.ratio), lang) if part and part.ratio is not None else "—"
        )
    panel["points"] = _num(fmt_points(node.points), lang) if node.points is not None else "—"
    panel["max"] = _num(fmt_decimal(node.max_points), lang) if node.max_points else ""
    panel["tree"] = shown_tree(node.as_dict(), lang)
    panel["text"] = render_text(node, lang="vi" if vi else "en")
    panel["result"] = result
    return panel


# --- My work ----------------------------------------------------------------------------------


@login_required
def my_work(request: HttpRequest) -> HttpResponse:
    user, _scope = _viewer(request)
    me = _me(request)
    today = clock.today()
    form = TaskFilterForm(request.GET or None)
    mine = visible_tasks(user).filter(owner=me)
    tasks = _filter_tasks(mine, form, today).select_related("unit", "assigner", "product_type")
    # Overdue and due-soon work first, then the newest: a new task is on page 1.
    page = Paginator(urgent_first(tasks, today=today), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    _annotate_due(rows, today)
    lang = language(request)
    for task in rows:
        task.quick = _allowed(task, owner=True, reviewer=False, lang=lang)  # type: ignore[attr-defined]
    week_end = _week(today)[1]
    summary = mine.aggregate(
        open=Count("pk", filter=Q(state__in=OPEN_STATES)),
        overdue=Count("pk", filter=Q(state__in=OWNER_PENDING, effective_deadline__lt=today)),
        week=Count(
            "pk", filter=Q(state__in=OWNER_PENDING, effective_deadline__range=(today, week_end))
        ),
        waiting=Count("pk", filter=Q(state__in=AWAITING_REVIEW)),
    )
    collaborating = (
        visible_tasks(user)
        .filter(collaborators=me, state__in=OPEN_STATES)
        .select_related("owner")
        .order_by("effective_deadline", "id")[:20]
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/work/my_work.html",
        {
            "me": me,
            "form": form,
            "page": page,
            "rows": rows,
            "summary": summary,
            "collaborating": collaborating,
            "live": _live(me, today, lang),
            "query": query.urlencode(),
            "here": request.get_full_path(),
            "today": today,
        },
    )


@login_required
def my_kpi(request: HttpRequest) -> HttpResponse:
    """Vì sao? The live task points in full: the tree, its text and each task's share."""
    me = _me(request)
    today = clock.today()
    lang = language(request)
    live = _live(me, today, lang)
    framework: Framework = live["fw"]  # the one the points above were scored with
    lines: list[TaskLine] = task_lines(me, live["period"], as_of=today)
    shares = []
    for line in lines:
        share = task_contribution(framework.settings, line)
        shares.append(
            {
                "id": line.key,
                "title": line.title,
                "kind": Task.Kind(line.kind).label,
                "extra": bool(line.extra),
                "w": _num(fmt_decimal(share.w), lang),
                "done": _num(fmt_decimal(share.done), lang),
                "q": _num(fmt_percent(share.q), lang),
                "t": _num(fmt_percent(share.t), lang),
                "f": share.counted_failures,
                "l": share.counted_delays,
            }
        )
    return render(request, "web/work/my_kpi.html", {"me": me, "live": live, "shares": shares})


# --- assigning --------------------------------------------------------------------------------


def _assign_form(request: HttpRequest, data: Any, initial: dict[str, Any]) -> AssignForm:
    user, scope = _viewer(request)
    me = _me(request)
    today = clock.today()
    members = Assignment.objects.filter(current(today)).filter(_led(scope, "unit__path"))
    owners = (
        visible_people(user)
        .filter(is_active=True, pk__in=members.values("person_id"))
        .exclude(pk=me.pk)
        .order_by("search_name", "id")
    )
    colleagues = (
        visible_people(user).filter(is_active=True, agency_id=me.agency_id).order_by("search_name")
    )
    plan_items = (
        PlanItem.objects.filter(
            plan__in=visible_plans(user),
            plan__unit__agency_id=me.agency_id,
            plan__year__in=[today.year, today.year + 1],
        )
        .select_related("plan__unit")
        .order_by("plan__unit__path", "plan__year", "sort_order", "id")
    )
    products = product_types_in_force(me.agency).order_by("sort_order", "code")
    return AssignForm(
        data,
        initial=initial,
        owners=owners,
        colleagues=colleagues,
        plan_items=plan_items,
        products=products,
    )


@login_required
@require_http_methods(["GET", "POST"])
def assign(request: HttpRequest) -> HttpResponse:
    user, scope = _viewer(request)
    _require_leader(scope, "Giao việc", "Assigning work")
    initial: dict[str, Any] = {"quantity": 1}
    owner_id = id_param(request.GET.get("owner"))
    if owner_id is not None:
        initial["owner"] = owner_id
    form = _assign_form(request, request.POST or None, initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            task, status = attempt(
                request,
                form,
                lambda: services.task_assign(
                    actor=user,
                    owner=data["owner"],
                    title=data["title"],
                    kind=data["kind"],
                    deadline=data["deadline"],
                    plan_item=data["plan_item"],
                    product_type=data["product_type"],
                    quantity=data["quantity"],
                    extra=data["extra"] or "",
                    collaborators=data["collaborators"],
                    description=data["description"],
                ),
            )
            if task is not None:
                messages.success(
                    request,
                    _("Đã giao nhiệm vụ “%(title)s” cho %(name)s.")
                    % {"title": task.title, "name": task.owner.full_name},
                )
                return redirect("web:work_task", task_id=task.pk)
        else:
            status = 400
    return render(request, "web/work/assign.html", {"form": form}, status=status)


# --- the unit board ---------------------------------------------------------------------------


@login_required
def board(request: HttpRequest) -> HttpResponse:
    """The unit board: per-person counts (paged), then either a glance per state column —
    the `BOARD_COLUMN_LIMIT` most urgent, with a link to the rest — or the paged table.
    Both list urgent work first (overdue, then due soon), then the newest."""
    user, scope = _viewer(request)
    _require_leader(scope, "Bảng công việc", "The work board")
    today = clock.today()
    month = DateRange.month(today.year, today.month)
    led_tasks = visible_tasks(user).filter(_led(scope, "unit__path"))
    owners = (
        visible_people(user).filter(pk__in=led_tasks.values("owner_id")).order_by("search_name")
    )
    form = TaskFilterForm(request.GET or None, owners=owners)
    tasks = _filter_tasks(led_tasks, form, today)
    explicit_state = form.is_valid() and form.cleaned_data["state"] not in ("", "open")
    if not explicit_state:
        # Closed work stays on the board for the month it closed in, then leaves it: an
        # accepted task by its completion date, another closing by the step that closed it
        # (not by `updated_at`, which a later exemption or an import also moves).
        closed_this_month = TaskEvent.objects.filter(
            task=OuterRef("pk"), to_state=OuterRef("state"), at__gte=clock.at(month.start)
        )
        tasks = tasks.filter(
            ~Q(state__in=CLOSED)
            | Q(state=S.ACCEPTED, completed_on__gte=month.start)
            | Q(Exists(closed_this_month), state__in=(S.HANDED_BACK, S.CANCELLED))
        )
    tasks = urgent_first(tasks.select_related("owner", "unit"), today=today)
    counts = (
        tasks.order_by()
        .values("owner_id", "owner__full_name")
        .annotate(
            total=Count("pk"),
            open=Count("pk", filter=Q(state__in=OPEN_STATES)),
            waiting=Count("pk", filter=Q(state__in=AWAITING_REVIEW)),
            overdue=Count("pk", filter=Q(state__in=OWNER_PENDING, effective_deadline__lt=today)),
            accepted=Count("pk", filter=Q(state=S.ACCEPTED)),
        )
        .order_by("owner__full_name", "owner_id")
    )
    people = Paginator(counts, PEOPLE_PAGE_SIZE).get_page(request.GET.get("people"))
    layout = "table" if request.GET.get("view") == "table" else "columns"
    context: dict[str, Any] = {
        "form": form,
        "people": people,
        "layout": layout,
        "today": today,
        "people_query": _query_without(request, "people"),
    }
    if layout == "table":
        page = Paginator(tasks, BOARD_PAGE_SIZE).get_page(request.GET.get("page"))
        rows = list(page.object_list)
        _annotate_due(rows, today)
        context.update(page=page, rows=rows, page_query=_query_without(request, "page"))
    else:
        by_state = {
            row["state"]: row["n"]
            for row in tasks.order_by().values("state").annotate(n=Count("pk"))
        }
        columns = []
        for state, label in S.choices:
            if state == S.CANCELLED and not by_state.get(state):
                continue
            items = list(tasks.filter(state=state)[:BOARD_COLUMN_LIMIT])
            _annotate_due(items, today)
            total = by_state.get(state, 0)
            columns.append(
                {
                    "state": state,
                    "label": label,
                    "items": items,
                    "total": total,
                    "more": max(0, total - len(items)),
                }
            )
        context["columns"] = columns
        # "and N more" opens the table on that state, the other filters kept
        context["more_query"] = _query_without(request, "page", "view", "state")
    context["query"] = _query_without(request, "page", "view")
    return render(request, "web/work/board.html", context)


# --- the review queue ------------------------------------------------------------------------


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    user, scope = _viewer(request)
    reviewable = reviewable_tasks(user)
    if not scope.is_unit_leader and not reviewable.exists():
        raise AccessDenied(
            "Danh sách chờ duyệt dành cho lãnh đạo đơn vị và người giao việc.",
            "The review queue is for unit leaders and assigners.",
        )
    submissions = TaskEvent.objects.filter(action__in=["submit", "resubmit"]).order_by("-at", "-id")
    waiting = list(
        reviewable.filter(state__in=AWAITING_REVIEW)
        .select_related("owner", "unit")
        .prefetch_related(Prefetch("events", queryset=submissions, to_attr="submissions"))
        .order_by("effective_deadline", "id")
    )
    exemptions = (
        visible_exemptions(user)
        .filter(status=Exemption.Status.PENDING)
        .filter(_led(scope, "task__unit__path"))
        .exclude(task__owner_id=scope.person_id)
        .select_related("task__owner", "event", "requested_by")
        .order_by("requested_at", "id")
    )
    overdue = (
        reviewable.filter(state__in=OWNER_PENDING, effective_deadline__lt=clock.today())
        .select_related("owner")
        .order_by("effective_deadline", "id")[:50]
    )
    return render(
        request,
        "web/work/review.html",
        {
            "waiting": waiting,
            "exemptions": exemptions,
            "overdue": overdue,
            "here": request.get_full_path(),
        },
    )


# --- the task page ----------------------------------------------------------------------------


def _detail(
    request: HttpRequest,
    task: Task,
    *,
    status: int = 200,
    failed: forms.Form | None = None,
    slot: str = "",
) -> HttpResponse:
    """The task page. After a refused write, `failed` is shown in `slot` with its errors."""
    user, scope = _viewer(request)
    task = Task.objects.select_related(
        "unit", "owner", "assigner", "plan_item__plan", "product_type", "taken_over_from"
    ).get(pk=task.pk)
    today = clock.today()
    lang = language(request)
    is_owner = scope.person_id == task.owner_id
    is_reviewer = reviewable_tasks(user).filter(pk=task.pk).exists()
    decides = scope.person_id not in (None, task.owner_id) and scope.leads_path(task.unit.path)
    _annotate_due([task], today)
    action_forms: list[tuple[dict[str, Any], forms.Form]] = []
    for step in _allowed(task, owner=is_owner, reviewer=is_reviewer, lang=lang):
        form: forms.Form = TransitionForm(initial={"action": step["code"], "version": task.version})
        if failed is not None and slot == f"action:{step['code']}":
            form = failed
        action_forms.append((step, form))
    exemptions = list(
        visible_exemptions(user)
        .filter(task=task)
        .select_related("event", "requested_by", "decided_by")
        .order_by("requested_at", "id")
    )
    live_events = {e.event_id for e in exemptions if e.status != Exemption.Status.REFUSED}
    events = list(task_events(task).select_related("actor__person"))
    for event in events:
        event.action_label = _action_label(event.action, lang)  # type: ignore[attr-defined]
        event.from_label = S(event.from_state).label if event.from_state else ""  # type: ignore[attr-defined]
        event.to_label = S(event.to_state).label if event.to_state else ""  # type: ignore[attr-defined]
        event.may_exempt = (  # type: ignore[attr-defined]
            is_owner and (event.failure or event.delays > 0) and event.pk not in live_events
        )
    decide_forms: list[tuple[Exemption, forms.Form | None]] = []
    for exemption in exemptions:
        decide: forms.Form | None = None
        if decides and exemption.status == Exemption.Status.PENDING:
            decide = ExemptionDecideForm(initial={"version": task.version})
            if failed is not None and slot == f"decide:{exemption.pk}":
                decide = failed
        decide_forms.append((exemption, decide))
    context = {
        "task": task,
        "w": _qty(task.w, lang),
        "quantity": _qty(task.quantity, lang),
        "coefficient": _qty(task.coefficient, lang),
        "done": _qty(task.done_quantity, lang),
        "is_owner": is_owner,
        "is_reviewer": is_reviewer,
        "action_forms": action_forms,
        "explain_form": failed if slot == "explain" else ExplainForm(),
        "extend_form": (
            failed
            if slot == "extend"
            else ExtendForm(initial={"version": task.version})
            if is_reviewer and task.state in OPEN_STATES
            else None
        ),
        "request_form": failed if slot.startswith("request:") else None,
        "request_event": int(slot.split(":")[1]) if slot.startswith("request:") else None,
        "events": events,
        "extensions": task.extensions.select_related("granted_by__person").order_by(
            "granted_at", "id"
        ),
        "exemptions": decide_forms,
        "explanations": task.explanations.select_related("author__person").order_by("at", "id"),
        "collaborators": task.collaborators.order_by("search_name"),
        "audit": task_audit_entries(task).select_related("actor"),
        "failed": failed,
        "counted_failures": task.failures - task.exempt_failures,
        "counted_delays": task.delays - task.exempt_delays,
    }
    return render(request, "web/work/task_detail.html", context, status=status)


EVENT_LABELS = {
    "assign": gettext_lazy("giao nhiệm vụ"),
    "update": gettext_lazy("sửa nhiệm vụ"),
    "extend": gettext_lazy("gia hạn"),
    "exemption_approve": gettext_lazy("chấp thuận miễn trừ"),
    "exemption_refuse": gettext_lazy("không chấp thuận miễn trừ"),
}


def _action_label(code: str, lang: str) -> str:
    """A workflow step or another task event in words, in the page language."""
    spec = ACTIONS.get(code)
    if spec is not None:
        return spec.label_vi if lang.startswith("vi") else spec.label_en
    return str(EVENT_LABELS.get(code, code))


def _stale(form: forms.Form, task: Task, status: int) -> None:
    """After a Conflict the form carries the current version, as a reload would."""
    if status == Conflict.status and hasattr(form.data, "copy"):
        data = form.data.copy()
        data["version"] = str(Task.objects.values_list("version", flat=True).get(pk=task.pk))
        form.data = data


@login_required
def task_detail(request: HttpRequest, task_id: int) -> HttpResponse:
    user, _scope = _viewer(request)
    return _detail(request, access_task(user, task_id))


@login_required
@require_POST
def task_act(request: HttpRequest, task_id: int) -> HttpResponse:
    user, _scope = _viewer(request)
    task = access_task(user, task_id)
    form = TransitionForm(request.POST)
    slot = f"action:{request.POST.get('action', '')}"
    if not form.is_valid():
        return _detail(request, task, status=400, failed=form, slot=slot)
    data = form.cleaned_data
    action = data["action"]
    reason = data["reason"] or ""
    done = data["done_quantity"]
    if action in ("submit", "resubmit") and done is not None:
        # The workflow records the done quantity when the product is accepted; what the
        # owner reports goes with the submission for the reviewer to see.
        reported = _("Khối lượng đã thực hiện: %(n)s %(u)s") % {
            "n": _qty(done, language(request)),
            "u": task.unit_of_measure,
        }
        reason = f"{reported.strip()}. {reason}".strip() if reason else reported.strip()
        done = None
    result, status = attempt(
        request,
        form,
        lambda: services.task_transition(
            actor=user,
            task=task,
            action=action,
            expected_version=data["version"],
            reason=reason,
            done_quantity=done if action == "accept" else None,
        ),
    )
    if result is None:
        _stale(form, task, status)
        return _detail(request, task, status=status, failed=form, slot=slot)
    messages.success(
        request,
        _("Đã %(action)s: “%(title)s” — %(state)s.")
        % {
            "action": _action_label(action, language(request)),
            "title": result.title,
            "state": result.get_state_display(),
        },
    )
    fallback = reverse("web:work_task", args=[task.pk])
    return redirect(_safe_next(request, data["next"], fallback))


@login_required
@require_POST
def task_explain(request: HttpRequest, task_id: int) -> HttpResponse:
    user, _scope = _viewer(request)
    task = access_task(user, task_id)
    form = ExplainForm(request.POST)
    if not form.is_valid():
        return _detail(request, task, status=400, failed=form, slot="explain")
    note, status = attempt(
        request,
        form,
        lambda: services.task_explain(actor=user, task=task, text=form.cleaned_data["text"]),
    )
    if note is None:
        return _detail(request, task, status=status, failed=form, slot="explain")
    messages.success(request, _("Đã ghi nhận giải trình."))
    return redirect("web:work_task", task_id=task.pk)


@login_required
@require_POST
def task_extend(request: HttpRequest, task_id: int) -> HttpResponse:
    user, _scope = _viewer(request)
    task = access_task(user, task_id)
    form = ExtendForm(request.POST)
    if not form.is_valid():
        return _detail(request, task, status=400, failed=form, slot="extend")
    data = form.cleaned_data
    extension, status = attempt(
        request,
        form,
        lambda: services.task_extend(
            actor=user,
            task=task,
            expected_version=data["version"],
            new_deadline=data["new_deadline"],
            reason=data["reason"],
        ),
    )
    if extension is None:
        _stale(form, task, status)
        return _detail(request, task, status=status, failed=form, slot="extend")
    messages.success(
        request,
        _("Đã gia hạn đến %(date)s.") % {"date": extension.new_deadline.strftime("%d/%m/%Y")},
    )
    return redirect("web:work_task", task_id=task.pk)


@login_required
@require_POST
def exemption_request(request: HttpRequest, task_id: int) -> HttpResponse:
    user, _scope = _viewer(request)
    task = access_task(user, task_id)
    form = ExemptionRequestForm(request.POST)
    slot = f"request:{request.POST.get('event', '')}"
    if not form.is_valid():
        return _detail(request, task, status=400, failed=form, slot=slot)
    event = task_events(task).filter(pk=form.cleaned_data["event"]).first()
    if event is None:
        form.add_error(None, _("Không tìm thấy diễn biến này của nhiệm vụ."))
        return _detail(request, task, status=404, failed=form, slot=slot)
    exemption, status = attempt(
        request,
        form,
        lambda: services.exemption_request(
            actor=user, event=event, reason=form.cleaned_data["reason"]
        ),
    )
    if exemption is None:
        return _detail(request, task, status=status, failed=form, slot=slot)
    messages.success(request, _("Đã gửi đề nghị miễn trừ; lãnh đạo đơn vị sẽ xem xét."))
    return redirect("web:work_task", task_id=task.pk)


@login_required
@require_POST
def exemption_decide(request: HttpRequest, exemption_id: int) -> HttpResponse:
    user, _scope = _viewer(request)
    exemption = access_exemption(user, exemption_id)
    task = exemption.task
    form = ExemptionDecideForm(request.POST)
    slot = f"decide:{exemption.pk}"
    if not form.is_valid():
        return _detail(request, task, status=400, failed=form, slot=slot)
    data = form.cleaned_data
    decided, status = attempt(
        request,
        form,
        lambda: services.exemption_decide(
            actor=user,
            exemption=exemption,
            approve=data["decision"] == "approve",
            reason=data["reason"],
            expected_version=data["version"],
        ),
    )
    if decided is None:
        _stale(form, task, status)
        return _detail(request, task, status=status, failed=form, slot=slot)
    messages.success(
        request,
        _("Đã chấp thuận miễn trừ.")
        if data["decision"] == "approve"
        else _("Đã không chấp thuận miễn trừ."),
    )
    fallback = reverse("web:work_task", args=[task.pk])
    return redirect(_safe_next(request, data["next"], fallback))
