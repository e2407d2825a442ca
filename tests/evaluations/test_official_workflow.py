"""The whole workflow for an official: the decree's worked example as real tasks, from
self-assessment to a locked period, with a complaint on the way."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.work.conftest import at
from tests.work.test_aggregation import worked_example
from thuocdo.audit.models import AuditEntry
from thuocdo.core.errors import AccessDenied, Conflict, ValidationFailed
from thuocdo.evaluations import services
from thuocdo.evaluations.models import Complaint, Evaluation, Notification, Period
from thuocdo.evaluations.selectors import facts_from_json
from thuocdo.frameworks.models import FrameworkVersion

from .conftest import AGENCY_A, COLLECTIVE, DECISION, PUBLISH, REVIEW, SELF, D, Flow, scores, tree


def _run_example(flow: Flow) -> None:
    worked_example(flow.work)
    flow.general["staff_x"] = 27
    for name in AGENCY_A:
        if name not in ("staff_x", "head_x", "head_y"):
            flow.task(name)


def test_the_official_goes_from_self_assessment_to_a_locked_period(flow: Flow) -> None:
    _run_example(flow)
    flow.step("start_self_assessment", on=D(2026, 1, 26))
    ev = flow.ev("staff_x")
    assert Evaluation.objects.filter(period=flow.period).count() == len(AGENCY_A)
    assert not Evaluation.objects.filter(person=flow.cast.person("leader_a")).exists()
    assert FrameworkVersion.objects.get(pk=ev.framework_id).is_used
    assert (ev.unit, ev.role) == (flow.cast.unit_x, "staff")

    ev = flow.self_assess("staff_x")
    assert ev.state == Evaluation.State.SELF_ASSESSED
    assert sum(s.self_score for s in ev.scores.all()) == 27

    for name in AGENCY_A:
        if name != "staff_x":
            flow.self_assess(name)
    flow.step("start_review", on=REVIEW)
    ev = flow.review("staff_x")
    assert ev.state == Evaluation.State.REVIEWED
    assert ev.reviewer == flow.cast.person("head_x")
    # task points come from the work data, snapshotted at review
    assert facts_from_json(ev.facts_at_review)["planned"].count == 3
    assert ev.points == Decimal("76.10") and ev.rating == "good"
    for name in AGENCY_A:
        if name != "staff_x":
            flow.review(name)

    flow.step("start_collective", on=COLLECTIVE)
    flow.minutes()
    flow.step("start_decision", on=DECISION)
    ev = flow.ev("staff_x")
    assert ev.proposed["points"] == "76.10"
    assert "breakdown" not in ev.proposed  # kept as inputs; rebuilt when read
    breakdown = tree(ev, decided=False)
    assert breakdown["key"] == "total"

    flow.rate_units()
    flow.decide_all()
    ev = flow.ev("staff_x")
    assert ev.state == Evaluation.State.DECIDED
    assert (ev.points, ev.rating) == (Decimal("76.10"), "good")
    assert ev.facts_at_decision == ev.facts_at_review

    flow.publish()
    ev = flow.ev("staff_x")
    assert ev.complaint_until == D(2026, 2, 20)
    # The result's notice (the others are about staff_x's tasks).
    note = Notification.objects.get(
        recipient=flow.cast.person("staff_x"), link__startswith="/evaluations/"
    )
    assert "76,10 điểm" in note.text and "Hoàn thành tốt nhiệm vụ" in note.text
    # The same message in English, for an English page (issue 13).
    assert "76.10 points" in note.text_en and "Good" in note.text_en

    complaint = services.complaint_file(
        actor=flow.user("staff_x"),
        evaluation=ev,
        text="Đề nghị xem xét lại điểm tiêu chí chung.",
        at=at(D(2026, 2, 12)),
    )
    assert complaint.answer_due == D(2026, 2, 23)  # 7 working days, Mon–Fri
    with pytest.raises(Conflict):  # an open complaint blocks the lock
        flow.step("lock", on=D(2026, 2, 24))
    with pytest.raises(AccessDenied):  # only the authority answers
        services.complaint_answer(
            actor=flow.user("head_x"), complaint=complaint, answer="Giữ nguyên", outcome="kept"
        )
    services.complaint_answer(
        actor=flow.user("leader_a"),
        complaint=complaint,
        answer="Điểm tiêu chí chung đã được tập thể thống nhất; giữ nguyên xếp loại.",
        outcome=Complaint.Outcome.KEPT,
        at=at(D(2026, 2, 16)),
    )
    with pytest.raises(Conflict, match="khiếu nại"):  # the window is still open
        flow.step("lock", on=D(2026, 2, 20))
    flow.step("lock", on=D(2026, 2, 21))
    assert flow.period.state == Period.State.LOCKED

    # locked: every write refuses; only reopen changes it
    ev = flow.ev("staff_x")
    with pytest.raises(Conflict):
        services.evaluation_self_assess(
            actor=flow.user("staff_x"),
            evaluation=ev,
            expected_version=ev.version,
            scores={},
            at=at(D(2026, 2, 22)),
        )
    with pytest.raises(Conflict):
        flow.review("staff_x", on=D(2026, 2, 22))
    actions = set(
        AuditEntry.objects.filter(
            object_type="evaluations.evaluation", object_id=str(ev.pk)
        ).values_list("action", flat=True)
    )
    assert {
        "evaluations.evaluation.create",
        "evaluations.evaluation.self_assess",
        "evaluations.evaluation.review",
        "evaluations.evaluation.decide",
    } <= actions


def test_a_reviewer_change_needs_a_reason_and_moves_the_points(flow: Flow) -> None:
    _run_example(flow)
    flow.step("start_self_assessment", on=D(2026, 1, 26))
    for name in AGENCY_A:
        flow.self_assess(name)
    flow.step("start_review", on=REVIEW)
    with pytest.raises(ValidationFailed) as refused:
        flow.review("staff_x", scores={"g1_politics": "3"})
    assert refused.value.field == "reasons.g1_politics"
    ev = flow.review(
        "staff_x",
        scores={"g1_politics": "3.5"},
        reasons={"g1_politics": "Chưa tham gia đầy đủ sinh hoạt chuyên đề"},
    )
    row = ev.scores.get(key="g1_politics")
    assert (row.self_score, row.reviewer_score) == (Decimal(5), Decimal("3.5"))
    assert ev.points == Decimal("74.60")
    politics = next(
        c
        for g in tree(ev, decided=False)["children"][0]["children"]
        for c in g["children"]
        if c["key"] == "g1_politics"
    )
    assert "Chưa tham gia" in politics["note_vi"]
    with pytest.raises(ValidationFailed):  # off the scale
        flow.review("staff_x", scores={"g1_politics": "5.3"}, reasons={"g1_politics": "x"})


def test_steps_refuse_until_everyone_is_done_and_in_order(flow: Flow) -> None:
    flow.step("start_self_assessment", on=D(2026, 1, 26))
    with pytest.raises(Conflict, match="chưa tự đánh giá"):
        flow.step("start_review", on=REVIEW)
    with pytest.raises(Conflict, match="Thao tác được phép"):
        flow.step("publish", by="leader_a", on=REVIEW)
    ev = flow.ev("staff_x")
    with pytest.raises(ValidationFailed, match="Chưa chấm"):
        services.evaluation_self_assess(
            actor=flow.user("staff_x"),
            evaluation=ev,
            expected_version=ev.version,
            scores={"g1_politics": "5"},
            at=at(SELF),
        )
    with pytest.raises(Conflict):  # stale version
        services.evaluation_self_assess(
            actor=flow.user("staff_x"),
            evaluation=ev,
            expected_version=ev.version + 1,
            scores={},
            at=at(SELF),
        )


def test_a_complaint_answered_with_a_change_is_quota_checked_and_notified(flow: Flow) -> None:
    _run_example(flow)
    flow.to_decision()
    flow.rate_units()
    flow.decide_all()
    flow.publish()
    ev = flow.ev("staff_x")
    with pytest.raises(AccessDenied):
        services.complaint_file(actor=flow.user("head_x"), evaluation=ev, text="Thay mặt")
    complaint = services.complaint_file(
        actor=flow.user("staff_x"), evaluation=ev, text="Xin xem lại", at=at(PUBLISH)
    )
    services.complaint_answer(
        actor=flow.user("leader_a"),
        complaint=complaint,
        answer="Minh chứng bổ sung cho thấy sản phẩm bị trả lại do lỗi của đơn vị khác.",
        outcome=Complaint.Outcome.CHANGED,
        new_rating="completed",
        at=at(D(2026, 2, 11)),
    )
    ev.refresh_from_db()
    assert ev.rating == "completed"
    assert ev.result["rating_changes"][-1]["rule"] == f"complaint:{complaint.pk}"
    assert (
        Notification.objects.filter(
            recipient=ev.person, text__contains="khiếu nại".capitalize()
        ).exists()
        or Notification.objects.filter(recipient=ev.person).count() == 2
    )


def test_the_complaint_window_closes(flow: Flow) -> None:
    _run_example(flow)
    flow.to_decision()
    flow.rate_units()
    flow.decide_all()
    flow.publish()
    with pytest.raises(Conflict, match="hết thời hạn"):
        services.complaint_file(
            actor=flow.user("staff_x"),
            evaluation=flow.ev("staff_x"),
            text="Muộn",
            at=at(D(2026, 2, 21)),
        )


def test_a_second_self_assessment_rewrites_the_same_rows(flow: Flow) -> None:
    """Entered again while the step lasts: each criterion's row is updated in place (one
    per criterion, none added), the entry before it kept in the audit trail."""
    flow.step("start_self_assessment", on=D(2026, 1, 26))
    first = flow.self_assess("staff_x", total=25)
    rows = dict(first.scores.values_list("key", "id"))
    again = flow.self_assess("staff_x", total=20)
    assert dict(again.scores.values_list("key", "id")) == rows  # the same rows
    assert {k: str(v) for k, v in again.scores.values_list("key", "self_score")} == {
        k: str(Decimal(v).quantize(Decimal("0.01"))) for k, v in scores(20).items()
    }
    entry = AuditEntry.objects.filter(
        action="evaluations.evaluation.self_assess", object_id=str(first.pk)
    ).latest("id")
    assert entry.before == {
        "scores": {k: str(Decimal(v).quantize(Decimal("0.01"))) for k, v in scores(25).items()}
    }
