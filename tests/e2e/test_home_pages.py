"""An official and a unit head sign in with the demo logins and see their home pages."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shoot
from thuocdo.demo.build import load_demo
from thuocdo.demo.data import DEMO_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(transactional_db: None) -> None:
    load_demo()


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{base}/")


def test_an_official_signs_in_and_sees_their_work(page: Any, live_server: Any, demo: None) -> None:
    sign_in(page, live_server.url, "chuyenvien")
    expect(page.get_by_role("heading", name="Công tác của tôi")).to_be_visible()
    expect(page.get_by_text("Vụ Kinh tế vĩ mô").first).to_be_visible()
    expect(page.get_by_role("heading", name="Đơn vị tôi phụ trách")).to_have_count(0)
    shoot(page, "home-official-vi")
    page.get_by_role("link", name="Xem hồ sơ và quá trình công tác").click()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)  # moved in September: two assignments, the history kept
    assert "Vụ Chiến lược phát triển" in rows.nth(1).inner_text()
    shoot(page, "person-history-official-vi")


def test_a_unit_head_sees_their_unit(page: Any, live_server: Any, demo: None) -> None:
    sign_in(page, live_server.url, "truongvu")
    expect(page.get_by_role("heading", name="Đơn vị tôi phụ trách")).to_be_visible()
    shoot(page, "home-unit-head-vi")
    page.get_by_role("link", name="Vụ Kinh tế vĩ mô").last.click()
    expect(page.get_by_role("heading", name="Vụ Kinh tế vĩ mô", exact=True)).to_be_visible()
    expect(page.locator("table tbody tr")).to_have_count(
        14
    )  # head, 2 deputies, 10 staff, 1 moved in
    shoot(page, "unit-members-unit-head-vi")


def test_the_shell_switches_language_contrast_and_text_size(
    page: Any, live_server: Any, demo: None
) -> None:
    sign_in(page, live_server.url, "lanhdao")
    expect(page.get_by_role("heading", name="Toàn cơ quan")).to_be_visible()
    size_before = page.evaluate("getComputedStyle(document.body).fontSize")
    page.get_by_role("button", name="Tăng cỡ chữ").click()
    assert page.evaluate("getComputedStyle(document.body).fontSize") != size_before
    page.get_by_role("button", name="Độ tương phản cao").click()
    assert page.evaluate("document.documentElement.classList.contains('high-contrast')")
    page.reload()  # the choices are remembered
    assert page.evaluate("document.documentElement.classList.contains('high-contrast')")
    shoot(page, "home-leadership-high-contrast-vi")
    page.get_by_role("button", name="Độ tương phản cao").click()
    page.get_by_role("button", name="Cỡ chữ mặc định").click()
    page.locator("button[name=language][value=en]").click()
    expect(page.get_by_role("heading", name="Whole agency")).to_be_visible()
    shoot(page, "home-leadership-en")


def test_the_keyboard_reaches_the_content_with_a_visible_focus(
    page: Any, live_server: Any, demo: None
) -> None:
    sign_in(page, live_server.url, "chuyenvien")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip-link"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    shoot(page, "home-skip-link-focus-vi", full_page=False)
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_pages_fit_a_phone(browser: Any, live_server: Any, demo: None) -> None:
    context = browser.new_context(
        locale="vi-VN", viewport={"width": 390, "height": 844}, is_mobile=True
    )
    phone = context.new_page()
    try:
        sign_in(phone, live_server.url, "truongvu")
        overflow = phone.evaluate(
            "document.documentElement.scrollWidth > document.documentElement.clientWidth"
        )
        assert not overflow
        shoot(phone, "home-unit-head-phone-vi")
    finally:
        context.close()


def test_the_auditor_browses_and_filters_the_audit_log(
    page: Any, live_server: Any, demo: None
) -> None:
    sign_in(page, live_server.url, "thanhtra")
    page.get_by_role("link", name="Nhật ký", exact=True).click()
    expect(page.get_by_role("heading", name="Nhật ký thao tác")).to_be_visible()
    page.get_by_label("Thao tác").select_option("org.role.grant")
    page.get_by_role("button", name="Lọc").click()
    rows = page.locator("table.audit tbody tr")
    expect(rows).to_have_count(2)
    assert "Giao vai trò" in rows.first.inner_text()
    shoot(page, "audit-log-auditor-vi")
