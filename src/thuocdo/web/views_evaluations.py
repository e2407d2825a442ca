"""Evaluation pages: periods for the personnel office, my evaluation, the manager's review,
minutes, Party comments, unit KPIs, the authority's decision per quota group, publication,
complaints and notifications.

Views only translate. Every object comes through an `access_*` helper, every list through
`visible_*` / `reviewable_*`, every write through an evaluation service with the version
the page was rendered with; a refusal shows the service's message and changes nothing.
Forms are shown only when the period is at the step that takes them, so a locked period
reads only.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from thuocdo.access import Scope, access_person, scope_for
from thuocdo.access.evaluations import (
    access_complaint,
    access_evaluation,
    access_notification,
    access_period,
    access_quota_group,
    access_unit_evaluation,
    reviewable_evaluations,
    visible_complaints,
    visible_evaluations,
    visible_notifications,
    visible_periods,
    visible_quota_groups,
    visible_unit_evaluations,
)
from thuocdo.core import clock
from thuocdo.core.errors import AccessDenied, NotFound
from thuocdo.core.models import User
from thuocdo.core.numbers import reader_text
from thuocdo.core.numbers import text_for as _num
from thuocdo.core.params import id_param
from thuocdo.core.text import in_language
from thuocdo.evaluations import progress, services
from thuocdo.evaluations import transitions as tr
from thuocdo.evaluations.compute import explained, general_nodes
from thuocdo.evaluations.models import (
    RATING_CHOICES,
    Complaint,
    Evaluation,
    Exclusion,
    Minutes,
    Override,
    Period,
    QuotaGroup,
    UnitEvaluation,
    UnitKpi,
)
from thuocdo.evaluations.selectors import decision_sheet, period_progress, period_range
from thuocdo.frameworks.selectors import engine_framework, framework_in_force
from thuocdo.jobs.models import Job
from thuocdo.jobs.services import active_job
from thuocdo.org.models import Person, Unit
from thuocdo.org.services import person_set_email_notifications
from thuocdo.reports.access import may_read_unit_summary
from thuocdo.scoring import InputError
from thuocdo.web import audit_words
from thuocdo.web.actions import attempt, language, submit
from thuocdo.web.breakdown import shown_tree
from thuocdo.web.forms_evaluations import (
    DISCIPLINE_LABELS as DISCIPLINE,
)
from thuocdo.web.forms_evaluations import (
    FLAG_LABELS,
    LEADER_PARTS,
    AcceptReviewsForm,
    AnswerForm,
    ComplaintForm,
    DeadlinesForm,
    ExceptionForm,
    ExcludeForm,
    GiveRatingForm,
    GroupDecideForm,
    KpiForm,
    MinutesForm,
    OverrideForm,
    PartyCommentForm,
    PeriodCreateForm,
    ReopenForm,
    ReviewForm,
    SelfAssessForm,
    StepForm,
)
from thuocdo.web.views_jobs import job_url
from thuocdo.work.live import part_keys
from thuocdo.work.selectors import live_kpi

T = TypeVar("T")
EVALUATIONS_PAGE_SIZE = 100  # rows of the period page's list of evaluations
S = Period.State
E = Evaluation.State
RATINGS = dict(RATING_CHOICES)
RATING_ORDER = [code for code, _label in RATING_CHOICES]


# --- helpers ---------------------------------------------------------------------------------


def _viewer(request: HttpRequest) -> tuple[User, Scope]:
    user = request.user
    assert isinstance(user, User)  # login_required ran first
    return user, scope_for(user)


def _field_of(name: str) -> str:
    # The services name fields "scores.<key>" / "reasons.<key>"; the forms "score_<key>" /
    # "reason_<key>".
    return name.replace("scores.", "score_").replace("reasons.", "reason_")


def _run(request: HttpRequest, form: forms.Form, call: Callable[[], T]) -> tuple[T | None, int]:
    return attempt(request, form, call, field_of=_field_of)


def _submit(
    request: HttpRequest,
    form: Any,
    write: Callable[[dict[str, Any]], T],
    *,
    again: Callable[[int], HttpResponse],
    then: Callable[[T], HttpResponse],
    said: Callable[[T], str] | None = None,
) -> HttpResponse:
    """`actions.submit` with the service-to-form field names of these pages."""
    return submit(request, form, write, again=again, then=then, said=said, field_of=_field_of)


def _rating(code: str | None) -> str:
    return str(RATINGS.get(code or "", "—"))


def _pts(value: Any, lang: str) -> str:
    if value in (None, ""):
        return "—"
    return _num(f"{Decimal(str(value)):.2f}", lang)


def _is_office(scope: Scope, agency_id: int) -> bool:
    return agency_id in scope.personnel_agencies


def _authority(user: User, agency: Unit) -> bool:
    return services.is_authority(user, agency, clock.today())


# --- index: my evaluations, reviews, periods -------------------------------------------------


@login_required
def index(request: HttpRequest) -> HttpResponse:
    user, scope = _viewer(request)
    mine = (
        visible_evaluations(user)
        .filter(person_id=scope.person_id or 0)
        .select_related("period", "unit")
        .order_by("-period__end", "-id")
    )
    to_review = [
        ev
        for ev in reviewable_evaluations(user)
        .filter(period__state=S.REVIEW, state__in=[E.SELF_ASSESSED, E.REVIEWED])
        .select_related("period", "person", "unit")
        .order_by("period_id", "unit__path", "person__search_name")
        if services.is_direct_manager(
            Person.objects.filter(pk=scope.person_id or 0).first(), ev, clock.today()
        )
    ]
    periods = visible_periods(user).select_related("agency").order_by("-end", "-id")[:24]
    can_open = bool(scope.personnel_agencies)
    return render(
        request,
        "web/evaluations/index.html",
        {
            "mine": mine,
            "to_review": to_review,
            "periods": periods,
            "can_open": can_open,
            "unread": visible_notifications(user).filter(read_at__isnull=True).count(),
            "open_complaints": visible_complaints(user)
            .filter(state=Complaint.State.OPEN)
            .exclude(filed_by_id=scope.person_id or 0)
            .select_related("evaluation__person", "evaluation__period")
            .order_by("answer_due", "id"),
        },
    )


def _review_rows(request: HttpRequest) -> tuple[User, list[Evaluation]]:
    user, scope = _viewer(request)
    if scope.person_id is None or not scope.is_unit_leader:
        raise AccessDenied(
            "Danh sách chờ nhận xét, đánh giá dành cho lãnh đạo đơn vị.",
            "The review queue is for unit leaders.",
        )
    me = Person.objects.filter(pk=scope.person_id or 0).first()
    today = clock.today()
    rows = [
        ev
        for ev in reviewable_evaluations(user)
        .filter(period__state=S.REVIEW)
        .select_related("period", "person", "unit")
        .order_by("period_id", "unit__path", "person__search_name")
        if services.is_direct_manager(me, ev, today)
    ]
    return user, rows


@login_required
@require_http_methods(["GET", "POST"])
def review_queue(request: HttpRequest) -> HttpResponse:
    """The manager's queue; ticking several self-assessed people and accepting their
    self-assessments reviews them in one step (each still explained and audited)."""
    user, rows = _review_rows(request)
    waiting = [ev for ev in rows if ev.state == Evaluation.State.SELF_ASSESSED]
    form = AcceptReviewsForm(request.POST or None, nodes=_common_nodes(waiting))
    status = 200
    common = bool(request.POST.get("common"))
    if request.method == "POST" and form.is_valid():
        shown = {ev.pk: request.POST.get(f"v{ev.pk}") for ev in rows}
        versions = {  # a malformed version is a stale page (409), never a 500
            ev.pk: ev.version if shown[ev.pk] is None else (id_param(shown[ev.pk]) or 0)
            for ev in rows
            if str(ev.pk) in request.POST.getlist("pick")
        }
        unknown = set(request.POST.getlist("pick")) - {str(ev.pk) for ev in rows}
        if unknown:
            form.add_error(
                None,
                _("Có %(n)s phiếu đã chọn không còn chờ bạn đánh giá; chưa lưu phiếu nào.")
                % {"n": len(unknown)},
            )
            status = 409
        else:
            done, status = attempt(
                request,
                form,
                lambda: services.evaluations_accept_reviews(
                    actor=user,
                    versions=versions,
                    comment=form.cleaned_data["comment"],
                    scores=form.common_scores() if common else None,
                    reason=form.cleaned_data["reason"] if common else "",
                ),
                field_of=_common_field,
            )
            if done is not None:
                messages.success(
                    request,
                    _("Đã nhận xét, đánh giá %(n)s người với điểm chung đã nhập.")
                    % {"n": len(done)}
                    if common
                    else _("Đã nhận xét, đánh giá %(n)s người theo kết quả tự đánh giá.")
                    % {"n": len(done)},
                )
                return redirect("web:ev_review_queue")
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "web/evaluations/review_queue.html",
        {
            "rows": rows,
            "form": form,
            "waiting": len(waiting),
            "score_fields": [form[f"score_{n.key}"] for n in form.nodes],
            "picked": request.POST.getlist("pick") if status != 200 else [],
        },
        status=status,
    )


def _common_nodes(evaluations: list[Evaluation]) -> list[Any]:
    """The general criteria of the people waiting, each once, in framework order."""
    seen: dict[str, Any] = {}
    for framework_id, role in sorted({(ev.framework_id, ev.role) for ev in evaluations}):
        sample = next(e for e in evaluations if (e.framework_id, e.role) == (framework_id, role))
        for node in _nodes(sample):
            seen.setdefault(node.key, node)
    return list(seen.values())


def _common_field(name: str) -> str:
    """A service's `scores.KEY` / `reasons.KEY` is the form's common score or reason."""
    if name.startswith("scores."):
        return f"score_{name.removeprefix('scores.')}"
    return "reason" if name.startswith("reasons.") else name


# --- periods ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def period_create(request: HttpRequest) -> HttpResponse:
    user, scope = _viewer(request)
    if not scope.personnel_agencies or scope.agency_id is None:
        raise AccessDenied(
            "Chỉ bộ phận tổ chức cán bộ của cơ quan mới mở kỳ đánh giá.",
            "Only the agency's personnel office opens a period.",
        )
    agency = Unit.objects.get(pk=scope.agency_id)
    today = clock.today()
    form = PeriodCreateForm(
        request.POST or None, initial={"year": today.year}, agency=agency, today=today
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            period, status = _run(
                request,
                form,
                lambda: services.period_create(
                    actor=user,
                    agency=agency,
                    kind=data["kind"],
                    year=data["year"],
                    number=data["number"],
                    framework_key=data["framework_key"],
                    deadlines=form.deadlines(),
                    complaint_days=data["complaint_days"],
                    party_committee_step=data["party_committee_step"],
                    acting_head_rule=data["acting_head_rule"],
                ),
            )
            if period is not None:
                messages.success(request, _("Đã mở kỳ đánh giá %(p)s.") % {"p": period})
                return redirect("web:ev_period", period_id=period.pk)
        else:
            status = 400
    return render(
        request, "web/evaluations/period_form.html", {"form": form, "agency": agency}, status=status
    )


def _period_page(
    request: HttpRequest,
    period: Period,
    *,
    status: int = 200,
    failed: forms.Form | None = None,
    slot: str = "",
) -> HttpResponse:
    user, scope = _viewer(request)
    period = Period.objects.select_related("agency").get(pk=period.pk)
    office = _is_office(scope, period.agency_id)
    authority = _authority(user, period.agency)
    steps = []
    for (state, code), new_state in tr.TRANSITIONS.items():
        spec = tr.ACTIONS[code]
        mine = (spec.who == "office" and office) or (spec.who == "authority" and authority)
        if state == period.state and mine:
            steps.append(
                {
                    "code": code,
                    "label": in_language(spec.label_vi, spec.label_en),
                    "to": tr.state_label(new_state),
                }
            )
    may_reopen = period.state in tr.REOPEN_TARGETS and (
        authority or (office and period.state not in tr.DECIDED_STATES)
    )
    reopen_form = (
        (failed if slot == "reopen" else ReopenForm(state=period.state)) if may_reopen else None
    )
    deadlines_form = None
    if office and period.state != S.LOCKED:
        deadlines_form = (
            failed
            if slot == "deadlines"
            else DeadlinesForm(
                initial={
                    "version": period.version,
                    "self_assessment_until": period.self_assessment_until,
                    "review_until": period.review_until,
                    "collective_until": period.collective_until,
                    "decision_until": period.decision_until,
                    "complaint_days": period.complaint_days,
                }
            )
        )
    progress = period_progress(period)
    # Decided without points or rating (e.g. "not scored": no task in the period) is lawful,
    # so publishing is not refused; the authority is told, by name and reason, beforehand.
    unscored = []
    if (office or authority) and period.state in tr.DECISION_STATES:
        unscored = [
            {
                "evaluation": pk,
                "person": name,
                "reason": reader_text(
                    (result or {}).get("reason_vi", ""), (result or {}).get("reason_en", "")
                ),
            }
            for pk, name, result in period.evaluations.filter(state=E.DECIDED)
            .filter(Q(rating="") | Q(points__isnull=True))
            .order_by("person__search_name")
            .values_list("pk", "person__full_name", "result")
        ]
    # a ministry's period holds thousands: a page at a time, in the units' order
    evaluations = Paginator(
        visible_evaluations(user)
        .filter(period=period)
        .select_related("person", "unit")
        .order_by("unit__path", "person__search_name", "pk"),
        EVALUATIONS_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    units = (
        Unit.objects.filter(pk__in=period.evaluations.values("unit_id"))
        .order_by("path")
        .annotate(n=Count("evaluations", filter=Q(evaluations__period=period)))
    )
    minutes = {m.unit_id: m for m in Minutes.objects.filter(period=period)}
    unit_rows = [
        {
            "unit": unit,
            "n": unit.n,
            "minutes": minutes.get(unit.pk),
            "may_record": office or scope.leads_path(unit.path),
            # who may open the unit's progress page (`unit_progress`)
            "may_follow": office
            or scope.leads_path(unit.path)
            or scope.reads_agency(period.agency_id),
        }
        for unit in units
    ]
    groups = visible_quota_groups(user).filter(period=period).order_by("kind", "code")
    unit_evaluations = (
        visible_unit_evaluations(user)
        .filter(period=period)
        .select_related("unit")
        .order_by("unit__path")
    )
    context = {
        "period": period,
        # the framework by its name and version (the period stores only its key)
        "framework": framework_in_force(period.agency_id, period.end).title(language(request)),
        "active_job": active_job(services.period_target(period)),
        "may_compile": office and period.state in tr.DECISION_STATES,
        "may_decide_all": authority and period.state in tr.DECISION_STATES,
        "office": office,
        "authority": authority,
        "steps": steps,
        "unscored": unscored,
        "step_failed": failed if slot == "step" else None,
        "reopen_form": reopen_form,
        "deadlines_form": deadlines_form,
        "progress": [(E(k).label, k, n) for k, n in progress.items()],
        "total": sum(progress.values()),
        "evaluations": evaluations,
        "unit_rows": unit_rows,
        "groups": groups,
        "unit_evaluations": unit_evaluations,
        "events": [
            {
                "at": e.at,
                "who": e.actor.get_full_name() or e.actor.username if e.actor else "",
                "step": audit_words.period_step_label(e.action),
                "from": tr.state_label(e.from_state) if e.from_state else "",
                "to": tr.state_label(e.to_state) if e.to_state else "",
                "reason": e.reason,
            }
            for e in period.events.select_related("actor").order_by("at", "id")
        ],
        "order": [(s, tr.state_label(s)) for s in tr.ORDER],
        "state_index": tr.ORDER.index(period.state),
    }
    return render(request, "web/evaluations/period.html", context, status=status)


@login_required
def period_detail(request: HttpRequest, period_id: int) -> HttpResponse:
    user, _scope = _viewer(request)
    return _period_page(request, access_period(user, period_id))


@login_required
@require_POST
def period_step(request: HttpRequest, period_id: int) -> HttpResponse:
    user, _scope = _viewer(request)
    period = access_period(user, period_id)
    form = StepForm(request.POST)

    def step(data: dict[str, Any]) -> Job | Period:
        if data["action"] in services.HEAVY_STEPS:  # touches every evaluation: a job
            return services.period_step_queue(
                actor=user,
                period=period,
                action=data["action"],
                expected_version=data["version"],
                back=reverse("web:ev_period", args=[period.pk]),
            )
        return services.period_transition(
            actor=user, period=period, action=data["action"], expected_version=data["version"]
        )

    def moved_on(done: Job | Period) -> HttpResponse:
        if isinstance(done, Job):
            return redirect(job_url(done))
        messages.success(
            request,
            _("Kỳ %(p)s đã chuyển sang bước “%(s)s”.") % {"p": done, "s": done.get_state_display()},
        )
        return redirect("web:ev_period", period_id=period.pk)

    return _submit(
        request,
        form,
        step,
        again=lambda status: _period_page(request, period, status=status, failed=form, slot="step"),
        then=moved_on,
    )


@login_required
@require_POST
def period_reopen(request: HttpRequest, period_id: int) -> HttpResponse:
    user, _scope = _viewer(request)
    period = access_period(user, period_id)
    form = ReopenForm(request.POST, state=period.state)
    return _submit(
        request,
        form,
        lambda data: services.period_job_queue(
            actor=user,
            period=period,
            kind="evaluations.reopen",
            back=reverse("web:ev_period", args=[period.pk]),
            to_state=data["to_state"],
            reason=data["reason"],
            version=data["version"],
        ),
        again=lambda status: _period_page(
            request, period, status=status, failed=form, slot="reopen"
        ),
        then=lambda job: redirect(job_url(job)),
    )


@login_required
@require_POST
def period_job(request: HttpRequest, period_id: int, kind: str) -> HttpResponse:
    """Compile again (the office) or decide every group at once (the authority): a job."""
    user, _scope = _viewer(request)
    period = access_period(user, period_id)
    if kind not in ("compile", "decide_all"):
        raise NotFound("Không có thao tác này.", "No such action.")
    form = forms.Form(request.POST)
    job, status = _run(
        request,
        form,
        lambda: services.period_job_queue(
            actor=user,
            period=period,
            kind=f"evaluations.{kind}",
            back=reverse("web:ev_period", args=[period.pk]),
        ),
    )
    if job is None:
        return _period_page(request, period, status=status, failed=form, slot="step")
    return redirect(job_url(job))


@login_required
@require_POST
def period_deadlines(request: HttpRequest, period_id: int) -> HttpResponse:
    user, _scope = _viewer(request)
    period = access_period(user, period_id, action="manage")
    form = DeadlinesForm(request.POST)
    return _submit(
        request,
        form,
        lambda data: services.period_set_deadlines(
            actor=user,
            period=period,
            expected_version=data["version"],
            deadlines=form.deadlines(),
            complaint_days=data["complaint_days"],
        ),
        again=lambda status: _period_page(
            request, period, status=status, failed=form, slot="deadlines"
        ),
        said=lambda _saved: _("Đã cập nhật các hạn của kỳ đánh giá."),
        then=lambda _saved: redirect("web:ev_period", period_id=period.pk),
    )


# --- minutes -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def unit_progress(request: HttpRequest, period_id: int, unit_id: int) -> HttpResponse:
    """Who of a unit has done each step, who is late, and "remind the late ones"; the
    office leaves people out of the period here (with a reason) and brings them back."""
    user, scope = _viewer(request)
    period = access_period(user, period_id)
    unit = Unit.objects.filter(pk=unit_id, agency_id=period.agency_id).first()
    if unit is None:
        raise NotFound("Đơn vị không thuộc cơ quan của kỳ này.", "Not a unit of this agency.")
    today = clock.today()
    may_remind = progress.may_remind(user, period, unit, today)
    if not (may_remind or scope.reads_agency(period.agency_id)):
        raise AccessDenied(
            "Bạn không có quyền xem tiến độ của đơn vị này.",
            "You may not view this unit's progress.",
        )
    may_exclude = _is_office(scope, period.agency_id) and period.state in tr.EXCLUSION_STATES
    rows = progress.unit_progress(period, unit, today)
    doing = request.POST.get("do")
    form = ExcludeForm(request.POST if doing == "exclude" else None)
    status = 200
    if request.method == "POST":
        if doing in (None, "remind"):
            told = progress.remind_late(actor=user, period=period, unit=unit)
            messages.success(
                request,
                _("Đã nhắc %(n)s người trễ hạn.") % {"n": told}
                if told
                else _("Không có ai cần nhắc (người trễ hạn đã được nhắc hôm nay)."),
            )
            return redirect("web:ev_unit_progress", period_id=period.pk, unit_id=unit.pk)
        status = _exclusions_post(request, user, rows, form, doing)
        if status == 200:
            return redirect("web:ev_unit_progress", period_id=period.pk, unit_id=unit.pk)
    taking_part = [r for r in rows if r.evaluation.state != Evaluation.State.EXCLUDED]
    return render(
        request,
        "web/evaluations/unit_progress.html",
        {
            "period": period,
            "unit": unit,
            "rows": taking_part,
            "excluded": [
                r.evaluation for r in rows if r.evaluation.state == Evaluation.State.EXCLUDED
            ],
            "late": sum(1 for r in rows if r.late_self or r.late_review),
            "done_self": sum(
                1 for r in taking_part if r.evaluation.state != Evaluation.State.DRAFT
            ),
            "done_review": sum(
                1
                for r in taking_part
                if r.evaluation.state in (Evaluation.State.REVIEWED, Evaluation.State.DECIDED)
            ),
            "may_remind": may_remind,
            "may_exclude": may_exclude,
            "pickable": may_exclude
            and any(r.evaluation.state != Evaluation.State.DECIDED for r in taking_part),
            "form": form,
            "picked": request.POST.getlist("pick") if status != 200 else [],
        },
        status=status,
    )


def _exclusions_post(
    request: HttpRequest, user: User, rows: list[progress.Row], form: ExcludeForm, done: str
) -> int:
    """Leaves the ticked people out ("exclude") or brings one back ("include"); the status
    of the page to show again, 200 when it was done."""
    shown = {r.evaluation.pk: r.evaluation for r in rows}
    if done == "include":
        ev = shown.get(id_param(request.POST.get("evaluation")) or 0)
        if ev is None:
            raise NotFound("Không tìm thấy phiếu này trong đơn vị.", "No such evaluation here.")
        carrier = forms.Form({})  # no fields: it carries a refusal back to the page
        carrier.is_valid()
        back, status = attempt(
            request,
            carrier,
            lambda: services.evaluation_include(
                actor=user,
                evaluation=ev,
                expected_version=id_param(request.POST.get("version")) or 0,
            ),
        )
        if back is not None:
            messages.success(
                request,
                _("Đã đưa %(name)s trở lại kỳ đánh giá.") % {"name": ev.person.full_name},
            )
        else:
            for error in carrier.non_field_errors():
                messages.error(request, str(error))
        return status
    if done != "exclude":
        raise NotFound("Không có thao tác này.", "No such action.")
    picked = request.POST.getlist("pick")
    unknown = set(picked) - {str(pk) for pk in shown}
    if unknown:
        form.add_error(
            None,
            _("Có %(n)s người đã chọn không thuộc đơn vị này; chưa lưu thay đổi nào.")
            % {"n": len(unknown)},
        )
        return 409
    if not form.is_valid():
        return 400
    data = form.cleaned_data
    versions = {int(pk): id_param(request.POST.get(f"v{pk}")) or 0 for pk in picked}
    left_out, status = attempt(
        request,
        form,
        lambda: services.evaluations_exclude(
            actor=user,
            versions=versions,
            reason=data["reason"],
            since=data["since"],
            note=data["note"],
        ),
    )
    if left_out is not None:
        messages.success(
            request,
            _("Đã để %(n)s người ra ngoài kỳ đánh giá: %(why)s.")
            % {"n": len(left_out), "why": Exclusion.Reason(data["reason"]).label},
        )
    return status


@login_required
@require_http_methods(["GET", "POST"])
def minutes(request: HttpRequest, period_id: int, unit_id: int) -> HttpResponse:
    user, scope = _viewer(request)
    period = access_period(user, period_id)
    unit = Unit.objects.filter(pk=unit_id, agency_id=period.agency_id).first()
    if unit is None:
        raise AccessDenied("Đơn vị không thuộc cơ quan của kỳ này.", "Not a unit of this agency.")
    may_record = _is_office(scope, period.agency_id) or scope.leads_path(unit.path)
    if not (may_record or scope.reads_agency(period.agency_id)):
        raise AccessDenied(
            "Bạn không có quyền xem biên bản này.", "You may not view these minutes."
        )
    existing = Minutes.objects.filter(period=period, unit=unit).first()
    members = Person.objects.filter(
        pk__in=Evaluation.objects.filter(period=period, unit=unit).values("person_id")
    ).order_by("search_name")
    initial: dict[str, Any] = {"held_on": clock.today(), "total_members": members.count()}
    if existing is not None:
        initial = {
            "text": existing.text,
            "held_on": existing.held_on,
            "attendees": existing.attendees,
            "total_members": existing.total_members,
            "approved": existing.approved,
        }
    editable = may_record and period.state in tr.COLLECTIVE_STATES
    form = MinutesForm(request.POST or None, initial=initial, members=members)
    status = 200
    if request.method == "POST":
        if not may_record:
            raise AccessDenied(
                "Chỉ lãnh đạo đơn vị hoặc bộ phận tổ chức cán bộ ghi biên bản.",
                "Only the unit's leaders or the personnel office record the minutes.",
            )
        if form.is_valid():
            data = form.cleaned_data
            saved, status = _run(
                request,
                form,
                lambda: services.minutes_record(
                    actor=user,
                    period=period,
                    unit=unit,
                    text=data["text"],
                    held_on=data["held_on"],
                    attendees=[p.pk for p in data["attendees"]],
                    total_members=data["total_members"],
                    approved=data["approved"],
                ),
            )
            if saved is not None:
                messages.success(
                    request, _("Đã ghi biên bản lấy ý kiến tập thể của %(u)s.") % {"u": unit.name}
                )
                return redirect("web:ev_period", period_id=period.pk)
        else:
            status = 400
    present = set(existing.attendees) if existing else set()
    return render(
        request,
        "web/evaluations/minutes.html",
        {
            "period": period,
            "unit": unit,
            "existing": existing,
            "present": [m for m in members if m.pk in present],
            "form": form,
            "editable": editable or (request.method == "POST" and may_record),
        },
        status=status,
    )


# --- one evaluation ----------------------------------------------------------------------------


def _breakdown(ev: Evaluation, data: dict[str, Any] | None, lang: str) -> dict[str, Any] | None:
    """The engine's breakdown tree of a proposed or decided result (rebuilt from its kept
    inputs and framework version), in the page's words."""
    tree = explained(data, engine_framework(ev.framework))
    return shown_tree(tree, lang) if tree is not None else None


def _find(node: dict[str, Any] | None, key: str) -> dict[str, Any] | None:
    if node is None:
        return None
    if node.get("key") == key:
        return node
    for child in node.get("children", []):
        found = _find(child, key)
        if found is not None:
            return found
    return None


def _task_panel(ev: Evaluation, lang: str) -> dict[str, Any]:
    """Task points from the recorded work: frozen at decision, proposed after review, or
    a preview now (general criteria left out). a = volume, b = quality, c = timeliness —
    read from the engine by key, never by position."""
    vi = lang.startswith("vi")
    decided = ev.state == E.DECIDED
    data = ev.result if decided else ev.proposed
    panel: dict[str, Any] = {"source": "decided" if decided else "proposed" if data else ""}
    tree = _breakdown(ev, data, lang)
    if tree is None and ev.period.kind != Period.Kind.YEAR:
        try:
            preview = live_kpi(
                person=ev.person,
                period=period_range(ev.period),
                framework=engine_framework(ev.framework),
                general_points=0,
                as_of=min(clock.today(), ev.period.end),
            )
        except InputError as error:
            panel["issues"] = [i.message_vi if vi else i.message_en for i in error.issues]
            return panel
        if preview.breakdown is not None:
            panel["source"] = "preview"
            tree = shown_tree(preview.breakdown.as_dict(), lang)
    node = _find(tree, "task_results")
    panel["tree"] = node or tree
    panel["full"] = tree if node is not None and data else None
    if node is not None:
        # a, b, c by what they measure: their keys differ between frameworks
        keys = part_keys(engine_framework(ev.framework))
        panel["parts"] = [
            {"key": key, "node": _find(node, key)} for key in keys if key and _find(node, key)
        ]
    return panel


def _score_rows(ev: Evaluation, nodes: list[Any], lang: str = "vi") -> list[dict[str, Any]]:
    rows = {r.key: r for r in ev.scores.all()}
    out = []
    for node in nodes:
        row = rows.get(node.key)
        changed = (
            row is not None
            and row.reviewer_score is not None
            and row.self_score is not None
            and row.reviewer_score != row.self_score
        )
        out.append(
            {
                "key": node.key,
                "label": in_language(node.label_vi, node.label_en),
                "max": _num(f"{float(node.scale.max):g}", lang) if node.scale else "",
                "self": row.self_score if row else None,
                "review": row.reviewer_score if row else None,
                "evidence": row.evidence if row else "",
                "reason": row.reason if row else "",
                "changed": changed,
            }
        )
    return out


def _nodes(ev: Evaluation) -> list[Any]:
    if ev.period.kind == Period.Kind.YEAR:
        return []
    return general_nodes(engine_framework(ev.framework), ev.role)


def _evaluation_page(
    request: HttpRequest,
    ev: Evaluation,
    *,
    status: int = 200,
    failed: forms.Form | None = None,
    slot: str = "",
) -> HttpResponse:
    user, scope = _viewer(request)
    lang = language(request)
    today = clock.today()
    ev = Evaluation.objects.select_related(
        "period__agency",
        "person",
        "unit",
        "reviewer",
        "framework",
        "job_position",
        "self_entered_by",
        "exclusion__recorded_by",
    ).get(pk=ev.pk)
    period = ev.period
    nodes = _nodes(ev)
    mine = scope.person_id == ev.person_id
    office = _is_office(scope, period.agency_id)
    authority = _authority(user, period.agency)
    self_form = None
    me = Person.objects.filter(pk=scope.person_id or 0).first()
    enter_for = not mine and services.may_enter_for(user, me, ev, today)
    if (
        (mine or enter_for)
        and period.state in tr.SELF_ASSESS_STATES
        and ev.state in (E.DRAFT, E.SELF_ASSESSED)
        and nodes
    ):
        rows = {r.key: r for r in ev.scores.all()}
        initial: dict[str, Any] = {
            "version": ev.version,
            "comment": ev.self_comment,
            "evidence_text": ev.self_evidence,
        }
        for node in nodes:
            if node.key in rows:
                initial[f"score_{node.key}"] = rows[node.key].self_score
                initial[f"evidence_{node.key}"] = rows[node.key].evidence
        self_form = (
            failed
            if slot == "self"
            else SelfAssessForm(initial=initial, nodes=nodes, on_behalf=enter_for)
        )
    may_review = (
        period.state in tr.REVIEW_STATES
        and ev.state in (E.SELF_ASSESSED, E.REVIEWED)
        and services.is_direct_manager(
            Person.objects.filter(pk=scope.person_id or 0).first(), ev, today
        )
    )
    open_complaint = ev.complaints.filter(state=Complaint.State.OPEN).first()
    complaint_form = None
    if (
        mine
        and period.state == S.PUBLISHED
        and ev.complaint_until is not None
        and today <= ev.complaint_until
        and open_complaint is None
    ):
        complaint_form = failed if slot == "complaint" else ComplaintForm()
    override_form = None
    if (office or authority) and period.state in tr.OVERRIDE_STATES and ev.state != E.DECIDED:
        override_form = failed if slot == "override" else OverrideForm()
    party = getattr(ev, "party_comment", None) if ev.is_leader else None
    party_form = None
    if (
        office
        and period.party_committee_step
        and ev.is_leader
        and period.state in tr.COLLECTIVE_STATES
    ):
        party_form = (
            failed
            if slot == "party"
            else PartyCommentForm(
                initial={
                    "committee": party.committee,
                    "text": party.text,
                    "document_ref": party.document_ref,
                }
                if party
                else None
            )
        )
    # After a refusal the form stays where it was posted, with the service's message.
    if slot == "self":
        self_form = failed
    elif slot == "complaint":
        complaint_form = failed
    elif slot == "override":
        override_form = failed
    elif slot == "party":
        party_form = failed
    decided = ev.state == E.DECIDED
    data = ev.result if decided else ev.proposed
    context = {
        "ev": ev,
        "period": period,
        "mine": mine,
        "scores": _score_rows(ev, nodes, lang),
        "self_form": self_form,
        "enter_for": enter_for,
        "may_review": may_review,
        "tasks": _task_panel(ev, lang),
        "data": data,
        "points": _pts(ev.points, lang) if data else "—",
        "rating_label": _rating(ev.rating) if data else "",
        "changes": [
            {**c, "reason": reader_text(c.get("reason_vi", ""), c.get("reason_en", ""))}
            for c in (data or {}).get("rating_changes", [])
        ],
        "leader": _leader_rows(ev, data),
        "overrides": ev.overrides.select_related("recorded_by").order_by("recorded_at", "id"),
        "override_labels": {**DISCIPLINE, **FLAG_LABELS},
        "override_form": override_form,
        "party": party,
        "party_form": party_form,
        "complaints": ev.complaints.select_related("answered_by").order_by("filed_at", "id"),
        "complaint_form": complaint_form,
        "open_complaint": open_complaint,
        "authority": authority,
        "failed": failed,
        "published": period.state in (S.PUBLISHED, S.LOCKED) and decided,
        "locked": period.state == S.LOCKED,
        "ratings": RATINGS,
    }
    return render(request, "web/evaluations/evaluation.html", context, status=status)


def _leader_rows(ev: Evaluation, data: dict[str, Any] | None) -> list[dict[str, Any]]:
    """d, đ, e: the level and where it came from (a reviewer's level with its reason)."""
    if not ev.is_leader:
        return []
    record = (data or {}).get("leader") or {}
    stored = ev.leader or {}
    rows = []
    for code, label in LEADER_PARTS:
        part = {**stored.get(code, {}), **record.get(code, {})}
        rows.append(
            {
                "code": code,
                "label": label,
                "value": part.get("value"),
                "reason": part.get("reason", ""),
                "conflict": part.get("internal_conflict", False),
                "rates": part.get("rates"),
                "staff": len(part.get("staff", [])),
            }
        )
    return rows


@login_required
def evaluation_detail(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    user, _scope = _viewer(request)
    return _evaluation_page(request, access_evaluation(user, evaluation_id))


@login_required
@require_POST
def evaluation_self(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    user, scope = _viewer(request)
    own = Evaluation.objects.filter(pk=evaluation_id, person_id=scope.person_id or 0).exists()
    ev = access_evaluation(user, evaluation_id, action="self_assess" if own else "enter_for")
    form = SelfAssessForm(request.POST, nodes=_nodes(ev), on_behalf=not own)
    if not form.is_valid():
        return _evaluation_page(request, ev, status=400, failed=form, slot="self")
    data = form.cleaned_data
    saved, status = _run(
        request,
        form,
        lambda: services.evaluation_self_assess(
            actor=user,
            evaluation=ev,
            expected_version=data["version"],
            scores={k: str(v) for k, v in form.scores().items()},
            evidence=form.evidence(),
            comment=data["comment"],
            evidence_text=data["evidence_text"],
            on_behalf_reason=data.get("on_behalf_reason", ""),
        ),
    )
    if saved is None:
        return _evaluation_page(request, ev, status=status, failed=form, slot="self")
    if own:
        messages.success(request, _("Đã ghi nhận kết quả tự đánh giá."))
    else:
        messages.success(
            request,
            _("Đã nhập tự đánh giá thay cho %(name)s; người đó đã được thông báo.")
            % {"name": ev.person.full_name},
        )
    return redirect("web:ev_detail", evaluation_id=ev.pk)


@login_required
@require_http_methods(["GET", "POST"])
def evaluation_review(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    user, _scope = _viewer(request)
    lang = language(request)
    ev = access_evaluation(user, evaluation_id, action="review")
    nodes = _nodes(ev)
    rows = {r.key: r for r in ev.scores.all()}
    initial: dict[str, Any] = {"version": ev.version, "comment": ev.review_comment}
    for node in nodes:
        row = rows.get(node.key)
        if row is not None:
            initial[f"score_{node.key}"] = row.final
            initial[f"reason_{node.key}"] = row.reason
    for code, _label in LEADER_PARTS:
        part = (ev.leader or {}).get(code, {})
        initial[f"{code}_value"] = part.get("value") or ""
        initial[f"{code}_reason"] = part.get("reason", "")
    initial["e_conflict"] = (ev.leader or {}).get("e", {}).get("internal_conflict", False)
    form = ReviewForm(request.POST or None, initial=initial, nodes=nodes, leader=ev.is_leader)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            saved, status = _run(
                request,
                form,
                lambda: services.evaluation_review(
                    actor=user,
                    evaluation=ev,
                    expected_version=data["version"],
                    scores={k: str(v) for k, v in form.scores().items()},
                    reasons=form.reasons(),
                    comment=data["comment"],
                    leader=form.leader_parts() or None,
                ),
            )
            if saved is not None:
                messages.success(
                    request,
                    _("Đã ghi nhận nhận xét, đánh giá của cấp trên cho %(n)s: %(p)s điểm, %(r)s.")
                    % {
                        "n": saved.person.full_name,
                        "p": _pts(saved.points, lang),
                        "r": _rating(saved.rating),
                    },
                )
                return redirect("web:ev_review_queue")
            if status == 409:
                fresh = request.POST.copy()
                fresh["version"] = str(
                    Evaluation.objects.values_list("version", flat=True).get(pk=ev.pk)
                )
                form.data = fresh
        else:
            status = 400
    fields = [
        {
            "row": row,
            "score": form[f"score_{row['key']}"],
            "reason": form[f"reason_{row['key']}"],
        }
        for row in _score_rows(ev, nodes, lang)
    ]
    leader_fields = (
        [
            {
                "code": code,
                "label": label,
                "value": form[f"{code}_value"],
                "reason": form[f"{code}_reason"],
            }
            for code, label in LEADER_PARTS
        ]
        if ev.is_leader
        else []
    )
    return render(
        request,
        "web/evaluations/review.html",
        {
            "ev": ev,
            "form": form,
            "fields": fields,
            "leader_fields": leader_fields,
            "tasks": _task_panel(ev, lang),
        },
        status=status,
    )


@login_required
@require_POST
def evaluation_override(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    user, _scope = _viewer(request)
    ev = access_evaluation(user, evaluation_id)
    form = OverrideForm(request.POST)

    def add(data: dict[str, Any]) -> Override:
        kind, value = form.kind_value()
        return services.override_add(
            actor=user,
            evaluation=ev,
            kind=kind,
            value=value,
            document_ref=data["document_ref"],
            reason=data["reason"],
        )

    return _submit(
        request,
        form,
        add,
        again=lambda status: _evaluation_page(
            request, ev, status=status, failed=form, slot="override"
        ),
        said=lambda saved: (
            _("Đã ghi căn cứ hạ xếp loại kèm văn bản %(d)s.") % {"d": saved.document_ref}
        ),
        then=lambda _saved: redirect("web:ev_detail", evaluation_id=ev.pk),
    )


@login_required
@require_POST
def evaluation_party(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    user, _scope = _viewer(request)
    ev = access_evaluation(user, evaluation_id)
    form = PartyCommentForm(request.POST)
    return _submit(
        request,
        form,
        lambda data: services.party_comment_record(
            actor=user,
            evaluation=ev,
            committee=data["committee"],
            text=data["text"],
            document_ref=data["document_ref"],
        ),
        again=lambda status: _evaluation_page(
            request, ev, status=status, failed=form, slot="party"
        ),
        said=lambda _saved: _("Đã ghi ý kiến của cấp ủy."),
        then=lambda _saved: redirect("web:ev_detail", evaluation_id=ev.pk),
    )


@login_required
@require_POST
def complaint_file(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    user, _scope = _viewer(request)
    ev = access_evaluation(user, evaluation_id, action="complain")
    form = ComplaintForm(request.POST)
    return _submit(
        request,
        form,
        lambda data: services.complaint_file(actor=user, evaluation=ev, text=data["text"]),
        again=lambda status: _evaluation_page(
            request, ev, status=status, failed=form, slot="complaint"
        ),
        said=lambda saved: (
            _("Đã gửi khiếu nại; hạn trả lời %(d)s.") % {"d": saved.answer_due.strftime("%d/%m/%Y")}
        ),
        then=lambda _saved: redirect("web:ev_detail", evaluation_id=ev.pk),
    )


# --- complaints ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def complaint_detail(request: HttpRequest, complaint_id: int) -> HttpResponse:
    user, _scope = _viewer(request)
    complaint = access_complaint(user, complaint_id)
    ev = complaint.evaluation
    may_answer = (
        complaint.state == Complaint.State.OPEN
        and ev.period.state == S.PUBLISHED
        and _authority(user, ev.period.agency)
    )
    form = AnswerForm(request.POST or None)
    status = 200
    if request.method == "POST":
        complaint = access_complaint(user, complaint_id, action="answer")
        if form.is_valid():
            data = form.cleaned_data
            saved, status = _run(
                request,
                form,
                lambda: services.complaint_answer(
                    actor=user,
                    complaint=complaint,
                    answer=data["answer"],
                    outcome=data["outcome"],
                    new_rating=data["new_rating"],
                ),
            )
            if saved is not None:
                messages.success(request, _("Đã trả lời khiếu nại."))
                return redirect("web:ev_complaint", complaint_id=complaint.pk)
        else:
            status = 400
        may_answer = True
    complaint = Complaint.objects.select_related(
        "evaluation__person", "evaluation__period", "answered_by"
    ).get(pk=complaint.pk)
    return render(
        request,
        "web/evaluations/complaint.html",
        {
            "complaint": complaint,
            "ev": complaint.evaluation,
            "rating_label": _rating(complaint.evaluation.rating),
            "new_rating_label": _rating(complaint.new_rating) if complaint.new_rating else "",
            "form": form if may_answer else None,
            "late": complaint.state == Complaint.State.OPEN
            and clock.today() > complaint.answer_due,
        },
        status=status,
    )


# --- unit evaluations ------------------------------------------------------------------------


def _unit_page(
    request: HttpRequest,
    ue: UnitEvaluation,
    *,
    status: int = 200,
    failed: forms.Form | None = None,
    slot: str = "",
) -> HttpResponse:
    user, scope = _viewer(request)
    lang = language(request)
    ue = UnitEvaluation.objects.select_related("unit", "period__agency", "decided_by").get(pk=ue.pk)
    period = ue.period
    may_change = (
        (_is_office(scope, period.agency_id) or scope.leads_path(ue.unit.path))
        and period.state in tr.UNIT_KPI_STATES
        and ue.state != UnitEvaluation.State.DECIDED
    )
    authority = _authority(user, period.agency)
    may_decide = (
        authority
        and period.state in tr.DECISION_STATES
        and ue.state != UnitEvaluation.State.DECIDED
    )
    kpis = []
    for kpi in ue.kpis.all():
        entered = kpi.source == UnitKpi.Source.ENTERED
        form = None
        if may_change:
            form = (
                failed
                if slot == f"kpi:{kpi.key}"
                else KpiForm(
                    initial={
                        "key": kpi.key,
                        "target": kpi.target,
                        "actual": kpi.actual,
                        "evidence": kpi.evidence,
                    }
                )
            )
        kpis.append(
            {
                "kpi": kpi,
                "entered": entered,
                "target": _num(f"{kpi.target.normalize():f}", lang)
                if kpi.target is not None
                else "—",
                "actual": _num(f"{kpi.actual.normalize():f}", lang)
                if kpi.actual is not None
                else "—",
                "form": form,
            }
        )
    give_form = None
    if may_decide:
        give_form = (
            failed
            if slot == "give"
            else GiveRatingForm(initial={"rating": ue.given_rating, "basis": ue.given_basis})
        )
    context = {
        "ue": ue,
        "period": period,
        "kpis": kpis,
        "may_change": may_change,
        "may_decide": may_decide,
        "may_download": may_read_unit_summary(user, ue.unit, period),
        "give_form": give_form,
        "decide_failed": failed if slot == "decide" else None,
        "failed": failed,
        "rating_label": _rating(ue.rating),
        "given_label": _rating(ue.given_rating) if ue.given_rating else "",
        "points": _pts(ue.points, lang) if ue.points is not None else "—",
        "rates": (ue.facts or {}).get("rates"),
    }
    return render(request, "web/evaluations/unit.html", context, status=status)


@login_required
def unit_detail(request: HttpRequest, unit_evaluation_id: int) -> HttpResponse:
    user, _scope = _viewer(request)
    return _unit_page(request, access_unit_evaluation(user, unit_evaluation_id))


@login_required
@require_POST
def unit_kpi(request: HttpRequest, unit_evaluation_id: int) -> HttpResponse:
    user, _scope = _viewer(request)
    ue = access_unit_evaluation(user, unit_evaluation_id, action="change")
    form = KpiForm(request.POST)
    slot = f"kpi:{request.POST.get('key', '')}"

    def kpi_set(data: dict[str, Any]) -> UnitKpi:
        kpi = ue.kpis.filter(key=data["key"]).first()
        entered = kpi is not None and kpi.source == UnitKpi.Source.ENTERED
        return services.unit_kpi_set(
            actor=user,
            unit_evaluation=ue,
            key=data["key"],
            target=data["target"] if data["target"] is not None else "",
            actual=(data["actual"] if data["actual"] is not None else "") if entered else None,
            evidence=data["evidence"],
        )

    return _submit(
        request,
        form,
        kpi_set,
        again=lambda status: _unit_page(request, ue, status=status, failed=form, slot=slot),
        said=lambda saved: _("Đã cập nhật chỉ số “%(k)s”.") % {"k": saved.label},
        then=lambda _saved: redirect("web:ev_unit", unit_evaluation_id=ue.pk),
    )


@login_required
@require_POST
def unit_decide(request: HttpRequest, unit_evaluation_id: int) -> HttpResponse:
    user, _scope = _viewer(request)
    ue = access_unit_evaluation(user, unit_evaluation_id, action="decide")
    # a framework without a unit part posts a rating and its basis (a missing rating is refused)
    giving = "rating" in request.POST or "basis" in request.POST
    form: forms.Form = GiveRatingForm(request.POST) if giving else forms.Form(request.POST)
    slot = "give" if giving else "decide"

    def decide(data: dict[str, Any]) -> UnitEvaluation:
        if giving:
            services.unit_evaluation_give_rating(
                actor=user, unit_evaluation=ue, rating=data["rating"], basis=data["basis"]
            )
        return services.unit_evaluation_decide(actor=user, unit_evaluation=ue)

    return _submit(
        request,
        form,
        decide,
        again=lambda status: _unit_page(request, ue, status=status, failed=form, slot=slot),
        said=lambda saved: (
            _("Đã quyết định xếp loại đơn vị %(u)s: %(r)s.")
            % {"u": saved.unit.name, "r": _rating(saved.rating)}
        ),
        then=lambda _saved: redirect("web:ev_unit", unit_evaluation_id=ue.pk),
    )


# --- the decision per quota group ------------------------------------------------------------


def _group_page(
    request: HttpRequest,
    group: QuotaGroup,
    *,
    status: int = 200,
    failed: forms.Form | None = None,
    slot: str = "",
) -> HttpResponse:
    user, _scope = _viewer(request)
    lang = language(request)
    group = QuotaGroup.objects.select_related("period__agency", "unit", "decided_by").get(
        pk=group.pk
    )
    period = group.period
    sheet = decision_sheet(group)
    quota = sheet.get("quota") or {}
    proposed = {d["person_id"]: d for d in quota.get("demotions", [])}
    tied: dict[str, dict[str, Any]] = {}
    for tie in quota.get("ties", []):
        for candidate in tie["candidates"]:
            tied[candidate] = tie
    chosen = set((group.decision or {}).get("chosen_demotions", []))
    members = []
    candidates = []
    for row in sheet["members"]:
        key = str(row["evaluation"])
        demotion = proposed.get(key)
        members.append(
            {
                **row,
                "points_text": _pts(row["points"], lang),
                "rating_label": _rating(row["rating"]),
                "demotion": demotion,
                "demotion_reason": reader_text(
                    (demotion or {}).get("reason_vi", ""), (demotion or {}).get("reason_en", "")
                ),
                "tie": tied.get(key),
                "chosen": row["evaluation"] in chosen,
                "changes": [
                    reader_text(c.get("reason_vi", ""), c.get("reason_en", ""))
                    for c in row["changes"]
                ],
            }
        )
        if not row["decided"] and row["rating"] == quota.get("limited_rating", "excellent"):
            candidates.append((row["evaluation"], row["person"]))
    total = len(members) or 1
    distribution = [
        {
            "code": code,
            "label": _rating(code),
            "n": sheet["distribution"].get(code, 0),
            "pct": round(100 * sheet["distribution"].get(code, 0) / total, 1),
        }
        for code in RATING_ORDER
    ]
    line = Fraction(sheet.get("quota_line", "0"))
    limited = sheet["distribution"].get(quota.get("limited_rating", "excellent"), 0)
    # The bar's scale is the group size; the quota line marks how many may be excellent.
    line_pct = min(100.0, float(100 * line / total))
    may_decide = (
        _authority(user, period.agency)
        and period.state in tr.DECISION_STATES
        and group.decided_at is None
    )
    # Heads whose unit is not rated yet: said before the form, which is not offered, since
    # the server refuses the group until their unit is decided (a head is not rated above it).
    unit_pages = dict(
        UnitEvaluation.objects.filter(
            period=period, unit__in=[w["unit"] for w in sheet["waiting"]]
        ).values_list("unit_id", "pk")
        if sheet["waiting"]
        else []
    )
    waiting = [{**w, "unit_evaluation": unit_pages.get(w["unit"].pk)} for w in sheet["waiting"]]
    decide_form: forms.Form | None = None
    if may_decide and not waiting:
        decide_form = (
            failed
            if slot == "decide" and failed is not None
            else GroupDecideForm(
                initial={"demote": [int(k) for k in proposed]}, candidates=candidates
            )
        )
        # only the undecided members proposed excellent now can be ticked
        decide_form.fields["demote"].choices = candidates  # type: ignore[attr-defined]
    exception_form = None
    if may_decide:
        exception_form = (
            failed
            if slot == "exception"
            else ExceptionForm(
                initial={"ratio": group.exception_ratio, "basis": group.exception_basis}
            )
        )
    overrides = (
        Evaluation.objects.filter(pk__in=[m["evaluation"] for m in members])
        .filter(overrides__isnull=False)
        .values_list(
            "person__full_name",
            "overrides__kind",
            "overrides__value",
            "overrides__document_ref",
            "overrides__reason",
        )
        .order_by("person__search_name", "overrides__id")
    )
    labels = {**DISCIPLINE, **FLAG_LABELS}
    context = {
        "group": group,
        "period": period,
        "sheet": sheet,
        "quota": quota,
        "members": members,
        "distribution": distribution,
        "line": _num(f"{float(line):g}", lang),
        "line_pct": f"{line_pct:.1f}",
        "limited": limited,
        "over": limited > line,
        "ratio_pct": _num(f"{float(Fraction(quota.get('ratio', '0.2'))) * 100:g}", lang)
        if quota
        else "",
        "ties": quota.get("ties", []),
        "decide_form": decide_form,
        "waiting": waiting,
        "may_decide": may_decide,
        "exception_form": exception_form,
        "failed": failed,
        "overrides": [
            {"person": p, "kind": k, "label": labels.get(v, v), "doc": d, "reason": r}
            for p, k, v, d, r in overrides
        ],
    }
    return render(request, "web/evaluations/group.html", context, status=status)


@login_required
def group_detail(request: HttpRequest, group_id: int) -> HttpResponse:
    user, _scope = _viewer(request)
    return _group_page(request, access_quota_group(user, group_id))


@login_required
@require_POST
def group_decide(request: HttpRequest, group_id: int) -> HttpResponse:
    user, _scope = _viewer(request)
    group = access_quota_group(user, group_id, action="decide")
    candidates = [(ev.pk, ev.person.full_name) for ev in group.members.select_related("person")]
    form = GroupDecideForm(request.POST, candidates=candidates)
    return _submit(
        request,
        form,
        lambda data: services.group_decide(actor=user, group=group, demote=data["demote"]),
        # refused: the page offers again the members proposed excellent now
        again=lambda status: _group_page(request, group, status=status, failed=form, slot="decide"),
        said=lambda saved: _("Đã quyết định xếp loại nhóm “%(g)s”.") % {"g": saved.name},
        then=lambda _saved: redirect("web:ev_group", group_id=group.pk),
    )


@login_required
@require_POST
def group_exception(request: HttpRequest, group_id: int) -> HttpResponse:
    user, _scope = _viewer(request)
    group = access_quota_group(user, group_id, action="decide")
    form = ExceptionForm(request.POST)
    return _submit(
        request,
        form,
        lambda data: services.quota_group_set_exception(
            actor=user, group=group, ratio=data["ratio"], basis=data["basis"]
        ),
        again=lambda status: _group_page(
            request, group, status=status, failed=form, slot="exception"
        ),
        said=lambda _saved: _("Đã cập nhật tỷ lệ ngoại lệ của nhóm."),
        then=lambda _saved: redirect("web:ev_group", group_id=group.pk),
    )


# --- notifications ---------------------------------------------------------------------------


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    user, scope = _viewer(request)
    rows = visible_notifications(user).order_by("-created_at", "-id")[:100]
    # The viewer's own e-mail choice, shown with the address it would go to.
    me = access_person(user, scope.person_id) if scope.person_id else None
    return render(request, "web/evaluations/notifications.html", {"rows": rows, "me": me})


@login_required
@require_POST
def notifications_email(request: HttpRequest) -> HttpResponse:
    user, scope = _viewer(request)
    if scope.person_id is None:
        raise AccessDenied(
            "Tài khoản này không gắn với cán bộ nào.", "This login is not linked to an official."
        )
    enabled = request.POST.get("email_notifications") == "on"
    person_set_email_notifications(
        actor=user, person=access_person(user, scope.person_id), enabled=enabled
    )
    if enabled:
        messages.success(request, _("Thông báo sẽ được gửi cả qua e-mail."))
    else:
        messages.success(request, _("Thông báo chỉ hiện trong ứng dụng, không gửi e-mail."))
    return redirect("web:ev_notifications")


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    user, _scope = _viewer(request)
    notification = access_notification(user, notification_id)
    services.notification_read(actor=user, notification=notification)
    target = notification.link if notification.link.startswith("/") else ""
    if request.POST.get("open") and target:
        return redirect(target)
    return redirect("web:ev_notifications")


def unread_count(user: Any) -> int:
    """For the menu: the viewer's unread notifications."""
    return visible_notifications(user).filter(read_at__isnull=True).count()
