"""Evaluation pages through Django's test client: each page for the right roles, refusals
with the services' messages (nothing changed), the quota refusal on the decision page, a
complaint and its answer, reopen, a locked period read-only, fixed query counts."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.conftest import Cast
from tests.evaluations.conftest import AGENCY_A, GENERAL, Flow, make_flow, scores, tree
from tests.evaluations.conftest import node as tree_node
from tests.work.conftest import at
from thuocdo.audit.models import AuditEntry
from thuocdo.core.models import User
from thuocdo.evaluations.compute import general_nodes
from thuocdo.evaluations.models import (
    Complaint,
    CriterionScore,
    Evaluation,
    Minutes,
    Notification,
    Period,
    UnitEvaluation,
)
from thuocdo.frameworks.selectors import engine_framework
from thuocdo.jobs.models import Job

D = dt.date


@pytest.fixture
def presets(db: None) -> None:
    call_command("load_presets", stdout=StringIO())


@pytest.fixture
def flow(cast: Cast, presets: None) -> Flow:
    """January 2026 of agency A, opened (tests/evaluations/conftest.py)."""
    return make_flow(cast)


def login(client: Client, username: str) -> Client:
    client.force_login(User.objects.get(username=username))
    return client


def text(response: Any) -> str:
    return response.content.decode()


def score_post(ev: Evaluation, total: Any, **extra: str) -> dict[str, str]:
    data = {"version": str(ev.version), "comment": "Hoàn thành tốt", "evidence_text": ""}
    for key, value in scores(total).items():
        data[f"score_{key}"] = value
        data[f"evidence_{key}"] = f"Minh chứng {key}"
    data.update(extra)
    return data


def to_review(flow: Flow) -> None:
    flow.step("start_self_assessment", on=D(2026, 1, 26))
    for name in AGENCY_A:
        flow.self_assess(name)
    flow.step("start_review", on=D(2026, 2, 4))


@pytest.fixture
def quota_flow(cast: Cast, presets: None) -> Flow:
    """Everyone good (85) except staff_x (95, excellent): unit X breaks the 20% line."""
    flow = make_flow(cast)
    for name in AGENCY_A:
        flow.task(name)
        flow.general[name] = 15
    flow.general["staff_x"] = 25
    flow.to_decision()
    flow.rate_units()
    return flow


# --- periods ---------------------------------------------------------------------------------


def test_the_office_opens_a_period_and_moves_it(client: Client, cast: Cast, presets: None) -> None:
    login(client, "personnel_a")
    assert client.get(reverse("web:ev_period_create")).status_code == 200
    response = client.post(
        reverse("web:ev_period_create"),
        {
            "kind": "month",
            "year": "2026",
            "number": "3",
            "framework_key": "decree-335-2025",
            "self_assessment_until": "06/04/2026",
            "complaint_days": "10",
            "acting_head_rule": "as_head",
        },
    )
    period = Period.objects.get(agency=cast.agency_a, kind="month", year=2026, number=3)
    assert response.status_code == 302 and period.self_assessment_until == D(2026, 4, 6)
    page = client.get(reverse("web:ev_period", args=[period.pk]))
    assert "Bắt đầu tự đánh giá" in text(page)
    step = reverse("web:ev_period_step", args=[period.pk])
    moved = client.post(step, {"action": "start_self_assessment", "version": period.version})
    job = Job.objects.get(kind="evaluations.step")  # every evaluation is made: a job
    assert moved.status_code == 302 and moved["Location"] == reverse("web:job", args=[job.pk])
    assert job.state == "done" and job.params["back"] == reverse("web:ev_period", args=[period.pk])
    assert "Quay lại" in text(client.get(moved["Location"]))
    period.refresh_from_db()
    assert period.state == "self_assessment"
    assert Evaluation.objects.filter(period=period).count() == len(AGENCY_A)

    # a stale page changes nothing and says why
    stale = client.post(step, {"action": "start_review", "version": "1"})
    assert stale.status_code == 409 and "dữ liệu không thay đổi" in text(stale)
    # a step not in the table for this state: the table's own message
    wrong = client.post(step, {"action": "publish", "version": period.version})
    assert wrong.status_code in (403, 409)
    period.refresh_from_db()
    assert period.state == "self_assessment"

    # an official sees the calendar but cannot move it
    login(client, "staff_x")
    assert client.get(reverse("web:ev_period", args=[period.pk])).status_code == 200
    refused = client.post(step, {"action": "start_review", "version": period.version})
    assert refused.status_code == 403 and "tổ chức cán bộ" in text(refused)
    assert client.get(reverse("web:ev_period_create")).status_code == 403
    # another agency does not see it at all
    login(client, "staff_z")
    assert client.get(reverse("web:ev_period", args=[period.pk])).status_code == 403
    assert client.get(reverse("web:ev_period", args=[99999])).status_code == 404


def test_deadlines_are_set_on_the_period_page(client: Client, flow: Flow) -> None:
    login(client, "personnel_a")
    period = flow.refresh()
    response = client.post(
        reverse("web:ev_period_deadlines", args=[period.pk]),
        {"version": period.version, "review_until": "05/02/2026", "complaint_days": "12"},
    )
    assert response.status_code == 302
    period.refresh_from_db()
    assert (period.review_until, period.complaint_days) == (D(2026, 2, 5), 12)


# --- self-assessment and review --------------------------------------------------------------


def test_the_official_self_assesses_with_evidence(client: Client, flow: Flow) -> None:
    flow.task("staff_x")
    flow.step("start_self_assessment", on=D(2026, 1, 26))
    ev = flow.ev("staff_x")
    login(client, "staff_x")
    page = client.get(reverse("web:ev_detail", args=[ev.pk]))
    body = text(page)
    assert page.status_code == 200 and "Gửi tự đánh giá" in body
    assert "Điểm kết quả thực hiện nhiệm vụ" in body and "không nhập tay" in body
    # a, b, c come by key from the engine: b is quality, c timeliness
    assert 'data-part="b"' in body and 'data-part="c"' in body
    assert body.index('data-part="a"') < body.index('data-part="b"') < body.index('data-part="c"')

    url = reverse("web:ev_self", args=[ev.pk])
    bad = client.post(url, score_post(ev, 25, score_g1_politics="7"))
    assert bad.status_code == 400 and "phải từ 0 đến 5" in text(bad)
    assert not CriterionScore.objects.filter(evaluation=ev).exists()

    assert client.post(url, score_post(ev, 25)).status_code == 302
    ev.refresh_from_db()
    assert ev.state == "self_assessed"
    assert ev.scores.get(key="g1_politics").evidence == "Minh chứng g1_politics"

    # someone else's evaluation: refused by the access helper, nothing changed
    login(client, "staff_y")
    refused = client.post(url, score_post(ev, 20))
    assert refused.status_code == 403 and "tự đánh giá" in text(refused)
    assert client.get(reverse("web:ev_detail", args=[ev.pk])).status_code == 403
    ev.refresh_from_db()
    assert sum(s.self_score for s in ev.scores.all()) == 25


def test_the_manager_reviews_with_a_reason_for_each_change(client: Client, flow: Flow) -> None:
    for name in AGENCY_A:
        flow.task(name)
    to_review(flow)
    ev = flow.ev("staff_x")
    login(client, "head_x")
    queue = client.get(reverse("web:ev_review_queue"))
    assert queue.status_code == 200 and ev.person.full_name in text(queue)
    form = client.get(reverse("web:ev_review", args=[ev.pk]))
    assert form.status_code == 200 and "Lý do thay đổi" in text(form)

    data = {"version": str(ev.version), "comment": "Cần chủ động hơn"}
    for key, value in scores(25).items():
        data[f"score_{key}"] = value
        data[f"reason_{key}"] = ""
    data["score_g2_service"] = "1.5"  # from 2.5: a change
    url = reverse("web:ev_review", args=[ev.pk])
    refused = client.post(url, data)
    assert refused.status_code == 400 and "phải nêu lý do" in text(refused)
    ev.refresh_from_db()
    assert ev.state == "self_assessed"

    data["reason_g2_service"] = "Chưa có sáng kiến được công nhận"
    assert client.post(url, data).status_code == 302
    ev.refresh_from_db()
    assert ev.state == "reviewed" and ev.points is not None
    row = ev.scores.get(key="g2_service")
    assert (row.self_score, row.reviewer_score) == (2.5, 1.5)

    login(client, "staff_x")
    body = text(client.get(reverse("web:ev_detail", args=[ev.pk])))
    assert "Chưa có sáng kiến được công nhận" in body and "ev-changed" in body
    assert "Kết quả đề xuất" in body

    # a head of another unit is not the direct manager
    login(client, "head_y")
    assert client.get(url).status_code == 403


def test_leaders_get_d_dd_e_inputs(client: Client, flow: Flow) -> None:
    for name in AGENCY_A:
        flow.task(name)
    to_review(flow)
    for name in AGENCY_A:
        if name != "head_x":
            flow.review(name)
    ev = flow.ev("head_x")
    login(client, "leader_a")
    body = text(client.get(reverse("web:ev_review", args=[ev.pk])))
    assert "d, đ, e" in body and 'name="dd_value"' in body
    data = {"version": str(ev.version), "comment": ""}
    for key, value in scores(25).items():
        data[f"score_{key}"] = value
    data.update({"e_value": "0.5", "e_reason": ""})
    refused = client.post(reverse("web:ev_review", args=[ev.pk]), data)
    assert refused.status_code == 400 and "phải nêu lý do" in text(refused)
    data["e_reason"] = "Đơn thư phản ánh kéo dài về mất đoàn kết"
    assert client.post(reverse("web:ev_review", args=[ev.pk]), data).status_code == 302
    ev.refresh_from_db()
    assert ev.leader["e"]["value"] == "0.5"


# --- minutes ---------------------------------------------------------------------------------


def test_minutes_are_recorded_by_a_leader_of_the_unit(client: Client, flow: Flow) -> None:
    for name in AGENCY_A:
        flow.task(name)
    to_review(flow)
    for name in AGENCY_A:
        flow.review(name)
    flow.step("start_collective", on=D(2026, 2, 5))
    period = flow.refresh()
    url = reverse("web:ev_minutes", args=[period.pk, flow.cast.unit_y.pk])
    data = {
        "text": "Tập thể nhất trí.",
        "held_on": "05/02/2026",
        "attendees": [flow.cast.person("staff_y").pk],
        "total_members": "4",
        "approved": "on",
    }
    login(client, "head_x")  # leads X, not Y
    assert client.post(url, data).status_code == 403
    login(client, "head_y")
    assert client.get(url).status_code == 200
    bad = client.post(url, {**data, "total_members": "0"})
    assert bad.status_code == 400
    assert client.post(url, data).status_code == 302
    minutes = Minutes.objects.get(period=period, unit=flow.cast.unit_y)
    assert minutes.approved and minutes.attendees == [flow.cast.person("staff_y").pk]
    page = text(client.get(reverse("web:ev_period", args=[period.pk])))
    assert "đã thông qua" in page


# --- the decision ----------------------------------------------------------------------------


def test_the_decision_page_shows_the_quota_and_refuses_a_breaking_decision(
    client: Client,
    quota_flow: Flow,
    django_assert_max_num_queries: Any,
) -> None:
    flow = quota_flow
    group = flow.group("unit:X")
    staff_x = flow.ev("staff_x")
    login(client, "leader_a")
    with django_assert_max_num_queries(40):
        page = client.get(reverse("web:ev_group", args=[group.pk]))
    body = text(page)
    assert page.status_code == 200
    assert "ev-bar" in body and "ev-line" in body and "Bảng phân bố" in body
    assert "Đề xuất hạ" in body and "Vượt tỷ lệ" in body
    assert f'value="{staff_x.pk}"' in body and "checked" in body

    refused = client.post(reverse("web:ev_group_decide", args=[group.pk]), {})
    assert refused.status_code == 409
    assert "vi phạm tỷ lệ" in text(refused) and "Không lưu quyết định" in text(refused)
    assert not Evaluation.objects.filter(period=flow.period, state="decided").exists()

    done = client.post(reverse("web:ev_group_decide", args=[group.pk]), {"demote": [staff_x.pk]})
    assert done.status_code == 302
    staff_x.refresh_from_db()
    assert (staff_x.state, staff_x.rating) == ("decided", "good")

    # the office and auditors read the sheet, without the decision form; officials don't
    login(client, "personnel_a")
    body = text(client.get(reverse("web:ev_group", args=[group.pk])))
    assert "Quyết định xếp loại nhóm" not in body
    assert client.post(reverse("web:ev_group_decide", args=[group.pk]), {}).status_code == 403
    login(client, "staff_x")
    assert client.get(reverse("web:ev_group", args=[group.pk])).status_code == 403


def test_the_decision_page_query_count_does_not_grow_with_members(
    client: Client, quota_flow: Flow, django_assert_max_num_queries: Any
) -> None:
    login(client, "leader_a")
    small = quota_flow.group("unit:X1")  # one member
    big = quota_flow.group("unit:Y")  # four members
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(reverse("web:ev_group", args=[small.pk]))
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(reverse("web:ev_group", args=[big.pk])).status_code == 200


def test_overrides_are_recorded_with_their_document(client: Client, quota_flow: Flow) -> None:
    ev = quota_flow.ev("staff_y")
    login(client, "personnel_a")
    url = reverse("web:ev_override", args=[ev.pk])
    missing = client.post(url, {"value": "discipline:reprimand", "document_ref": " "})
    assert missing.status_code == 400
    assert (
        client.post(
            url, {"value": "discipline:reprimand", "document_ref": "QĐ 12/QĐ-BA"}
        ).status_code
        == 302
    )
    assert ev.overrides.get().document_ref == "QĐ 12/QĐ-BA"
    page = text(
        login(client, "leader_a").get(reverse("web:ev_group", args=[quota_flow.group("unit:Y").pk]))
    )
    assert "QĐ 12/QĐ-BA" in page
    login(client, "head_y")  # a unit head does not record overrides
    assert (
        client.post(url, {"value": "discipline:warning", "document_ref": "QĐ 13"}).status_code
        == 403
    )


def test_unit_rating_is_given_by_the_authority(client: Client, cast: Cast, presets: None) -> None:
    flow = make_flow(cast)
    for name in AGENCY_A:
        flow.task(name)
    flow.to_decision()
    ue = UnitEvaluation.objects.get(period=flow.period, unit=cast.unit_x)
    login(client, "head_x")
    assert client.get(reverse("web:ev_unit", args=[ue.pk])).status_code == 200
    assert (
        client.post(
            reverse("web:ev_unit_decide", args=[ue.pk]), {"rating": "good", "basis": "x"}
        ).status_code
        == 403
    )
    login(client, "leader_a")
    body = text(client.get(reverse("web:ev_unit", args=[ue.pk])))
    assert "Quyết định xếp loại đơn vị" in body
    missing = client.post(
        reverse("web:ev_unit_decide", args=[ue.pk]), {"rating": "good", "basis": ""}
    )
    assert missing.status_code == 400
    assert (
        client.post(
            reverse("web:ev_unit_decide", args=[ue.pk]),
            {"rating": "good", "basis": "Hoàn thành kế hoạch năm"},
        ).status_code
        == 302
    )
    ue.refresh_from_db()
    assert (ue.state, ue.rating) == ("decided", "good")


# --- publish, notification, complaint, lock, reopen ------------------------------------------


def _decided(flow: Flow) -> Period:
    flow.decide_all()
    return flow.refresh()


def test_the_authority_decides_every_group_at_once_and_the_office_compiles_again(
    client: Client, quota_flow: Flow
) -> None:
    period = quota_flow.refresh()
    run = reverse("web:ev_period_job", args=[period.pk, "decide_all"])
    login(client, "personnel_a")  # the office compiles, it does not decide
    page = text(client.get(reverse("web:ev_period", args=[period.pk])))
    assert "Tổng hợp lại kết quả" in page and "Quyết định tất cả các nhóm" not in page
    refused = client.post(run)
    assert refused.status_code == 403 and not Job.objects.filter(kind="evaluations.decide_all")
    compiled = client.post(reverse("web:ev_period_job", args=[period.pk, "compile"]))
    assert (
        compiled.status_code == 302 and Job.objects.get(kind="evaluations.compile").state == "done"
    )

    login(client, "leader_a")
    assert "Quyết định tất cả các nhóm" in text(
        client.get(reverse("web:ev_period", args=[period.pk]))
    )
    response = client.post(run)
    job = Job.objects.get(kind="evaluations.decide_all")
    assert response["Location"] == reverse("web:job", args=[job.pk])
    assert job.state == "done", job.errors
    assert Evaluation.objects.filter(period=period).exclude(state="decided").count() == 0
    staff_x = quota_flow.ev("staff_x")  # 95 points, alone above the 20% line of unit X
    assert (
        staff_x.rating == "good" and staff_x.result["rating_changes"][-1]["rule"] == "quota:unit:X"
    )
    result = text(client.get(response["Location"]))
    assert "Đã quyết định 3 nhóm" in result and "Còn 0 nhóm" in result
    assert client.post(reverse("web:ev_period_job", args=[period.pk, "nothing"])).status_code == 404


def test_publish_notify_complain_answer_and_reopen(client: Client, quota_flow: Flow) -> None:
    flow = quota_flow
    period = _decided(flow)
    login(client, "leader_a")
    step = reverse("web:ev_period_step", args=[period.pk])
    assert client.post(step, {"action": "publish", "version": period.version}).status_code == 302
    period.refresh_from_db()
    assert period.state == "published"

    ev = flow.ev("staff_y")
    login(client, "staff_y")
    note = Notification.objects.filter(recipient=ev.person).latest("id")
    assert note.link == reverse("web:ev_detail", args=[ev.pk])
    home = text(client.get(reverse("web:home")))
    assert "nav-count" in home
    listing = text(client.get(reverse("web:ev_notifications")))
    assert "Kết quả đánh giá" in listing
    assert client.post(reverse("web:ev_notification_read", args=[note.pk])).status_code == 302
    note.refresh_from_db()
    assert note.read_at is not None
    login(client, "staff_x")  # notifications are personal
    assert client.post(reverse("web:ev_notification_read", args=[note.pk])).status_code == 403

    login(client, "staff_y")
    body = text(client.get(reverse("web:ev_detail", args=[ev.pk])))
    assert "Kết quả đánh giá, xếp loại" in body and "Gửi khiếu nại" in body
    url = reverse("web:ev_complaint_file", args=[ev.pk])
    assert client.post(url, {"text": "Đề nghị xem lại điểm tiêu chí chung"}).status_code == 302
    complaint = Complaint.objects.get(evaluation=ev)
    again = client.post(url, {"text": "Lần nữa"})
    assert again.status_code == 409 and "đang giải quyết" in text(again)
    login(client, "staff_x")
    assert client.post(url, {"text": "không phải của tôi"}).status_code == 403

    # the office cannot lock while a complaint is open: the service's message
    login(client, "personnel_a")
    period.refresh_from_db()
    locked = client.post(step, {"action": "lock", "version": period.version})
    assert locked.status_code == 409 and "khiếu nại chưa trả lời" in text(locked)

    answer = reverse("web:ev_complaint", args=[complaint.pk])
    assert client.post(answer, {"outcome": "kept", "answer": "Giữ nguyên"}).status_code == 403
    login(client, "leader_a")
    assert "Trả lời khiếu nại" in text(client.get(answer))
    no_reason = client.post(answer, {"outcome": "kept", "answer": " "})
    assert no_reason.status_code == 400
    assert (
        client.post(
            answer, {"outcome": "kept", "answer": "Điểm được chấm đúng quy định"}
        ).status_code
        == 302
    )
    complaint.refresh_from_db()
    assert complaint.state == "answered" and complaint.outcome == "kept"
    login(client, "staff_y")
    assert "Điểm được chấm đúng quy định" in text(client.get(answer))

    # reopen: a reason is required; the authority takes a published period back
    login(client, "leader_a")
    reopen = reverse("web:ev_period_reopen", args=[period.pk])
    period.refresh_from_db()
    blank = client.post(reopen, {"version": period.version, "to_state": "decision", "reason": ""})
    assert blank.status_code == 400
    assert (
        client.post(
            reopen, {"version": period.version, "to_state": "decision", "reason": "Sai sót số liệu"}
        ).status_code
        == 302
    )
    period.refresh_from_db()
    assert period.state == "decision"
    assert "Sai sót số liệu" in text(client.get(reverse("web:ev_period", args=[period.pk])))


def test_a_locked_period_reads_only(client: Client, quota_flow: Flow) -> None:
    flow = quota_flow
    _decided(flow)
    flow.publish(on=D(2026, 2, 10))
    flow.step("lock", on=D(2026, 3, 2))
    period = flow.refresh()
    assert period.state == "locked"
    ev = flow.ev("staff_x")
    login(client, "staff_x")
    body = text(client.get(reverse("web:ev_detail", args=[ev.pk])))
    assert "đã khóa" in body and "Gửi khiếu nại" not in body and "Gửi tự đánh giá" not in body
    refused = client.post(reverse("web:ev_complaint_file", args=[ev.pk]), {"text": "Muộn"})
    assert refused.status_code == 409 and "Đã khóa" in text(refused)
    assert not Complaint.objects.filter(evaluation=ev).exists()
    login(client, "leader_a")
    body = text(client.get(reverse("web:ev_group", args=[flow.group("unit:X").pk])))
    assert "Quyết định xếp loại nhóm" not in body
    login(client, "personnel_a")
    body = text(client.get(reverse("web:ev_period", args=[period.pk])))
    assert "Lưu các hạn" not in body and "Mở lại" not in body  # office: authority reopens
    minutes = client.get(reverse("web:ev_minutes", args=[period.pk, flow.cast.unit_x.pk]))
    assert "Ghi biên bản" not in text(minutes).split("</h1>")[1]


def test_pages_exist_for_every_role(client: Client, quota_flow: Flow) -> None:
    for name in ("staff_x", "head_x", "personnel_a", "auditor_a", "leader_a", "operator"):
        login(client, name)
        assert client.get(reverse("web:ev_index")).status_code == 200, name
        assert client.get(reverse("web:ev_notifications")).status_code == 200, name
    login(client, "staff_x")
    assert client.get(reverse("web:ev_review_queue")).status_code == 403
    assert at(D(2026, 1, 1))  # the helpers stay importable for the flow's calendar
    assert GENERAL


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("vi", ["Bắt đầu tự đánh giá: Mở kỳ → Tự đánh giá", "Chuyển cấp trên đánh giá"]),
        ("en", ["Start self-assessment: Period opened → Self-assessment", "Start the review"]),
    ],
)
def test_the_period_s_history_and_steps_read_as_words_in_the_page_s_language(
    client: Client, flow: Flow, language: str, words: list[str]
) -> None:
    """Issue 13: the history showed `start_review: self_assessment → review`, and the step
    buttons stayed Vietnamese on an English page."""
    flow.step("start_self_assessment")
    login(client, "personnel_a")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = text(client.get(reverse("web:ev_period", args=[flow.period.pk])))
    for expected in words:
        assert expected in page, expected
    assert "start_self_assessment:" not in page and "→ self_assessment" not in page
    # the framework by its name and version, not its internal key
    assert "decree-335-2025" not in page
    assert ("phiên bản 2025.2" if language == "vi" else "version 2025.2") in page


def test_criteria_carry_their_english_labels_on_an_english_page(client: Client, flow: Flow) -> None:
    flow.step("start_self_assessment")
    ev = flow.ev("staff_x")
    login(client, "staff_x")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = html.unescape(text(client.get(reverse("web:ev_detail", args=[ev.pk]))))
    nodes = general_nodes(engine_framework(ev.framework), ev.role)
    assert nodes and all(n.label_en and n.label_en != n.label_vi for n in nodes)
    for node in nodes:
        assert node.label_en in page, node.label_en
        assert node.label_vi not in page, node.label_vi


def test_period_and_unit_names_follow_the_page_s_language(client: Client, flow: Flow) -> None:
    """Issue 13: in English, period names and the agency's and units' names stayed
    Vietnamese. The audit keeps its own record in Vietnamese whatever the page's language."""
    Unit = type(flow.cast.unit_x)
    Unit.objects.filter(pk=flow.cast.unit_x.pk).update(name_en="Construction Department")
    flow.step("start_self_assessment")
    login(client, "staff_x")
    vi = text(client.get(reverse("web:ev_index")))
    assert "Tháng 1/2026" in vi and "Vụ Xây dựng" in vi
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    en = text(client.get(reverse("web:ev_index")))
    assert "Month 1/2026" in en and "Construction Department" in en
    assert "Tháng 1/2026" not in en and "Vụ Xây dựng" not in en
    ev = flow.ev("staff_x")
    saved = client.post(reverse("web:ev_self", args=[ev.pk]), score_post(ev, 20))
    assert saved.status_code == 302
    entry = AuditEntry.objects.filter(action="evaluations.evaluation.self_assess").latest("id")
    assert entry.object_repr.endswith("— Tháng 1/2026"), entry.object_repr


def test_engine_reasons_and_refusals_use_the_reader_s_decimal_mark(
    client: Client, quota_flow: Flow
) -> None:
    """Issue 13: the quota's reasons are written by the engine ("95.00 điểm") and were
    shown as written on Vietnamese pages; a refusal printed "= 1.8"."""
    group = quota_flow.group("unit:X")
    staff_x = quota_flow.ev("staff_x")
    login(client, "leader_a")
    sheet = text(client.get(reverse("web:ev_group", args=[group.pk])))
    reason = next(line for line in sheet.splitlines() if "Vượt tỷ lệ" in line)
    assert "95,00 điểm" in reason and "95.00" not in reason, reason
    refused = text(client.post(reverse("web:ev_group_decide", args=[group.pk]), {}))
    assert "vi phạm tỷ lệ" in refused
    line = next(line for line in refused.splitlines() if "vi phạm tỷ lệ" in line)
    assert not re.search(r"\d\.\d", html.unescape(line)), line

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = text(client.get(reverse("web:ev_group", args=[group.pk])))
    reason = next(line for line in english.splitlines() if "95.00" in line)
    assert "95,00" not in reason, reason
    assert staff_x.state != "decided"  # nothing was saved by the refusal


def test_the_manager_accepts_several_self_assessments_at_once(client: Client, flow: Flow) -> None:
    """Issue 15, point 5: a unit is reviewed in a handful of clicks, each evaluation still
    reviewed, explained and audited on its own; one refusal saves none."""
    for name in AGENCY_A:
        flow.task(name)
    to_review(flow)
    picked = [flow.ev("staff_x"), flow.ev("deputy_x"), flow.ev("staff_x1")]
    login(client, "head_x")
    queue = text(client.get(reverse("web:ev_review_queue")))
    assert 'data-select-all="pick"' in queue
    for ev in picked:
        assert f'name="pick" value="{ev.pk}"' in queue

    # a stale page: staff_x1 was changed since (its version moved on) → nothing saved
    post: dict[str, Any] = {"comment": "Đồng ý với kết quả tự đánh giá."}
    post["pick"] = [str(ev.pk) for ev in picked]
    for ev in picked:
        post[f"v{ev.pk}"] = str(ev.version)
    post[f"v{picked[2].pk}"] = str(picked[2].version - 1)
    stale = client.post(reverse("web:ev_review_queue"), post)
    assert stale.status_code == 409
    assert picked[2].person.full_name in text(stale) and "Chưa lưu phiếu nào" in text(stale)
    assert not Evaluation.objects.filter(pk__in=[e.pk for e in picked], state="reviewed")

    # someone who is not waiting for this manager (head_y's staff) → refused, nothing saved
    other = flow.ev("staff_y")
    refused = client.post(
        reverse("web:ev_review_queue"),
        {**post, "pick": [str(picked[0].pk), str(other.pk)], f"v{other.pk}": str(other.version)},
    )
    assert refused.status_code == 409 and "chưa lưu phiếu nào" in text(refused)
    assert not Evaluation.objects.filter(state="reviewed").exists()

    before = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    post[f"v{picked[2].pk}"] = str(picked[2].version)
    done = client.post(reverse("web:ev_review_queue"), post)
    assert done.status_code == 302
    for ev in picked:
        ev.refresh_from_db()
        assert ev.state == "reviewed" and ev.points is not None and ev.proposed
        assert ev.review_comment == "Đồng ý với kết quả tự đánh giá."
        assert ev.reviewer == flow.cast.person("head_x")
    actions = list(AuditEntry.objects.filter(id__gt=before).values_list("action", flat=True))
    assert actions.count("evaluations.evaluation.review") == 3
    assert actions.count("evaluations.evaluation.review_many") == 1
    assert "Đã nhận xét, đánh giá 3 người" in text(client.get(reverse("web:ev_review_queue")))
    # nothing picked: a message, not an error page
    empty = client.post(reverse("web:ev_review_queue"), {"comment": "x"})
    assert empty.status_code == 400 and "Chưa chọn người nào" in text(empty)


def test_the_office_or_the_manager_enters_a_self_assessment_for_someone_who_cannot(
    client: Client, flow: Flow
) -> None:
    """Issue 15, point 2: entered on behalf with a reason, shown as such on the page and the
    form, audited, the official told; the official's own entry replaces it."""
    from thuocdo.evaluations.models import Notification
    from thuocdo.reports.forms import individual_form

    flow.step("start_self_assessment", on=D(2026, 1, 26))
    ev = flow.ev("staff_x")
    url = reverse("web:ev_self", args=[ev.pk])
    login(client, "head_y")  # neither the office nor staff_x's manager
    assert "Lý do nhập thay" not in text(client.get(reverse("web:ev_detail", args=[ev.pk])))
    assert client.post(url, score_post(ev, 25, on_behalf_reason="Nghỉ ốm")).status_code == 403

    login(client, "personnel_a")
    page = text(client.get(reverse("web:ev_detail", args=[ev.pk])))
    assert "Lý do nhập thay" in page and "Bạn đang nhập tự đánh giá thay cho" in page
    refused = client.post(url, score_post(ev, 25))  # no reason
    assert refused.status_code == 400
    ev.refresh_from_db()
    assert ev.state == "draft"

    before = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    reason = "Nghỉ ốm dài ngày từ 20/01/2026 (giấy ra viện kèm theo)"
    done = client.post(url, score_post(ev, 25, on_behalf_reason=reason))
    assert done.status_code == 302
    ev.refresh_from_db()
    office = User.objects.get(username="personnel_a")
    assert (ev.state, ev.self_entered_by, ev.self_on_behalf_reason) == (
        "self_assessed",
        office,
        reason,
    )
    entry = AuditEntry.objects.get(id__gt=before, action="evaluations.evaluation.self_assess")
    assert entry.reason == reason and entry.after["on_behalf_of"] == ev.person.full_name
    told = Notification.objects.get(recipient=ev.person)
    assert "thay bạn" in told.text and reason in told.text and "on your behalf" in told.text_en
    form = individual_form(ev)
    assert any("nhập thay" in line.label and reason in line.value for line in form.comments)

    login(client, "staff_x")
    own = text(client.get(reverse("web:ev_detail", args=[ev.pk])))
    assert "data-on-behalf" in own and reason in own and "khiếu nại" in own
    assert client.post(url, score_post(ev, 24)).status_code == 302
    ev.refresh_from_db()
    assert ev.self_entered_by is None and ev.self_on_behalf_reason == ""

    # the direct manager may enter it too; nobody enters it for themselves this way
    ev2 = flow.ev("staff_x1")
    login(client, "head_x")
    assert (
        client.post(
            reverse("web:ev_self", args=[ev2.pk]),
            score_post(ev2, 25, on_behalf_reason="Đi công tác nước ngoài"),
        ).status_code
        == 302
    )


def test_the_manager_gives_several_people_one_common_score_with_a_reason(
    client: Client, flow: Flow
) -> None:
    """Issue 15, point 5: instead of accepting, the same score on a general criterion for
    everyone chosen, with one reason; each evaluation explained and audited on its own."""
    for name in AGENCY_A:
        flow.task(name)
    to_review(flow)
    picked = [flow.ev("staff_x"), flow.ev("staff_x1")]
    login(client, "head_x")
    queue = text(client.get(reverse("web:ev_review_queue")))
    assert "Chấm chung một số tiêu chí cho những người đã chọn" in queue
    assert 'name="score_g2_discipline"' in queue
    post: dict[str, Any] = {
        "comment": "Nhận xét chung của lãnh đạo Vụ.",
        "common": "1",
        "pick": [str(ev.pk) for ev in picked],
        **{f"v{ev.pk}": str(ev.version) for ev in picked},
        "score_g2_discipline": "1,5",
        "reason": "",
    }
    url = reverse("web:ev_review_queue")
    # no reason: refused before anything is written, the ticks kept
    refused = client.post(url, post)
    assert refused.status_code == 400 and "Chấm chung phải nêu lý do" in text(refused)
    assert f'id="pick-{picked[0].pk}" checked' in text(refused)
    # above the criterion's top: the service's message, naming the first person refused
    too_high = client.post(url, {**post, "score_g2_discipline": "3", "reason": "Vi phạm"})
    assert too_high.status_code == 400
    box = text(too_high).split('class="error-box"')[1].split("</div>")[0]
    assert "Điểm 3 của tiêu chí “Ý thức tổ chức kỷ luật" in box, box
    assert "phải từ 0 đến 2,5 theo bước 0,5. Chưa lưu phiếu nào." in box, box  # not "5/2"
    assert picked[0].person.full_name in box
    assert not Evaluation.objects.filter(state="reviewed").exists()

    reason = "Cả Vụ chậm nộp báo cáo định kỳ tháng 1"
    done = client.post(url, {**post, "reason": reason})
    assert done.status_code == 302
    for ev in picked:
        ev.refresh_from_db()
        assert ev.state == "reviewed"
        row = ev.scores.get(key="g2_discipline")
        assert (row.reviewer_score, row.reason) == (Decimal("1.5"), reason)
        assert ev.scores.get(key="g1_politics").reviewer_score is None  # kept their own
        changed = tree_node(tree(ev, decided=False), "g2_discipline")
        assert changed, "the breakdown explains the common score"
    entry = AuditEntry.objects.get(action="evaluations.evaluation.review_many")
    assert entry.after["scores"] == {"g2_discipline": "1.5"} and entry.after["reason"] == reason
    assert "với điểm chung đã nhập" in text(client.get(url))
    # the others waiting are untouched
    assert flow.ev("deputy_x").state == "self_assessed"


def test_the_period_page_lists_evaluations_a_page_at_a_time(
    client: Client, flow: Flow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ministry's period holds thousands of evaluations: the list is paged, every one on
    exactly one page, in the units' order; a page number out of range shows the last."""
    from thuocdo.web import views_evaluations

    monkeypatch.setattr(views_evaluations, "EVALUATIONS_PAGE_SIZE", 3)
    flow.step("start_self_assessment", on=D(2026, 1, 26))
    login(client, "personnel_a")
    url = reverse("web:ev_period", args=[flow.period.pk])
    seen: list[str] = []
    pages = -(-flow.period.evaluations.count() // 3)
    for number in range(1, pages + 1):
        body = text(client.get(f"{url}?page={number}"))
        table = body.split('aria-labelledby="evs-title"')[1].split("</table>")[0]
        seen += re.findall(r'href="/evaluations/(\d+)/"', table)
        assert f"Trang {number}/{pages}" in body
    assert sorted(map(int, seen)) == sorted(flow.period.evaluations.values_list("pk", flat=True))
    assert len(seen) == len(set(seen))  # none twice
    last = text(client.get(f"{url}?page=999"))
    assert f"Trang {pages}/{pages}" in last
