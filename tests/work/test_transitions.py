"""The transition table: every allowed move works, everything else is refused cleanly."""

from __future__ import annotations

from typing import Any

import pytest
from django.forms.models import model_to_dict

from thuocdo.audit.models import AuditEntry
from thuocdo.core.errors import AccessDenied, Conflict
from thuocdo.work.models import Task, TaskEvent
from thuocdo.work.transitions import ACTIONS, TRANSITIONS, state_label

from .conftest import Work

PATHS: dict[str, list[str]] = {
    "assigned": [],
    "in_progress": ["start"],
    "submitted": ["submit"],
    "returned": ["submit", "return"],
    "resubmitted": ["submit", "return", "resubmit"],
    "accepted": ["submit", "accept"],
    "handed_back": ["hand_back"],
    "cancelled": ["cancel"],
}
OWNER, REVIEWER = "staff_x", "head_x"


def who(action: str) -> str:
    return OWNER if ACTIONS[action].who == "owner" else REVIEWER


def task_in(work: Work, state: str) -> Task:
    task = work.assign()
    for action in PATHS[state]:
        task = work.act(task, action, by=who(action), reason="Lý do thử")
    assert task.state == state
    return task


def footprint(task: Task) -> tuple[dict[str, Any], int, int]:
    task.refresh_from_db()
    row = model_to_dict(task, exclude=["collaborators"])
    events = TaskEvent.objects.filter(task=task).count()
    audit = AuditEntry.objects.filter(object_type="work.task", object_id=str(task.pk)).count()
    return row, events, audit


def test_every_state_is_reachable_and_covered() -> None:
    assert set(PATHS) == set(Task.State.values)
    assert {action for _, action in TRANSITIONS} == set(ACTIONS)


@pytest.mark.parametrize(("state", "action"), sorted(TRANSITIONS))
def test_every_allowed_transition_works(work: Work, state: str, action: str) -> None:
    task = task_in(work, state)
    version = task.version
    done = work.act(task, action, by=who(action), reason="Lý do thử")
    assert done.state == TRANSITIONS[(state, action)]
    assert done.version == version + 1
    event = TaskEvent.objects.filter(task=task).last()
    assert event is not None
    assert (event.action, event.from_state, event.to_state) == (action, state, done.state)
    assert event.task_version == done.version
    entry = AuditEntry.objects.filter(object_type="work.task", object_id=str(task.pk)).first()
    assert entry is not None
    assert entry.action == f"work.task.{action}"
    assert entry.after is not None
    assert entry.after["state"] == done.state


REFUSED = [(s, a) for s in sorted(PATHS) for a in sorted(ACTIONS) if (s, a) not in TRANSITIONS]


@pytest.mark.parametrize(("state", "action"), REFUSED)
def test_every_other_transition_is_refused_and_changes_nothing(
    work: Work, state: str, action: str
) -> None:
    task = task_in(work, state)
    before = footprint(task)
    with pytest.raises(Conflict) as refused:
        work.act(task, action, by=who(action), reason="Lý do thử")
    message = refused.value.message_vi
    assert state_label(state) in message
    assert ACTIONS[action].label_vi in message
    assert state in refused.value.message_en
    assert ACTIONS[action].label_en in refused.value.message_en
    assert footprint(task) == before


@pytest.mark.parametrize(("state", "action"), sorted(TRANSITIONS))
@pytest.mark.parametrize("outsider", ["other_party", "staff_x1", "staff_y", "head_y"])
def test_only_the_right_party_may_take_a_transition(
    work: Work, state: str, action: str, outsider: str
) -> None:
    task = task_in(work, state)
    before = footprint(task)
    actor = (REVIEWER if who(action) == OWNER else OWNER) if outsider == "other_party" else outsider
    with pytest.raises(AccessDenied):
        work.act(task, action, by=actor, reason="Lý do thử")
    assert footprint(task) == before


@pytest.mark.parametrize("action", ["hand_back", "cancel", "return"])
def test_closing_and_returning_need_a_reason(work: Work, action: str) -> None:
    task = task_in(work, "submitted" if action == "return" else "assigned")
    before = footprint(task)
    with pytest.raises(Exception, match="lý do") as missing:
        work.act(task, action, by=who(action), reason="  ")
    assert getattr(missing.value, "field", "") == "reason"
    assert footprint(task) == before


def test_the_deputy_and_the_agency_leader_review_too_but_never_their_own_work(work: Work) -> None:
    first = task_in(work, "submitted")
    assert work.act(first, "accept", by="deputy_x").state == "accepted"
    second = task_in(work, "submitted")
    assert work.act(second, "return", by="leader_a", reason="Sai số liệu").state == "returned"
    own = work.assign("deputy_x", by="head_x")
    own = work.act(own, "submit", by="deputy_x")
    with pytest.raises(AccessDenied):
        work.act(own, "accept", by="deputy_x")
    assert work.act(own, "accept", by="leader_a").state == "accepted"
