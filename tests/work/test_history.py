"""Bulk history gives exactly what the step-by-step services give, or nothing at all."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.work.conftest import JAN_5, JAN_20, Work, at
from thuocdo.audit.models import AuditEntry
from thuocdo.core.errors import ValidationFailed
from thuocdo.work.history import Step, Story, tasks_record_history
from thuocdo.work.models import Task, TaskEvent

D = dt.date
# A late submission, a return for a major error, a resubmission, a partial acceptance.
STORY = [
    ("start", "staff_x", D(2026, 1, 6), {}),
    ("submit", "staff_x", D(2026, 1, 22), {}),
    ("return", "head_x", D(2026, 1, 23), {"reason": "Sai số liệu"}),
    ("resubmit", "staff_x", D(2026, 1, 26), {}),
    ("accept", "head_x", D(2026, 1, 27), {"done_quantity": Decimal(2)}),
]
COMPARED = (
    "state",
    "failures",
    "delays",
    "done_quantity",
    "completed_on",
    "version",
    "coefficient",
    "effective_deadline",
    "assigned_on",
    "kind",
    "plan_item_id",
)


def story(work: Work, steps: list[tuple[str, str, dt.date, dict[str, object]]]) -> Story:
    cast = work.cast
    return Story(
        owner=cast.person("staff_x"),
        unit=cast.unit_x,
        assigner=cast.person("head_x"),
        assigner_user=cast.user("head_x"),
        kind=Task.Kind.PLANNED,
        title="Soạn thảo văn bản",
        deadline=JAN_20,
        assigned_at=at(JAN_5),
        quantity=Decimal(3),
        product_type=work.products["CV"],
        plan_item=work.item,
        steps=[
            Step(action=a, at=at(day, 15), actor=cast.user(who), **kw)  # type: ignore[arg-type]
            for a, who, day, kw in steps
        ],
    )


def test_history_matches_the_services_step_by_step(work: Work) -> None:
    by_service = work.assign(quantity=3)
    for action, who, day, kw in STORY:
        by_service.refresh_from_db()
        work.act(by_service, action, by=who, on=day, **kw)
    by_service.refresh_from_db()
    audit_before = AuditEntry.objects.count()
    assert tasks_record_history(stories=[story(work, STORY)]) == 1
    bulk = Task.objects.latest("id")
    assert [getattr(bulk, f) for f in COMPARED] == [getattr(by_service, f) for f in COMPARED]
    events = lambda task: list(  # noqa: E731
        TaskEvent.objects.filter(task=task).values_list(
            "action", "from_state", "to_state", "failure", "delays", "task_version"
        )
    )
    assert events(bulk) == events(by_service)
    assert AuditEntry.objects.count() - audit_before == len(STORY) + 1
    assert set(
        AuditEntry.objects.filter(object_id=str(bulk.pk), object_type="work.task").values_list(
            "action", flat=True
        )
    ) == {
        "work.task.assign",
        "work.task.start",
        "work.task.submit",
        "work.task.return",
        "work.task.resubmit",
        "work.task.accept",
    }


def test_one_bad_story_refuses_the_whole_batch(work: Work) -> None:
    tasks_before, audit_before = Task.objects.count(), AuditEntry.objects.count()
    bad = story(work, [("accept", "head_x", D(2026, 1, 6), {})])  # accept before submit
    with pytest.raises(ValidationFailed) as error:
        tasks_record_history(stories=[story(work, STORY), bad])
    assert error.value.message_vi.startswith("Nhiệm vụ thứ 2 (“Soạn thảo văn bản”): ")
    assert "Không thể “nghiệm thu”" in error.value.message_vi
    assert (Task.objects.count(), AuditEntry.objects.count()) == (tasks_before, audit_before)


def test_the_owner_cannot_review_their_own_task_in_history_either(work: Work) -> None:
    selfish = story(
        work, [("submit", "staff_x", D(2026, 1, 8), {}), ("accept", "staff_x", D(2026, 1, 9), {})]
    )
    with pytest.raises(ValidationFailed, match="không được nghiệm thu"):
        tasks_record_history(stories=[selfish])
