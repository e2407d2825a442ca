"""Personnel-decision lists, the agency's summary and a person's history (issue 6).

- `/reports/personnel/`: the page with the rule form and the download links;
- `/reports/personnel/<report>.pdf|xlsx` (`excellent-streak`, `not-completed`, `candidates`);
- `/reports/agency/periods/<period_id>.pdf|xlsx`;
- `/reports/people/<person_id>/history.pdf|xlsx`.

The lists and the agency's summary are for the agency's leadership, personnel office and
auditors (operators: `?agency=<id>`); a person's history for whoever may view the person
(`access_person`), listing the evaluations `visible_evaluations` gives the reader. Anyone
else gets 403 with a Vietnamese message.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from thuocdo.access import access_period, access_person, scope_for, visible_evaluations
from thuocdo.core.decimal_input import DecimalField
from thuocdo.core.errors import AccessDenied, NotFound, ValidationFailed
from thuocdo.core.models import User
from thuocdo.evaluations.models import RATING_CHOICES, Evaluation, Period
from thuocdo.org.models import Unit
from thuocdo.reports import jobs
from thuocdo.reports.exports import person_history
from thuocdo.reports.personnel import REPORTS, CandidateRule, StreakRule
from thuocdo.reports.tables import TableReport, table_pdf, table_xlsx
from thuocdo.reports.views import _download

DENIED_VI = "Bạn không có quyền xem báo cáo nhân sự của cơ quan này."


class RuleForm(forms.Form):
    kind = forms.ChoiceField(label=_("Loại kỳ"), choices=Period.Kind.choices, initial="month")
    n = forms.IntegerField(
        label=_("Số kỳ xuất sắc liên tiếp"), min_value=2, max_value=24, initial=3
    )
    k = forms.IntegerField(label=_("Số kỳ gần nhất"), min_value=1, max_value=24, initial=3)
    min_points = DecimalField(
        label=_("Điểm bình quân tối thiểu"),
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=2,
        initial=Decimal(90),
    )
    min_rating = forms.ChoiceField(
        label=_("Không có kỳ xếp loại dưới"), choices=RATING_CHOICES, initial="good"
    )

    def rules(self) -> tuple[StreakRule, CandidateRule]:
        data = self.cleaned_data
        return (
            StreakRule(kind=data["kind"], periods=data["n"]),
            CandidateRule(
                kind=data["kind"],
                periods=data["k"],
                min_points=data["min_points"],
                min_rating=data["min_rating"],
            ),
        )


def _bound(request: HttpRequest) -> RuleForm:
    data = {name: field.initial for name, field in RuleForm.base_fields.items()}
    given = request.POST if request.method == "POST" else request.GET
    data.update({k: v for k, v in given.items() if k in data and v != ""})
    return RuleForm(data)


def access_agency_reports(user: User | AnonymousUser, agency_id: int | None) -> Unit:
    """The agency whose personnel reports the user may read (their own by default)."""
    scope = scope_for(user)
    if agency_id is None:
        readable = sorted(scope.read_agencies)
        agency_id = readable[0] if readable else scope.agency_id
    if agency_id is None:
        raise AccessDenied(DENIED_VI, "You may not view this agency's personnel reports.")
    agency = Unit.objects.filter(pk=agency_id, parent__isnull=True).first()
    if agency is None:
        raise NotFound(
            f"Không tìm thấy cơ quan #{agency_id}.", f"Agency #{agency_id} was not found."
        )
    if not scope.reads_agency(agency.pk):
        raise AccessDenied(DENIED_VI, "You may not view this agency's personnel reports.")
    return agency


def _agency_param(request: HttpRequest) -> int | None:
    raw = (request.POST if request.method == "POST" else request.GET).get("agency", "")
    return int(raw) if raw.isdigit() else None


def _render(report: TableReport, fmt: str, name: str) -> HttpResponse:
    content = table_pdf(report) if fmt == "pdf" else table_xlsx(report)
    return _download(content, fmt, name)


@never_cache
@require_GET
@login_required
def personnel_page(request: HttpRequest) -> HttpResponse:
    agency = access_agency_reports(request.user, _agency_param(request))
    form = _bound(request)
    # The lists are made by a job: each is a small form posting the rule shown above.
    rule = sorted(form.data.items()) if form.is_valid() else []
    links = [
        (title, {fmt: reverse("reports:personnel", args=[report, fmt]) for fmt in ("pdf", "xlsx")})
        for report, title in zip(
            REPORTS,
            (
                _("Hoàn thành xuất sắc nhiệm vụ nhiều kỳ liên tiếp"),
                _("Không hoàn thành nhiệm vụ hai năm liên tiếp"),
                _("Đề xuất theo tiêu chí của cơ quan"),
            ),
            strict=True,
        )
    ]
    periods = Period.objects.filter(agency=agency).order_by("-start", "kind")[:24]
    return render(
        request,
        "reports/personnel.html",
        {"agency": agency, "form": form, "links": links, "rule": rule, "periods": periods},
    )


@require_POST
@login_required
def personnel_download(request: HttpRequest, report: str, fmt: str) -> HttpResponse:
    """Starts the list as a job (it reads every decided evaluation of the agency) and
    follows it; the job's page offers the file."""
    agency = access_agency_reports(request.user, _agency_param(request))
    form = _bound(request)
    if not form.is_valid():
        raise ValidationFailed(
            "Tiêu chí lập danh sách không hợp lệ.", "The report's rule is not valid."
        )
    streak, rule = form.rules()
    job = jobs.start_personnel_report(
        actor=_reader(request), agency=agency, report=report, fmt=fmt, streak=streak, rule=rule
    )
    return redirect("web:job", job.pk)


@require_POST
@login_required
def agency_summary_download(request: HttpRequest, period_id: str, fmt: str) -> HttpResponse:
    """Starts the agency's summary of a period as a job and follows it."""
    period = access_period(request.user, int(period_id), action="view")
    if not scope_for(request.user).reads_agency(period.agency_id):
        raise AccessDenied(
            "Bạn không có quyền xem bảng tổng hợp kết quả của cơ quan này.",
            "You may not view this agency's summary.",
        )
    job = jobs.start_agency_summary(actor=_reader(request), period=period, fmt=fmt)
    return redirect("web:job", job.pk)


def _reader(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required
    return user


@never_cache
@require_GET
@login_required
def person_history_download(request: HttpRequest, person_id: str, fmt: str) -> HttpResponse:
    person = access_person(request.user, int(person_id), action="view")
    evaluations = (
        visible_evaluations(request.user)
        .filter(person=person, state=Evaluation.State.DECIDED)
        .select_related("period", "unit", "agency")
    )
    built = person_history(person, evaluations)
    return _render(built, fmt, f"qua-trinh-danh-gia-{person.full_name}")
