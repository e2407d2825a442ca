"""In a browser: the owner of a new task finds it in their notifications, opens it from
there, and can switch e-mail notifications off on the same page."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.conftest import PASSWORD, Cast
from tests.e2e.conftest import shoot
from tests.web.test_work_pages import give
from tests.work.conftest import build_work
from thuocdo.org.models import Person


def test_a_new_task_is_announced_and_opened_from_the_notifications(
    page: Any, live_server: Any, cast_committed: Cast
) -> None:
    cast = cast_committed  # the live server's thread reads committed rows
    task = give(build_work(cast), title="Báo cáo tổng kết quý I")
    Person.objects.filter(pk=cast.person("staff_x").pk).update(email="x@bo.gov.vn")
    base = live_server.url
    page.goto(f"{base}/login/")
    page.get_by_label("Tên đăng nhập").fill("staff_x")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/evaluations/notifications/")
    expect(page.get_by_text("giao cho bạn nhiệm vụ “Báo cáo tổng kết quý I”")).to_be_visible()
    expect(page.get_by_label("Nhận thông báo qua e-mail")).to_be_checked()
    shoot(page, "task-notice-1-notifications")
    page.get_by_label("Nhận thông báo qua e-mail").uncheck()
    page.get_by_role("button", name="Lưu").click()
    # expect() waits for the page the form posts to; is_visible() would race the navigation
    expect(page.get_by_text("Thông báo chỉ hiện trong ứng dụng, không gửi e-mail.")).to_be_visible()
    expect(page.get_by_label("Nhận thông báo qua e-mail")).not_to_be_checked()
    page.get_by_role("button", name="Xem").first.click()
    page.wait_for_url(f"{base}/work/tasks/{task.pk}/")
    shoot(page, "task-notice-2-task")
