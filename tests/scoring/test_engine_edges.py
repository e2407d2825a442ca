"""Edge cases of the engine: each test names the rule it pins down."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from thuocdo.scoring import (
    InputError,
    LeaderFacts,
    ManualScore,
    PersonInputs,
    apply_head_rule,
    round_half_up,
    score_person,
    validate_framework,
)

from .conftest import facts, line, staff


def test_nothing_assigned_is_not_scored(decree: Any) -> None:
    result = score_person(decree, staff(tasks={}))
    assert result.status == "not_scored"
    assert result.points is None
    assert result.rating is None
    assert "not scored" in result.reason_en


def test_extra_work_alone_is_still_not_scored(decree: Any) -> None:
    result = score_person(decree, staff(task_lines=(line(extra="taken_over"),)))
    assert result.status == "not_scored"


def test_nothing_assigned_can_count_as_zero_when_configured(decree: Any) -> None:
    data = decree.to_data()
    data["settings"]["no_assigned_work"] = "zero"
    fw = validate_framework(data)
    result = score_person(fw, staff(tasks={}))
    assert result.points == Decimal("27.00")


def test_deductions_floor_each_item_at_zero(decree: Any) -> None:
    result = score_person(decree, staff(task_lines=(line(failures=7, delays=5),)))
    # a = 1, b = 0, c = 0 → 70/3
    assert result.exact == 27 + Fraction(70, 3)


def test_without_the_floor_an_item_can_go_negative(decree: Any) -> None:
    data = decree.to_data()
    data["settings"]["floor_item_at_zero"] = False
    fw = validate_framework(data)
    result = score_person(fw, staff(task_lines=(line(failures=6), line(quantity="3"))))
    tree = result.breakdown
    assert tree is not None
    b = tree.find("b")
    assert b is not None
    assert b.ratio == (Fraction(-1, 2) + 3) / 4


def test_exempt_failures_and_delays_do_not_count(decree: Any) -> None:
    plain = score_person(decree, staff(task_lines=(line(),)))
    exempt = score_person(
        decree, staff(task_lines=(line(failures=2, exempt_failures=2, delays=1, exempt_delays=1),))
    )
    assert plain.exact == exempt.exact == 97


def test_extra_work_counts_in_numerators_only_and_can_exceed_100_percent(decree: Any) -> None:
    result = score_person(
        decree,
        staff(
            general="10", task_lines=(line(quantity="2"), line(quantity="1", extra="taken_over"))
        ),
    )
    tree = result.breakdown
    assert tree is not None
    a = tree.find("a")
    assert a is not None
    assert a.ratio == Fraction(3, 2)
    task = tree.find("task_results")
    assert task is not None
    assert task.points == 70
    assert "capped" in task.note_en
    assert result.exact == 80


def test_a_handed_back_task_stays_in_the_denominator(decree: Any) -> None:
    result = score_person(decree, staff(general="0", task_lines=(line(), line(done="0"))))
    assert result.exact == 35


def test_a_total_exactly_on_a_band_edge_gets_the_higher_band(decree: Any) -> None:
    # 0.1 + 0.2 style trap: 20 + 70 × 3/7 = 50 exactly
    result = score_person(decree, staff(general="20", tasks=facts("7", "3")))
    assert result.exact == 50
    assert result.points == Decimal("50.00")
    assert result.rating == "completed"


def test_just_below_a_band_edge_after_rounding_stays_below(decree: Any) -> None:
    # 49.994 → 49.99 (not completed); 49.995 → 50.00 (completed): ratings use rounded points
    low = score_person(decree, staff(general="0", tasks=facts("70000", "49994")))
    high = score_person(decree, staff(general="0", tasks=facts("70000", "49995")))
    assert low.points == Decimal("49.99")
    assert low.rating == "not_completed"
    assert high.points == Decimal("50.00")
    assert high.rating == "completed"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2.345", "2.35"),
        ("2.344999", "2.34"),
        ("-2.345", "-2.35"),
        ("0.005", "0.01"),
        ("76.0972", "76.10"),
    ],
)
def test_rounding_is_half_up_to_two_places(value: str, expected: str) -> None:
    assert round_half_up(Fraction(value)) == Decimal(expected)


def test_ratios_are_not_rounded_before_combining(decree: Any) -> None:
    # a = b = c = 2/3 → 70 × 2/3 = 46.666…, + 20 = 66.67 (rounding each ratio to 66.67%
    # first would give 66.669 → 66.67 as well, so use a case where it differs)
    result = score_person(decree, staff(general="0", tasks=facts("3", "2", "2", "2")))
    assert result.points == Decimal("46.67")
    assert result.exact == Fraction(140, 3)


def test_a_reviewers_change_needs_a_reason(decree: Any) -> None:
    scores = {
        k: ManualScore(Fraction(2))
        for k in (
            "g2_culture",
            "g2_discipline",
            "g2_service",
            "g2_coordination",
            "g3_competence",
            "g3_learning",
            "g3_innovation",
            "g3_daring",
        )
    }
    scores["g1_politics"] = ManualScore(Fraction(4), self_score=Fraction(5))
    scores["g1_ethics"] = ManualScore(Fraction(5))
    inputs = PersonInputs(manual=scores, tasks=facts("1", "1"))
    with pytest.raises(InputError) as err:
        score_person(decree, inputs)
    (issue,) = err.value.issues
    assert issue.path == "manual.g1_politics.reason"
    assert issue.rule == "reason_required"
    assert "lý do" in issue.message_vi
    scores["g1_politics"] = ManualScore(Fraction(4), Fraction(5), "Chưa tham gia sinh hoạt")
    result = score_person(decree, replace(inputs, manual=scores))
    assert result.exact == 4 + 5 + 16 + 70


def test_a_score_off_the_scale_is_refused(decree: Any) -> None:
    scores = {
        k: ManualScore(Fraction(1))
        for k in (
            "g1_politics",
            "g1_ethics",
            "g2_culture",
            "g2_discipline",
            "g2_service",
            "g2_coordination",
            "g3_competence",
            "g3_learning",
            "g3_innovation",
        )
    }
    scores["g3_daring"] = ManualScore(Fraction("2.25"))
    with pytest.raises(InputError) as err:
        score_person(decree, PersonInputs(manual=scores, tasks=facts("1", "1")))
    assert [(i.path, i.rule) for i in err.value.issues] == [("manual.g3_daring", "scale")]


def test_missing_scores_are_all_reported(decree: Any) -> None:
    with pytest.raises(InputError) as err:
        score_person(decree, PersonInputs(tasks=facts("1", "1")))
    assert len(err.value.issues) == 10


def leader(**kw: Any) -> PersonInputs:
    return staff(general="30", role="head", tasks=facts("4", "4"), leader=LeaderFacts(**kw))


def test_a_leader_is_divided_by_six(decree: Any) -> None:
    result = score_person(decree, leader(d=Fraction(1), dd=Fraction(1, 2), e=Fraction(1)))
    assert result.exact == 30 + Fraction(70) * Fraction(11, 2) / 6


def test_leader_components_take_only_100_or_50_percent(decree: Any) -> None:
    with pytest.raises(InputError) as err:
        score_person(decree, leader(d=Fraction(3, 4), dd=Fraction(1), e=Fraction(1)))
    assert err.value.issues[0].rule == "leader_level"


def test_d_derives_from_the_points_of_the_officials_in_charge(decree: Any) -> None:
    ok = score_person(
        decree,
        leader(
            staff_points=(Decimal("50.00"), Decimal("90")),
            organisation_shortcomings=False,
            internal_conflict=False,
        ),
    )
    low = score_person(
        decree,
        leader(
            staff_points=(Decimal("49.99"), Decimal("90")),
            organisation_shortcomings=True,
            internal_conflict=False,
        ),
    )
    assert ok.exact == 100
    assert low.exact == 30 + Fraction(70) * Fraction(5, 6)


def test_a_missing_leader_component_is_reported(decree: Any) -> None:
    with pytest.raises(InputError) as err:
        score_person(decree, leader(d=Fraction(1)))
    assert {i.path for i in err.value.issues} == {"leader.dd", "leader.e"}


def test_discipline_overrides_the_rating(decree: Any) -> None:
    result = score_person(
        decree, staff(general="30", tasks=facts("1", "1"), discipline=("warning",))
    )
    assert result.points == Decimal("100.00")
    assert result.rating_by_points == "excellent"
    assert result.rating == "not_completed"
    assert result.changes[0].rule == "override:discipline"


def test_corruption_in_charge_only_overrides_a_leader(decree: Any) -> None:
    flags = frozenset({"corruption_or_waste_in_charge"})
    as_staff = score_person(decree, staff(tasks=facts("1", "1"), flags=flags))
    assert as_staff.rating == "excellent"
    as_head = score_person(
        decree, replace(leader(d=Fraction(1), dd=Fraction(1), e=Fraction(1)), flags=flags)
    )
    assert as_head.rating == "not_completed"


def test_the_head_is_not_rated_above_the_unit(decree: Any) -> None:
    result = score_person(decree, leader(d=Fraction(1), dd=Fraction(1), e=Fraction(1)))
    capped = apply_head_rule(decree, result, "completed")
    assert capped.rating == "completed"
    assert capped.changes[-1].rule == "head_not_above_unit"
    assert apply_head_rule(decree, result, "excellent").rating == "excellent"


def test_the_ban_preset_skips_a_task_kind_with_no_assigned_work(ban: Any) -> None:
    result = score_person(ban, staff(general="30", task_lines=(line(), line(kind="other"))))
    tree = result.breakdown
    assert tree is not None
    arising = tree.find("a_arising")
    assert arising is not None
    assert not arising.applicable
    assert result.exact == 100


def test_the_ban_preset_weights_a_leaders_management_group(ban: Any) -> None:
    inputs = staff(
        general="30",
        role="deputy",
        tasks=facts("1", "1"),
        leader=LeaderFacts(d=Fraction(1, 2), dd=Fraction(1, 2), e=Fraction(1, 2)),
    )
    result = score_person(ban, inputs)
    # volume .4, quality .35, timeliness .25 at 100%; management .3 at 50%; specific empty
    assert result.exact == 30 + Fraction(70) * (1 + Fraction(3, 10) / 2) / Fraction(13, 10)


def test_bonus_and_penalty_are_capped_and_the_total_stays_on_the_scale(ban: Any) -> None:
    from thuocdo.scoring import Adjustment

    result = score_person(
        ban, staff(general="30", tasks=facts("1", "1"), bonus=(Adjustment(Fraction(8), "x"),))
    )
    assert result.exact == 100
    result = score_person(
        ban, staff(general="10", tasks=facts("1", "1"), penalty=(Adjustment(Fraction(40), "y"),))
    )
    assert result.exact == 70
