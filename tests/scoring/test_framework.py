"""Framework validation, versions and schemas."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from thuocdo.scoring import (
    FrameworkError,
    derive_criteria_set,
    framework_json_schema,
    list_presets,
    preset_data,
    scenario_json_schema,
    validate_framework,
)
from thuocdo.scoring.model import rating_rank

from .conftest import EXAMPLES

DOCS_SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "schemas"


def issues_of(data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(FrameworkError) as err:
        validate_framework(data)
    for issue in err.value.issues:
        assert issue.message_vi
        assert issue.message_en
    return [(i.path, i.rule) for i in err.value.issues]


def test_both_presets_ship_and_validate() -> None:
    assert list_presets() == ["ban-cscl-2025", "decree-335-2025"]


def test_the_ban_preset_says_its_weights_are_illustrative(ban: Any) -> None:
    assert ban.illustrative
    assert "minh họa" in ban.title_vi
    assert "illustrative" in ban.to_data()["notes_en"]


def test_the_content_hash_is_stable_and_survives_a_round_trip(decree: Any) -> None:
    again = validate_framework(decree.to_data())
    assert again.content_hash == decree.content_hash
    assert decree.content_hash.startswith("sha256:")
    assert decree.ref == {
        "id": "decree-335-2025",
        "version": "2025.2",
        "content_hash": decree.content_hash,
    }


def test_the_hash_ignores_formatting_but_not_content(decree: Any) -> None:
    data = preset_data("decree-335-2025")
    data["quota"]["ratio"] = Decimal("0.20")  # same value, other spelling
    assert validate_framework(data).content_hash == decree.content_hash
    data["quota"]["ratio"] = "0.21"
    assert validate_framework(data).content_hash != decree.content_hash


def test_a_framework_is_frozen(decree: Any) -> None:
    with pytest.raises(AttributeError):
        decree.version = "x"


def test_a_float_is_refused() -> None:
    data = preset_data("decree-335-2025")
    data["settings"]["quality_deduction_per_failure"] = 0.25
    assert issues_of(data) == [("settings.quality_deduction_per_failure", "number")]


def test_errors_name_the_path_and_the_rule() -> None:
    data = preset_data("decree-335-2025")
    task = data["individual"]["root"]["children"][1]
    task["children"][0]["measure"] = "speed"
    task["children"][1]["key"] = "a"
    data["individual"]["root"]["children"][0]["children"][0]["children"][0]["scale"]["step"] = "2"
    data["rating"]["bands"][1]["min"] = 95
    data["quota"]["max_exception_ratio"] = "0.1"
    data["typo_field"] = 1
    found = issues_of(data)
    assert ("individual.root.children[1].children[0].measure", "enum") in found
    assert ("individual.root.children[1].children[1].key", "duplicate_key") in found
    assert ("individual.root.children[0].children[0].children[0].scale.step", "scale_step") in found
    assert ("rating.bands", "bands_order") in found
    assert ("quota.max_exception_ratio", "range") in found
    assert ("typo_field", "unknown_field") in found


def test_a_sum_group_needs_sized_children_and_matching_max() -> None:
    data = preset_data("decree-335-2025")
    data["individual"]["root"]["children"][0]["max_points"] = 31
    data["individual"]["root"]["children"][1].pop("max_points")
    found = issues_of(data)
    assert ("individual.root.children[0].max_points", "max_points_mismatch") in found
    assert ("individual.root.children[1]", "sum_needs_points") in found


def test_leader_components_must_be_limited_to_leaders() -> None:
    data = preset_data("decree-335-2025")
    data["individual"]["root"]["children"][1]["children"][3]["applies_to"] = ["staff", "head"]
    assert ("individual.root.children[1].children[3].applies_to", "leader_only") in issues_of(data)


def test_weights_must_sit_in_their_range() -> None:
    data = preset_data("ban-cscl-2025")
    data["individual"]["root"]["children"][1]["children"][0]["weight"] = "0.9"
    assert issues_of(data) == [
        ("individual.root.children[1].children[0].weight", "weight_out_of_range")
    ]


@pytest.mark.parametrize("name", ["decree-335-2025", "ban-cscl-2025"])
def test_presets_and_their_canonical_form_match_the_json_schema(name: str) -> None:
    schema = framework_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    raw = json.loads(json.dumps(preset_data(name), default=str))
    jsonschema.validate(raw, schema)
    jsonschema.validate(validate_framework(preset_data(name)).to_data(), schema)


def test_the_example_scenarios_match_the_scenario_schema() -> None:
    from thuocdo.scoring import loads_document

    schema = scenario_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    for path in EXAMPLES.glob("*.yaml"):
        data = json.loads(json.dumps(loads_document(path.read_text("utf-8")), default=str))
        jsonschema.validate(data, schema)


def test_the_schema_files_in_docs_are_current() -> None:
    for name, schema in (
        ("framework", framework_json_schema()),
        ("scenario", scenario_json_schema()),
    ):
        path = DOCS_SCHEMAS / f"{name}.schema.json"
        assert json.loads(path.read_text("utf-8")) == schema, (
            f"regenerate: thuocdo schema {name} > {path}"
        )


def test_ratings_are_ordered_best_first() -> None:
    assert rating_rank("excellent") < rating_rank("good") < rating_rank("not_completed")


# -- criteria sets -----------------------------------------------------------------------
def test_a_unit_sets_weights_in_range_and_adds_a_specific_criterion(ban: Any) -> None:
    derived = derive_criteria_set(
        ban,
        {
            "job_position": "Chuyên viên chính sách kinh tế",
            "version": "2026.1",
            "weights": {"volume": "0.45", "a_planned": "0.7"},
            "remove": ["a_other"],
            "add": [
                {
                    "parent": "specific",
                    "criterion": {
                        "key": "s_briefs",
                        "type": "target",
                        "weight": "1",
                        "label_vi": "Số bản tin chính sách",
                        "label_en": "Policy briefs",
                        "target": {"direction": "higher_is_better", "scoring": "ratio"},
                    },
                }
            ],
        },
    )
    assert derived.derived_from == ban.content_hash
    assert derived.id == "ban-cscl-2025.chuyen-vien-chinh-sach-kinh-te"
    volume = derived.find("volume")
    assert volume is not None
    assert volume.weight == Decimal("0.45")
    assert derived.find("a_other") is None
    assert derived.find("s_briefs") is not None


def test_a_unit_cannot_drop_a_required_group_or_leave_the_weight_range(ban: Any) -> None:
    with pytest.raises(FrameworkError) as err:
        derive_criteria_set(
            ban,
            {
                "job_position": "x",
                "version": "1",
                "weights": {"quality": "0.9", "g1_politics": "1"},
                "remove": ["management", "general_1"],
                "add": [{"parent": "volume", "criterion": {}}],
            },
        )
    found = {(i.path, i.rule) for i in err.value.issues}
    assert found == {
        ("weights.quality", "weight_out_of_range"),
        ("weights.g1_politics", "weight_fixed"),
        ("remove[0]", "required_group"),
        ("remove[1]", "required_group"),
        ("add[0].parent", "additions_not_allowed"),
    }
