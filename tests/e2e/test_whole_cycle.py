"""Issue 15, point 9: the whole demo agency takes January 2026 from an opened period to
published results and one complaint answered, through the pages only — the tools of the
cycle included: leaving someone out of the period, entering a self-assessment on behalf,
a unit's self-assessments from its Excel template, reviewing a whole queue at once,
minutes with "select all", the units' ratings, deciding every group, publishing.

The fixture loads the demo agency with January's work (set-up, through the services);
from then on the test only clicks, types and uploads, as the office, the leaders and the
officials would. The database is read only to check what the pages did."""

from __future__ import annotations

import datetime as dt
import io
import re
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.e2e.conftest import shoot
from thuocdo.demo.build import load_demo
from thuocdo.demo.data import DEMO_PASSWORD
from thuocdo.evaluations.models import Complaint, Evaluation, Exclusion, Period
from thuocdo.org.models import Person

pytestmark = pytest.mark.browser

HEADER_ROW = 6  # the unit template's header line (imports/evaluation_sheet.py)
PAPER = "Nhập theo phiếu tự đánh giá giấy đồng chí đã ký, gửi Phòng Tổ chức cán bộ."


@pytest.fixture
def demo_january(transactional_db: None) -> None:
    """The demo agency with its work up to 5 February 2026 and no evaluation yet, and the
    frameworks in force (as `make run` loads them)."""
    call_command("load_presets", stdout=StringIO())
    load_demo(with_work=True, evaluations=False, today=dt.date(2026, 2, 5))


def sign_in(page: Any, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{base}/")


def period_step(page: Any, period_url: str, label: str) -> None:
    """Clicks a step button on the period page and waits for its page (or its job) to say
    it is done."""
    page.goto(period_url)
    page.get_by_role("button", name=label).click()
    page.wait_for_load_state()
    if "/jobs/" in page.url:  # a heavy step runs as a job
        job_done(page)
    else:
        expect(page.get_by_text("đã chuyển sang bước")).to_be_visible()


def job_done(page: Any) -> None:
    expect(page.locator("[data-job-status]")).to_have_class(
        re.compile(r"\bstatus-done\b"), timeout=60_000
    )


def unit_links(page: Any, period_url: str, name: str) -> list[str]:
    """The links named `name` of every unit row on the period page (progress, minutes)."""
    page.goto(period_url)
    links = page.locator("section[aria-labelledby=units-title] a", has_text=name)
    return [str(links.nth(i).get_attribute("href")) for i in range(links.count())]


def fill_unit_sheet(content: bytes, reason: str) -> bytes:
    """The office fills the unit's template: every general criterion at its top for those
    who have not self-assessed, with the reason for entering it on their behalf."""
    book = load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    headers = {str(cell.value).rstrip("*"): cell.column for cell in sheet[HEADER_ROW] if cell.value}
    tops = {
        column: re.search(r"\(tối đa ([\d,]+)\)", header)
        for header, column in headers.items()
        if header.startswith("Tự chấm:")
    }
    assert len(tops) == 10, headers  # the framework's ten general criteria
    reason_column = next(c for h, c in headers.items() if "nhập thay" in h.lower())
    state_column = headers["Trạng thái phiếu"]
    for row in range(HEADER_ROW + 1, sheet.max_row + 1):
        if sheet.cell(row, headers["Mã cán bộ"]).value in (None, ""):
            continue
        if sheet.cell(row, state_column).value != "Chưa tự đánh giá":
            continue  # done already (by the official, or entered on their behalf)
        for column, top in tops.items():
            assert top is not None
            sheet.cell(row, column).value = top.group(1)  # "2,5" as typed in Vietnamese
        sheet.cell(row, reason_column).value = reason
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def import_unit(page: Any, progress_url: str, tmp: Path) -> None:
    """Download the unit's template from its progress page, fill it, upload, confirm."""
    page.goto(progress_url)
    with page.expect_download() as download:
        page.get_by_role("link", name="Tải mẫu Excel của đơn vị").click()
    sheet = tmp / f"unit-{abs(hash(progress_url))}.xlsx"
    sheet.write_bytes(fill_unit_sheet(Path(download.value.path()).read_bytes(), PAPER))
    page.get_by_role("link", name="Nhập từ Excel").click()
    page.locator("input[type=file]").set_input_files(str(sheet))
    page.get_by_role("button", name="Kiểm tra và xem trước").click()
    expect(page.locator(".error-box")).to_have_count(0)  # every row passed the preview
    page.get_by_role("button", name="Xác nhận nhập").click()
    job_done(page)


def test_the_demo_agency_runs_january_from_open_to_a_complaint_answered(
    page: Any, live_server: Any, demo_january: None, tmp_path: Path
) -> None:
    base = live_server.url
    chuyenvien = Person.objects.get(user__username="chuyenvien")

    # 1. The office opens January and starts the self-assessment (a job).
    sign_in(page, base, "tochuc")
    page.get_by_role("link", name="Đánh giá", exact=True).first.click()
    page.get_by_role("link", name="Mở kỳ đánh giá").first.click()
    page.get_by_label("Loại kỳ").select_option("month")
    page.locator("#id_year").fill("2026")
    page.locator("#id_number").fill("1")
    page.get_by_label("Hạn tự đánh giá").fill("04/02/2026")
    page.get_by_label("Hạn cấp trên đánh giá").fill("06/02/2026")
    page.get_by_role("button", name="Mở kỳ đánh giá").click()
    expect(page.get_by_role("heading", name="Kỳ đánh giá Tháng 1/2026")).to_be_visible()
    period = Period.objects.get(year=2026, number=1, kind="month")
    period_url = f"{base}/evaluations/periods/{period.pk}/"
    period_step(page, period_url, "Bắt đầu tự đánh giá")
    everyone = Evaluation.objects.filter(period=period).count()
    assert everyone > 140
    own = Evaluation.objects.get(period=period, person=chuyenvien)
    unit = own.unit  # the official's unit in January

    # 2. One official of the unit is on sick leave: left out of the period.
    progress_url = f"{base}/evaluations/periods/{period.pk}/units/{unit.pk}/progress/"
    page.goto(progress_url)
    away = (
        Evaluation.objects.filter(period=period, unit=unit, role="staff")
        .exclude(person=chuyenvien)
        .select_related("person")
        .order_by("person__search_name")
    )
    sick, paper = away[0], away[1]
    page.get_by_label(f"Chọn {sick.person.full_name}").check()
    page.get_by_label("Lý do không đánh giá").select_option("sick")
    page.get_by_label("Căn cứ, ghi chú").fill("Giấy nghỉ ốm từ 05/01/2026")
    page.get_by_role("button", name="Không đánh giá những người đã chọn").click()
    expect(page.get_by_text("Đã để 1 người ra ngoài kỳ đánh giá: Nghỉ ốm.")).to_be_visible()
    shoot(page, "cycle-1-unit-progress-excluded")

    # 3. The office enters one self-assessment on behalf, on the person's page.
    page.goto(f"{base}/evaluations/{paper.pk}/")
    for field in page.locator("input[id^=id_score_]").all():
        field.fill("2")
    page.get_by_label(re.compile("Lý do nhập thay")).fill(PAPER)
    page.get_by_role("button", name="Gửi tự đánh giá nhập thay").click()
    entered = page.get_by_text(f"Đã nhập tự đánh giá thay cho {paper.person.full_name}")
    expect(entered).to_be_visible()

    # 4. The official self-assesses on their own page.
    sign_in(page, base, "chuyenvien")
    page.goto(f"{base}/evaluations/{own.pk}/")
    for field in page.locator("input[id^=id_score_]").all():
        field.fill("2,5")
    page.get_by_label("Tự nhận xét").fill("Hoàn thành các nhiệm vụ được giao trong tháng.")
    page.get_by_role("button", name="Gửi tự đánh giá").click()
    expect(page.get_by_text("Đã ghi nhận kết quả tự đánh giá.")).to_be_visible()

    # 5. Everyone else from paper forms: each unit's template, filled and imported.
    sign_in(page, base, "tochuc")
    for url in unit_links(page, period_url, "Tiến độ"):
        import_unit(page, f"{base}{url}", tmp_path)
    waiting = Evaluation.objects.filter(period=period, state="draft").count()
    assert waiting == 0, f"{waiting} still to self-assess"
    period_step(page, period_url, "Chuyển cấp trên đánh giá")

    # 6. Reviews: the head accepts his department at once; the agency's leader the rest.
    for leader in ("truongvu", "lanhdao"):
        sign_in(page, base, leader)
        page.goto(f"{base}/evaluations/review/")
        if page.locator("input[name=pick]").count() == 0:
            continue
        page.get_by_label("Chọn tất cả").check()
        page.get_by_role("button", name="Đồng ý với tự đánh giá của những người đã chọn").click()
        expect(page.get_by_text(re.compile(r"Đã nhận xét, đánh giá \d+ người"))).to_be_visible(
            timeout=60_000
        )
    not_reviewed = Evaluation.objects.filter(period=period, state="self_assessed").count()
    assert not_reviewed == 0

    # 7. Collective comments: the minutes of every unit, everyone present at once.
    sign_in(page, base, "tochuc")
    period_step(page, period_url, "Lấy ý kiến tập thể")
    for url in unit_links(page, period_url, "Ghi biên bản"):
        page.goto(f"{base}{url}")
        page.get_by_label("Nội dung biên bản (ý kiến của tập thể)").fill(
            "Tập thể nhất trí với kết quả tự đánh giá và nhận xét của lãnh đạo."
        )
        page.get_by_label("Ngày họp").fill("09/02/2026")
        page.get_by_label("Chọn tất cả").check()
        present = page.locator("input[name=attendees]:checked").count()
        page.get_by_label("Tổng số thành viên của đơn vị").fill(str(max(present, 1)))
        page.get_by_role("button", name="Ghi biên bản").click()
        expect(page.get_by_text("Đã ghi biên bản lấy ý kiến tập thể của")).to_be_visible()
    period_step(page, period_url, "Trình cấp có thẩm quyền")

    # 8. The authority rates every unit; the office compiles again; every group decided.
    sign_in(page, base, "lanhdao")
    page.goto(period_url)
    units = page.locator("section[aria-labelledby=ue-title] a")
    for href in [str(units.nth(i).get_attribute("href")) for i in range(units.count())]:
        page.goto(f"{base}{href}")
        page.get_by_label("Xếp loại đơn vị:", exact=True).select_option("good")
        page.get_by_label("Căn cứ:", exact=True).fill("Kết quả thực hiện kế hoạch tháng 1.")
        page.get_by_role("button", name="Quyết định").click()
        expect(page.get_by_text("Đã quyết định xếp loại đơn vị")).to_be_visible()
    sign_in(page, base, "tochuc")
    page.goto(period_url)
    page.get_by_role("button", name="Tổng hợp lại kết quả").click()
    job_done(page)
    sign_in(page, base, "lanhdao")
    page.goto(period_url)
    page.get_by_role("button", name="Quyết định tất cả các nhóm").click()
    job_done(page)
    page.goto(period_url)
    left = page.locator("section[aria-labelledby=groups-title] li", has_text="chưa quyết định")
    for href in [str(a.get_attribute("href")) for a in left.locator("a").all()]:
        page.goto(f"{base}{href}")  # a tie at the line: the authority picks whom to lower
        for tie in page.locator(".ev-ties p").all():
            need = int(re.search(r"Chọn (\d+) người", tie.inner_text()).group(1))  # type: ignore[union-attr]
            for _ in range(need):
                page.locator("tr.ev-tie input[type=checkbox]:not(:checked)").first.check()
        page.get_by_role("button", name="Quyết định xếp loại nhóm").click()
        expect(page.get_by_text("Đã quyết định xếp loại nhóm")).to_be_visible()
    period_step(page, period_url, "Thông báo kết quả")
    shoot(page, "cycle-2-published")

    decided = Evaluation.objects.filter(period=period, state="decided").count()
    assert decided == everyone - 1  # all but the one on sick leave
    assert Exclusion.objects.get(evaluation=sick).reason == "sick"
    assert Evaluation.objects.get(pk=sick.pk).state == "excluded"
    assert Evaluation.objects.get(pk=paper.pk).self_entered_by is not None
    assert Period.objects.get(pk=period.pk).state == "published"

    # 9. The official contests the result; the authority answers it from the notice.
    sign_in(page, base, "chuyenvien")
    page.goto(f"{base}/evaluations/{own.pk}/")
    expect(page.get_by_role("heading", name="Kết quả đánh giá, xếp loại")).to_be_visible()
    page.get_by_label("Nội dung khiếu nại").fill(
        "Đề nghị xem xét lại: các sản phẩm trong tháng đều hoàn thành đúng hạn."
    )
    page.get_by_role("button", name="Gửi khiếu nại").click()
    expect(page.get_by_text(re.compile("Đã gửi khiếu nại; hạn trả lời"))).to_be_visible()
    sign_in(page, base, "lanhdao")
    page.goto(f"{base}/evaluations/notifications/")
    page.get_by_text(re.compile("khiếu nại")).first.wait_for()
    complaint = Complaint.objects.get(evaluation=own)
    page.goto(f"{base}/evaluations/complaints/{complaint.pk}/")
    page.get_by_label("Giữ nguyên xếp loại").check()
    page.get_by_label("Trả lời, nêu rõ lý do").fill(
        "Giữ nguyên xếp loại: điểm tính đúng theo kết quả thực hiện nhiệm vụ trong tháng."
    )
    page.get_by_role("button", name="Trả lời khiếu nại").click()
    expect(page.get_by_text("Đã trả lời khiếu nại.")).to_be_visible()
    shoot(page, "cycle-3-complaint-answered")
    complaint.refresh_from_db()
    assert (complaint.state, complaint.outcome) == ("answered", "kept")
