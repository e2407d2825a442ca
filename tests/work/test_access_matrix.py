"""Every role × every task, plan, catalogue and exemption: view, change, review.

Lists (`visible_*`) and helpers (`access_*`) must agree, and the services' own role
check (`is_reviewer`) must agree with `review`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from thuocdo.access.work import (
    access_catalogue,
    access_exemption,
    access_plan,
    access_task,
    reviewable_tasks,
    visible_catalogues,
    visible_exemptions,
    visible_plans,
    visible_tasks,
)
from thuocdo.core import clock
from thuocdo.core.errors import AccessDenied, NotFound
from thuocdo.org.models import Person
from thuocdo.work import services
from thuocdo.work.models import Exemption, Plan, ProductCatalogue, Task, TaskEvent

from .conftest import D, Work

ROLES = [
    "staff_x",
    "staff_x1",
    "deputy_x",
    "head_x",
    "head_y",
    "leader_a",
    "personnel_a",
    "auditor_a",
    "head_z",
    "nobody",
    "operator",
]
A_WIDE = {"leader_a", "personnel_a", "auditor_a", "operator"}
A_PEOPLE = set(ROLES) - {"head_z", "nobody", "operator"}

# task (owner, assigner) → who may view / change / review it
TASKS = {
    "t_staff_x": ("staff_x", "head_x"),
    "t_staff_x1": ("staff_x1", "head_x"),
    "t_staff_y": ("staff_y", "head_y"),
    "t_head_x": ("head_x", "leader_a"),
    "t_staff_z": ("staff_z", "head_z"),
}
VIEW = {
    "t_staff_x": {"staff_x", "staff_x1", "deputy_x", "head_x"} | A_WIDE,  # staff_x1 collaborates
    "t_staff_x1": {"staff_x1", "deputy_x", "head_x"} | A_WIDE,
    "t_staff_y": {"head_y"} | A_WIDE,
    "t_head_x": {"head_x", "deputy_x"} | A_WIDE,
    "t_staff_z": {"head_z", "operator"},
}
CHANGE = {name: {owner} for name, (owner, _) in TASKS.items()}
REVIEW = {
    "t_staff_x": {"deputy_x", "head_x", "leader_a"},
    "t_staff_x1": {"deputy_x", "head_x", "leader_a"},
    "t_staff_y": {"head_y", "leader_a"},
    "t_head_x": {"leader_a"},  # a head's work is never reviewed by their deputy
    "t_staff_z": {"head_z"},
}


@dataclass
class World:
    work: Work
    tasks: dict[str, Task]
    plans: dict[str, Plan]
    catalogues: dict[str, ProductCatalogue]
    exemption: Exemption


@pytest.fixture
def world(work: Work) -> World:
    cast = work.cast
    tasks = {}
    for name, (owner, assigner) in TASKS.items():
        tasks[name] = work.assign(
            owner,
            by=assigner,
            kind="arising",
            product=None,
            collaborators=[cast.person("staff_x1")] if name == "t_staff_x" else [],
        )
    task = work.act(tasks["t_staff_x"], "submit", on=D(2026, 1, 25))
    exemption = services.exemption_request(
        actor=cast.user("staff_x"),
        event=TaskEvent.objects.get(task=task, action="submit"),
        reason="Mất kết nối mạng diện rộng",
    )
    plan_z = services.plan_create(
        actor=cast.user("head_z"), unit=cast.unit_z, year=2026, title="Kế hoạch Phòng Z"
    )
    catalogue_z = services.catalogue_create(
        actor=cast.user("head_z"), agency=cast.agency_b, name="Danh mục Sở B"
    )
    return World(
        work,
        tasks,
        {"plan_x": work.plan, "plan_z": plan_z},
        {"cat_a": work.version.catalogue, "cat_b": catalogue_z},
        exemption,
    )


def check(allowed: bool, call: object) -> None:
    assert callable(call)
    if allowed:
        call()
    else:
        with pytest.raises(AccessDenied) as refused:
            call()
        assert "không có quyền" in refused.value.message_vi


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", sorted(TASKS))
def test_tasks_follow_the_scope(world: World, role: str, target: str) -> None:
    user = world.work.cast.user(role)
    task = world.tasks[target]
    assert visible_tasks(user).filter(pk=task.pk).exists() is (role in VIEW[target])
    check(role in VIEW[target], lambda: access_task(user, task.pk))
    check(role in CHANGE[target], lambda: access_task(user, task.pk, action="change"))
    assert reviewable_tasks(user).filter(pk=task.pk).exists() is (role in REVIEW[target])
    check(role in REVIEW[target], lambda: access_task(user, task.pk, action="review"))
    person = Person.objects.filter(user=user).first()
    if person is not None:
        assert services.is_reviewer(person, task, clock.today()) is (role in REVIEW[target])


@pytest.mark.parametrize("role", ROLES)
def test_exemptions_are_seen_with_their_task_and_decided_by_leaders(
    world: World, role: str
) -> None:
    user = world.work.cast.user(role)
    exemption = world.exemption
    may_view = role in VIEW["t_staff_x"]
    assert visible_exemptions(user).filter(pk=exemption.pk).exists() is may_view
    check(may_view, lambda: access_exemption(user, exemption.pk))
    check(
        role in {"deputy_x", "head_x", "leader_a"},
        lambda: access_exemption(user, exemption.pk, action="decide"),
    )


PLAN_VIEW = {
    "plan_x": {"staff_x", "deputy_x", "head_x"} | A_WIDE,
    "plan_z": {"head_z", "operator"},
}
PLAN_CHANGE = {"plan_x": {"deputy_x", "head_x", "leader_a", "personnel_a"}, "plan_z": {"head_z"}}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", sorted(PLAN_VIEW))
def test_plans_follow_the_unit(world: World, role: str, target: str) -> None:
    user = world.work.cast.user(role)
    plan = world.plans[target]
    assert visible_plans(user).filter(pk=plan.pk).exists() is (role in PLAN_VIEW[target])
    check(role in PLAN_VIEW[target], lambda: access_plan(user, plan.pk))
    check(role in PLAN_CHANGE[target], lambda: access_plan(user, plan.pk, action="change"))


CATALOGUE_VIEW = {"cat_a": A_PEOPLE | {"operator"}, "cat_b": {"head_z", "operator"}}
CATALOGUE_CHANGE = {
    "cat_a": {"deputy_x", "head_x", "head_y", "leader_a", "personnel_a"},
    "cat_b": {"head_z"},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", sorted(CATALOGUE_VIEW))
def test_catalogues_are_open_within_the_agency(world: World, role: str, target: str) -> None:
    user = world.work.cast.user(role)
    catalogue = world.catalogues[target]
    may_view = role in CATALOGUE_VIEW[target]
    assert visible_catalogues(user).filter(pk=catalogue.pk).exists() is may_view
    check(may_view, lambda: access_catalogue(user, catalogue.pk))
    check(
        role in CATALOGUE_CHANGE[target],
        lambda: access_catalogue(user, catalogue.pk, action="change"),
    )


@pytest.mark.parametrize("helper", [access_task, access_plan, access_catalogue, access_exemption])
def test_unknown_ids_are_not_found(world: World, helper: object) -> None:
    assert callable(helper)
    with pytest.raises(NotFound) as missing:
        helper(world.work.cast.user("operator"), 987654)
    assert "#987654" in missing.value.message_vi
