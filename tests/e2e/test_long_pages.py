"""Issue 13, "finding things": the plan page was 60,000–70,000 px long and the board
13,600 px for the demo's busiest department. With a year of work of that size (two plan
items a month, about 110 tasks each, a unit head's board full of open work) the plan shows
one month with its tasks folded, the board a few urgent tasks per column and paged lists.

The checks are on structure (how many items, rows and visible tasks a page holds) with a
generous height bound that the old pages broke by an order of magnitude."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from playwright.sync_api import expect

from tests.e2e.conftest import shoot
from tests.e2e.test_home_pages import sign_in
from thuocdo.core import clock
from thuocdo.core.models import User
from thuocdo.core.origin import origin_scope
from thuocdo.demo.build import load_demo
from thuocdo.org import services as org_services
from thuocdo.org.models import Assignment, Person
from thuocdo.web import views_catalogue, views_work
from thuocdo.work import services
from thuocdo.work.history import Step, Story, tasks_record_history
from thuocdo.work.models import Plan

pytestmark = [pytest.mark.browser, pytest.mark.now("2026-12-15 09:30")]

PER_ITEM = 110  # the demo's busiest department has 90–110 tasks on a monthly plan item
HEIGHT = 5000  # px at 1280 wide; the old plan page was over 60,000, the board 13,600


@pytest.fixture
def busy_unit(transactional_db: None) -> Plan:
    """The demo agency; its macro-economy department ("truongvu" heads it) gets a plan
    for 2026 and a year of planned work on it, written the way the demo writes its own."""
    load_demo()
    head_user = User.objects.get(username="truongvu")
    head = Person.objects.get(user=head_user)
    unit = Assignment.objects.get(person=head, role="head", end_date__isnull=True).unit
    members = [
        a.person
        for a in Assignment.objects.filter(unit=unit, end_date__isnull=True)
        .exclude(person=head)
        .select_related("person__user")
        .order_by("person__code")
    ]
    for person in members:
        if person.user is None:
            org_services.person_set_login(
                actor=None, person=person, username=person.code.lower(), password=None
            )
            person.refresh_from_db()
    plan = services.plan_create(actor=head_user, unit=unit, year=2026, title="Kế hoạch 2026")
    stories = []
    for month in range(1, 13):
        for name in ("Báo cáo định kỳ", "Góp ý, thẩm định văn bản"):
            item = services.plan_item_add(
                actor=head_user,
                plan=plan,
                title=f"{name} tháng {month}",
                frequency="month",
                period_number=month,
            )
            for k in range(PER_ITEM):
                owner = members[k % len(members)]
                assert owner.user is not None
                assigned = dt.date(2026, month, 1 + k % 10)
                deadline = assigned + dt.timedelta(days=10)
                steps = []
                if month < 12 and k % 25:  # past months: done; a few left overdue
                    steps = [
                        Step("submit", clock.at(deadline - dt.timedelta(days=1), 10), owner.user),
                        Step("accept", clock.at(deadline, 10), head_user),
                    ]
                stories.append(
                    Story(
                        owner=owner,
                        unit=unit,
                        assigner=head,
                        assigner_user=head_user,
                        kind="planned",
                        title=f"{name} {k + 1} tháng {month}",
                        deadline=deadline,
                        assigned_at=clock.at(assigned, 8),
                        quantity=Decimal(1),
                        plan_item=item,
                        steps=steps,
                    )
                )
    with origin_scope("cli:load_demo"), transaction.atomic():
        tasks_record_history(stories=stories)
    return plan


def height(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollHeight"))


def overflows(page: Any) -> bool:
    return bool(
        page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")
    )


def test_the_plan_shows_a_month_and_the_board_a_glance(
    page: Any, live_server: Any, busy_unit: Plan
) -> None:
    base = live_server.url
    sign_in(page, base, "truongvu")

    # The plan opens on this month: two items, their task lists folded.
    page.goto(f"{base}/work/plans/{busy_unit.pk}/")
    expect(
        page.get_by_role("heading", name="Nội dung kế hoạch — Tháng 12 năm 2026")
    ).to_be_visible()
    assert page.locator("article.review-item").count() == 2
    assert page.locator("details.item-tasks[open]").count() == 0
    in_view = page.locator("article.review-item > ul a")  # overdue tasks, outside the fold
    assert in_view.count() <= 2 * views_catalogue.LATE_IN_VIEW
    assert height(page) < HEIGHT, height(page)
    shoot(page, "long-plan-month")

    # A past month through the select: its 220 tasks stay folded until asked for.
    page.get_by_label("Tháng", exact=True).select_option("2026-06")
    page.get_by_role("button", name="Xem", exact=True).click()
    page.wait_for_url("**/?month=2026-06")
    expect(page.get_by_role("heading", name="Nội dung kế hoạch — Tháng 6 năm 2026")).to_be_visible()
    expect(page.get_by_text(f"{PER_ITEM} nhiệm vụ · đã nghiệm thu").first).to_be_visible()
    assert height(page) < HEIGHT, height(page)
    page.get_by_text(f"Xem {PER_ITEM} nhiệm vụ (việc gấp trước)").first.click()
    assert page.locator("details.item-tasks[open] li").count() == PER_ITEM
    # previous and next are links named for screen readers
    page.get_by_role("link", name="Tháng sau: Tháng 7 năm 2026, 2 nội dung").click()
    page.wait_for_url("**/?month=2026-07")

    # The board: a few urgent tasks per column, the people and the table in pages.
    page.goto(f"{base}/work/board/")
    for column in page.locator("section.board-col").all():
        assert column.locator("li.board-item").count() <= views_work.BOARD_COLUMN_LIMIT
    assert page.locator("table.counts tbody tr").count() <= views_work.PEOPLE_PAGE_SIZE
    more = page.get_by_role("link", name="nhiệm vụ khác — Đã giao, xem dạng bảng")
    expect(more).to_be_visible()  # the rest of a column, a click away
    assert height(page) < HEIGHT, height(page)
    shoot(page, "long-board")
    page.goto(f"{base}/work/board/?view=table")
    assert page.locator("table.work-table tbody tr").count() == views_work.BOARD_PAGE_SIZE
    pager = page.get_by_role("navigation", name="Phân trang nhiệm vụ")
    pager.get_by_role("link", name="Trang sau, trang 2/").click()
    page.wait_for_url("**/work/board/?view=table&page=2")
    assert height(page) < HEIGHT, height(page)

    # On a phone nothing is wider than the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    for url in (
        f"/work/plans/{busy_unit.pk}/?month=2026-06",
        "/work/board/",
        "/work/board/?view=table",
    ):
        page.goto(base + url)
        assert not overflows(page), url
    page.get_by_role("navigation", name="Phân trang nhiệm vụ").scroll_into_view_if_needed()
    shoot(page, "long-board-table-phone", full_page=False)
