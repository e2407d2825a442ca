"""Bulk history gives exactly what the step-by-step services give, or nothing at all."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.work.conftest import JAN_5, JAN_20, Work, at
from thuocdo.audit.models import AuditEntry
from thuocdo.core.errors import ThuocDoError, ValidationFailed
from thuocdo.work import services
from thuocdo.work.history import Excuse, Step, Story, tasks_record_history
from thuocdo.work.models import Exemption, Task, TaskEvent

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


# --- exemptions in history: the same rows as `exemption_request` + `exemption_decide` ---------

CAUSE, CONFIRMED = "Mất điện diện rộng", "Xác nhận nguyên nhân khách quan."


def excuse(work: Work, subject: str, day: dt.date, **kw: object) -> Excuse:
    values: dict[str, object] = {
        "subject": subject,
        "requester": work.cast.user("staff_x"),
        "requested_at": at(day, 16),
        "reason": CAUSE,
        "decider": work.cast.user("head_x"),
        "decided_at": at(day, 17),
        "decision_reason": CONFIRMED,
    }
    return Excuse(**{**values, **kw})  # type: ignore[arg-type]


def exemption_rows(task: Task) -> list[tuple[object, ...]]:
    return list(
        Exemption.objects.filter(task=task)
        .order_by("id")
        .values_list("subject", "status", "reason", "decision_reason", "event__action")
    )


def test_history_with_exemptions_matches_the_services(work: Work) -> None:
    by_service = work.assign(quantity=3)
    for action, who, day, kw in STORY:
        work.act(by_service, action, by=who, on=day, **kw)
    for subject, approve, day in (
        ("delay", True, D(2026, 1, 28)),
        ("failure", False, D(2026, 1, 29)),
    ):
        event = (
            TaskEvent.objects.filter(task=by_service)
            .filter(
                failure=subject == "failure",
                delays__gt=0 if subject == "delay" else -1,
            )
            .order_by("id")
            .first()
        )
        assert event is not None
        asked = services.exemption_request(
            actor=work.cast.user("staff_x"), event=event, reason=CAUSE, at=at(day, 16)
        )
        by_service.refresh_from_db()
        services.exemption_decide(
            actor=work.cast.user("head_x"),
            exemption=asked,
            approve=approve,
            reason=CONFIRMED,
            expected_version=by_service.version,
            at=at(day, 17),
        )
    by_service.refresh_from_db()
    played = story(work, STORY)
    played.excuses = [
        excuse(work, "delay", D(2026, 1, 28)),
        excuse(work, "failure", D(2026, 1, 29), approve=False),
    ]
    audit_before = AuditEntry.objects.count()
    assert tasks_record_history(stories=[played]) == 1
    bulk = Task.objects.latest("id")
    fields = (*COMPARED, "exempt_delays", "exempt_failures")
    assert [getattr(bulk, f) for f in fields] == [getattr(by_service, f) for f in fields]
    first_late = TaskEvent.objects.filter(task=bulk, delays__gt=0).order_by("id").first()
    assert first_late is not None  # the late submission's delays excused, the return refused
    assert (bulk.exempt_delays, bulk.exempt_failures) == (first_late.delays, 0)
    events = lambda task: list(  # noqa: E731
        TaskEvent.objects.filter(task=task)
        .order_by("id")
        .values_list(
            "action", "from_state", "to_state", "failure", "delays", "task_version", "reason"
        )
    )
    assert events(bulk) == events(by_service)
    assert exemption_rows(bulk) == exemption_rows(by_service)
    # every entry the services write: the task's steps, then per exemption its request, its
    # decision and the task's change
    assert AuditEntry.objects.count() - audit_before == len(STORY) + 1 + 2 * 3
    about = lambda task, kind: list(  # noqa: E731
        AuditEntry.objects.filter(object_type=f"work.{kind}")
        .filter(
            object_id__in=[str(task.pk)]
            if kind == "task"
            else [
                str(pk) for pk in Exemption.objects.filter(task=task).values_list("pk", flat=True)
            ]
        )
        .order_by("id")
        .values_list("action", "before", "after", "reason")
    )
    assert about(bulk, "task")[-2:] == about(by_service, "task")[-2:]
    mine, theirs = about(bulk, "exemption"), about(by_service, "exemption")
    assert (
        [row[0] for row in mine]
        == [row[0] for row in theirs]
        == [
            "work.exemption.request",
            "work.exemption.approve",
            "work.exemption.request",
            "work.exemption.refuse",
        ]
    )
    assert [row[1:] for row in mine[1::2]] == [row[1:] for row in theirs[1::2]]
    for (_, _, after, reason), task in ((row, bulk) for row in mine[::2]):
        event = TaskEvent.objects.get(pk=after["event"])
        assert after["task"] == task.pk == event.task_id and reason == CAUSE


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"requester": "head_x"}, "Chỉ người được giao nhiệm vụ đề nghị miễn trừ."),
        ({"decider": "staff_x1"}, "không phải lãnh đạo quản lý người được giao nhiệm vụ"),
        ({"reason": "  "}, "Thiếu nguyên nhân khách quan"),
        ({"day": D(2026, 1, 26)}, "sau các bước của nhiệm vụ"),
        ({"twice": True}, "Đã có đề nghị miễn trừ cho lần này"),
        ({"steps": STORY[:1]}, "không có lần chậm tiến độ nào để miễn trừ"),
    ],
)
def test_a_wrong_exemption_refuses_the_batch(
    work: Work, change: dict[str, object], message: str
) -> None:
    before = (Task.objects.count(), Exemption.objects.count(), AuditEntry.objects.count())
    played = story(work, change.pop("steps", STORY))  # type: ignore[arg-type]
    day = change.pop("day", D(2026, 1, 28))
    twice = change.pop("twice", False)
    kw = {k: work.cast.user(v) if k in ("requester", "decider") else v for k, v in change.items()}
    played.excuses = [excuse(work, "delay", day, **kw)] * (2 if twice else 1)  # type: ignore[arg-type]
    with pytest.raises(ThuocDoError, match=message):
        tasks_record_history(stories=[played])
    assert (Task.objects.count(), Exemption.objects.count(), AuditEntry.objects.count()) == before
