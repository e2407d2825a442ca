"""Who may do what at every step, through the services and the access helpers."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Cast
from tests.work.conftest import at
from thuocdo.access.evaluations import (
    access_evaluation,
    access_notification,
    access_period,
    access_quota_group,
    visible_evaluations,
    visible_notifications,
    visible_periods,
)
from thuocdo.core.errors import AccessDenied, ValidationFailed
from thuocdo.evaluations import services
from thuocdo.evaluations.models import Evaluation, Period

from .conftest import AGENCY_A, REVIEW, SELF, D, Flow, open_period

EVERYONE = [*AGENCY_A, "leader_a", "head_z", "staff_z", "operator", "nobody"]


def test_only_the_personnel_office_opens_and_moves_a_period(cast: Cast, presets: None) -> None:
    for name in ("staff_x", "head_x", "leader_a", "auditor_a", "head_z"):
        with pytest.raises(AccessDenied):
            services.period_create(
                actor=cast.user(name), agency=cast.agency_a, kind="month", year=2026, number=2
            )
    period = open_period(cast)
    with pytest.raises(AccessDenied):
        services.period_transition(
            actor=cast.user("leader_a"),
            period=period,
            action="start_self_assessment",
            expected_version=period.version,
        )


def test_step_by_step_refusals(flow: Flow) -> None:
    for name in AGENCY_A:
        flow.task(name)
    flow.step("start_self_assessment", on=D(2026, 1, 26))
    ev = flow.ev("staff_x")
    for name in ("head_y", "staff_x1", "auditor_a"):
        with pytest.raises(AccessDenied):  # nobody else self-assesses for someone
            services.evaluation_self_assess(
                actor=flow.user(name),
                evaluation=ev,
                expected_version=ev.version,
                scores={},
                on_behalf_reason="Nghỉ ốm",
                at=at(SELF),
            )
    for name in ("head_x", "personnel_a", "leader_a"):
        # the office and the managers may enter it for someone who cannot, with a reason
        with pytest.raises(ValidationFailed) as missing:
            services.evaluation_self_assess(
                actor=flow.user(name),
                evaluation=ev,
                expected_version=ev.version,
                scores={},
                at=at(SELF),
            )
        assert missing.value.field == "on_behalf_reason"
    for name in AGENCY_A:
        flow.self_assess(name)
    flow.step("start_review", on=REVIEW)
    refused = [
        ("staff_x", "head_y"),  # a head cannot review another unit
        ("staff_x", "staff_x"),  # nor anyone themselves
        ("staff_x", "staff_x1"),
        ("staff_x", "personnel_a"),
        ("head_x", "deputy_x"),  # a deputy does not review the head
        ("head_x", "head_x"),
        ("deputy_x", "staff_x"),
        ("staff_x", "head_z"),  # nobody across agencies
    ]
    for name, by in refused:
        with pytest.raises(AccessDenied):
            flow.review(name, by=by)
    flow.review("staff_x", by="deputy_x")  # a deputy reviews the unit's staff
    flow.review("staff_x1", by="head_x")  # the head of X reviews office X1
    for name in AGENCY_A:
        if name not in ("staff_x", "staff_x1"):
            flow.review(name)
    flow.step("start_collective")
    with pytest.raises(AccessDenied):  # another unit's minutes
        services.minutes_record(
            actor=flow.user("head_y"),
            period=flow.refresh(),
            unit=flow.cast.unit_x,
            text="x",
            held_on=D(2026, 2, 5),
            attendees=[],
            total_members=3,
        )
    flow.minutes()
    flow.step("start_decision")
    group = flow.group("unit:X1")
    for name in ("staff_x1", "head_x", "personnel_a", "auditor_a", "operator", "head_z"):
        with pytest.raises(AccessDenied):  # an official cannot decide, nor the office
            services.group_decide(actor=flow.user(name), group=group)
    ue = flow.period.unit_evaluations.get(unit=flow.cast.office_x1)
    with pytest.raises(AccessDenied):
        services.unit_evaluation_decide(actor=flow.user("head_x"), unit_evaluation=ue)


def _names(qs: Any, cast: Cast) -> set[str]:
    by_pk = {p.pk: n for n, p in cast.people.items()}
    return {by_pk[pk] for pk in qs.values_list("person_id", flat=True)}


def test_the_evaluation_access_matrix(flow: Flow) -> None:
    flow.step("start_self_assessment", on=D(2026, 1, 26))
    cast = flow.cast
    everyone_a = set(AGENCY_A)
    expected = {
        "staff_x": {"staff_x"},
        "staff_x1": {"staff_x1"},
        "deputy_x": {"deputy_x", "head_x", "staff_x", "staff_x1"},
        "head_x": {"deputy_x", "head_x", "staff_x", "staff_x1"},
        "head_y": {"head_y", "staff_y", "personnel_a", "auditor_a"},
        "staff_y": {"staff_y"},
        "leader_a": everyone_a,
        "personnel_a": everyone_a,
        "auditor_a": everyone_a,
        "head_z": set(),
        "staff_z": set(),
        "nobody": set(),
        "operator": everyone_a,
    }
    for name, seen in expected.items():
        assert _names(visible_evaluations(cast.user(name)), cast) == seen, name
    ev = flow.ev("staff_x")
    for name in EVERYONE:
        user = cast.user(name)
        view_ok = name in {n for n, s in expected.items() if "staff_x" in s}
        for action, allowed in (
            ("view", view_ok),
            ("self_assess", name == "staff_x"),
            ("complain", name == "staff_x"),
            ("review", name in ("head_x", "deputy_x", "leader_a")),
            ("decide", name == "leader_a"),
        ):
            if allowed:
                assert access_evaluation(user, ev.pk, action=action) == ev  # type: ignore[arg-type]
            else:
                with pytest.raises(AccessDenied):
                    access_evaluation(user, ev.pk, action=action)  # type: ignore[arg-type]
    period = flow.refresh()
    assert not visible_periods(cast.user("head_z")).filter(pk=period.pk).exists()
    assert visible_periods(cast.user("staff_x")).filter(pk=period.pk).exists()
    assert access_period(cast.user("personnel_a"), period.pk, action="manage") == period
    with pytest.raises(AccessDenied):
        access_period(cast.user("head_x"), period.pk, action="manage")
    with pytest.raises(AccessDenied):
        access_period(cast.user("personnel_a"), period.pk, action="decide")


def test_groups_complaints_and_notifications_are_scoped(flow: Flow) -> None:
    for name in AGENCY_A:
        flow.task(name)
    flow.to_decision()
    flow.rate_units()
    flow.decide_all()
    flow.publish()
    cast = flow.cast
    group = flow.group("unit:X")
    assert access_quota_group(cast.user("auditor_a"), group.pk) == group
    for name in ("staff_x", "head_x", "head_z"):
        with pytest.raises(AccessDenied):
            access_quota_group(cast.user(name), group.pk)
    # The result's notice (the others are about staff_x's tasks).
    note = visible_notifications(cast.user("staff_x")).get(link__startswith="/evaluations/")
    assert access_notification(cast.user("staff_x"), note.pk) == note
    for name in ("head_x", "operator", "leader_a"):
        with pytest.raises(AccessDenied):
            access_notification(cast.user(name), note.pk)
    with pytest.raises(AccessDenied):
        services.notification_read(actor=cast.user("head_x"), notification=note)
    assert services.notification_read(actor=cast.user("staff_x"), notification=note).read_at
    assert Evaluation.objects.filter(period__state=Period.State.PUBLISHED).count() == 8
