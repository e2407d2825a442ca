"""The dashboards in Vietnamese: an official, a unit head and the agency's leadership open
theirs on the demo agency with a few months of recorded work, follow a number to its
breakdown, and search from the header without accents."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shoot
from tests.e2e.test_work_flow import as_user, demo_with_catalogue  # noqa: F401 (fixture)
from thuocdo.core import clock
from thuocdo.core.models import User
from thuocdo.org.models import Assignment, Person
from thuocdo.org.selectors import current
from thuocdo.web import views_dashboards
from thuocdo.work import services
from thuocdo.work.models import ProductType, Task

pytestmark = pytest.mark.browser
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def at(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 10, tzinfo=HCM)


def month_start(day: dt.date, back: int) -> dt.date:
    year, month = day.year, day.month - back
    while month < 1:
        year, month = year - 1, month + 12
    return dt.date(year, month, 1)


@pytest.fixture
def history(demo_with_catalogue: None) -> dict[str, Any]:  # noqa: F811
    """Four months of work in the unit head's unit: on time, late, returned, overdue."""
    users = {u.username: u for u in User.objects.filter(username__in=["truongvu", "lanhdao"])}
    head = Person.objects.get(user=users["truongvu"])
    unit = Assignment.objects.filter(current(clock.today()), person=head).first().unit  # type: ignore[union-attr]
    members = list(
        Assignment.objects.filter(current(clock.today()), unit__path__startswith=unit.path)
        .select_related("person")
        .exclude(person=head)
    )
    product = ProductType.objects.get(code="BC")
    today = clock.today()
    for back in range(3, -1, -1):
        first = month_start(today, back)
        for index, member in enumerate(members):
            assign_on = first + dt.timedelta(days=1)
            deadline = first + dt.timedelta(days=9)
            if back == 0 and deadline > today:
                assign_on, deadline = today, today
            task = services.task_assign(
                actor=users["truongvu"],
                owner=member.person,
                title=f"Báo cáo chuyên đề tháng {first:%m/%Y} — {member.person.full_name}",
                kind=Task.Kind.ARISING,
                deadline=deadline,
                plan_item=None,
                product_type=product,
                quantity=2,
                at=at(assign_on),
            )
            if back == 0 and index % 2 == 0:
                continue  # open: due today or overdue
            late = (index + back) % 3 == 0
            submit_on = deadline + dt.timedelta(days=2 if late else 0)
            if back == 0:
                submit_on = min(submit_on, today)
            task = (
                services.task_transition(
                    actor=member.person.user or users["truongvu"],
                    task=task,
                    action="submit",
                    expected_version=task.version,
                    at=at(submit_on),
                )
                if member.person.user
                else task
            )
            if task.state == Task.State.SUBMITTED:
                services.task_transition(
                    actor=users["truongvu"],
                    task=task,
                    action="accept",
                    expected_version=task.version,
                    at=at(submit_on),
                )
    # An overdue task for the official, given last week.
    official = Person.objects.get(user__username="chuyenvien")
    services.task_assign(
        actor=users["truongvu"],
        owner=official,
        title="Tổng hợp ý kiến góp ý dự thảo Nghị quyết",
        kind=Task.Kind.ARISING,
        deadline=today - dt.timedelta(days=2),
        plan_item=None,
        product_type=product,
        quantity=1,
        at=at(today - dt.timedelta(days=7)),
    )
    return {"unit": unit, "official": official}


def test_dashboards_in_vietnamese(
    page: Any, live_server: Any, history: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    base = live_server.url
    official: Person = history["official"]

    # 1. The official: live points, due and overdue, what costs points, the trend.
    as_user(page, base, "chuyenvien")
    page.get_by_role("link", name="Bảng điều khiển", exact=True).first.click()
    page.wait_for_url("**/dashboard/")
    expect(page.get_by_role("heading", name="Bảng điều khiển của tôi")).to_be_visible()
    expect(page.get_by_role("heading", name="Việc đến hạn và quá hạn")).to_be_visible()
    expect(page.get_by_text("Tổng hợp ý kiến góp ý dự thảo Nghị quyết").first).to_be_visible()
    expect(page.locator("svg.chart").first).to_be_visible()
    shoot(page, "dashboard-mine-vi")
    # the table behind the chart, on request
    page.get_by_role("button", name="Xem dạng bảng").first.click()
    expect(page.locator("#trend-table")).to_be_visible()
    # every number leads to its breakdown
    page.locator('[data-kpi="a"] a').click()
    page.wait_for_url("**/work/why/")
    expect(page.get_by_role("heading", name="Vì sao? Cách tính điểm nhiệm vụ")).to_be_visible()

    # 2. Search from the header without accents.
    surname = official.full_name.split()[0]
    page.get_by_placeholder("Tìm người, đơn vị, nhiệm vụ").fill("tong hop y kien")
    page.get_by_placeholder("Tìm người, đơn vị, nhiệm vụ").press("Enter")
    page.wait_for_url("**/search/?q=*")
    expect(
        page.get_by_role("link", name="Tổng hợp ý kiến góp ý dự thảo Nghị quyết")
    ).to_be_visible()
    shoot(page, "search-vi")
    assert surname

    # 3. The unit head: members, distribution, heatmap, overdue work; drill down to a person.
    as_user(page, base, "truongvu")
    page.goto(f"{base}/dashboard/unit/{history['unit'].pk}/")
    expect(
        page.get_by_role("heading", name="Thành viên: điểm tạm tính và xếp loại")
    ).to_be_visible()
    expect(page.get_by_text("tính khi đánh giá").first).to_be_visible()
    # One unit per chart (issue 13): points in the heatmap, leaders' a in percent apart,
    # and the letters a–e explained in words beside them.
    heat = page.locator('table[data-table="heatmap"] tbody td').all_inner_texts()
    assert heat and not [text for text in heat if "%" in text], heat
    leaders = page.locator('table[data-table="leader-heatmap"] tbody td').all_inner_texts()
    assert any(text.endswith("%") for text in leaders), leaders
    expect(page.locator('[data-legend="letters"]')).to_contain_text("đ. Năng lực tổ chức")
    shoot(page, "dashboard-unit-vi")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, "dashboard-unit-phone-vi")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator(f'tr[data-person="{official.pk}"] th a').click()
    page.wait_for_url(f"**/dashboard/?person={official.pk}")
    expect(
        page.get_by_role("heading", name=f"Bảng điều khiển của {official.full_name}")
    ).to_be_visible()
    shoot(page, "dashboard-person-from-unit-vi")

    # Members a page at a time (50 in use; 5 here, so that the unit's people need pages).
    monkeypatch.setattr(views_dashboards, "MEMBERS_PER_PAGE", 5)
    page.goto(f"{base}/dashboard/unit/{history['unit'].pk}/")
    pager = page.get_by_role("navigation", name="Phân trang thành viên").first
    expect(pager.get_by_text("Trang 1/")).to_be_visible()
    pager.get_by_role("link", name="Trang sau →").click()
    page.wait_for_url("**/?page=2")
    expect(page.locator('table[data-table="members"] tbody tr')).to_have_count(5)
    expect(page.locator('table[data-table="heatmap"] tbody tr')).to_have_count(5)
    expect(page.get_by_text("Đang xem 6–10.")).to_be_visible()
    shoot(page, "dashboard-unit-page-2-vi")

    # 4. The agency's leadership: units ranked, drill down to a unit.
    as_user(page, base, "lanhdao")
    page.get_by_role("link", name="Toàn cơ quan", exact=True).first.click()
    page.wait_for_url("**/dashboard/agency/")
    expect(page.get_by_role("heading", name="Xếp hạng đơn vị")).to_be_visible()
    # The ranking names its month, counts the people of each unit, and sets apart the
    # units with too few people scored (every unit but the head's has no work here).
    month = clock.today().strftime("%m/%Y")
    expect(page.locator("[data-rank-period]")).to_contain_text(f"Kỳ xếp hạng: tháng {month}")
    ranked = page.locator(f'table[data-table="ranking"] tr[data-unit="{history["unit"].pk}"]')
    expect(ranked.locator("td[data-people]")).to_contain_text("người")
    expect(page.get_by_role("heading", name="Chưa đủ dữ liệu để xếp hạng")).to_be_visible()
    expect(page.locator('[data-list="thin"] li').first).to_contain_text("cần ít nhất 3 người")
    shoot(page, "dashboard-agency-vi")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, "dashboard-agency-phone-vi")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.emulate_media(media="print")
    shoot(page, "dashboard-agency-print-vi")
    page.emulate_media(media="screen")
    page.locator(f'tr[data-unit] a[href="/dashboard/unit/{history["unit"].pk}/"]').first.click()
    page.wait_for_url(f"**/dashboard/unit/{history['unit'].pk}/")
    expect(page.locator('table[data-table="heatmap"]')).to_be_visible()


def test_unit_dashboard_shows_ratings_against_the_quota_line(
    page: Any, live_server: Any, transactional_db: None
) -> None:
    """A decided January 2026 of the test cast: the distribution, the quota line, history."""
    from io import StringIO

    from django.core.management import call_command

    from tests.conftest import load_cast, make_cast
    from tests.evaluations.conftest import make_flow
    from thuocdo.org.models import Unit

    # The session's cast survives unless an earlier browser test flushed the database.
    cast = load_cast() if Unit.objects.filter(code="BA").exists() else make_cast()
    call_command("load_presets", stdout=StringIO())
    flow = make_flow(cast)
    for name in ("head_x", "deputy_x", "staff_x", "staff_x1", "head_y", "staff_y"):
        flow.task(name)
    flow.task("personnel_a")
    flow.task("auditor_a")
    flow.general = {"staff_x": 30, "staff_x1": 28}
    flow.to_decision()
    flow.rate_units()
    flow.decide_all()
    base = live_server.url
    page.goto(f"{base}/login/")
    page.get_by_label("Tên đăng nhập").fill("head_x")
    page.get_by_label("Mật khẩu").fill("Mật-khẩu-thử-2025")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/dashboard/unit/{cast.unit_x.pk}/")
    expect(page.get_by_role("heading", name="Phân bố xếp loại so với trần tỷ lệ")).to_be_visible()
    expect(page.locator(".chart-marker line")).to_have_count(1)
    shoot(page, "dashboard-unit-decided-vi")
    page.goto(f"{base}/dashboard/?person={cast.person('staff_x').pk}")
    expect(page.locator('table[data-table="history"] tbody tr[id^="evaluation-"]')).to_have_count(1)
    shoot(page, "dashboard-person-history-vi")
