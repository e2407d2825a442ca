"""Year-level overrides in the roll-up, and criteria sets carried by scenarios."""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from thuocdo.scoring import MonthEntry, ScenarioError, roll_up, run_scenario


def twelve(points: str = "88") -> list[MonthEntry]:
    return [MonthEntry(m, Decimal(points)) for m in range(1, 13)]


# -- year overrides ----------------------------------------------------------------------
def test_a_reprimand_during_the_year_makes_the_year_not_completed(decree: Any) -> None:
    r = roll_up(decree, twelve(), discipline=["reprimand"])
    assert r.points == Decimal("88.00")
    assert r.rating_by_points == "good"
    assert r.rating == "not_completed"
    (change,) = r.changes
    assert change.rule == "override:discipline"
    assert r.breakdown is not None
    assert "khiển trách" in r.breakdown.note_vi
    assert "theo điểm: Hoàn thành tốt nhiệm vụ" in r.breakdown.note_vi
    assert dict(r.breakdown.inputs)["discipline"] == "reprimand"


def test_a_concluded_degradation_makes_the_year_not_completed(decree: Any) -> None:
    r = roll_up(decree, twelve("95"), flags={"political_degradation"})
    assert (r.rating_by_points, r.rating) == ("excellent", "not_completed")
    assert [c.rule for c in r.changes] == ["override:degradation"]


def test_corruption_in_charge_counts_for_leaders_only(decree: Any) -> None:
    flags = {"corruption_or_waste_in_charge"}
    assert roll_up(decree, twelve(), flags=flags, role="staff").rating == "good"
    assert roll_up(decree, twelve(), flags=flags, role="head").rating == "not_completed"


def test_without_discipline_or_flags_the_year_is_rated_by_points(decree: Any) -> None:
    r = roll_up(decree, twelve())
    assert (r.rating, r.changes) == ("good", ())
    assert r.as_dict()["rating_changes"] == []


def test_a_year_not_rated_stays_not_rated_whatever_the_discipline(decree: Any) -> None:
    r = roll_up(decree, twelve()[:5], discipline=["warning"])
    assert (r.status, r.rating, r.changes) == ("not_rated", None, ())


def test_discipline_recorded_in_a_month_counts_for_the_year() -> None:
    doc = {
        "framework": "decree-335-2025",
        "people": [
            {
                "id": "p",
                "months": [
                    *({"month": m, "points": "80"} for m in range(1, 12)),
                    {"month": 12, "points": "80", "discipline": ["warning"]},
                ],
            }
        ],
    }
    (ru,) = run_scenario(doc)["roll_ups"]
    assert (ru["rating_by_points"], ru["rating"]) == ("good", "not_completed")
    doc["people"][0]["months"][11] = {
        "month": 12,
        "given_points": {"general": "27"},
        "task_facts": {"planned": {"w": 8, "done": 8, "done_q": 8, "done_t": 8}},
        "discipline": ["warning"],
    }
    (ru,) = run_scenario(doc)["roll_ups"]
    assert (ru["rating_by_points"], ru["rating"]) == ("good", "not_completed")
    assert ru["breakdown"]["inputs"]["discipline"] == "warning"


# -- criteria sets in scenarios ------------------------------------------------------------
def test_people_of_the_unit_are_scored_with_its_default_set(
    example: Callable[[str], Any],
) -> None:
    out = run_scenario(example("criteria-set.yaml"))
    (cs,) = out["criteria_sets"]
    assert cs["derived_from"] == out["framework"]["content_hash"]
    for person in out["people"]:
        assert person["framework"] == cs["framework"]
        assert person["criteria_set"] == "chuyen_vien_phap_che"
        assert person["breakdown"]["children"][1]["key"] == "task_results"
    specific = out["people"][0]["breakdown"]
    found = [n for n in _walk(specific) if n["key"] == "s_legal_reviews"]
    assert found[0]["ratio"]["exact"] == "4/5"
    assert not [n for n in _walk(specific) if n["key"] == "a_other"]


def test_a_person_naming_no_set_outside_the_unit_uses_the_framework(
    example: Callable[[str], Any],
) -> None:
    doc = example("criteria-set.yaml")
    doc["units"].append({"id": "vu-khac", "name": "Vụ Khác", "rating": "good"})
    other = copy.deepcopy(doc["people"][1])
    other.update({"id": "x", "unit": "vu-khac"})
    other.pop("targets")
    doc["people"].append(other)
    out = run_scenario(doc)
    assert out["people"][-1]["framework"] == out["framework"]
    assert "criteria_set" not in out["people"][-1]


def test_a_broken_criteria_set_names_each_problem(example: Callable[[str], Any]) -> None:
    doc = example("criteria-set.yaml")
    spec = doc["criteria_sets"][0]
    spec["weights"]["quality"] = "0.9"
    spec["remove"] = ["general_1"]
    spec["add"][0]["parent"] = "volume"
    doc["people"][0]["criteria_set"] = "nope"
    with pytest.raises(ScenarioError) as err:
        run_scenario(doc)
    found = {(i.path, i.rule) for i in err.value.issues}
    assert found >= {
        ("criteria_sets[0].weights.quality", "weight_out_of_range"),
        ("criteria_sets[0].remove[0]", "required_group"),
        ("criteria_sets[0].add[0].parent", "additions_not_allowed"),
        ("people[0].criteria_set", "unknown_criteria_set"),
    }


def test_two_default_sets_for_one_unit_are_refused(example: Callable[[str], Any]) -> None:
    doc = example("criteria-set.yaml")
    second = copy.deepcopy(doc["criteria_sets"][0])
    second["key"] = "second"
    doc["criteria_sets"].append(second)
    with pytest.raises(ScenarioError) as err:
        run_scenario(doc)
    assert {(i.path, i.rule) for i in err.value.issues} == {
        ("criteria_sets[1].default", "duplicate_default")
    }


def _walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    out = [node]
    for child in node.get("children", []):
        out.extend(_walk(child))
    return out
