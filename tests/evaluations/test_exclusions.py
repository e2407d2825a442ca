"""Who is in a period: the office leaves people out with a reason from the rules, nobody
waits for them, the close does not score them, and they can be brought back before their
decision at the step they had reached."""

from __future__ import annotations

import pytest

from tests.evaluations.conftest import (
    AGENCY_A,
    COLLECTIVE,
    DECISION,
    OPENED,
    REVIEW,
    SELF,
    D,
    Flow,
)
from tests.work.conftest import at
from thuocdo.audit.models import AuditEntry
from thuocdo.core.errors import AccessDenied, Conflict, ValidationFailed
from thuocdo.evaluations import services
from thuocdo.evaluations.models import Evaluation, Exclusion, LeaveMonth, Notification
from thuocdo.org.models import Unit
from thuocdo.reports.exports import agency_summary

E = Evaluation.State


def exclude(flow: Flow, *names: str, reason: str = "sick", by: str = "personnel_a", **kw):  # type: ignore[no-untyped-def]
    evs = [flow.ev(n) for n in names]
    return services.evaluations_exclude(
        actor=flow.user(by),
        versions={ev.pk: ev.version for ev in evs},
        reason=reason,
        at=at(kw.pop("on", SELF)),
        **kw,
    )


def include(flow: Flow, name: str, on: D = SELF) -> Evaluation:
    ev = flow.ev(name)
    return services.evaluation_include(
        actor=flow.user("personnel_a"), evaluation=ev, expected_version=ev.version, at=at(on)
    )


def test_an_excluded_person_holds_no_step_and_is_not_scored(flow: Flow) -> None:
    flow.step("start_self_assessment", on=OPENED)
    exclude(flow, "staff_x", reason="maternity", note="Nghỉ thai sản từ 05/01/2026")
    for name in AGENCY_A:
        if name != "staff_x":
            flow.self_assess(name)
    flow.step("start_review", on=REVIEW)  # not held up by staff_x1's draft
    for name in AGENCY_A:
        if name != "staff_x":
            flow.review(name)
    flow.step("start_collective", on=COLLECTIVE)
    flow.minutes()
    flow.step("start_decision", on=DECISION)
    flow.rate_units()
    flow.decide_all()
    flow.publish()
    out = flow.ev("staff_x")
    assert (out.state, out.points, out.rating, out.proposed) == (E.EXCLUDED, None, "", None)
    assert not out.quota_groups.exists()
    assert flow.group("unit:X").members.count() == 2  # the head and the deputy
    assert flow.ev("staff_x1").state == E.DECIDED
    # the month of leave is kept for the year's roll-up (maternity keeps the year rated)
    leave = LeaveMonth.objects.get(person=out.person, year=2026, month=1)
    assert leave.status == "maternity"
    # told of the exclusion, not of a result
    told = list(Notification.objects.filter(recipient=out.person).values_list("text", flat=True))
    assert any("không thuộc diện đánh giá Tháng 1/2026: nghỉ thai sản" in t for t in told), told
    assert not any("kết quả" in t.lower() for t in told), told
    # the agency's summary counts them apart: not "undecided"
    period = flow.refresh()
    units = list(Unit.objects.filter(agency_id=period.agency_id).order_by("path"))
    summary = agency_summary(period, period.agency, units, period.evaluations.all())
    table = summary.tables[0]
    titles = [c.title for c in table.columns]
    totals = dict(zip(titles, table.totals or (), strict=True))
    rated = period.evaluations.filter(state=E.DECIDED).exclude(rating="").count()
    assert (totals["Số người"], totals["Không đánh giá"]) == (8, 1)
    assert totals["Chưa quyết định"] == 8 - 1 - rated  # the excluded one is not among them
    assert sum(c.pdf_width for c in table.columns) <= 165  # fits the A4 page


def test_exclusion_is_audited_and_lifting_restores_the_step(flow: Flow) -> None:
    flow.step("start_self_assessment", on=OPENED)
    flow.self_assess("staff_x")
    exclude(flow, "staff_x", reason="seconded", note="Biệt phái sang Sở Tư pháp")
    ev = flow.ev("staff_x")
    exclusion = Exclusion.objects.get(evaluation=ev)
    assert (exclusion.reason, exclusion.state_before) == ("seconded", E.SELF_ASSESSED)
    assert not LeaveMonth.objects.filter(person=ev.person).exists()  # secondment is no leave
    entry = AuditEntry.objects.get(action="evaluations.evaluation.exclude")
    assert entry.before["state"] == E.SELF_ASSESSED
    assert entry.after["exclusion_reason"] == "seconded"
    assert entry.after["note"] == "Biệt phái sang Sở Tư pháp"
    back = include(flow, "staff_x")
    assert back.state == E.SELF_ASSESSED
    assert back.scores.count() == 10  # what was entered stayed
    assert not Exclusion.objects.filter(evaluation=ev).exists()
    assert AuditEntry.objects.get(action="evaluations.evaluation.include").after == {
        "state": E.SELF_ASSESSED
    }


def test_lifting_a_leave_exclusion_removes_the_leave_month_it_wrote_only(flow: Flow) -> None:
    flow.step("start_self_assessment", on=OPENED)
    LeaveMonth.objects.create(person=flow.cast.person("staff_y"), year=2026, month=1, status="sick")
    exclude(flow, "staff_x", "staff_y", reason="unpaid")
    assert LeaveMonth.objects.get(person=flow.cast.person("staff_x")).status == "unpaid"
    assert LeaveMonth.objects.get(person=flow.cast.person("staff_y")).status == "sick"  # kept
    include(flow, "staff_x")
    include(flow, "staff_y")
    assert not LeaveMonth.objects.filter(person=flow.cast.person("staff_x")).exists()
    assert LeaveMonth.objects.get(person=flow.cast.person("staff_y")).status == "sick"


def test_a_person_who_had_not_self_assessed_cannot_come_back_once_review_began(
    flow: Flow,
) -> None:
    flow.step("start_self_assessment", on=OPENED)
    exclude(flow, "staff_x1")
    for name in AGENCY_A:
        if name != "staff_x1":
            flow.self_assess(name)
    flow.step("start_review", on=REVIEW)
    with pytest.raises(Conflict, match="hãy mở lại kỳ về bước trước"):
        include(flow, "staff_x1", on=REVIEW)
    assert flow.ev("staff_x1").state == E.EXCLUDED


def test_brought_back_at_the_decision_step_into_the_open_unit_group(flow: Flow) -> None:
    flow.step("start_self_assessment", on=OPENED)
    for name in AGENCY_A:
        flow.self_assess(name)
    flow.step("start_review", on=REVIEW)
    for name in AGENCY_A:
        flow.review(name)
    flow.step("start_collective", on=COLLECTIVE)
    exclude(flow, "staff_x1", reason="other_leave", on=COLLECTIVE)
    flow.minutes()
    flow.step("start_decision", on=DECISION)
    assert not flow.ev("staff_x1").quota_groups.exists()
    include(flow, "staff_x1", on=DECISION)
    assert flow.group("unit:X1").members.filter(pk=flow.ev("staff_x1").pk).exists()
    flow.rate_units()
    flow.decide_all()
    back, peer = flow.ev("staff_x1"), flow.ev("staff_x")
    assert back.state == E.DECIDED
    assert back.result is not None and back.decided_at is not None
    assert (back.points, back.rating) == (peer.points, peer.rating), "scored as anyone else"


def test_nobody_is_left_out_after_their_decision(flow: Flow) -> None:
    flow.to_decision()
    flow.rate_units()
    flow.decide_all()
    with pytest.raises(Conflict, match="Phiếu đã được quyết định") as error:
        exclude(flow, "staff_x", on=DECISION)
    assert "Chưa lưu thay đổi nào" in error.value.message_vi
    assert "staff_x" not in error.value.message_vi  # the person's name, not a username
    assert not Exclusion.objects.exists()


def test_one_refusal_saves_none_of_the_batch(flow: Flow) -> None:
    flow.step("start_self_assessment", on=OPENED)
    exclude(flow, "staff_y")
    with pytest.raises(Conflict) as error:
        exclude(flow, "staff_x", "staff_y")
    assert flow.cast.person("staff_y").full_name in error.value.message_vi
    assert flow.ev("staff_x").state == E.DRAFT
    assert Exclusion.objects.count() == 1


def test_reasons_follow_the_rules(flow: Flow) -> None:
    flow.step("start_self_assessment", on=OPENED)
    with pytest.raises(ValidationFailed, match="chỉ áp dụng cho kỳ đánh giá năm"):
        exclude(flow, "staff_x", reason="under_six_months")
    with pytest.raises(ValidationFailed, match="cần ngày bắt đầu công tác"):
        exclude(flow, "staff_x", reason="arrived")
    with pytest.raises(ValidationFailed, match="không nằm trong kỳ"):
        exclude(flow, "staff_x", reason="arrived", since=D(2025, 12, 20))
    with pytest.raises(ValidationFailed, match="không hợp lệ"):
        exclude(flow, "staff_x", reason="holiday")
    exclude(flow, "staff_x", reason="arrived", since=D(2026, 1, 19))
    assert Exclusion.objects.get().since == D(2026, 1, 19)


def test_only_the_personnel_office_leaves_people_out(flow: Flow) -> None:
    flow.step("start_self_assessment", on=OPENED)
    with pytest.raises(AccessDenied):
        exclude(flow, "staff_x", by="head_x")
    assert flow.ev("staff_x").state == E.DRAFT


def test_a_stale_page_changes_nothing(flow: Flow) -> None:
    flow.step("start_self_assessment", on=OPENED)
    ev = flow.ev("staff_x")
    with pytest.raises(Conflict, match="vừa được người khác thay đổi"):
        services.evaluations_exclude(
            actor=flow.user("personnel_a"),
            versions={ev.pk: ev.version - 1},
            reason="sick",
            at=at(SELF),
        )
    assert flow.ev("staff_x").state == E.DRAFT


def test_reopening_leaves_an_exclusion_as_it_is(flow: Flow) -> None:
    flow.step("start_self_assessment", on=OPENED)
    exclude(flow, "staff_x1")
    for name in AGENCY_A:
        if name != "staff_x1":
            flow.self_assess(name)
    flow.step("start_review", on=REVIEW)
    services.period_reopen(
        actor=flow.user("personnel_a"),
        period=flow.refresh(),
        to_state="self_assessment",
        reason="Bổ sung tự đánh giá",
        expected_version=flow.period.version,
        at=at(REVIEW),
    )
    assert flow.ev("staff_x1").state == E.EXCLUDED
