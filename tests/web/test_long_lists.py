"""Long lists made short (issue 13, "finding things"): a plan shows one month at a time
with a month switcher; the board shows the most urgent work per column, pages its people
and its table, keeps the filters in every link, and never fails on a bad page or month."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import Cast
from tests.work.conftest import Work, at, build_work
from thuocdo.core import clock
from thuocdo.core.models import User
from thuocdo.web import views_catalogue, views_work
from thuocdo.work import services
from thuocdo.work.models import Plan, PlanItem, Task

# The dates below are read against this moment: a Wednesday, 18 March 2026.
NOW = pytest.mark.now("2026-03-18 09:30")
D = dt.date


@pytest.fixture
def work(cast: Cast) -> Work:
    return build_work(cast)


def login(client: Client, username: str) -> Client:
    client.force_login(User.objects.get(username=username))
    return client


def html(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return str(response.content.decode())


def add_item(work: Work, title: str, frequency: str, number: int, plan: Plan | None = None) -> Any:
    return services.plan_item_add(
        actor=work.cast.user("head_x"),
        plan=plan or work.plan,
        title=title,
        frequency=frequency,
        period_number=number,
    )


def task(
    work: Work,
    title: str,
    *,
    deadline: dt.date,
    on: dt.date,
    item: PlanItem | None = None,
    owner: str = "staff_x",
) -> Task:
    return services.task_assign(
        actor=work.cast.user("head_x"),
        owner=work.cast.person(owner),
        title=title,
        kind=Task.Kind.PLANNED if item else Task.Kind.ARISING,
        deadline=deadline,
        plan_item=item,
        product_type=work.products["CV"],
        quantity=1,
        at=at(on),
    )


def plan_page(client: Client, work: Work, **query: str) -> str:
    return html(client.get(reverse("web:work_plan", args=[work.plan.pk]), query))


def order(text: str, *titles: str) -> list[str]:
    """The titles in the order the page shows them (each must be there)."""
    return sorted(titles, key=lambda title: text.index(title))


# --- the plan, one month at a time ----------------------------------------------------------


@NOW
def test_the_plan_opens_on_this_month_with_its_quarters_items(client: Client, work: Work) -> None:
    add_item(work, "Báo cáo tháng 3", "month", 3)
    add_item(work, "Tổng kết quý 1", "quarter", 1)
    add_item(work, "Báo cáo tháng 6", "month", 6)
    text = plan_page(login(client, "head_x"), work)
    assert "Nội dung kế hoạch — Tháng 3 năm 2026" in text
    assert "Báo cáo tháng 3" in text and "Tổng kết quý 1" in text
    assert "Văn bản tham mưu tháng 1" not in text and "Báo cáo tháng 6" not in text
    assert "Cả năm có 4 nội dung" in text
    # the select offers the months that have items (a quarter's in each of its months)
    options = re.findall(r'<option value="(2026-\d\d)"( selected)?>([^<]+)</option>', text)
    assert options == [
        ("2026-01", "", "Tháng 1 năm 2026 (2 nội dung)"),
        ("2026-02", "", "Tháng 2 năm 2026 (1 nội dung)"),
        ("2026-03", " selected", "Tháng 3 năm 2026 (2 nội dung)"),
        ("2026-06", "", "Tháng 6 năm 2026 (1 nội dung)"),
    ]
    # previous and next are links named for screen readers
    assert 'rel="prev" href="?month=2026-02"' in text
    assert 'aria-label="Tháng trước: Tháng 2 năm 2026, 1 nội dung"' in text
    assert 'rel="next" href="?month=2026-04"' in text
    assert 'aria-label="Tháng sau: Tháng 4 năm 2026, 0 nội dung"' in text


def test_a_chosen_month_keeps_the_other_query_parameters(client: Client, work: Work) -> None:
    add_item(work, "Báo cáo tháng 6", "month", 6)
    text = plan_page(login(client, "head_x"), work, month="2026-06", q="báo cáo")
    assert "Báo cáo tháng 6" in text and "Văn bản tham mưu tháng 1" not in text
    assert 'href="?q=b%C3%A1o+c%C3%A1o&amp;month=2026-05"' in text
    assert 'href="?q=b%C3%A1o+c%C3%A1o&amp;month=2026-07"' in text
    assert '<input type="hidden" name="q" value="báo cáo">' in text
    # no month before January nor after December
    assert 'rel="prev"' not in plan_page(client, work, month="2026-01")
    assert 'rel="next"' not in plan_page(client, work, month="2026-12")
    # a month given without its leading zero is read too
    assert "Văn bản tham mưu tháng 1" in plan_page(client, work, month="2026-1")


@NOW
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-13", "“2026-13” không phải là một tháng (viết năm-tháng, ví dụ 2026-05)."),
        ("2026-00", "“2026-00” không phải là một tháng"),
        ("abc", "“abc” không phải là một tháng"),
        ("2026-03-01", "“2026-03-01” không phải là một tháng"),
        ("٢٠٢٦-٠٣", "không phải là một tháng"),
        ("<b>x</b>", "“&lt;b&gt;x&lt;/b&gt;” không phải là một tháng"),
        ("9" * 500, f"“{'9' * 20}…” không phải là một tháng"),
        ("2025-03", "Tháng 2025-03 không thuộc kế hoạch năm 2026."),
    ],
)
def test_a_bad_month_falls_back_to_this_month_with_a_message(
    client: Client, work: Work, value: str, message: str
) -> None:
    add_item(work, "Báo cáo tháng 3", "month", 3)
    text = plan_page(login(client, "head_x"), work, month=value)
    assert message in text and "Đang hiển thị: Tháng 3 năm 2026." in text
    assert "Báo cáo tháng 3" in text and "<b>x</b>" not in text
    assert 'role="alert"' in text


def test_an_empty_month_parameter_is_no_error(client: Client, work: Work) -> None:
    text = plan_page(login(client, "head_x"), work, month="")
    assert 'role="alert"' not in text


def test_the_bad_month_message_is_in_english_too(client: Client, work: Work) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    text = plan_page(login(client, "head_x"), work, month="2026-13")
    assert "“2026-13” is not a month (write year-month, for example 2026-05)." in text
    assert "Plan items — " in text and "Choose the plan's month" in text


@NOW
def test_another_years_plan_opens_on_its_month_nearest_today(client: Client, work: Work) -> None:
    head = work.cast.user("head_x")
    past = services.plan_create(actor=head, unit=work.cast.unit_x, year=2025, title="KH 2025")
    add_item(work, "Việc tháng 4 năm trước", "month", 4, plan=past)
    add_item(work, "Việc tháng 9 năm trước", "month", 9, plan=past)
    future = services.plan_create(actor=head, unit=work.cast.unit_x, year=2027, title="KH 2027")
    add_item(work, "Việc quý 2 năm sau", "quarter", 2, plan=future)
    login(client, "head_x")
    last_year = html(client.get(reverse("web:work_plan", args=[past.pk])))
    assert "Nội dung kế hoạch — Tháng 9 năm 2025" in last_year
    assert "Việc tháng 9 năm trước" in last_year and "Việc tháng 4 năm trước" not in last_year
    next_year = html(client.get(reverse("web:work_plan", args=[future.pk])))
    assert "Nội dung kế hoạch — Tháng 4 năm 2027" in next_year  # the quarter's first month
    empty = services.plan_create(actor=head, unit=work.cast.office_x1, year=2028, title="KH")
    blank = html(client.get(reverse("web:work_plan", args=[empty.pk])))
    assert "Tháng 1 năm 2028 không có nội dung kế hoạch nào" in blank


@NOW
def test_overdue_tasks_stay_in_view_and_the_full_list_folds_urgent_first(
    client: Client, work: Work
) -> None:
    march = add_item(work, "Báo cáo tháng 3", "month", 3)
    task(work, "Việc cũ", deadline=D(2026, 3, 30), on=D(2026, 3, 3), item=march)
    task(work, "Việc quá hạn", deadline=D(2026, 3, 10), on=D(2026, 3, 2), item=march)
    task(work, "Việc mới giao", deadline=D(2026, 3, 31), on=D(2026, 3, 16), item=march)
    task(work, "Việc sắp đến hạn", deadline=D(2026, 3, 20), on=D(2026, 3, 4), item=march)
    text = plan_page(login(client, "head_x"), work)
    before, _, folded = text.partition('<details class="item-tasks">')
    in_view = before.split('aria-label="Nhiệm vụ quá hạn"')[1]
    assert "Việc quá hạn" in in_view and "Việc sắp đến hạn" not in in_view
    assert "4 nhiệm vụ" in text and "quá hạn 1" in text
    assert "Xem 4 nhiệm vụ (việc gấp trước)" in folded
    shown = order(folded, "Việc cũ", "Việc mới giao", "Việc quá hạn", "Việc sắp đến hạn")
    assert shown == ["Việc quá hạn", "Việc sắp đến hạn", "Việc mới giao", "Việc cũ"]


@NOW
def test_many_overdue_tasks_show_only_the_first_few_above_the_fold(
    client: Client, work: Work, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views_catalogue, "LATE_IN_VIEW", 2)
    march = add_item(work, "Báo cáo tháng 3", "month", 3)
    for day in (10, 5, 12):
        task(work, f"Trễ từ ngày {day}", deadline=D(2026, 3, day), on=D(2026, 3, 2), item=march)
    text = plan_page(login(client, "head_x"), work)
    before, _, folded = text.partition('<details class="item-tasks">')
    in_view = before.split('aria-label="Nhiệm vụ quá hạn"')[1]
    assert "Trễ từ ngày 5" in in_view and "Trễ từ ngày 10" in in_view  # the longest overdue
    assert "Trễ từ ngày 12" not in in_view and "Trễ từ ngày 12" in folded
    assert "quá hạn 3" in before and "Cả 3 nhiệm vụ quá hạn đứng đầu danh sách" in before


@NOW
def test_the_plan_page_costs_the_same_queries_for_2_and_20_tasks(
    client: Client, work: Work
) -> None:
    march = add_item(work, "Báo cáo tháng 3", "month", 3)
    login(client, "head_x")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            plan_page(client, work)
        return len(captured)

    for n in range(2):
        task(work, f"Việc {n}", deadline=D(2026, 3, 25), on=D(2026, 3, 2), item=march)
    few = queries()
    for n in range(2, 20):
        task(work, f"Việc {n}", deadline=D(2026, 3, 25), on=D(2026, 3, 2), item=march)
    assert queries() == few


def test_a_new_item_leads_back_to_its_month(client: Client, work: Work) -> None:
    url = reverse("web:work_plan_item_add", args=[work.plan.pk])
    data = {"title": "Sơ kết quý 2", "frequency": "quarter", "period_number": "2"}
    response = login(client, "head_x").post(url, data)
    assert response.status_code == 302
    assert response["Location"] == reverse("web:work_plan", args=[work.plan.pk]) + "?month=2026-04"
    assert "Sơ kết quý 2" in html(client.get(response["Location"]))


# --- the board ------------------------------------------------------------------------------


def board(client: Client, **query: str) -> str:
    return html(client.get(reverse("web:work_board"), query))


def column(text: str, state: str) -> str:
    found = re.search(rf'<section class="board-col state-{state}".*?</section>', text, re.S)
    assert found is not None, state
    return found.group(0)


@NOW
def test_each_column_shows_its_most_urgent_and_links_to_the_rest(
    client: Client, work: Work, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views_work, "BOARD_COLUMN_LIMIT", 2)
    task(work, "Việc cũ", deadline=D(2026, 3, 30), on=D(2026, 3, 3))
    task(work, "Việc mới giao", deadline=D(2026, 3, 31), on=D(2026, 3, 16))
    task(work, "Việc sắp đến hạn", deadline=D(2026, 3, 20), on=D(2026, 3, 4))
    task(work, "Việc quá hạn", deadline=D(2026, 3, 10), on=D(2026, 3, 2))
    text = board(login(client, "head_x"), kind="arising")
    assigned = column(text, "assigned")
    assert order(assigned, "Việc quá hạn", "Việc sắp đến hạn") == [
        "Việc quá hạn",
        "Việc sắp đến hạn",
    ]
    assert "Việc mới giao" not in assigned and "Việc cũ" not in assigned
    assert '<span class="count">4</span>' in assigned
    # "and 2 more" opens the table on that state, the filters kept
    assert 'href="?kind=arising&amp;view=table&amp;state=assigned"' in assigned
    assert "và 2 nhiệm vụ khác" in assigned
    assert '<span class="visually-hidden"> — Đã giao, xem dạng bảng</span>' in assigned
    table = board(client, kind="arising", view="table", state="assigned")
    shown = order(table, "Việc cũ", "Việc mới giao", "Việc quá hạn", "Việc sắp đến hạn")
    assert shown == ["Việc quá hạn", "Việc sắp đến hạn", "Việc mới giao", "Việc cũ"]


@NOW
def test_the_table_is_paged_and_its_links_keep_the_filters(
    client: Client, work: Work, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views_work, "BOARD_PAGE_SIZE", 2)
    for n in range(5):
        task(work, f"Việc số {n}", deadline=D(2026, 3, 30), on=D(2026, 3, 1 + n))
    login(client, "head_x")
    first = board(client, view="table", kind="arising")
    assert 'aria-label="Phân trang nhiệm vụ"' in first and "Trang 1/3" in first
    assert "(1–2 trên 5)" in first
    assert 'href="?view=table&amp;kind=arising&amp;page=2" rel="next"' in first
    assert 'aria-label="Trang sau, trang 2/3"' in first and 'rel="prev"' not in first
    assert order(first, "Việc số 4", "Việc số 3") == ["Việc số 4", "Việc số 3"]  # newest first
    assert "Việc số 2" not in first
    last = board(client, view="table", kind="arising", page="3")
    assert "Việc số 0" in last and "Việc số 4" not in last and 'rel="next"' not in last
    assert 'href="?view=table&amp;kind=arising&amp;page=2" rel="prev"' in last


def test_the_people_are_paged_and_their_links_keep_the_filters(
    client: Client, work: Work, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views_work, "PEOPLE_PAGE_SIZE", 1)
    today = clock.today()
    task(work, "Việc của anh X", deadline=today, on=today)
    task(work, "Việc của chị X1", deadline=today, on=today, owner="staff_x1")
    login(client, "head_x")
    first = board(client, kind="arising")
    rows = re.findall(r'<tr[^>]*><td><a href="\?owner=\d+[^>]*>([^<]+)</a>', first)
    assert rows == ["Nguyễn Văn Staff X"]
    assert 'aria-label="Phân trang danh sách người thực hiện"' in first
    assert 'href="?kind=arising&amp;people=2" rel="next"' in first
    second = board(client, kind="arising", people="2")
    rows = re.findall(r'<tr[^>]*><td><a href="\?owner=\d+[^>]*>([^<]+)</a>', second)
    assert rows == ["Nguyễn Văn Staff X1"]
    # both tasks stay on the board whichever page of people is shown
    assert "Việc của anh X" in second and "Việc của chị X1" in second


@pytest.mark.parametrize(
    "query",
    [
        {"page": "abc", "view": "table"},
        {"page": "0", "view": "table"},
        {"page": "-1", "view": "table"},
        {"page": "1e3", "view": "table"},
        {"page": "²", "view": "table"},
        {"page": "9" * 40, "view": "table"},
        {"people": "abc"},
        {"people": "9" * 40},
        {"view": "nonsense", "state": "nonsense", "owner": "x"},
    ],
)
def test_a_bad_page_number_shows_a_page_not_an_error(
    client: Client, work: Work, query: dict[str, str]
) -> None:
    today = clock.today()
    task(work, "Việc bất kỳ", deadline=today, on=today)
    text = board(login(client, "head_x"), **query)
    assert "Bảng công việc của đơn vị" in text


@NOW
def test_closed_work_stays_on_the_board_for_the_month_it_closed_in(
    client: Client, work: Work
) -> None:
    accepted_feb = task(work, "Nghiệm thu tháng 2", deadline=D(2026, 2, 20), on=D(2026, 2, 2))
    work.act(accepted_feb, "submit", on=D(2026, 2, 10))
    work.act(accepted_feb, "accept", by="head_x", on=D(2026, 2, 11))
    accepted_mar = task(work, "Nghiệm thu tháng 3", deadline=D(2026, 3, 20), on=D(2026, 2, 2))
    work.act(accepted_mar, "submit", on=D(2026, 3, 2))
    work.act(accepted_mar, "accept", by="head_x", on=D(2026, 3, 3))
    cancelled_feb = task(work, "Huỷ tháng 2", deadline=D(2026, 2, 20), on=D(2026, 2, 2))
    work.act(cancelled_feb, "cancel", by="head_x", on=D(2026, 2, 12), reason="Không cần nữa")
    cancelled_mar = task(work, "Huỷ tháng 3", deadline=D(2026, 3, 20), on=D(2026, 2, 2))
    work.act(cancelled_mar, "cancel", by="head_x", on=D(2026, 3, 12), reason="Không cần nữa")
    # a later change (an import, an exemption) does not bring February's work back
    Task.objects.filter(pk__in=[accepted_feb.pk, cancelled_feb.pk]).update(updated_at=clock.now())
    text = board(login(client, "head_x"))
    assert "Nghiệm thu tháng 3" in text and "Huỷ tháng 3" in text
    assert "Nghiệm thu tháng 2" not in text and "Huỷ tháng 2" not in text
    # asked for by state, closed work of any month is listed
    accepted = board(client, state="accepted", view="table")
    assert "Nghiệm thu tháng 2" in accepted and "Nghiệm thu tháng 3" in accepted
