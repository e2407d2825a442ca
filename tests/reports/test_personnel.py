"""Personnel-decision lists: excellent streaks (a gap breaks them), not completed two
consecutive years, the office's candidate rule; access to the lists and the page."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from django.test import Client
from openpyxl import load_workbook

from tests.evaluations.conftest import Flow
from tests.reports.conftest import exported, pdf_text
from thuocdo.evaluations.models import Evaluation, Period
from thuocdo.jobs.models import Job
from thuocdo.reports.personnel import (
    CandidateRule,
    StreakRule,
    candidates,
    excellent_streaks,
    not_completed_two_years,
)

D = dt.date


def add_period(
    flow: Flow, kind: str, year: int, number: int, ratings: dict[str, tuple[str, str]]
) -> Period:
    """A decided period built from January's evaluations: name → (rating, points)."""
    if kind == Period.Kind.YEAR:
        start, end = D(year, 1, 1), D(year, 12, 31)
    else:
        start, end = D(year, number, 1), D(year, number, 28)
    period = Period.objects.create(
        agency=flow.cast.agency_a,
        kind=kind,
        year=year,
        number=number,
        start=start,
        end=end,
        state=Period.State.PUBLISHED,
    )
    for name, (rating, points) in ratings.items():
        ev = flow.ev(name)
        ev.pk = None
        ev.period = period
        ev.rating = rating
        ev.points = Decimal(points)
        ev.state = Evaluation.State.DECIDED
        ev.save()
    return period


def months(flow: Flow) -> None:
    """January (the fixture) then February, March (no staff_x1), April, May."""
    for name, rating in (
        ("head_x", "excellent"),
        ("staff_x1", "excellent"),
        ("deputy_x", "excellent"),
    ):
        Evaluation.objects.filter(pk=flow.ev(name).pk).update(rating=rating)
    add_period(
        flow,
        "month",
        2026,
        2,
        {
            "head_x": ("excellent", "95"),
            "staff_x1": ("excellent", "93"),
            "deputy_x": ("excellent", "92"),
        },
    )
    add_period(flow, "month", 2026, 3, {"head_x": ("excellent", "96"), "deputy_x": ("good", "85")})
    add_period(flow, "month", 2026, 4, {"staff_x1": ("excellent", "94")})
    add_period(flow, "month", 2026, 5, {"staff_x1": ("excellent", "94")})


def agency_evaluations(flow: Flow):  # type: ignore[no-untyped-def]
    return Evaluation.objects.filter(agency=flow.cast.agency_a)


def test_a_streak_of_three_months_and_a_gap_breaks_it(
    decided: Flow, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    months(decided)
    with django_assert_num_queries(1):
        lines = excellent_streaks(agency_evaluations(decided), StreakRule("month", 3))
    names = {line.name: line for line in lines}
    head = decided.cast.person("head_x").full_name
    assert set(names) == {head}  # staff_x1: March missing; deputy_x: March good
    assert names[head].count == 3
    assert names[head].span == "Tháng 1 năm 2026 – Tháng 3 năm 2026"
    two = {
        line.name for line in excellent_streaks(agency_evaluations(decided), StreakRule("month", 2))
    }
    assert decided.cast.person("staff_x1").full_name in two  # April and May only
    assert decided.cast.person("deputy_x").full_name not in two


def test_not_completed_two_consecutive_years(decided: Flow) -> None:
    add_period(decided, "year", 2023, 1, {"staff_x": ("not_completed", "40")})
    add_period(
        decided, "year", 2024, 1, {"staff_x": ("good", "80"), "staff_y": ("not_completed", "45")}
    )
    add_period(
        decided,
        "year",
        2025,
        1,
        {"staff_x": ("not_completed", "42"), "staff_y": ("not_completed", "44")},
    )
    lines = not_completed_two_years(agency_evaluations(decided))
    assert [line.name for line in lines] == [decided.cast.person("staff_y").full_name]
    assert lines[0].span == "Năm 2024, Năm 2025"
    assert lines[0].mean_points == Decimal("44.50")


def test_the_candidate_rule(decided: Flow) -> None:
    months(decided)
    rule = CandidateRule("month", 2, Decimal(90), "excellent")  # April and May
    assert [line.name for line in candidates(agency_evaluations(decided), rule)] == [
        decided.cast.person("staff_x1").full_name
    ]
    assert (
        candidates(agency_evaluations(decided), CandidateRule("month", 2, Decimal(95), "good"))
        == []
    )


def get(flow: Flow, who: str, url: str):  # type: ignore[no-untyped-def]
    client = Client(HTTP_ACCEPT_LANGUAGE="vi")
    client.force_login(flow.user(who))
    return client.get(url)


def test_who_may_read_the_lists(decided: Flow) -> None:
    for who, code in (
        ("personnel_a", 200),
        ("leader_a", 200),
        ("auditor_a", 200),
        ("head_x", 403),
        ("staff_x", 403),
        ("head_z", 403),
    ):
        for response in (
            get(decided, who, "/reports/personnel/"),
            exported(decided, who, "/reports/personnel/excellent-streak.pdf"),
        ):
            assert response.status_code == code, who
            if code == 403:
                assert "Bạn không có quyền xem báo cáo nhân sự" in response.content.decode()
    agency = decided.cast.agency_a.pk
    assert get(decided, "head_z", f"/reports/personnel/?agency={agency}").status_code == 403
    page = get(decided, "personnel_a", "/reports/personnel/?n=2").content.decode()
    assert 'formaction="/reports/personnel/excellent-streak.xlsx"' in page
    assert '<input type="hidden" name="n" value="2">' in page
    jobs = Job.objects.count()
    bad = exported(
        decided, "personnel_a", "/reports/personnel/candidates.pdf", {"min_points": "500"}
    )
    assert bad.status_code == 400
    assert Job.objects.count() == jobs  # a refused rule starts nothing
    assert get(decided, "personnel_a", "/reports/personnel/candidates.pdf").status_code == 405


def test_the_streak_pdf_and_workbook(decided: Flow) -> None:
    months(decided)
    head = decided.cast.person("head_x").full_name
    response = exported(decided, "personnel_a", "/reports/personnel/excellent-streak.pdf", {"n": 3})
    text = pdf_text(response.content, "personnel-excellent-streak")
    assert head in text
    assert "HOÀN THÀNH XUẤT SẮC" in text and "Tháng 3 năm 2026" in text
    assert decided.cast.person("staff_x1").full_name not in text
    response = exported(
        decided,
        "personnel_a",
        "/reports/personnel/candidates.xlsx",
        {"k": 2, "min_rating": "excellent"},
    )
    ws = load_workbook(io.BytesIO(response.content)).active
    values = [cell for row in ws.iter_rows(values_only=True) for cell in row if cell is not None]
    assert decided.cast.person("staff_x1").full_name in values
    assert 94.0 in values  # mean points stored as a number
