"""A unit head assigns; the official starts and submits; the head returns it with a reason;
the official resubmits; the head accepts. Each step on screen, the live KPI following."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shoot
from tests.e2e.test_home_pages import sign_in
from thuocdo.core import clock
from thuocdo.core.models import User
from thuocdo.demo.build import load_demo
from thuocdo.org.models import Person
from thuocdo.work import services
from thuocdo.work.models import Task

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_with_catalogue(transactional_db: None) -> None:
    """The demo agency plus a decided product catalogue (set up through the services)."""
    load_demo()
    users = {
        u.username: u for u in User.objects.filter(username__in=["tochuc", "truongvu", "lanhdao"])
    }
    agency = Person.objects.select_related("agency").get(user=users["truongvu"]).agency
    catalogue = services.catalogue_create(
        actor=users["tochuc"], agency=agency, name="Danh mục sản phẩm của Ban"
    )
    version = services.catalogue_version_propose(actor=users["truongvu"], catalogue=catalogue)
    services.product_type_add(
        actor=users["truongvu"],
        version=version,
        code="BC",
        name="Báo cáo chuyên đề",
        unit_of_measure="báo cáo",
        coefficient=Decimal("1.5"),
        complexity_group=3,
    )
    services.catalogue_version_standardise(actor=users["tochuc"], version=version)
    services.catalogue_version_decide(actor=users["lanhdao"], version=version)


def as_user(page: Any, base: str, username: str) -> None:
    page.context.clear_cookies()
    sign_in(page, base, username)


def kpi(page: Any, key: str) -> str:
    return str(page.locator(f'[data-kpi="{key}"]').inner_text()).strip()


def test_assign_submit_return_resubmit_accept(
    page: Any, live_server: Any, demo_with_catalogue: None
) -> None:
    base = live_server.url
    official = Person.objects.get(user__username="chuyenvien")
    title = "Báo cáo đánh giá tình hình kinh tế quý IV"

    # 1. The unit head assigns the task, due today.
    as_user(page, base, "truongvu")
    page.get_by_role("link", name="Giao việc", exact=True).first.click()
    page.wait_for_url("**/work/assign/")
    expect(page.get_by_role("heading", name="Giao việc")).to_be_visible()
    page.get_by_label("Người chủ trì thực hiện").select_option(str(official.pk))
    page.get_by_label("Tên nhiệm vụ").fill(title)
    page.get_by_label("Loại nhiệm vụ").select_option("arising")
    page.get_by_label("Loại sản phẩm").select_option(label="BC — Báo cáo chuyên đề (báo cáo, ×1,5)")
    page.get_by_label("Số lượng").fill("2")
    page.get_by_label("Hạn hoàn thành").fill(clock.today().strftime("%d/%m/%Y"))
    page.get_by_label("Mô tả, yêu cầu").fill("Tập trung vào xuất khẩu và đầu tư công.")
    shoot(page, "work-assign-form-vi")
    page.get_by_role("button", name="Giao nhiệm vụ").click()
    page.get_by_text("Đã giao nhiệm vụ").first.wait_for()
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    expect(page.locator(".facts").get_by_text("3", exact=True)).to_be_visible()  # w = 2 × 1,5
    shoot(page, "work-task-assigned-vi")

    # 2. The official sees it on My work, the live KPI at zero, then starts and submits.
    as_user(page, base, "chuyenvien")
    page.get_by_role("link", name="Việc của tôi", exact=True).first.click()
    row = page.locator("tr", has_text=title)
    assert "Đến hạn hôm nay" in row.inner_text()
    assert (kpi(page, "a"), kpi(page, "b"), kpi(page, "c")) == ("0%", "0%", "0%")
    shoot(page, "work-my-work-assigned-vi")
    row.get_by_role("button", name="Bắt đầu").click()
    page.get_by_text("Đã bắt đầu thực hiện").first.wait_for()
    row = page.locator("tr", has_text=title)
    assert "Đang thực hiện" in row.inner_text()
    row.locator("summary", has_text="Nộp sản phẩm").click()
    row.get_by_label("Ghi chú (không bắt buộc)").fill("Bản hoàn chỉnh kèm phụ lục số liệu")
    shoot(page, "work-my-work-submit-form-vi", full_page=False)
    row.get_by_role("button", name="Nộp sản phẩm").last.click()
    page.get_by_text("Đã nộp sản phẩm").first.wait_for()
    assert "Đã nộp sản phẩm" in page.locator("tr", has_text=title).inner_text()

    # 3. The head returns it for a major error, with a reason.
    as_user(page, base, "truongvu")
    page.get_by_role("link", name="Chờ duyệt", exact=True).click()
    item = page.locator("article", has_text=title)
    assert "Bản hoàn chỉnh kèm phụ lục số liệu" in item.inner_text()
    shoot(page, "work-review-queue-vi")
    item.get_by_label("Lý do trả lại (lỗi lớn về nội dung)").fill(
        "Số liệu xuất khẩu tháng 10 chưa cập nhật"
    )
    item.get_by_role("button", name="Trả lại vì lỗi lớn").click()
    page.get_by_text("Đã trả lại vì lỗi lớn").first.wait_for()
    expect(page.locator("article", has_text=title)).to_have_count(0)

    # 4. The official resubmits.
    as_user(page, base, "chuyenvien")
    page.get_by_role("link", name="Việc của tôi", exact=True).first.click()
    row = page.locator("tr", has_text=title)
    expect(row).to_contain_text("Bị trả lại (lỗi lớn)")  # waits for the page, unlike inner_text
    row.locator("summary", has_text="Nộp lại").click()
    row.get_by_role("button", name="Nộp lại sản phẩm").click()
    expect(page.locator("tr", has_text=title)).to_contain_text("Đã nộp lại")

    # 5. The head accepts.
    as_user(page, base, "truongvu")
    page.get_by_role("link", name="Chờ duyệt", exact=True).click()
    item = page.locator("article", has_text=title)
    assert "đã bị trả lại 1 lần" in item.inner_text()
    item.get_by_role("button", name="Nghiệm thu").click()
    page.get_by_text("Đã nghiệm thu").first.wait_for()
    task = Task.objects.get(title=title)
    assert (task.state, task.failures, task.done_quantity) == (Task.State.ACCEPTED, 1, 2)

    # 6. The official's live KPI now counts the accepted work, one failure deducted.
    as_user(page, base, "chuyenvien")
    page.get_by_role("link", name="Việc của tôi", exact=True).first.click()
    expect(page.locator('[data-kpi="b"]')).to_have_text("75%")  # the new page, not the old
    assert (kpi(page, "a"), kpi(page, "b"), kpi(page, "c")) == ("100%", "75%", "100%")
    assert kpi(page, "points").startswith("64,17")
    shoot(page, "work-my-work-accepted-vi")
    page.get_by_role("link", name="Vì sao?").click()
    page.wait_for_url("**/work/why/")
    expect(page.get_by_role("heading", name="Vì sao? Cách tính điểm nhiệm vụ")).to_be_visible()
    expect(page.locator("table", has_text=title)).to_be_visible()
    shoot(page, "work-why-vi")
    page.get_by_role("link", name=title).click()
    history = page.locator("table.history tbody tr")
    expect(history).to_have_count(6)  # assign, start, submit, return, resubmit, accept
    assert "Số liệu xuất khẩu tháng 10 chưa cập nhật" in history.nth(3).inner_text()
    shoot(page, "work-task-history-vi")


def test_my_work_and_the_board_fit_a_phone(
    browser: Any, live_server: Any, demo_with_catalogue: None
) -> None:
    head = User.objects.get(username="truongvu")
    official = Person.objects.get(user__username="chuyenvien")
    services.task_assign(
        actor=head,
        owner=official,
        title="Tổng hợp ý kiến góp ý dự thảo nghị quyết",
        kind=Task.Kind.ARISING,
        deadline=clock.today(),
    )
    context = browser.new_context(
        locale="vi-VN", viewport={"width": 390, "height": 844}, is_mobile=True
    )
    phone = context.new_page()
    try:
        for username, path, name in (
            ("chuyenvien", "/work/", "work-my-work-phone-vi"),
            ("truongvu", "/work/board/", "work-board-phone-vi"),
            ("truongvu", "/work/review/", "work-review-phone-vi"),
        ):
            as_user(phone, live_server.url, username)
            phone.goto(f"{live_server.url}{path}")
            overflow = phone.evaluate(
                "document.documentElement.scrollWidth > document.documentElement.clientWidth"
            )
            shoot(phone, name)
            assert not overflow, path
    finally:
        context.close()


def test_the_quick_start_works_from_the_keyboard(
    page: Any, live_server: Any, demo_with_catalogue: None
) -> None:
    services.task_assign(
        actor=User.objects.get(username="truongvu"),
        owner=Person.objects.get(user__username="chuyenvien"),
        title="Rà soát số liệu",
        kind=Task.Kind.ARISING,
        deadline=clock.today(),
    )
    as_user(page, live_server.url, "chuyenvien")
    page.goto(f"{live_server.url}/work/")
    start = page.locator("tr", has_text="Rà soát số liệu").get_by_role("button", name="Bắt đầu")
    start.focus()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.get_by_text("Đã bắt đầu thực hiện").first.wait_for()
    assert "Đang thực hiện" in page.locator("tr", has_text="Rà soát số liệu").inner_text()
