"""In Chromium: upload, preview, confirm; the progress bar follows a running job.

Each test drives its own Playwright in a worker thread: the session-wide browser of
tests/e2e keeps an event loop in the main thread, and a second sync Playwright cannot
start beside it there.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.conftest import PASSWORD, load_cast, make_cast
from tests.e2e.conftest import CHROMIUM, FLAGS, shoot
from tests.jobs.kinds import running_job
from thuocdo.core import clock
from thuocdo.jobs.models import Job
from thuocdo.jobs.progress import Progress
from thuocdo.org.models import Person, Unit

from .conftest import person_row, xlsx

pytestmark = pytest.mark.browser


Scenario = Callable[[Any], None]


@pytest.fixture
def in_browser() -> Iterator[Callable[[Scenario], None]]:
    if not CHROMIUM.exists():
        message = f"Debian's chromium is missing at {CHROMIUM}: apt-get install chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # ORM calls beside Playwright's loop

    def run(scenario: Scenario) -> None:
        failure: list[BaseException] = []

        def work() -> None:
            from playwright.sync_api import sync_playwright

            try:
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
                    context = browser.new_context(
                        locale="vi-VN", viewport={"width": 1280, "height": 900}
                    )
                    scenario(context.new_page())
                    browser.close()
            except BaseException as error:  # re-raised in the test's thread
                failure.append(error)
            finally:
                connections.close_all()

        thread = threading.Thread(target=work)
        thread.start()
        thread.join(120)
        if failure:
            raise failure[0]

    yield run
    if before is None:  # tests/e2e's browser, if running, still needs it
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def cast_live(transactional_db: None) -> Any:
    if not Unit.objects.filter(code="BA").exists():  # an earlier flush removed the cast
        make_cast()
    return load_cast()


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{base}/")


def test_the_personnel_office_previews_and_confirms_an_import(
    in_browser: Callable[[Scenario], None], live_server: Any, cast_live: Any, tmp_path: Path
) -> None:
    staff_x = cast_live.person("staff_x")
    moved = person_row(
        staff_x.code,
        staff_x.full_name,
        gender=None,
        birth=None,
        category="Viên chức",
        unit="X1",
        title="Chuyên viên chính",
        start="01/07/2025",
    )
    rows = [
        person_row("N001", "Trần Thị Mới", email="moi@example.vn"),
        person_row("N002", "Lê Văn Hai", unit="Y", category="Viên chức"),
        moved,
    ]
    path = tmp_path / "can-bo-thang-7.xlsx"
    path.write_bytes(xlsx(rows).getvalue())

    def scenario(page: Any) -> None:
        sign_in(page, live_server.url, "personnel_a")
        page.get_by_role("link", name="Nhập, xuất Excel").click()
        page.get_by_label("Tệp Excel (.xlsx)").set_input_files(str(path))
        page.get_by_role("button", name="Kiểm tra và xem trước").click()
        page.wait_for_url("**/imports/preview/")
        expect(page.get_by_role("heading", name="Xem trước khi nhập")).to_be_visible()
        expect(page.locator("table tbody tr")).to_have_count(3)
        shoot(page, "imports-preview-vi")
        page.get_by_role("button", name="Xác nhận nhập").click()
        page.get_by_role("heading", name="Đã nhập xong").wait_for()
        shoot(page, "imports-done-vi")

    in_browser(scenario)
    assert Person.objects.filter(code__in=["N001", "N002"]).count() == 2


def test_the_progress_bar_follows_a_running_job_then_shows_the_result(
    in_browser: Callable[[Scenario], None], live_server: Any, cast_live: Any
) -> None:
    job = running_job(
        cast_live.agency_a,
        title="Nhập Excel: lon.xlsx",
        params={"kind": "people", "file_name": "lon.xlsx"},
    )
    worker = Progress(str(job.uid), job.attempt)
    worker.set(1200, 10_000, "write")

    def scenario(page: Any) -> None:
        sign_in(page, live_server.url, "personnel_a")
        page.goto(f"{live_server.url}/imports/jobs/{job.pk}/")
        page.get_by_text("Đã ghi 1.200/10.000 thay đổi").wait_for()
        worker.set(6400, 10_000, "write")
        worker.flush()
        page.get_by_text("Đã ghi 6.400/10.000 thay đổi").wait_for(timeout=5000)
        assert page.locator("progress").evaluate("el => el.value") == 64
        shoot(page, "imports-progress-vi", full_page=False)
        Job.objects.filter(pk=job.pk).update(
            state="done",
            done=10_000,
            total=10_000,
            finished_at=clock.now(),
            result={
                "counts": {
                    "create": 10_000,
                    "update": 0,
                    "start": 10_000,
                    "move": 0,
                    "unchanged": 0,
                }
            },
        )
        page.get_by_role("heading", name="Đã nhập xong").wait_for(timeout=5000)

    in_browser(scenario)


def test_the_personnel_office_exports_the_agency_people_through_a_job(
    in_browser: Callable[[Scenario], None], live_server: Any, cast_live: Any, tmp_path: Path
) -> None:
    saved = tmp_path / "export.xlsx"

    def scenario(page: Any) -> None:
        sign_in(page, live_server.url, "personnel_a")
        page.goto(f"{live_server.url}/imports/")
        card = page.get_by_role("region", name="Cán bộ và phân công công tác")
        card.get_by_role("button", name="Tải dữ liệu hiện có").click()
        page.wait_for_url("**/jobs/*/")
        expect(page.get_by_role("heading", name="Đã xong")).to_be_visible()
        expect(page.get_by_text("Đã xuất 9 dòng.")).to_be_visible()
        shoot(page, "export-job-done-vi", full_page=False)
        with page.expect_download() as download:
            page.get_by_role("link", name="Tải tệp về").click()
        download.value.save_as(saved)

    in_browser(scenario)
    book = load_workbook(saved)
    assert book["Cán bộ"].max_row == 10  # the header and agency A's nine people
