"""Dashboards (issue 6): My dashboard, the unit dashboard, the agency dashboard and the header
search. Views only translate: the numbers come from `thuocdo.web.dashboards`, every object
through `access_*` and every list through `visible_*`. Each page issues a fixed number of
queries whatever the agency's size (tests/web/test_dashboards.py counts them).

Charts are inline SVG computed here (no library, nothing fetched): every chart is followed
by a table with the same numbers for screen readers and print, and every number links to
its breakdown (`web:work_why`, the breakdown on the page, or the evaluation) or to the work
behind it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from thuocdo.access import (
    Scope,
    access_person,
    access_unit,
    scope_for,
    subtree_posts,
    subtree_tasks,
    subtree_units,
    visible_evaluations,
    visible_people,
    visible_plans,
    visible_quota_groups,
    visible_tasks,
    visible_unit_evaluations,
    visible_units,
)
from thuocdo.core import clock
from thuocdo.core.errors import AccessDenied
from thuocdo.core.models import User
from thuocdo.core.numbers import text_for as _num
from thuocdo.core.params import id_param
from thuocdo.evaluations.compute import explained
from thuocdo.evaluations.models import RATING_CHOICES, Evaluation
from thuocdo.frameworks.selectors import engine_framework
from thuocdo.org.models import Person, Unit
from thuocdo.org.selectors import in_member_order
from thuocdo.scoring import Framework
from thuocdo.scoring.numbers import fmt_decimal, fmt_percent, fmt_points
from thuocdo.web import dashboards as dash
from thuocdo.web.actions import language
from thuocdo.web.breakdown import shown_tree
from thuocdo.work import board
from thuocdo.work.jobs import start_live_refresh
from thuocdo.work.models import PlanItem

MEMBERS_PER_PAGE = 50
RATING_LABELS = dict(RATING_CHOICES)
RATING_ORDER = ("excellent", "good", "completed", "not_completed")
RATING_SHORT = {
    "excellent": gettext_lazy("Xuất sắc"),
    "good": gettext_lazy("Tốt"),
    "completed": gettext_lazy("Hoàn thành"),
    "not_completed": gettext_lazy("Không hoàn thành"),
}
LEADER_PARTS = (
    ("d", gettext_lazy("d. Kết quả của đơn vị")),
    ("dd", gettext_lazy("đ. Năng lực tổ chức triển khai")),
    ("e", gettext_lazy("e. Năng lực tập hợp, đoàn kết")),
)


# --- small helpers ----------------------------------------------------------------------------


def _viewer(request: HttpRequest) -> tuple[User, Scope]:
    user = request.user
    assert isinstance(user, User)  # login_required ran first
    return user, scope_for(user)


def _points(value: Decimal | Fraction | None, lang: str) -> str:
    return "" if value is None else _num(fmt_points(Fraction(value)), lang)


def _pct(value: Fraction | None, lang: str) -> str:
    return "" if value is None else _num(fmt_percent(value), lang)


def _pct100(value: Fraction | None, lang: str) -> str:
    """A value already in percent (0–100); "—" when there was nothing to measure."""
    return "—" if value is None else _num(fmt_percent(value / 100), lang)


def _evaluation_url(evaluation_id: int) -> str | None:
    """The evaluation page when the evaluation pages are installed, else None."""
    for name in ("web:ev_detail", "web:evaluation_detail"):
        try:
            return reverse(name, args=[evaluation_id])
        except NoReverseMatch:
            continue
    return None


def _live_view(live: dash.Live, lang: str, *, href: str) -> dict[str, Any]:
    vi = lang.startswith("vi")
    view: dict[str, Any] = {
        "period": live.period,
        "a": _pct(live.a, lang),
        "b": _pct(live.b, lang),
        "c": _pct(live.c, lang),
        "points": _points(live.points, lang),
        "max": _points(live.max_points, lang).rstrip("0").rstrip(",.") if live.max_points else "",
        "leader": live.leader_pending,
        "reason": _num(live.reason_vi if vi else live.reason_en, lang),
        "counted": live.counted,
        "href": href,
        "scored": live.scored,
    }
    result = live.result
    node = result.breakdown.find("task_results") if result and result.breakdown else None
    if node is not None:
        view["tree"] = shown_tree(node.as_dict(), lang)
    return view


def _leader_tree(lang: str) -> list[dict[str, Any]]:
    return [{"key": key, "label": label} for key, label in LEADER_PARTS]


def _legend(fw: Framework, lang: str) -> dict[str, str]:
    """The numbers the legend of a, b, c (and d, đ, e) quotes, from the framework in force."""
    return {
        "quality": _pct(fw.settings.quality_deduction, lang),
        "timeliness": _pct(fw.settings.timeliness_deduction, lang),
        "max": _points(dash.task_max(fw), lang).rstrip("0").rstrip(",."),
    }


# --- charts -------------------------------------------------------------------------------------

CHART_W, CHART_H = 640, 240
PAD_L, PAD_R, PAD_T, PAD_B = 44, 12, 16, 40


def column_chart(
    bars: Sequence[Mapping[str, Any]], *, top: float, ticks: Sequence[float], tick_text: str = "{}"
) -> dict[str, Any]:
    """Vertical bars: [{label, value (float|None), text, href, cls}] → SVG geometry."""
    inner_w, inner_h = CHART_W - PAD_L - PAD_R, CHART_H - PAD_T - PAD_B
    step = inner_w / max(1, len(bars))
    width = min(56.0, step * 0.6)
    shapes = []
    for index, bar in enumerate(bars):
        value = bar.get("value")
        height = 0.0 if value is None else inner_h * min(1.0, max(0.0, value / top))
        x = PAD_L + step * index + (step - width) / 2
        y = PAD_T + inner_h - height
        shapes.append(
            {
                **bar,
                "x": round(x, 1),
                "y": round(y, 1),
                "w": round(width, 1),
                "h": round(height, 1),
                "cx": round(x + width / 2, 1),
                "ty": round(y - 4, 1),
                "ly": CHART_H - PAD_B + 16,
                "empty": value is None,
            }
        )
    grid = [
        {
            "y": round(PAD_T + inner_h - inner_h * tick / top, 1),
            "text": tick_text.format(int(tick)),
        }
        for tick in ticks
    ]
    return {
        "w": CHART_W,
        "h": CHART_H,
        "bars": shapes,
        "grid": grid,
        "x0": PAD_L,
        "x1": CHART_W - PAD_R,
        "base": PAD_T + inner_h,
    }


ROW_H = 26


def bar_rows(
    rows: Sequence[Mapping[str, Any]],
    *,
    top: float,
    marker: float | None = None,
    width: int = CHART_W,
    label_w: int = 260,
    value_w: int = 70,
) -> dict[str, Any]:
    """Horizontal bars, one per row: [{label, value, text, href, cls}], an optional marker;
    `value_w` is the room kept right of the longest bar for its text."""
    inner = width - label_w - value_w
    shapes = []
    for index, row in enumerate(rows):
        value = row.get("value") or 0
        bar_w = inner * min(1.0, max(0.0, value / top)) if top else 0
        y = 8 + index * ROW_H
        shapes.append(
            {
                **row,
                "y": y,
                "ty": y + ROW_H / 2 + 4,
                "x": label_w,
                "w": round(bar_w, 1),
                "vx": round(label_w + bar_w + 6, 1),
            }
        )
    height = 16 + ROW_H * max(1, len(rows))
    mark = None
    if marker is not None and top:
        mark = {"x": round(label_w + inner * min(1.0, marker / top), 1), "y2": height - 4}
    return {"w": width, "h": height, "rows": shapes, "label_w": label_w, "marker": mark}


def _heat(points: Decimal | Fraction | None, top: Fraction | None) -> str:
    """A cell's band by share of the maximum (colour plus pattern in print)."""
    if points is None or not top:
        return "heat-none"
    share = Fraction(points) / Fraction(top)
    if share >= Fraction(9, 10):
        return "heat-4"
    if share >= Fraction(7, 10):
        return "heat-3"
    if share >= Fraction(1, 2):
        return "heat-2"
    return "heat-1"


# --- My dashboard ------------------------------------------------------------------------------


def _dashboard_person(request: HttpRequest) -> tuple[Person, bool]:
    user, scope = _viewer(request)
    wanted = id_param(request.GET.get("person"))
    if wanted is not None and wanted != scope.person_id:
        return access_person(user, wanted), False
    if scope.person_id is None:
        raise AccessDenied(
            "Tài khoản này không gắn với cán bộ nào nên không có bảng điều khiển cá nhân.",
            "This login is not linked to an official, so it has no personal dashboard.",
        )
    return access_person(user, scope.person_id), True


def _work_link(scope: Scope, person: Person, mine: bool, **params: str) -> str | None:
    """The filtered work list behind a count: My work, or the unit board for a leader."""
    if mine:
        return (
            f"{reverse('web:work_mine')}?{urlencode(params)}"
            if params
            else reverse("web:work_mine")
        )
    if scope.is_unit_leader:
        query = urlencode({"owner": str(person.pk), "view": "table", **params})
        return f"{reverse('web:work_board')}?{query}"
    return None


@login_required
def my_dashboard(request: HttpRequest) -> HttpResponse:
    user, scope = _viewer(request)
    person, mine = _dashboard_person(request)
    lang = language(request)
    today = clock.today()
    fw = dash.framework(person.agency_id, dash.month_of(today))
    role = dash.roles_on([person.pk], today)[person.pk]
    period = dash.month_of(today)
    why = reverse("web:work_why") if mine else "#breakdown"
    live = dash.explain_month(fw, person.pk, role, period, as_of=today)
    trend = dash.live_trend([person.pk], today)
    leader = role in dash.LEADER_ROLES

    bars, trend_rows = [], []
    for month, by_person in trend.items():
        item = by_person[person.pk]
        value = item.a if leader else item.points
        shown = _pct(item.a, lang) if leader else _points(item.points, lang)
        href = why if month == period else None
        bars.append(
            {
                "label": month.start.strftime("%m/%Y"),
                "value": None if value is None else float(value * (100 if leader else 1)),
                "text": shown or "—",
                "href": href,
                "cls": "bar-now" if month == period else "",
            }
        )
        trend_rows.append(
            {
                "label": month.start.strftime("%m/%Y"),
                "a": _pct(item.a, lang),
                "b": _pct(item.b, lang),
                "c": _pct(item.c, lang),
                "points": _points(item.points, lang),
                "counted": item.counted,
                "href": href,
            }
        )
    if leader:  # a in percent: one unit on the axis; above 100% is extra work, kept whole
        highest = max([float(bar["value"] or 0) for bar in bars] + [100.0])
        top = float(math.ceil(highest / 25) * 25)
        ticks = [0.0, 50.0, 100.0] + ([top] if top > 100 else [])
    else:
        top = float(live.max_points or 70)
        ticks = [0, top / 2, top]
    chart = column_chart(bars, top=top, ticks=ticks, tick_text="{}%" if leader else "{}")

    evaluations = list(dash.decided(visible_evaluations(user).filter(person=person)))
    history = [
        {
            "id": ev.pk,
            "period": ev.period,
            "points": _points(ev.points, lang),
            "rating": ev.rating,
            "rating_label": RATING_LABELS.get(ev.rating, ""),
            "href": _evaluation_url(ev.pk) or f"#evaluation-{ev.pk}",
            "tree": shown_tree(tree, lang)
            if (tree := explained(ev.result, engine_framework(ev.framework))) is not None
            else None,
        }
        for ev in evaluations
    ]
    tasks = visible_tasks(user).filter(owner=person)
    counts = dash.work_counts(tasks, today)
    due = list(dash.due_and_overdue(tasks, today)[:15])
    for task in due:
        task.days = (task.effective_deadline - today).days  # type: ignore[attr-defined]
    costs = [
        {
            "task": cost.task,
            "volume": _num(fmt_decimal(cost.lost_volume, 2), lang) if cost.lost_volume else "",
            "quality": _num(fmt_decimal(cost.lost_quality, 2), lang) if cost.lost_quality else "",
            "time": _num(fmt_decimal(cost.lost_time, 2), lang) if cost.lost_time else "",
            "failures": cost.failures,
            "delays": cost.delays,
        }
        for cost in dash.costing_points(tasks, period, today, fw)
    ]
    return render(
        request,
        "web/dashboards/mine.html",
        {
            "person": person,
            "mine": mine,
            "role": role,
            "leader": leader,
            "leader_parts": _leader_tree(lang),
            "legend": _legend(fw, lang),
            "live": _live_view(live, lang, href=why),
            "chart": chart,
            "trend_rows": trend_rows,
            "history": history,
            "counts": counts,
            "due": due,
            "costs": costs,
            "today": today,
            "links": {
                "overdue": _work_link(scope, person, mine, due="overdue"),
                "week": _work_link(scope, person, mine, due="week"),
                "waiting": _work_link(scope, person, mine, state="submitted"),
                "all": _work_link(scope, person, mine),
            },
        },
    )


# --- the unit dashboard ----------------------------------------------------------------------


def _may_see_unit_dashboard(scope: Scope, unit: Unit) -> bool:
    return scope.leads_path(unit.path) or scope.reads_agency(unit.agency_id)


@login_required
def unit_dashboard(request: HttpRequest, unit_id: int) -> HttpResponse:
    user, scope = _viewer(request)
    unit = access_unit(user, unit_id)
    if not _may_see_unit_dashboard(scope, unit):
        raise AccessDenied(
            "Bảng điều khiển đơn vị dành cho lãnh đạo đơn vị và lãnh đạo cơ quan.",
            "The unit dashboard is for the unit's leaders and the agency's leadership.",
        )
    lang = language(request)
    today = clock.today()
    fw = dash.framework(unit.agency_id or unit.pk, dash.month_of(today))
    period = dash.month_of(today)
    months = dash.months_back(today)

    whole = subtree_units(user, unit)  # asked once: the posts and the tasks below
    posts = subtree_posts(user, unit, today, units=whole)
    # The database sorts and counts the members; whole rows only for the page shown (a
    # department can hold thousands). Counts and the distribution cover all.
    page = Paginator(
        in_member_order(posts, unit).values_list("pk", flat=True), MEMBERS_PER_PAGE
    ).get_page(request.GET.get("page"))
    rank = {pk: index for index, pk in enumerate(page.object_list)}
    shown = sorted(
        posts.filter(pk__in=list(rank)).select_related("person", "unit"),
        key=lambda a: rank[a.pk],
    )
    shown_ids = [a.person_id for a in shown]
    trend = dash.live_trend(shown_ids, today)
    now = trend[period]
    member_evaluations = visible_evaluations(user).filter(person__in=posts.values("person_id"))
    last_period = dash.latest_decided_period(member_evaluations)
    counts = dash.rating_counts_in(member_evaluations, last_period)
    by_month: dict[tuple[int, int], dict[int, Evaluation]] = {}
    last: dict[int, Evaluation] = {}
    for ev in dash.decided(member_evaluations.filter(person_id__in=shown_ids)):
        key = dash.month_key(ev.period)
        if key is not None:
            by_month.setdefault(key, {})[ev.person_id] = ev
        if last_period is not None and ev.period_id == last_period.pk:
            last[ev.person_id] = ev

    # The heatmap shows points only: a decided month its total (out of 100), any other
    # month the live task points (out of the task part's maximum). A leader's live points
    # wait for d, đ, e, so their live quantity (a, in percent) has a table of its own.
    rows, leader_rows = [], []
    for a in shown:
        person_url = f"{reverse('web:dashboard')}?person={a.person_id}"
        item = now[a.person_id]
        last_ev = last.get(a.person_id)
        cells, shares = [], []
        for month in months:
            decided_ev = by_month.get((month.start.year, month.start.month), {}).get(a.person_id)
            live = trend[month][a.person_id]
            if decided_ev is not None:
                cells.append(
                    {
                        "text": _points(decided_ev.points, lang),
                        "cls": _heat(decided_ev.points, Fraction(100)),
                        "href": _evaluation_url(decided_ev.pk)
                        or f"{person_url}#evaluation-{decided_ev.pk}",
                        "decided": True,
                    }
                )
            elif live.leader_pending:
                cells.append(
                    {"pending": True, "scored": live.scored, "href": f"{person_url}#breakdown"}
                )
            else:
                cells.append(
                    {
                        "text": _points(live.points, lang),
                        "cls": _heat(live.points, live.max_points),
                        "href": f"{person_url}#breakdown",
                        "decided": False,
                    }
                )
            if live.leader_pending:
                shares.append(
                    {
                        "text": _pct(live.a, lang),
                        "cls": _heat(live.a, Fraction(1)),
                        "href": f"{person_url}#breakdown",
                    }
                )
        rows.append(
            {
                "a": a,
                "live": _live_view(item, lang, href=f"{person_url}#breakdown"),
                "rating": last_ev.rating if last_ev else "",
                "rating_label": RATING_LABELS.get(last_ev.rating, "") if last_ev else "",
                "rating_href": (
                    _evaluation_url(last_ev.pk) or f"{person_url}#evaluation-{last_ev.pk}"
                )
                if last_ev
                else None,
                "cells": cells,
                # a leader with no decided month has no points to show in the heatmap
                "in_heatmap": not all(cell.get("pending") for cell in cells),
            }
        )
        if shares:
            leader_rows.append({"a": a, "cells": shares})

    quota = dash.quota_line(counts, fw)
    dist_top = float(max([*counts.values(), quota, 1]))
    distribution = bar_rows(
        [
            {
                "label": str(RATING_SHORT[key]),
                "full": str(RATING_LABELS[key]),
                "value": counts[key],
                "text": str(counts[key]),
                "cls": f"rating-{key}",
                "href": None,
            }
            for key in RATING_ORDER
        ],
        top=dist_top,
        width=440,
        label_w=150,
    )
    # The quota line: how many "excellent" the counts allow, across every row.
    inner = distribution["w"] - distribution["label_w"] - 70  # bar_rows' value_w
    distribution["h"] += 18
    distribution["marker"] = {
        "x": round(distribution["label_w"] + inner * quota / dist_top, 1),
        "y1": 2,
        "y2": distribution["h"] - 16,
        "text": str(quota),
    }

    tasks = subtree_tasks(user, unit, units=whole)
    overdue = list(dash.due_and_overdue(tasks, today, days=-1)[:10])
    for task in overdue:
        task.days = (today - task.effective_deadline).days  # type: ignore[attr-defined]
    counts_work = dash.work_counts(tasks, today)
    # The month's rates from the kept unit rows (as the agency page): their cost does not
    # grow with the tasks below. Until the agency's rows are first computed, from the tasks.
    agency = unit.agency or unit  # an agency's own page: the unit is the agency
    back = reverse("web:dashboard_unit", args=[unit.pk])
    kept = dash.kept_rates(agency, period, today, whole, back=back) if whole else None
    if kept is not None:
        rates = kept.rates
    else:
        rates = dash.Rates()
        for unit_rates in dash.rates_by_unit(tasks, period, today).values():
            rates.add(unit_rates)
    plan_items = PlanItem.objects.filter(
        plan__in=visible_plans(user).filter(unit__path__startswith=unit.path)
    )
    alignment = [
        {**row, "share_text": _pct100(row["share"], lang) if row["share"] is not None else ""}
        for row in dash.plan_alignment(plan_items, period, today)
    ]
    # "100% of the plan done" beside "0% of the target": say why, on the spot, when the
    # items' attainment lags the completion of what has fallen due.
    plan_done = rates.plan_completion
    behind = [
        row
        for row in alignment
        if plan_done is not None
        and row["state"] in ("measured", "not_yet")
        and (row["share"] or 0) < plan_done - 10
    ]
    kpis = dash.latest_unit_kpis(visible_unit_evaluations(user), unit)
    board = (
        f"{reverse('web:work_board')}?{urlencode({'due': 'overdue', 'view': 'table'})}"
        if scope.is_unit_leader
        else None
    )
    return render(
        request,
        "web/dashboards/unit.html",
        {
            "unit": unit,
            "period": period,
            "months": months,
            "rows": rows,
            "page": page,
            "headcount": page.paginator.count,
            "last_period": last_period,
            "counts": counts,
            "quota": quota,
            "quota_ratio": _num(fmt_percent(fw.quota.ratio), lang),
            "distribution": distribution,
            "overdue": overdue,
            "counts_work": counts_work,
            "rates": {
                "plan": _pct100(rates.plan_completion, lang),
                "on_time": _pct100(rates.on_time_rate, lang),
                "on_time_n": rates.on_time,
                "planned_due": rates.planned_due,
                "planned_accepted": rates.planned_accepted,
                "counted": rates.counted,
                "returned": rates.returned,
                "by_kind": rates.by_kind,
            },
            "rates_computed_at": kept.computed_at if kept else None,
            "rates_refreshing": kept.refreshing if kept else None,
            "max_age": int(dash.BOARD_MAX_AGE.total_seconds() // 60),
            "alignment": alignment,
            "behind": len(behind),
            "leader_rows": leader_rows,
            "legend": _legend(fw, lang),
            "kpis": kpis,
            "board": board,
            "rating_order": RATING_ORDER,
            "rating_labels": RATING_LABELS,
        },
    )


# --- the agency dashboard ----------------------------------------------------------------------


def _agency_for(request: HttpRequest, scope: Scope) -> Unit:
    allowed = set(scope.dashboard_agencies)
    wanted = id_param(request.GET.get("agency"))
    if scope.operator:
        roots = Unit.objects.filter(parent__isnull=True).order_by("pk")
        agency = roots.filter(pk=wanted).first() if wanted is not None else roots.first()
        if agency is not None:
            return agency
    if not allowed:
        raise AccessDenied(
            "Bảng điều khiển toàn cơ quan dành cho lãnh đạo cơ quan và bộ phận tổ chức cán bộ.",
            "The agency dashboard is for the agency's leadership and personnel office.",
        )
    chosen = wanted if wanted is not None and wanted in allowed else min(allowed)
    return Unit.objects.get(pk=chosen)


THIN_REASONS = {
    "empty": gettext_lazy("chưa có người đang công tác"),
    "few_people": gettext_lazy("cần ít nhất %(min)s người có điểm"),
    "low_share": gettext_lazy(
        "cần ít nhất một nửa số công chức không giữ chức vụ lãnh đạo có điểm"
    ),
}


def _standing(standing: dash.Standing, lang: str, *, rank: int | None = None) -> dict[str, Any]:
    """A unit's row in the ranking, or in the list of units left out of it (`rank` None)."""
    rates = standing.rates
    return {
        "rank": rank,
        "unit": standing.unit,
        "headcount": standing.headcount,
        "staff": standing.staff,
        "scored": standing.scored,
        # "4 người" / "4 people": the count the mean is taken over, beside every mean
        "people_text": ngettext("%(n)s người", "%(n)s người", standing.scored)
        % {"n": standing.scored},
        "mean": standing.mean,
        "mean_text": _points(standing.mean, lang),
        "reason": standing.thin,
        "reason_text": str(THIN_REASONS[standing.thin]) % {"min": dash.RANK_MIN_PEOPLE}
        if standing.thin
        else "",
        "plan": _pct100(rates.plan_completion, lang),
        "plan_value": rates.plan_completion,
        "on_time": _pct100(rates.on_time_rate, lang),
        "overdue": rates.overdue,
        "counted": rates.counted,
    }


@login_required
def agency_dashboard(request: HttpRequest) -> HttpResponse:
    user, scope = _viewer(request)
    agency = _agency_for(request, scope)
    lang = language(request)
    today = clock.today()
    fw = dash.framework(agency.pk, dash.month_of(today))
    period = dash.month_of(today)

    # Every number below comes from the kept per-unit totals (`work.board`), read in two
    # queries whatever the headcount; the page says when they were computed. Units are
    # read as (id, path) pairs: only the top-level ones, which are shown, as objects.
    visible = visible_units(user).filter(agency=agency)
    paths = dict(visible.values_list("pk", "path"))
    top_units = list(visible.filter(depth=1).order_by("path"))
    back = f"{reverse('web:dashboard_agency')}?agency={agency.pk}"
    kept = dash.agency_board(agency, today, paths, back=back)
    # The ranking covers a month with enough days in it (this one, or early on the last
    # one) and only the units with enough people scored; the others are listed apart.
    rank_month = dash.rank_period(today)
    summary = dash.board_summary(kept, today)
    now_sums = kept.totals(period)
    agency_rates = dash.rates_from(now_sums)
    ranked, thin = dash.board_standings(
        board.unit_rows(agency.pk, rank_month, paths), paths, top_units
    )
    ranking = [_standing(s, lang, rank=index) for index, s in enumerate(ranked, start=1)]
    top = float(dash.task_max(fw))  # the task-results part (general criteria: at evaluation)
    rank_chart = bar_rows(
        [
            {
                "label": (
                    row["unit"].display_name(lang)
                    if lang.startswith("en")
                    else row["unit"].short_name or row["unit"].name
                ),
                "value": float(row["mean"]),
                "text": f"{row['mean_text']} · {row['people_text']}",
                "href": reverse("web:dashboard_unit", args=[row["unit"].pk]),
                "cls": "",
            }
            for row in ranking
        ],
        top=top,
        value_w=150,
    )
    rank_as_of = min(today, rank_month.end)

    trend_rows, bars = [], []
    for month, month_summary in summary.items():
        mean = month_summary.mean
        trend_rows.append(
            {
                "label": month.start.strftime("%m/%Y"),
                "mean": _points(mean, lang),
                "scored": month_summary.scored,
            }
        )
        bars.append(
            {
                "label": month.start.strftime("%m/%Y"),
                "value": float(mean) if mean is not None else None,
                "text": _points(mean, lang) or "—",
                "href": None,
                "cls": "bar-now" if month == period else "",
            }
        )
    trend_chart = column_chart(bars, top=top, ticks=[0, top / 2, top])

    agency_evaluations = visible_evaluations(user).filter(agency=agency)
    last_period = dash.latest_decided_period(agency_evaluations)
    groups = dash.quota_distribution(visible_quota_groups(user), last_period)
    for group in groups:
        group["cells"] = [{"key": key, "n": group["counts"][key]} for key in RATING_ORDER]
        group["over"] = group["counts"]["excellent"] > group["quota"]
    return render(
        request,
        "web/dashboards/agency.html",
        {
            "agency": agency,
            "period": period,
            "today": today,
            "ranking": ranking,
            "thin": [_standing(s, lang) for s in thin],
            "rank": {
                "month": rank_month,
                "current": rank_month == period,
                "whole": rank_as_of == rank_month.end,
                "as_of": rank_as_of,
                "days": dash.working_days(rank_month.start, rank_as_of),
                "days_now": dash.working_days(period.start, today),
                "min_days": dash.RANK_MIN_WORKING_DAYS,
                "min_people": dash.RANK_MIN_PEOPLE,
                "max": _points(Fraction(top), lang).rstrip("0").rstrip(",."),
            },
            "rank_chart": rank_chart,
            "trend_chart": trend_chart,
            "trend_rows": trend_rows,
            "groups": groups,
            "last_period": last_period,
            "rating_order": RATING_ORDER,
            "rating_labels": RATING_LABELS,
            "agency_rates": {
                "plan": _pct100(agency_rates.plan_completion, lang),
                "on_time": _pct100(agency_rates.on_time_rate, lang),
                "planned_due": agency_rates.planned_due,
                "planned_accepted": agency_rates.planned_accepted,
                "counted": agency_rates.counted,
                "overdue": agency_rates.overdue,
            },
            "headcount": now_sums["headcount"],
            "computed_at": kept.computed_at,
            "max_age": int(dash.BOARD_MAX_AGE.total_seconds() // 60),
            "refresh_running": kept.refreshing,
        },
    )


@login_required
@require_POST
def agency_refresh(request: HttpRequest) -> HttpResponse:
    """Recomputes the agency's kept live points now, as a job (the nightly one, early)."""
    user, scope = _viewer(request)
    agency = _agency_for(request, scope)
    job = start_live_refresh(
        agency=agency, actor=user, back=f"{reverse('web:dashboard_agency')}?agency={agency.pk}"
    )
    return redirect("web:job", job.pk)


# --- search -------------------------------------------------------------------------------------


@login_required
def search(request: HttpRequest) -> HttpResponse:
    user, _scope = _viewer(request)
    query = (request.GET.get("q") or "").strip()[:200]
    results = dash.search(
        query,
        people=visible_people(user).filter(is_active=True),
        units=visible_units(user),
        tasks=visible_tasks(user),
    )
    return render(request, "web/dashboards/search.html", {"q": query, "results": results})
