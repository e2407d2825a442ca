"""Decree 335 to the letter: each rule reads its setting, and nothing is accepted silently.

Each test names the article or the configurable default it pins down (issue 12, points 2,
4, 5 and 7).
"""

from __future__ import annotations

import copy
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from thuocdo.scoring import (
    Framework,
    FrameworkError,
    InputError,
    LeaderFacts,
    ScenarioError,
    rules,
    run_scenario,
    score_person,
    validate_framework,
)
from thuocdo.scoring.fastpath import Lazy

from .conftest import GENERAL_27, facts, line, manual, staff


def _with(fw: Framework, section: str, key: str, value: Any) -> Framework:
    data = fw.to_data()
    data[section][key] = value
    return validate_framework(data)


def _scenario(people: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "scenario": "thuocdo/scenario@1",
        "framework": extra.pop("framework", "decree-335-2025"),
        "units": extra.pop("units", [{"id": "u", "name": "Phòng", "rating": "excellent"}]),
        "people": people,
        **extra,
    }


def _person(pid: str, *, role: str = "staff", unit: str = "u", **extra: Any) -> dict[str, Any]:
    return {
        "id": pid,
        "unit": unit,
        "role": role,
        "general": GENERAL_27,
        "tasks": [{"kind": "planned", "quantity": 1, "coefficient": "1", "completed": True}],
        **extra,
    }


def _head(**extra: Any) -> dict[str, Any]:
    return _person(
        "head",
        role="head",
        leader={"organisation_shortcomings": False, "internal_conflict": False},
        **extra,
    )


def _people(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["person_id"]: p for p in result["people"]}


def _d(person: dict[str, Any]) -> str:
    def find(node: dict[str, Any]) -> dict[str, Any] | None:
        if node["key"] == "d":
            return node
        for child in node.get("children", []):
            hit = find(child)
            if hit is not None:
                return hit
        return None

    node = find(person["breakdown"])
    assert node is not None
    return str(node["ratio"]["exact"])


# -- Art. 15(3)(d): the "not completed" level, read on the framework's basis ------------------
def test_a_subordinate_rated_not_completed_by_discipline_halves_d(decree: Framework) -> None:
    people = [_head(), _person("s1", discipline=["reprimand"]), _person("s2")]
    result = _people(run_scenario(_scenario(people)))
    assert result["s1"]["points"] == "97.00"  # ≥ 50 points, yet rated not completed
    assert result["s1"]["rating"] == "not_completed"
    assert decree.rating.unit_result_basis == "final_rating"
    assert _d(result["head"]) == "1/2"


def test_on_the_points_basis_the_same_subordinate_leaves_d_whole(decree: Framework) -> None:
    on_points = _with(decree, "rating", "unit_result_basis", "points").to_data()
    people = [_head(), _person("s1", discipline=["reprimand"]), _person("s2")]
    result = _people(run_scenario(_scenario(people, framework=on_points)))
    assert _d(result["head"]) == "1"


def test_d_reads_points_when_only_points_are_known_and_says_so(decree: Framework) -> None:
    inputs = staff(
        role="head",
        tasks=facts("1", "1"),
        leader=LeaderFacts(
            staff_points=(Decimal("49.99"),),
            organisation_shortcomings=False,
            internal_conflict=False,
        ),
    )
    result = score_person(decree, inputs)
    assert result.breakdown is not None
    node = result.breakdown.find("d")
    assert node is not None and node.ratio == Fraction(1, 2)
    assert dict(node.inputs)["basis"] == "points"


def test_the_rule_function_counts_the_officials_below() -> None:
    levels = (Fraction(1), Fraction(1, 2))
    assert rules.art15_unit_result(
        (Decimal(80), Decimal(60)),
        (False, True),
        basis="final_rating",
        completed_min=Fraction(50),
        levels=levels,
    ) == (Fraction(1, 2), 2, 1, "final_rating")
    assert rules.art15_unit_result(
        (Decimal(80), Decimal(60)),
        (False, True),
        basis="points",
        completed_min=Fraction(50),
        levels=levels,
    ) == (Fraction(1), 2, 0, "points")


# -- who a head answers for in d: rating.unit_result_scope -----------------------------------
_TREE = [
    {"id": "u", "name": "Vụ", "rating": "excellent"},
    {"id": "sub", "name": "Phòng thuộc Vụ", "parent": "u", "rating": "excellent"},
]


@pytest.mark.parametrize(("scope", "d"), [("unit_tree", "1/2"), ("unit_members", "1")])
def test_the_head_s_charge_follows_the_framework(decree: Framework, scope: str, d: str) -> None:
    fw = _with(decree, "rating", "unit_result_scope", scope).to_data()
    low = _person("sub-staff", unit="sub", general={**GENERAL_27, "g1_politics": "0"})
    low["tasks"] = [{"kind": "planned", "quantity": 2, "coefficient": "1", "done": 0}]
    people = [_head(), _person("s1"), low]
    result = _people(run_scenario(_scenario(people, framework=fw, units=_TREE)))
    assert result["sub-staff"]["rating"] == "not_completed"
    assert _d(result["head"]) == d


def test_unit_members_leave_out_the_unit_s_other_heads(decree: Framework) -> None:
    fw = _with(decree, "rating", "unit_result_scope", "unit_members").to_data()
    acting = _person("acting", role="acting_head", discipline=["reprimand"])
    acting["leader"] = {"d": "1", "organisation_shortcomings": False, "internal_conflict": False}
    result = _people(run_scenario(_scenario([_head(), _person("s1"), acting], framework=fw)))
    assert _d(result["head"]) == "1"


def test_an_unknown_parent_unit_is_refused() -> None:
    units = [{"id": "u", "rating": "good", "parent": "nowhere"}]
    with pytest.raises(ScenarioError) as err:
        run_scenario(_scenario([_person("s1")], units=units))
    assert [(i.path, i.rule) for i in err.value.issues] == [("units[0].parent", "unknown_unit")]


# -- Art. 13–14: tasks that would vanish are refused ------------------------------------------
def test_a_task_with_coefficient_zero_is_refused(decree: Framework) -> None:
    with pytest.raises(InputError) as err:
        score_person(decree, staff(task_lines=(line(coefficient="0"), line())))
    assert [(i.path, i.rule) for i in err.value.issues] == [
        ("task_lines[0].coefficient", "coefficient_positive")
    ]


def test_failures_on_a_zero_quantity_task_are_refused_not_lost(decree: Framework) -> None:
    with pytest.raises(InputError) as err:
        score_person(decree, staff(task_lines=(line(), line(quantity="0", failures=2, done="0"))))
    issue = err.value.issues[0]
    assert (issue.path, issue.rule) == ("task_lines[1].quantity", "quantity_positive")
    assert "failures and delays" in issue.message_en
    assert "không đạt chất lượng" in issue.message_vi


# -- Art. 20(6): a head whose unit has no rating ------------------------------------------------
def test_a_head_whose_unit_has_no_rating_is_refused_not_left_excellent() -> None:
    units = [{"id": "u", "name": "Phòng"}]  # no rating, no inputs
    with pytest.raises(ScenarioError) as err:
        run_scenario(_scenario([_head(), _person("s1")], units=units))
    assert [(i.path, i.rule) for i in err.value.issues] == [
        ("people[0].unit", "unit_rating_required")
    ]
    assert "Điều 20 khoản 6" in err.value.issues[0].message_vi


def test_without_the_head_rule_an_unrated_unit_is_fine(decree: Framework) -> None:
    fw = _with(decree, "rating", "head_not_above_unit", False).to_data()
    units = [{"id": "u", "name": "Phòng"}]
    result = _people(run_scenario(_scenario([_head(), _person("s1")], units=units, framework=fw)))
    assert result["head"]["rating_by_points"] == "excellent"
    assert not [c for c in result["head"]["rating_changes"] if c["rule"] == "head_not_above_unit"]


# -- Form 01: a given general total moves in the criteria's steps of 0.5 ------------------------
@pytest.mark.parametrize("total", ["28.3", "30.5", "-1"])
def test_a_given_general_total_off_the_steps_or_range_is_refused(
    decree: Framework, total: str
) -> None:
    with pytest.raises(InputError) as err:
        score_person(decree, staff(general=total, tasks=facts("1", "1")))
    issue = err.value.issues[0]
    assert (issue.path, issue.rule) == ("given_points.general", "range")
    assert "khoảng 0–30, bước 0.5" in issue.message_vi
    assert "in steps of 0.5" in issue.message_en


def test_a_given_general_total_on_the_steps_is_taken(decree: Framework) -> None:
    good = staff(general="28.5", tasks=facts("1", "1"))
    assert score_person(decree, good).exact == Fraction("98.5")
    assert score_person(decree, good, explain=False).exact == Fraction("98.5")


def test_the_step_of_a_group_is_the_common_step_of_its_criteria(decree: Framework) -> None:
    general = decree.find("general")
    assert general is not None
    assert rules.form01_group_step(general) == Fraction(1, 2)
    task_results = decree.find("task_results")
    assert task_results is not None and rules.form01_group_step(task_results) is None


# -- §8: ratings use the rounded points (settings.rate_on) --------------------------------------
def _just_below_90(fw: Framework, explain: bool) -> Any:
    # general 20 + task points 70 × (a + b + c) ÷ 3 with b short by 1/14,000 → 89.995
    inputs = staff(general="20", tasks=facts("7000", "7000", q="6999.9", t="7000"))
    return score_person(fw, inputs, explain=explain)


@pytest.mark.parametrize("explain", [True, False])
@pytest.mark.parametrize(("rate_on", "rating"), [("rounded", "excellent"), ("exact", "good")])
def test_the_bands_read_the_points_the_framework_names(
    decree: Framework, rate_on: str, rating: str, explain: bool
) -> None:
    fw = _with(decree, "settings", "rate_on", rate_on)
    result = _just_below_90(fw, explain)
    assert result.points == Decimal("90.00")
    assert result.exact < 90
    assert result.rating == rating


def test_rate_on_defaults_to_rounded_and_keeps_older_hashes(decree: Framework) -> None:
    data = decree.to_data()
    assert "rate_on" not in data["settings"]  # the default is not written: hashes stay
    assert decree.settings.rate_on == "rounded"
    exact = _with(decree, "settings", "rate_on", "exact")
    assert exact.to_data()["settings"]["rate_on"] == "exact"
    assert exact.content_hash != decree.content_hash


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("settings", "rate_on", "truncated"),
        ("rating", "unit_result_scope", "everyone"),
        ("rating", "unit_result_basis", "mood"),
        ("quota", "order", "highest_points_first"),
        ("roll_up", "worked_month", "has_days"),
        ("settings", "rounding_everywhere", True),
    ],
)
def test_a_setting_the_engine_does_not_read_is_refused(
    decree: Framework, section: str, key: str, value: Any
) -> None:
    data = copy.deepcopy(decree.to_data())
    data[section][key] = value
    with pytest.raises(FrameworkError) as err:
        validate_framework(data)
    issues = err.value.issues
    assert any(i.path == f"{section}.{key}" for i in issues), issues


# -- Art. 20(5): quota.scopes forms the groups ----------------------------------------------------
def _quota_scenario(scopes: list[str]) -> dict[str, Any]:
    fw = _with(load_decree(), "quota", "scopes", scopes).to_data()
    people = [_person(f"p{i}", duty_group="chuyên viên") for i in range(3)]
    return _scenario(people, framework=fw)


def load_decree() -> Framework:
    from thuocdo.scoring import load_preset

    return load_preset("decree-335-2025")


@pytest.mark.parametrize(
    ("scopes", "groups"),
    [
        (["unit", "duty_group"], ["unit:u", "duty:chuyên viên"]),
        (["duty_group"], ["duty:chuyên viên"]),
    ],
)
def test_the_quota_groups_follow_quota_scopes(scopes: list[str], groups: list[str]) -> None:
    result = run_scenario(_quota_scenario(scopes))
    assert [q["group"] for q in result["quota"]] == groups


def test_a_duty_group_the_framework_does_not_have_is_refused() -> None:
    with pytest.raises(ScenarioError) as err:
        run_scenario(_quota_scenario(["unit"]))
    assert [(i.path, i.rule) for i in err.value.issues] == [("people[0].duty_group", "quota_scope")]


# -- one implementation per rule: the fast path calls the same functions ------------------------
def test_the_rule_functions_take_both_number_types() -> None:
    values = [Fraction(1, 2), Fraction(3, 4), Fraction(5, 6)]
    lazy = [Lazy.of(v) for v in values]
    mean = rules.art16_mean(lazy)
    assert mean is not None and mean.fraction() == rules.art16_mean(values)
    weighted = rules.weighted_mean([(Lazy(1), lazy[0]), (Lazy(3), lazy[1])])
    assert weighted is not None and weighted.fraction() == (values[0] + 3 * values[1]) / 4
    capped, hit = rules.art12_cap_points(Lazy(71), Lazy(70))
    assert hit and capped.fraction() == 70
    total = rules.adjusted_total(Lazy(-3), None, None, Lazy(100))
    assert total.fraction() == 0


def test_the_fast_path_has_no_rule_of_its_own() -> None:
    import inspect

    from thuocdo.scoring import fastpath

    source = inspect.getsource(fastpath)
    # no band, cap, rounding or mean arithmetic written out again
    for copy_of_a_rule in ("rating.bands", "cap_points >", "10**", "// (2 *", "len(rs)"):
        assert copy_of_a_rule not in source
    assert manual({"g1_politics": "5"})  # the helpers stay importable


@pytest.mark.parametrize("explain", [True, False])
@pytest.mark.parametrize(("places", "points"), [(2, "76.10"), (1, "76.1"), (0, "76")])
def test_points_are_rounded_once_to_the_framework_s_places(
    decree: Framework, explain: bool, places: int, points: str
) -> None:
    """§8 (configurable default): half-up once, at the end, to `settings.rounding.places`:
    the reference's worked example, 76.0972… points."""
    data = decree.to_data()
    data["settings"]["rounding"]["places"] = places
    fw = validate_framework(data)
    lines = (
        line(quantity="1", coefficient="2"),
        line(quantity="3", coefficient="0.5", failures=1),
        line(quantity="1", coefficient="1", delays=2),
        line(kind="arising", quantity="1", coefficient="1.5", done="0"),
    )
    result = score_person(fw, staff(task_lines=lines), explain=explain)
    assert result.exact == 27 + Fraction(70) * Fraction(101, 48) / 3
    assert str(result.points) == points


def test_rounding_places_have_a_bound(decree: Framework) -> None:
    data = decree.to_data()
    data["settings"]["rounding"]["places"] = 10**15  # 10**places is what rounding computes
    with pytest.raises(FrameworkError) as err:
        validate_framework(data)
    assert [(i.path, i.rule) for i in err.value.issues] == [("settings.rounding.places", "range")]


@pytest.mark.parametrize(
    ("where", "value", "rule"),
    [
        (("quota", "ratio"), "1E-999999999", "range"),  # a Fraction of it takes minutes
        (("quota", "ratio"), "9" * 40, "range"),
        (("settings", "quality_deduction_per_failure"), 0.25, "number"),  # a float
        (("notes_vi",), 42, "type"),  # free texts are hashed as given: text only
    ],
)
def test_framework_data_of_any_shape_is_refused_with_its_path(
    decree: Framework, where: tuple[str, ...], value: Any, rule: str
) -> None:
    data = decree.to_data()
    target = data
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = Decimal(value) if isinstance(value, str) else value
    with pytest.raises(FrameworkError) as err:
        validate_framework(data)
    assert [(i.path, i.rule) for i in err.value.issues] == [(".".join(where), rule)]
