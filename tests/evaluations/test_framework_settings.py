"""The product reads the framework's settings as the engine does (issue 12, point 5):
`quota.scopes` forms the quota groups, `rating.unit_result_scope` says whom a head answers
for in d."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.conftest import Cast
from thuocdo.core.errors import ValidationFailed
from thuocdo.evaluations import services
from thuocdo.evaluations.models import QuotaGroup
from thuocdo.frameworks import services as frameworks
from thuocdo.scoring import load_preset

from .conftest import AGENCY_A, Flow, make_flow


def _agency_framework(cast: Cast, section: str, key: str, value: Any) -> str:
    data = load_preset("decree-335-2025").to_data()
    data.update({"id": "ba-kpi", "version": "2026.1"})
    data[section][key] = value
    row = frameworks.framework_import(
        actor=cast.user("personnel_a"), agency=cast.agency_a, document_or_preset_name=data
    )
    frameworks.framework_publish(
        actor=cast.user("personnel_a"), version=row, valid_from=dt.date(2026, 1, 1)
    )
    return "ba-kpi"


def _flow(cast: Cast, section: str, key: str, value: Any) -> Flow:
    flow = make_flow(cast, framework_key=_agency_framework(cast, section, key, value))
    for name in AGENCY_A:
        flow.task(name)
    flow.to_decision()
    return flow


def test_without_the_unit_scope_no_unit_group_is_formed(cast: Cast, presets: None) -> None:
    flow = _flow(cast, "quota", "scopes", ["duty_group"])
    assert not QuotaGroup.objects.filter(period=flow.period, kind="unit").exists()
    group = services.quota_group_create(
        actor=flow.user("personnel_a"),
        period=flow.period,
        code="chuyen-vien",
        name="Chuyên viên",
        evaluations=[flow.ev("staff_x"), flow.ev("staff_y")],
    )
    assert group.kind == QuotaGroup.Kind.DUTY_GROUP


def test_without_the_duty_group_scope_a_duty_group_is_refused(cast: Cast, presets: None) -> None:
    flow = _flow(cast, "quota", "scopes", ["unit"])
    assert QuotaGroup.objects.filter(period=flow.period, kind="unit").exists()
    with pytest.raises(ValidationFailed) as refused:
        services.quota_group_create(
            actor=flow.user("personnel_a"),
            period=flow.period,
            code="chuyen-vien",
            name="Chuyên viên",
            evaluations=[flow.ev("staff_x"), flow.ev("staff_y")],
        )
    assert "chức trách, nhiệm vụ tương đồng" in refused.value.message_vi
    assert not QuotaGroup.objects.filter(period=flow.period, kind="duty_group").exists()


@pytest.mark.parametrize(
    ("scope", "staff"),
    [
        ("unit_tree", {"deputy_x", "staff_x", "staff_x1"}),  # X1 is an office of X
        ("unit_members", {"deputy_x", "staff_x"}),
    ],
)
def test_the_head_s_charge_for_d_follows_the_framework(
    cast: Cast, presets: None, scope: str, staff: set[str]
) -> None:
    flow = _flow(cast, "rating", "unit_result_scope", scope)
    head = flow.ev("head_x")
    people = {s["person"] for s in head.proposed["leader"]["d"]["staff"]}
    assert people == {cast.person(name).pk for name in staff}
