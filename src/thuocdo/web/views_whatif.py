"""Preview of a draft framework (what-if, issue 14): the start form, the result of a run
(distributions current vs draft, per unit, who changes and why) and one person's two
breakdowns side by side.

Views only translate: the agency and the run come through `access.whatif`, the run is
started by `evaluations.whatif.whatif_start` (a job) and its rows are read as kept.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from thuocdo.access.whatif import (
    access_whatif_agency,
    access_whatif_line,
    access_whatif_run,
    whatif_agencies,
    whatif_refused,
)
from thuocdo.core.models import User
from thuocdo.core.numbers import text_for
from thuocdo.core.params import id_param
from thuocdo.evaluations import whatif
from thuocdo.evaluations.models import RATING_CHOICES, WhatIfLine, WhatIfRun
from thuocdo.frameworks.models import FrameworkVersion
from thuocdo.jobs.selectors import job_view
from thuocdo.web.actions import attempt, language
from thuocdo.web.breakdown import shown_tree
from thuocdo.web.views_jobs import status_json

RATINGS = [code for code, _label in RATING_CHOICES]
PAGE_SIZE = 50


class DraftChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        # as the period form names a framework: its title, then the version
        return _("%(title)s (phiên bản %(version)s)") % {
            "title": obj.title or obj.key,
            "version": obj.version,
        }


class WhatIfForm(forms.Form):
    framework = DraftChoice(
        label=gettext_lazy("Khung dự thảo"), queryset=FrameworkVersion.objects.none()
    )
    periods = forms.IntegerField(
        label=gettext_lazy("Số kỳ đã quyết định gần nhất"),
        min_value=1,
        max_value=whatif.MAX_PERIODS,
        initial=3,
    )

    def __init__(self, *args: Any, drafts: list[FrameworkVersion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["framework"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = FrameworkVersion.objects.filter(pk__in=[d.pk for d in drafts])


def _points(value: Decimal | None, lang: str) -> str:
    return text_for(str(value), lang) if value is not None else "—"


@login_required
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """Choose a draft of the agency and how many decided periods to run it over."""
    agencies = whatif_agencies(request.user)
    if not agencies:
        raise whatif_refused()
    wanted = id_param(request.GET.get("agency") or request.POST.get("agency"))
    agency = access_whatif_agency(request.user, wanted or agencies[0].pk)
    drafts = whatif.draft_choices(agency)
    # The draft page's "preview" link names its draft: chosen already
    chosen = id_param(request.GET.get("version"))
    initial = {"framework": chosen} if chosen in {d.pk for d in drafts} else {}
    form = WhatIfForm(request.POST or None, drafts=drafts, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        assert isinstance(request.user, User)
        user = request.user
        found, status = attempt(
            request,
            form,
            lambda: whatif.whatif_start(
                actor=user,
                agency=agency,
                framework=form.cleaned_data["framework"],
                periods=form.cleaned_data["periods"],
            ),
        )
        if found is not None:
            return redirect("web:whatif_run", run_id=found.pk)
    elif request.method == "POST":
        status = 400
    runs = (
        WhatIfRun.objects.filter(agency=agency)
        .select_related("framework", "requested_by")
        .order_by("-created_at", "-pk")[:20]
    )
    return render(
        request,
        "web/whatif/start.html",
        {
            "agency": agency,
            "agencies": agencies,
            "form": form,
            "drafts": drafts,
            "runs": runs,
            "periods": whatif.decided_periods(agency, whatif.MAX_PERIODS),
        },
        status=status,
    )


def _counts(counts: dict[str, int]) -> list[int]:
    return [int(counts.get(code, 0)) for code in RATINGS]


def _period_table(part: dict[str, Any], lang: str) -> dict[str, Any]:
    english = lang.startswith("en")
    current, draft = _counts(part["current"]), _counts(part["draft"])
    rows = [
        {
            "code": code,
            "label": label,
            "current": c,
            "draft": d,
            "delta": f"{d - c:+d}" if d != c else "0",
        }
        for (code, label), c, d in zip(RATING_CHOICES, current, draft, strict=True)
    ]
    return {
        "id": part["period"],
        "name": part["name_en"] if english else part["name_vi"],
        "rows": rows,
        "people": part["people"],
        "up": part["up"],
        "down": part["down"],
        "none": part["not_comparable"],
        "points_changed": part["points_changed"],
        "quota": part["quota"],
        "problems": [
            {"text": p["en"] if english else p["vi"], "count": p["count"]}
            for p in part.get("problems", [])
        ],
        "missing": part.get("missing_criteria", {}),
        "named": part.get("not_comparable_people", []),
    }


@login_required
@require_GET
def result(request: HttpRequest, run_id: int) -> HttpResponse:
    """A run: distributions per period, per unit of one period, who changes rating."""
    run = access_whatif_run(request.user, run_id)
    lang = language(request)
    context: dict[str, Any] = {"run": run}
    if run.state != WhatIfRun.State.DONE:
        if run.job is not None:
            view = job_view(run.job)
            context.update({"job": run.job, "view": view, "status": status_json(view, lang)})
        return render(request, "web/whatif/result.html", context)
    parts = run.summary.get("periods", [])
    tables = [_period_table(part, lang) for part in parts]
    chosen = id_param(request.GET.get("period"))
    part = next((p for p in parts if p["period"] == chosen), parts[-1] if parts else None)
    units = []
    if part is not None:
        for unit in part["units"]:
            units.append(
                {
                    "id": unit["unit"],
                    "name": unit["name"],
                    "current": _counts(unit["current"]),
                    "draft": _counts(unit["draft"]),
                    "up": unit["up"],
                    "down": unit["down"],
                    "none": unit["none"],
                }
            )
    way = request.GET.get("way") or ""
    if way not in ("up", "down", "none"):
        way = ""
    unit_id = id_param(request.GET.get("unit"))
    lines = WhatIfLine.objects.filter(run=run)
    if way == "none":
        lines = lines.filter(direction=WhatIfLine.Direction.NOT_COMPARABLE)
    elif way:
        lines = lines.filter(direction=way)
    else:
        lines = lines.filter(changed=True)
    if unit_id is not None:
        lines = lines.filter(unit_id=unit_id)
    if chosen is not None:
        lines = lines.filter(period_id=chosen)
    lines = lines.select_related("person", "unit", "period").order_by(
        "period__end", "unit__path", "person__search_name", "pk"
    )
    page = Paginator(lines, PAGE_SIZE).get_page(request.GET.get("page"))
    english = lang.startswith("en")
    labels = dict(RATING_CHOICES)
    shown = [
        {
            "line": line,
            "current_points": _points(line.current_points, lang),
            "draft_points": _points(line.draft_points, lang),
            "current_label": labels.get(line.current_rating, ""),
            "draft_label": labels.get(line.draft_rating, ""),
            "reason": "; ".join(r["en" if english else "vi"] for r in line.reasons),
        }
        for line in page
    ]
    query = {k: v for k, v in {"way": way, "unit": unit_id, "period": chosen}.items() if v}
    context.update(
        {
            "tables": tables,
            "part": _period_table(part, lang) if part is not None else None,
            "units": units,
            "ratings": RATING_CHOICES,
            "page": page,
            "shown": shown,
            "way": way,
            "unit_id": unit_id,
            "chosen": chosen,
            "query": "&".join(f"{k}={v}" for k, v in query.items()),
            "totals": run.summary.get("totals", {}),
            "unit_choices": [(u["id"], u["name"]) for u in units],
        }
    )
    return render(request, "web/whatif/result.html", context)


@login_required
@require_GET
def line_detail(request: HttpRequest, run_id: int, line_id: int) -> HttpResponse:
    """One person: the decided breakdown and the draft's, side by side, and why."""
    line = access_whatif_line(request.user, run_id, line_id)
    lang = language(request)
    english = lang.startswith("en")
    current, draft = whatif.line_breakdowns(line)
    labels = dict(RATING_CHOICES)
    quota = line.detail.get("quota") or {}
    notes = []
    for note in line.detail.get("notes", []):
        if note.get("code") == "rescaled":
            notes.append(
                _("Tiêu chí %(key)s: điểm %(old)s đổi theo thang của dự thảo thành %(new)s.")
                % {
                    "key": note["key"],
                    "old": text_for(note["from"], lang),
                    "new": text_for(note["to"], lang),
                }
            )
        elif note.get("code") == "dropped":
            notes.append(
                _("Tiêu chí %(key)s không có trong dự thảo: điểm đã chấm không được tính.")
                % {"key": note["key"]}
            )
    return render(
        request,
        "web/whatif/line.html",
        {
            "run": line.run,
            "line": line,
            "current_points": _points(line.current_points, lang),
            "draft_points": _points(line.draft_points, lang),
            "current_label": labels.get(line.current_rating, ""),
            "draft_label": labels.get(line.draft_rating, ""),
            "reasons": [r["en" if english else "vi"] for r in line.reasons],
            "quota": quota.get("en" if english else "vi", ""),
            "notes": notes,
            "current_tree": shown_tree(current, lang) if current else None,
            "draft_tree": shown_tree(draft, lang) if draft else None,
        },
    )
