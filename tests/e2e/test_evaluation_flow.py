"""The golden path of an evaluation on screen: the official self-assesses, the direct
manager reviews (one change, with its reason), the unit's minutes are recorded, the
authority decides the unit's quota group and publishes; the official sees the result and
the notification. The other officials' steps run through the services, as in a real
agency where everyone acts on their own evaluation."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.conftest import PASSWORD, Cast, load_cast, make_cast
from tests.e2e.conftest import shoot
from tests.evaluations.conftest import AGENCY_A, DECISION, Flow, make_flow, scores
from thuocdo.core.models import User
from thuocdo.evaluations import services
from thuocdo.evaluations.models import Evaluation, Period, UnitEvaluation
from thuocdo.work.models import Task

pytestmark = pytest.mark.browser


@pytest.fixture
def evaluation_flow(transactional_db: None) -> Flow:
    """January 2026 of agency A, moved to self-assessment; everyone but staff_x done."""
    cast: Cast = load_cast() if User.objects.filter(username="staff_x").exists() else make_cast()
    call_command("load_presets", stdout=StringIO())
    flow = make_flow(cast)
    for name in AGENCY_A:
        flow.task(name)  # one accepted task each: 70 task points
        flow.general[name] = 15  # 85 points: good
    flow.step("start_self_assessment")
    for name in AGENCY_A:
        if name != "staff_x":
            flow.self_assess(name)
    return flow


def sign_in(page: Any, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{base}/")


def test_self_assessment_to_publication(page: Any, live_server: Any, evaluation_flow: Flow) -> None:
    flow = evaluation_flow
    base = live_server.url
    ev = flow.ev("staff_x")
    assert Task.objects.filter(owner=ev.person, state="accepted").exists()

    # 1. The official self-assesses every general criterion, with evidence.
    sign_in(page, base, "staff_x")
    page.get_by_role("link", name="Đánh giá", exact=True).first.click()
    page.get_by_role("link", name="Tháng 1/2026").first.click()
    page.wait_for_url(f"**/evaluations/{ev.pk}/")
    expect(page.get_by_role("heading", name="Tự đánh giá các tiêu chí chung")).to_be_visible()
    expect(page.locator('[data-part="b"]')).to_be_visible()  # task points: read-only
    for key, value in scores(25).items():
        page.fill(f"#id_score_{key}", value.replace(".", ","))  # as typed in Vietnamese
    # A number input would have dropped "2,5" or read it as 25 (issue 13).
    assert page.input_value("#id_score_g2_culture") == "2,5"
    page.fill("#id_evidence_g3_competence", "Báo cáo tổng kết tháng 1, số 15/BC-X")
    page.get_by_label("Tự nhận xét").fill("Hoàn thành đúng hạn các nhiệm vụ được giao.")
    shoot(page, "evaluation-1-self-assessment")
    page.get_by_role("button", name="Gửi tự đánh giá").click()
    page.get_by_text("Đã ghi nhận kết quả tự đánh giá.").wait_for()
    assert Evaluation.objects.get(pk=ev.pk).state == "self_assessed"
    assert ev.scores.get(key="g2_culture").self_score == Decimal("2.5")

    # 2. The office moves on; the direct manager changes one score, with a reason.
    flow.step("start_review")
    for name in AGENCY_A:
        if name != "staff_x":
            flow.review(name)
    sign_in(page, base, "head_x")
    page.get_by_role("link", name="Đánh giá", exact=True).first.click()
    page.get_by_role("link", name="Chờ tôi nhận xét, đánh giá").first.click()
    page.get_by_role("link", name="Nhận xét, đánh giá").first.click()
    page.wait_for_url(f"**/evaluations/{ev.pk}/review/")
    page.fill("#id_score_g2_service", "2")
    page.get_by_role("button", name="Ghi nhận xét, đánh giá").click()
    page.get_by_text("phải nêu lý do").first.wait_for()  # refused: nothing changed
    assert Evaluation.objects.get(pk=ev.pk).state == "self_assessed"
    page.fill("#id_reason_g2_service", "Còn một phản ánh về thái độ phục vụ trong tháng.")
    page.get_by_label("Nhận xét của cấp trên trực tiếp").fill("Hoàn thành tốt nhiệm vụ.")
    shoot(page, "evaluation-2-review")
    page.get_by_role("button", name="Ghi nhận xét, đánh giá").click()
    page.get_by_text("Đã ghi nhận nhận xét, đánh giá của cấp trên").wait_for()
    assert Evaluation.objects.get(pk=ev.pk).state == "reviewed"

    # 3. Collective comments: the head records the minutes of unit X.
    flow.step("start_collective")
    period = flow.refresh()
    for unit, by in ((flow.cast.office_x1, "head_x"), (flow.cast.unit_y, "head_y")):
        services.minutes_record(
            actor=flow.user(by),
            period=period,
            unit=unit,
            text="Tập thể nhất trí.",
            held_on=DECISION,
            attendees=[],
            total_members=3,
        )
    page.goto(f"{base}/evaluations/periods/{period.pk}/")
    row = page.locator("tr", has_text=flow.cast.unit_x.name).first
    row.get_by_role("link", name="Ghi biên bản").click()
    page.get_by_label("Nội dung biên bản (ý kiến của tập thể)").fill(
        "Tập thể Vụ nhất trí với kết quả tự đánh giá và nhận xét của lãnh đạo Vụ."
    )
    page.get_by_label("Ngày họp").fill("05/02/2026")
    page.get_by_label(ev.person.full_name).check()
    page.get_by_label("Tổng số thành viên của đơn vị").fill("3")
    shoot(page, "evaluation-3-minutes")
    page.get_by_role("button", name="Ghi biên bản").click()
    page.get_by_text("Đã ghi biên bản lấy ý kiến tập thể").wait_for()

    # 4. Decision: units rated, then the authority decides unit X's quota group.
    flow.step("start_decision")
    for ue in UnitEvaluation.objects.filter(period=flow.period):
        services.unit_evaluation_give_rating(
            actor=flow.user("leader_a"), unit_evaluation=ue, rating="excellent", basis="Kế hoạch"
        )
        services.unit_evaluation_decide(actor=flow.user("leader_a"), unit_evaluation=ue)
    services.group_decide(actor=flow.user("leader_a"), group=flow.group("unit:X1"))
    sign_in(page, base, "leader_a")
    page.goto(f"{base}/evaluations/periods/{period.pk}/")
    page.get_by_role("link", name=flow.cast.unit_x.name, exact=True).first.click()
    page.wait_for_url("**/evaluations/groups/*/")
    expect(page.locator(".ev-line")).to_be_visible()
    expect(page.get_by_text("Đề xuất hạ").first).to_be_visible()  # 1 excellent > 20% × 2 good
    shoot(page, "evaluation-4-decision")
    page.get_by_role("button", name="Quyết định xếp loại nhóm").click()
    page.get_by_text("Đã quyết định xếp loại nhóm").wait_for()
    services.group_decide(actor=flow.user("leader_a"), group=flow.group("unit:Y"))

    # 5. The authority publishes.
    page.goto(f"{base}/evaluations/periods/{period.pk}/")
    page.get_by_role("button", name="Thông báo kết quả").click()
    page.get_by_text("đã chuyển sang bước “Đã thông báo”").wait_for()
    shoot(page, "evaluation-5-published")
    assert Period.objects.get(pk=period.pk).state == "published"

    # 6. The official sees the notification and the result, with the quota's reason.
    sign_in(page, base, "staff_x")
    expect(page.locator(".nav-count").first).to_be_visible()
    page.get_by_role("link", name="Thông báo").first.click()
    page.get_by_text("Kết quả đánh giá Tháng 1/2026").wait_for()
    shoot(page, "evaluation-6-notifications")
    page.get_by_role("button", name="Xem").first.click()
    page.wait_for_url(f"**/evaluations/{ev.pk}/")
    expect(page.get_by_role("heading", name="Kết quả đánh giá, xếp loại")).to_be_visible()
    expect(page.get_by_text("Hoàn thành tốt nhiệm vụ").first).to_be_visible()
    expect(page.get_by_text("Gửi khiếu nại").first).to_be_visible()
    shoot(page, "evaluation-7-result")
    decided = Evaluation.objects.get(pk=ev.pk)
    assert (decided.state, decided.rating) == ("decided", "good")


def test_a_manager_reviews_the_unit_with_select_all(
    page: Any, live_server: Any, evaluation_flow: Flow
) -> None:
    """Issue 15, point 5: "Chọn tất cả" ticks everyone waiting; one button reviews them."""
    flow = evaluation_flow
    flow.self_assess("staff_x")
    flow.step("start_review")
    base = live_server.url
    sign_in(page, base, "head_x")
    page.goto(f"{base}/evaluations/review/")
    boxes = page.locator("input[name=pick]")
    waiting = boxes.count()
    assert waiting >= 3
    select_all = page.get_by_label("Chọn tất cả")
    select_all.check()
    assert page.locator("input[name=pick]:checked").count() == waiting
    boxes.first.uncheck()  # the master shows a mixed state, then all again
    assert page.evaluate("document.querySelector('[data-select-all]').indeterminate")
    boxes.first.check()
    assert select_all.is_checked()
    shoot(page, "review-queue-select-all")
    page.get_by_text("Chấm chung một số tiêu chí cho những người đã chọn").click()
    expect(page.get_by_label("Lý do chấm chung")).to_be_visible()  # one box per criterion
    shoot(page, "review-queue-common-scores")
    page.get_by_role("button", name="Đồng ý với tự đánh giá của những người đã chọn").click()
    expect(page.get_by_text(f"Đã nhận xét, đánh giá {waiting} người")).to_be_visible()
    assert page.locator("input[name=pick]").count() == 0
    reviewed = Evaluation.objects.filter(period=flow.period, state="reviewed")
    assert reviewed.count() == waiting


def test_the_minutes_tick_everyone_present_at_once_and_each_box_sits_by_its_name(
    page: Any, live_server: Any, evaluation_flow: Flow
) -> None:
    """Issue 15, point 5: the minutes page had no "select all" and its checkboxes did not
    line up with the names."""
    flow = evaluation_flow
    flow.self_assess("staff_x")
    flow.step("start_review")
    for name in AGENCY_A:
        flow.review(name)
    flow.step("start_collective")
    base = live_server.url
    sign_in(page, base, "head_x")
    page.goto(f"{base}/evaluations/periods/{flow.period.pk}/minutes/{flow.cast.unit_x.pk}/")
    boxes = page.locator("input[name=attendees]")
    present = boxes.count()
    assert present >= 2
    for index in range(boxes.count()):
        box = boxes.nth(index).bounding_box()
        name = boxes.nth(index).locator("xpath=following-sibling::span").bounding_box()
        assert box and name
        assert abs((box["y"] + box["height"] / 2) - (name["y"] + name["height"] / 2)) < 4
        assert 0 <= name["x"] - (box["x"] + box["width"]) < 16
    page.get_by_label("Chọn tất cả").check()
    assert page.locator("input[name=attendees]:checked").count() == present
    shoot(page, "minutes-select-all")
    page.get_by_label("Nội dung biên bản (ý kiến của tập thể)").fill("Tập thể nhất trí.")
    page.get_by_label("Ngày họp").fill("05/02/2026")
    page.get_by_label("Tổng số thành viên của đơn vị").fill(str(present))
    page.get_by_role("button", name="Ghi biên bản").click()
    page.wait_for_load_state()
    minutes = flow.period.minutes.get(unit=flow.cast.unit_x)
    assert len(minutes.attendees) == present
