"""Issue 14, point 1: an official opens the framework in force from the menu and reads it."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.conftest import PASSWORD, Cast
from tests.e2e.conftest import shoot

pytestmark = pytest.mark.browser


def test_an_official_reads_the_framework_in_force(
    page: Any, live_server: Any, cast_committed: Cast
) -> None:
    call_command("load_presets", stdout=StringIO())
    base = live_server.url
    page.goto(f"{base}/login/")
    page.get_by_label("Tên đăng nhập").fill("staff_x")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{base}/")
    page.get_by_role("link", name="Khung đánh giá", exact=True).first.click()
    expect(page.get_by_role("heading", name="Khung đang áp dụng")).to_be_visible()
    shoot(page, "frameworks-list-official-vi")
    page.get_by_role("link", name="Xem toàn bộ khung").click()
    expect(page.get_by_role("heading", name="Tiêu chí đánh giá cá nhân")).to_be_visible()
    expect(page.get_by_text("0 đến 2,5, bước 0,5").first).to_be_visible()
    expect(page.get_by_text("Điều 20 khoản 5").first).to_be_visible()
    shoot(page, "framework-detail-official-vi")
