"""Leaders: d from their staff's points, đ from the planned work in their charge, e from
the reviewer's finding; deputies over their assigned fields; a head never above the unit.
Units: KPIs computed from work data or entered with evidence."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from tests.conftest import Cast
from tests.work.test_aggregation import worked_example
from thuocdo.core.errors import Conflict, ValidationFailed
from thuocdo.evaluations import services
from thuocdo.evaluations.models import Evaluation, Period, UnitEvaluation, UnitKpi
from thuocdo.evaluations.selectors import period_range, work_rates
from thuocdo.org.models import Assignment

from .conftest import AGENCY_A, DECISION, Flow, make_flow, node, tree


def ratio(ev: Evaluation, key: str) -> Fraction:
    return Fraction(node(tree(ev), key)["ratio"]["exact"])


def _leaders_flow(cast: Cast) -> Flow:
    Assignment.objects.filter(person=cast.person("deputy_x"), end_date__isnull=True).update(
        assigned_fields=["Phòng Một"]  # the deputy is in charge of office X1
    )
    flow = make_flow(cast)
    worked_example(flow.work)  # planned work of unit X with a return and delays
    for name in AGENCY_A:
        if name != "staff_x1":
            flow.task(name)
    flow.task("staff_x1", done=False)  # two handed back beside the worked example's report
    flow.task("staff_x1", done=False)
    flow.general.update({"staff_x1": 10})
    return flow


def test_head_deputy_components_and_the_head_rule(cast: Cast, presets: None) -> None:
    flow = _leaders_flow(cast)
    flow.step("start_self_assessment", on=DECISION)
    for name in AGENCY_A:
        flow.self_assess(name)
    flow.step("start_review")
    for name in AGENCY_A:
        if name != "head_y":
            flow.review(name)
    with pytest.raises(ValidationFailed):  # d, đ, e only at 100% or 50%
        flow.review("head_y", leader={"e": {"value": "0.7", "reason": "x"}})
    with pytest.raises(ValidationFailed):  # a reason is required
        flow.review("head_y", leader={"e": {"internal_conflict": True}})
    flow.review(
        "head_y",
        leader={"e": {"internal_conflict": True, "reason": "Đơn thư kéo dài về mất đoàn kết"}},
    )
    flow.step("start_collective")
    flow.minutes()
    flow.step("start_decision")
    for ue in UnitEvaluation.objects.filter(period=flow.period):
        rating = "completed" if ue.unit == cast.unit_y else "excellent"
        services.unit_evaluation_give_rating(
            actor=flow.user("leader_a"), unit_evaluation=ue, rating=rating, basis="Kết quả"
        )
        services.unit_evaluation_decide(actor=flow.user("leader_a"), unit_evaluation=ue)
    flow.decide_all()

    staff_x1 = flow.ev("staff_x1")
    assert staff_x1.points == Decimal("45.00") and staff_x1.rating == "not_completed"

    deputy = flow.ev("deputy_x")
    assert deputy.result["leader"]["charge"]["how"] == "assigned_fields"
    assert [s["person"] for s in deputy.result["leader"]["d"]["staff"]] == [
        cast.person("staff_x1").pk
    ]
    # d: someone in charge below 50 points; đ: office X1 had no planned work → no shortcoming
    assert (ratio(deputy, "d"), ratio(deputy, "dd"), ratio(deputy, "e")) == (
        Fraction(1, 2),
        Fraction(1),
        Fraction(1),
    )

    head_x = flow.ev("head_x")
    assert head_x.result["leader"]["charge"]["how"] == "whole_unit"
    assert len(head_x.result["leader"]["d"]["staff"]) == 3  # deputy, staff_x, staff_x1
    # đ: unit X's planned work was returned and late
    assert (ratio(head_x, "d"), ratio(head_x, "dd"), ratio(head_x, "e")) == (
        Fraction(1, 2),
        Fraction(1, 2),
        Fraction(1),
    )
    assert ratio(head_x, "task_results") == Fraction(5, 6)  # (1 + 1 + 1 + ½ + ½ + 1) ÷ 6

    head_y = flow.ev("head_y")
    assert (ratio(head_y, "d"), ratio(head_y, "dd"), ratio(head_y, "e")) == (
        Fraction(1),
        Fraction(1),
        Fraction(1, 2),
    )
    # 25 + 70 × 5.5/6 = 89.17 → good by points, capped at the unit's "completed"
    assert head_y.points == Decimal("89.17")
    assert head_y.rating == "completed"
    assert head_y.result["rating_changes"][-1]["rule"] == "head_not_above_unit"


def test_a_head_waits_for_the_units_decision(flow: Flow) -> None:
    for name in AGENCY_A:
        flow.task(name)
    flow.to_decision()
    with pytest.raises(Conflict, match="đơn vị"):
        services.group_decide(actor=flow.user("leader_a"), group=flow.group("unit:Y"))


def test_acting_head_as_deputy_is_scored_over_assigned_fields(cast: Cast, presets: None) -> None:
    flow = make_flow(cast, acting_head_rule=Period.ActingHeadRule.AS_DEPUTY)
    Assignment.objects.filter(person=cast.person("head_y"), end_date__isnull=True).update(
        role=Assignment.Role.ACTING_HEAD
    )
    for name in AGENCY_A:
        flow.task(name)
    flow.to_decision()
    head_y = flow.ev("head_y")
    assert head_y.role == "acting_head"
    assert head_y.proposed["role"] == "deputy"
    assert head_y.proposed["leader"]["charge"]["how"] == "whole_unit_fallback"


def test_unit_kpis_from_work_data_and_entered_with_evidence(cast: Cast, presets: None) -> None:
    flow = make_flow(
        cast,
        unit_framework_key="ban-cscl-2025",
        unit_kpi_sources={"f_digital": "plan_completion", "fn_appraisal": "on_time"},
    )
    worked_example(flow.work)
    flow.step("start_self_assessment")
    ue = UnitEvaluation.objects.get(period=flow.period, unit=cast.unit_x)
    kpis = {k.key: k for k in ue.kpis.all()}
    assert {k: (v.group, v.source) for k, v in kpis.items()} == {
        "f_digital": ("foundational", "plan_completion"),
        "f_discipline": ("foundational", "entered"),
        "fn_policy_advice": ("functional", "entered"),
        "fn_appraisal": ("functional", "on_time"),
    }
    head = flow.user("head_x")
    with pytest.raises(ValidationFailed, match="minh chứng"):
        services.unit_kpi_set(actor=head, unit_evaluation=ue, key="f_discipline", actual=0)
    with pytest.raises(ValidationFailed, match="không nhập tay"):
        services.unit_kpi_set(actor=head, unit_evaluation=ue, key="f_digital", actual=90)
    with pytest.raises(Exception, match=r"quyền|lãnh đạo"):
        services.unit_kpi_set(
            actor=flow.user("head_y"), unit_evaluation=ue, key="f_digital", target=100
        )
    services.unit_kpi_set(
        actor=head, unit_evaluation=ue, key="f_discipline", actual=0, evidence="Sổ theo dõi"
    )
    services.unit_kpi_set(
        actor=head,
        unit_evaluation=ue,
        key="fn_policy_advice",
        target=10,
        actual=9,
        evidence="Báo cáo tổng kết",
    )
    services.unit_kpi_set(actor=head, unit_evaluation=ue, key="f_digital", target=100)
    services.unit_kpi_set(actor=head, unit_evaluation=ue, key="fn_appraisal", target=100)
    Period.objects.filter(pk=flow.period.pk).update(state=Period.State.DECISION)
    ue = services.unit_evaluation_decide(actor=flow.user("leader_a"), unit_evaluation=ue)
    rates = work_rates([cast.unit_x.path], period_range(flow.period))
    digital = ue.kpis.get(key="f_digital")
    assert Fraction(digital.exact_actual) == rates.plan_completion
    assert ue.kpis.get(key="fn_appraisal").source == UnitKpi.Source.ON_TIME
    assert ue.result["rates"]["planned_due"] == rates.planned_due > 0
    assert ue.state == UnitEvaluation.State.DECIDED and ue.rating
    assert node(ue.result["breakdown"], "f_volume")  # unit task facts feed a, b, c
    with pytest.raises(Conflict):
        services.unit_kpi_set(actor=head, unit_evaluation=ue, key="f_digital", target=90)
