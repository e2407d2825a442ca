"""Task services: assignment, stale versions, extensions, delays, exemptions, explanations."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import override_settings

from thuocdo.audit.models import AuditEntry
from thuocdo.core.errors import AccessDenied, Conflict, ValidationFailed
from thuocdo.work import services
from thuocdo.work.models import Exemption, Task, TaskEvent
from thuocdo.work.selectors import task_audit_entries, task_events

from .conftest import D, Work, at


def test_assigning_snapshots_the_coefficient(work: Work) -> None:
    task = work.assign(quantity="3")
    assert (task.coefficient, task.unit_of_measure, task.w) == (
        Decimal("0.5"),
        "văn bản",
        Decimal("1.5"),
    )
    assert task.unit == work.cast.unit_x
    assert task.assigner == work.cast.person("head_x")
    # A later catalogue version does not rewrite the task.
    v2 = services.catalogue_version_propose(
        actor=work.cast.user("head_x"), catalogue=work.version.catalogue
    )
    copy = v2.product_types.get(code="CV")
    services.product_type_update(actor=work.cast.user("head_x"), product_type=copy, coefficient="3")
    task.refresh_from_db()
    assert task.coefficient == Decimal("0.5")


def test_planned_tasks_need_a_plan_item(work: Work) -> None:
    with pytest.raises(ValidationFailed) as missing:
        services.task_assign(
            actor=work.cast.user("head_x"),
            owner=work.cast.person("staff_x"),
            title="Việc",
            kind="planned",
            deadline=D(2026, 1, 20),
            at=at(D(2026, 1, 5)),
        )
    assert missing.value.field == "plan_item"
    assert not Task.objects.exists()


@pytest.mark.parametrize(
    ("assigner", "owner"),
    [("staff_x", "staff_x1"), ("head_y", "staff_x"), ("head_x", "head_x"), ("head_z", "staff_x")],
)
def test_only_a_leader_of_the_owners_unit_assigns(work: Work, assigner: str, owner: str) -> None:
    with pytest.raises((AccessDenied, ValidationFailed)):
        work.assign(owner, by=assigner, kind="arising")
    assert not Task.objects.exists()


def test_a_stale_version_is_a_conflict_and_changes_nothing(work: Work) -> None:
    task = work.assign()
    stale = task.version
    work.act(task, "start")
    with pytest.raises(Conflict) as conflict:
        services.task_transition(
            actor=work.cast.user("staff_x"),
            task=task,
            action="submit",
            expected_version=stale,
            at=at(D(2026, 1, 10)),
        )
    assert conflict.value.status == 409
    assert conflict.value.field == "version"
    task.refresh_from_db()
    assert (task.state, task.version) == ("in_progress", stale + 1)
    with pytest.raises(Conflict):
        services.task_extend(
            actor=work.cast.user("head_x"),
            task=task,
            expected_version=stale,
            new_deadline=D(2026, 2, 1),
            reason="Thêm thời gian",
        )
    with pytest.raises(Conflict):
        services.task_update(
            actor=work.cast.user("head_x"), task=task, expected_version=stale, title="Tên mới"
        )
    task.refresh_from_db()
    assert task.effective_deadline == D(2026, 1, 20)
    assert task.title == "Soạn thảo văn bản"


def test_an_extension_moves_the_effective_deadline_and_avoids_a_delay(work: Work) -> None:
    task = work.assign(deadline=D(2026, 1, 10))
    extension = services.task_extend(
        actor=work.cast.user("head_x"),
        task=task,
        expected_version=task.version,
        new_deadline=D(2026, 1, 15),
        reason="Chờ số liệu của Bộ",
        at=at(D(2026, 1, 9)),
    )
    assert (extension.previous_deadline, extension.granted_by) == (
        D(2026, 1, 10),
        work.cast.user("head_x"),
    )
    task.refresh_from_db()
    assert (task.deadline, task.effective_deadline) == (D(2026, 1, 10), D(2026, 1, 15))
    task = work.act(task, "submit", on=D(2026, 1, 15))
    assert task.delays == 0
    with pytest.raises(AccessDenied):
        services.task_extend(
            actor=work.cast.user("staff_x"),
            task=task,
            expected_version=task.version,
            new_deadline=D(2026, 2, 1),
            reason="Tự gia hạn",
        )
    with pytest.raises(ValidationFailed) as earlier:
        services.task_extend(
            actor=work.cast.user("head_x"),
            task=task,
            expected_version=task.version,
            new_deadline=D(2026, 1, 12),
            reason="Lùi hạn",
        )
    assert earlier.value.field == "new_deadline"


def test_one_delay_per_late_submission_by_default(work: Work) -> None:
    task = work.assign(deadline=D(2026, 1, 10))
    task = work.act(task, "submit", on=D(2026, 1, 11))
    assert task.delays == 1
    task = work.act(task, "return", by="head_x", on=D(2026, 1, 12), reason="Thiếu phụ lục")
    task = work.act(task, "resubmit", on=D(2026, 1, 20))
    assert (task.delays, task.failures) == (2, 1)
    on_time = work.act(work.assign(deadline=D(2026, 1, 10)), "submit", on=D(2026, 1, 10))
    assert on_time.delays == 0


@override_settings(THUOCDO_WORK_DELAY_RULE={"mode": "per_days", "days": 5})
def test_the_per_days_rule_counts_started_blocks_of_days(work: Work) -> None:
    task = work.assign(deadline=D(2026, 1, 10))
    task = work.act(task, "submit", on=D(2026, 1, 16))  # 6 days late: 2 blocks of 5
    assert task.delays == 2
    task = work.act(task, "return", by="head_x", on=D(2026, 1, 17), reason="Sai")
    task = work.act(task, "resubmit", on=D(2026, 1, 21))  # 11 days: 3 blocks, 1 more
    assert task.delays == 3
    events = list(
        TaskEvent.objects.filter(task=task, delays__gt=0).values_list("delays", flat=True)
    )
    assert events == [2, 1]


@override_settings(THUOCDO_WORK_DELAY_RULE={"mode": "weekly"})
def test_a_bad_delay_rule_is_refused(work: Work) -> None:
    task = work.assign(deadline=D(2026, 1, 10))
    with pytest.raises(ValidationFailed, match="chậm tiến độ"):
        work.act(task, "submit", on=D(2026, 1, 16))


def test_accepting_records_done_and_date(work: Work) -> None:
    task = work.act(work.assign(quantity="4"), "submit", on=D(2026, 1, 12))
    with pytest.raises(ValidationFailed) as too_much:
        work.act(task, "accept", by="head_x", done_quantity="5")
    assert too_much.value.field == "done_quantity"
    task = work.act(task, "accept", by="head_x", on=D(2026, 1, 14), done_quantity="3")
    assert (task.done_quantity, task.completed_on) == (Decimal(3), D(2026, 1, 14))


def test_exemptions_remove_a_failure_or_a_delay_once_approved(work: Work) -> None:
    cast = work.cast
    task = work.assign(deadline=D(2026, 1, 10))
    task = work.act(task, "submit", on=D(2026, 1, 12))
    task = work.act(task, "return", by="head_x", on=D(2026, 1, 13), reason="Sai số liệu")
    late = TaskEvent.objects.get(task=task, action="submit")
    returned = TaskEvent.objects.get(task=task, action="return")
    with pytest.raises(AccessDenied):
        services.exemption_request(actor=cast.user("head_x"), event=late, reason="Mất điện")
    delay_request = services.exemption_request(
        actor=cast.user("staff_x"), event=late, reason="Hệ thống văn bản điện tử ngừng hoạt động"
    )
    failure_request = services.exemption_request(
        actor=cast.user("staff_x"), event=returned, reason="Số liệu nguồn bị sai"
    )
    with pytest.raises(Conflict):
        services.exemption_request(actor=cast.user("staff_x"), event=late, reason="Lần nữa")
    assign_event = TaskEvent.objects.get(task=task, action="assign")
    with pytest.raises(ValidationFailed):
        services.exemption_request(actor=cast.user("staff_x"), event=assign_event, reason="?")
    task.refresh_from_db()
    with pytest.raises(AccessDenied):  # the owner never decides their own exemption
        services.exemption_decide(
            actor=cast.user("staff_x"),
            exemption=delay_request,
            approve=True,
            reason="Tự duyệt",
            expected_version=task.version,
        )
    services.exemption_decide(
        actor=cast.user("head_x"),
        exemption=delay_request,
        approve=True,
        reason="Đã xác minh sự cố",
        expected_version=task.version,
    )
    task.refresh_from_db()
    assert (task.delays, task.exempt_delays, task.failures, task.exempt_failures) == (1, 1, 1, 0)
    services.exemption_decide(
        actor=cast.user("deputy_x"),
        exemption=failure_request,
        approve=False,
        reason="Không phải nguyên nhân khách quan",
        expected_version=task.version,
    )
    task.refresh_from_db()
    assert task.exempt_failures == 0
    failure_request.refresh_from_db()
    assert failure_request.status == Exemption.Status.REFUSED
    assert failure_request.decision_reason == "Không phải nguyên nhân khách quan"
    with pytest.raises(Conflict):
        services.exemption_decide(
            actor=cast.user("head_x"),
            exemption=failure_request,
            approve=True,
            reason="Đổi ý",
            expected_version=task.version,
        )
    again = services.exemption_request(
        actor=cast.user("staff_x"), event=returned, reason="Có văn bản xác nhận của Bộ"
    )
    services.exemption_decide(
        actor=cast.user("leader_a"),
        exemption=again,
        approve=True,
        reason="Đủ căn cứ",
        expected_version=task.version,
    )
    task.refresh_from_db()
    assert task.exempt_failures == 1


def test_explanations_and_history(work: Work) -> None:
    task = work.assign()
    with pytest.raises(AccessDenied):
        services.task_explain(actor=work.cast.user("head_x"), task=task, text="Thay lời")
    note = services.task_explain(
        actor=work.cast.user("staff_x"), task=task, text="Chậm do chờ ý kiến đơn vị phối hợp"
    )
    assert note.text.startswith("Chậm")
    task = work.act(task, "submit")
    task = work.act(task, "accept", by="head_x")
    assert [e.action for e in task_events(task)] == ["assign", "submit", "accept"]
    actions = list(task_audit_entries(task).values_list("action", flat=True))
    assert actions == [
        "work.task.assign",
        "work.task.explain",
        "work.task.submit",
        "work.task.accept",
    ]
    assert AuditEntry.objects.filter(action="work.task.accept").get().before == {
        "state": "submitted",
        "done_quantity": None,
        "completed_on": None,
        "version": 2,
    }


def test_collaborators_and_taking_over_a_handed_back_task(work: Work) -> None:
    cast = work.cast
    task = work.assign(kind="arising", collaborators=[cast.person("staff_x1")])
    assert list(task.collaborators.all()) == [cast.person("staff_x1")]
    task = work.act(task, "hand_back", reason="Nghỉ ốm dài ngày")
    assert task.closed_reason == "Nghỉ ốm dài ngày"
    taken = work.assign("staff_x1", kind="arising", extra="taken_over", taken_over_from=task)
    assert taken.extra == "taken_over"
    assert taken.w == 0
    with pytest.raises(ValidationFailed):
        work.assign("staff_x1", kind="planned", extra="outside_plan")
