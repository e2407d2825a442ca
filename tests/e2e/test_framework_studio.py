"""Issue 14, point 5: the framework studio in a browser, on the demo agency.

The personnel office drafts a new version from the framework in force and changes a group
weight (the decree's task results are a plain mean of a, b, c: it makes them a weighted
mean and gives quantity twice the weight), previews the draft over the demo's decided
months, the agency head adopts it from next month, and the next period's evaluations are
scored with it. Pages only; the database is read to check what the pages did."""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.e2e.conftest import shoot
from tests.e2e.test_whole_cycle import period_step, sign_in
from thuocdo.core import clock
from thuocdo.demo.build import load_demo
from thuocdo.evaluations.models import Evaluation, Period
from thuocdo.frameworks.models import CriteriaSet, FrameworkVersion
from thuocdo.frameworks.selectors import engine_framework
from thuocdo.org.models import Assignment, JobPosition, Person

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_with_history(transactional_db: None) -> None:
    """The demo as `make run` loads it: decided and published months, one in review, one
    open (the test clock's today)."""
    call_command("load_presets", stdout=StringIO())
    load_demo(with_work=True, today=clock.today())


def test_the_office_drafts_previews_and_the_head_adopts_for_next_month(
    page: Any, live_server: Any, demo_with_history: None
) -> None:
    base = live_server.url
    today = clock.today()
    next_month = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    decided = Period.objects.filter(state__in=["published", "locked"]).count()
    assert decided >= 1, "the demo has decided months to preview on"

    # 1. The office drafts from the version in force.
    sign_in(page, base, "tochuc")
    page.get_by_role("link", name="Khung đánh giá", exact=True).first.click()
    page.get_by_role("link", name="Soạn khung KPIs của cơ quan").click()
    page.get_by_role("button", name="Tạo bản nháp từ khung đang áp dụng").click()
    expect(page.get_by_role("heading", name="Thay đổi so với khung đang áp dụng")).to_be_visible()
    draft = FrameworkVersion.objects.get(status="draft", agency__isnull=False)
    draft_url = page.url

    # 2. Task results become a weighted mean, and quantity weighs twice as much.
    results = page.locator("#node-task_results")
    results.locator("summary", has_text="Sửa").click()
    results.get_by_label("Cách tính của nhóm").select_option("weighted_mean")
    results.get_by_role("button", name="Đổi cách tính").click()
    quantity = page.locator("#node-a")
    quantity.locator("summary", has_text="Sửa").click()
    quantity.get_by_label("Trọng số:", exact=True).fill("2")
    # units may tune it between 1 and 3 in their criteria sets
    quantity.get_by_label("Trọng số tối thiểu đơn vị được đặt:").fill("1")
    quantity.get_by_label("Trọng số tối đa đơn vị được đặt:").fill("3")
    quantity.get_by_role("button", name="Lưu").click()
    changes = page.locator("#diff ul.diff")
    expect(changes).to_contain_text("a. Số lượng")
    expect(changes).to_contain_text("2")
    shoot(page, "studio-draft")

    # 3. The preview over the decided months: nothing of theirs changes.
    stored = list(
        Evaluation.objects.filter(period__state__in=["published", "locked"])
        .order_by("pk")
        .values_list("pk", "points", "rating", "version")
    )
    page.get_by_role("link", name="Xem trước tác động lên các tháng đã quyết định").click()
    page.get_by_role("button", name="Xem trước").click()
    page.wait_for_load_state()
    if "/jobs/" in page.url:
        expect(page.locator("[data-job-status]")).to_have_class(
            re.compile(r"\bstatus-done\b"), timeout=120_000
        )
        page.get_by_role("link", name=re.compile("kết quả", re.I)).first.click()
    expect(
        page.get_by_role("heading", name="Phân bố xếp loại toàn cơ quan: hiện hành và dự thảo")
    ).to_be_visible(timeout=120_000)
    expect(page.get_by_role("heading", name="Người thay đổi xếp loại")).to_be_visible()
    shoot(page, "studio-preview")
    assert stored == list(
        Evaluation.objects.filter(period__state__in=["published", "locked"])
        .order_by("pk")
        .values_list("pk", "points", "rating", "version")
    )

    # 4. The agency head adopts it from the first day of next month.
    sign_in(page, base, "lanhdao")
    page.goto(draft_url)
    adopt = page.locator("#adopt")
    expect(adopt.get_by_label("Áp dụng từ ngày")).to_have_value(next_month.strftime("%d/%m/%Y"))
    adopt.get_by_label("Căn cứ, lý do").fill("Tăng trọng số khối lượng công việc theo Nghị quyết")
    adopt.get_by_role("button", name="Ban hành").click()
    expect(page.get_by_text("Phiên bản đã ban hành: chỉ xem, không sửa được.")).to_be_visible()
    draft.refresh_from_db()
    assert (draft.status, draft.valid_from) == ("published", next_month)

    # 4b. A unit head tunes quantity for one job position of the unit, within 1 to 3.
    sign_in(page, base, "truongvu")
    page.get_by_role("link", name="Khung đánh giá", exact=True).first.click()
    page.locator("tr", has_text=f"phiên bản {draft.version}").get_by_role("link").first.click()
    page.get_by_role("link", name=re.compile("Bộ tiêu chí theo vị trí việc làm")).click()
    head = Person.objects.get(user__username="truongvu")
    home = Assignment.objects.get(person=head, end_date__isnull=True, is_concurrent=False)
    job = (
        JobPosition.objects.filter(assignments__unit=home.unit, assignments__role="staff")
        .distinct()
        .first()
    )
    assert job is not None
    page.get_by_label("Vị trí việc làm:").select_option(str(job.pk))
    page.get_by_label("Phạm vi:").select_option(str(home.unit_id))
    page.get_by_role("button", name="Mở bộ tiêu chí").click()
    weight = page.get_by_label(re.compile("^Trọng số của “a"))
    weight.fill("4")
    page.get_by_role("button", name="Lưu bộ tiêu chí").click()
    expect(page.locator(".field-error").first).to_contain_text("nằm ngoài khoảng")
    assert not CriteriaSet.objects.exists()
    page.get_by_label(re.compile("^Trọng số của “a")).fill("3")
    page.get_by_role("button", name="Lưu bộ tiêu chí").click()
    expect(page.get_by_text(f"Đã lưu bộ tiêu chí của vị trí “{job.name}”.")).to_be_visible()
    shoot(page, "studio-criteria-set")
    page.get_by_role("navigation", name="Vị trí").get_by_role(
        "link", name="Bộ tiêu chí theo vị trí việc làm"
    ).click()
    expect(page.get_by_role("row", name=re.compile(re.escape(job.name)))).to_contain_text(
        home.unit.name
    )
    shoot(page, "studio-criteria-set-list")
    tuned = CriteriaSet.objects.get()
    assert (tuned.unit_id, tuned.weights) == (home.unit_id, {"a": "3"})

    # 5. The office opens next month: its evaluations are scored with the adopted version,
    # and the tuned position of that unit with its criteria set.
    sign_in(page, base, "tochuc")
    page.get_by_role("link", name="Đánh giá", exact=True).first.click()
    page.get_by_role("link", name="Mở kỳ đánh giá").first.click()
    page.get_by_label("Loại kỳ").select_option("month")
    page.locator("#id_year").fill(str(next_month.year))
    page.locator("#id_number").fill(str(next_month.month))
    page.get_by_role("button", name="Mở kỳ đánh giá").click()
    title = f"Kỳ đánh giá Tháng {next_month.month}/{next_month.year}"
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    period = Period.objects.get(kind="month", year=next_month.year, number=next_month.month)
    period_step(page, f"{base}/evaluations/periods/{period.pk}/", "Bắt đầu tự đánh giá")
    evaluations = Evaluation.objects.filter(period=period).select_related("unit", "framework")
    tuned_people = [
        e
        for e in evaluations
        if e.job_position_id == job.pk and e.unit.path.startswith(home.unit.path)
    ]
    assert tuned_people, "the tuned position has officials in the unit"
    for e in evaluations:
        if e in tuned_people:
            fw = engine_framework(e.framework)
            assert fw.job_position == job.name and fw.derived_from == draft.content_hash
            assert {n.key: n.weight for n in fw.individual.root.walk()}["a"] == 3
        else:
            assert e.framework_id == draft.pk
    earlier = Evaluation.objects.filter(period__state__in=["published", "locked"])
    assert draft.pk not in set(earlier.values_list("framework_id", flat=True))
    shoot(page, "studio-next-period")
