"""A head's work is assigned and reviewed by the head's own manager (a leader of a unit
above, or the agency leadership), never by their deputy: one rule, org.managers."""

from __future__ import annotations

from typing import Any

import pytest
from django.forms.models import model_to_dict

from thuocdo.access import access_task, reviewable_tasks
from thuocdo.audit.models import AuditEntry
from thuocdo.core import clock
from thuocdo.core.errors import AccessDenied
from thuocdo.org.managers import managers_of
from thuocdo.work.models import Task, TaskEvent

from .conftest import JAN_10, Work


def footprint(task: Task) -> tuple[dict[str, Any], int, int]:
    task.refresh_from_db()
    row = model_to_dict(task, exclude=["collaborators"])
    events = TaskEvent.objects.filter(task=task).count()
    audit = AuditEntry.objects.filter(object_type="work.task", object_id=str(task.pk)).count()
    return row, events, audit


def test_a_deputy_assigning_to_their_head_is_refused_and_nothing_changes(work: Work) -> None:
    tasks, audit = Task.objects.count(), AuditEntry.objects.count()
    with pytest.raises(AccessDenied) as refused:
        work.assign("head_x", by="deputy_x")
    assert "không do cấp phó của họ" in refused.value.message_vi
    assert "Không thể giao nhiệm vụ cho Nguyễn Văn Head X" in refused.value.message_vi
    assert refused.value.field == "owner"
    assert (Task.objects.count(), AuditEntry.objects.count()) == (tasks, audit)


def test_the_agency_leader_assigns_to_the_head_and_the_deputy_cannot_return_it(
    work: Work,
) -> None:
    task = work.assign("head_x", by="leader_a")
    task = work.act(task, "submit", by="head_x")
    before = footprint(task)
    for action in ("return", "accept"):
        with pytest.raises(AccessDenied) as refused:
            work.act(task, action, by="deputy_x", reason="Sai số liệu")
        assert "Bạn không được" in refused.value.message_vi
        assert "không do cấp phó của họ" in refused.value.message_vi
    assert footprint(task) == before
    returned = work.act(task, "return", by="leader_a", reason="Sai số liệu", on=JAN_10)
    assert returned.state == "returned"


def test_the_deputy_still_assigns_and_reviews_staff_work(work: Work) -> None:
    task = work.act(work.assign("staff_x", by="deputy_x"), "submit", by="staff_x")
    assert work.act(task, "return", by="deputy_x", reason="Thiếu số liệu").state == "returned"


def test_the_lists_and_access_helpers_follow_the_same_rule(work: Work) -> None:
    cast = work.cast
    heads = work.act(work.assign("head_x", by="leader_a"), "submit", by="head_x")
    staff = work.act(work.assign("staff_x", by="head_x"), "submit", by="staff_x")
    seen = set(reviewable_tasks(cast.user("deputy_x")).values_list("pk", flat=True))
    assert staff.pk in seen and heads.pk not in seen
    assert heads.pk in set(reviewable_tasks(cast.user("leader_a")).values_list("pk", flat=True))
    with pytest.raises(AccessDenied):
        access_task(cast.user("deputy_x"), heads.pk, action="review")
    assert access_task(cast.user("leader_a"), heads.pk, action="review") == heads


def test_who_manages_whom(work: Work) -> None:
    cast, today = work.cast, clock.today()

    def names(person: str) -> set[str]:
        ids = set(managers_of(cast.person(person).pk, today))
        return {name for name in ("leader_a", "head_x", "deputy_x") if cast.person(name).pk in ids}

    assert names("head_x") == {"leader_a"}
    assert names("deputy_x") == {"leader_a", "head_x"}
    assert names("staff_x") == {"leader_a", "head_x", "deputy_x"}
