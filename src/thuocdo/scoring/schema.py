"""JSON Schemas (draft 2020-12) for frameworks and scenarios, exported from code.

The schemas describe shapes; :func:`validate_framework` and :func:`run_scenario` also
check the rules a schema cannot express (weights in range, sums, step multiples, …).
"""

from __future__ import annotations

import copy
from typing import Any

from .model import COMBINES, COMPONENTS, DISCIPLINE_LEVELS, MEASURES, RATINGS, ROLES
from .rollup import LEAVE_STATUSES, MONTH_STATUSES

__all__ = ["framework_json_schema", "scenario_json_schema"]

_DRAFT = "https://json-schema.org/draft/2020-12/schema"
_NUMBER = {
    "description": 'An exact decimal: a JSON number or a string like "0.25".',
    "anyOf": [{"type": "number"}, {"type": "string", "pattern": r"^[+-]?(\d+(\.\d*)?|\.\d+)$"}],
}
_KEY = {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$"}
_TEXT = {"type": "string", "minLength": 1}
_ROLES = {"type": "array", "items": {"enum": list(ROLES)}, "uniqueItems": True}


def _obj(props: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        out["required"] = required
    return out


def _framework_defs() -> dict[str, Any]:
    common = {
        "key": _KEY,
        "label_vi": _TEXT,
        "label_en": _TEXT,
        "description_vi": {"type": "string"},
        "description_en": {"type": "string"},
        "weight": {"$ref": "#/$defs/number"},
        "weight_range": {
            "type": "array",
            "items": {"$ref": "#/$defs/number"},
            "minItems": 2,
            "maxItems": 2,
        },
        "applies_to": _ROLES,
        "required": {"type": "boolean"},
        "max_points": {"$ref": "#/$defs/number"},
        "cap_points": {"$ref": "#/$defs/number"},
    }
    base = ["key", "type", "label_vi", "label_en"]
    group = _obj(
        {
            **common,
            "type": {"const": "group"},
            "combine": {"enum": list(COMBINES)},
            "children": {"type": "array", "items": {"$ref": "#/$defs/node"}},
            "allow_additions": {"type": "boolean"},
        },
        [*base, "combine"],
    )
    manual = _obj(
        {
            **common,
            "type": {"const": "manual"},
            "scale": _obj(
                {"max": {"$ref": "#/$defs/number"}, "step": {"$ref": "#/$defs/number"}}, ["max"]
            ),
            "reason_required_on_change": {"type": "boolean"},
        },
        [*base, "scale"],
    )
    task_ratio = _obj(
        {
            **common,
            "type": {"const": "task_ratio"},
            "measure": {"enum": list(MEASURES)},
            "kinds": {"anyOf": [{"const": "all"}, {"type": "array", "items": _KEY, "minItems": 1}]},
        },
        [*base, "measure"],
    )
    target = _obj(
        {
            **common,
            "type": {"const": "target"},
            "target": _obj(
                {
                    "direction": {"enum": ["higher_is_better", "lower_is_better"]},
                    "basis": {"enum": ["ratio_to_target", "actual"]},
                    "scoring": {"enum": ["ratio", "thresholds"]},
                    "cap": {"$ref": "#/$defs/number"},
                    "thresholds": {
                        "type": "array",
                        "items": _obj(
                            {"at": {"$ref": "#/$defs/number"}, "score": {"$ref": "#/$defs/number"}},
                            ["at", "score"],
                        ),
                    },
                    "unit_of_measure": {"type": "string"},
                },
                ["direction"],
            ),
        },
        [*base, "target"],
    )
    leader = _obj(
        {**common, "type": {"const": "leader_component"}, "component": {"enum": list(COMPONENTS)}},
        [*base, "component", "applies_to"],
    )
    part = _obj(
        {
            "max_points": {"$ref": "#/$defs/number"},
            "root": {"$ref": "#/$defs/node"},
            "adjustments": _obj(
                {"bonus_cap": {"$ref": "#/$defs/number"}, "penalty_cap": {"$ref": "#/$defs/number"}}
            ),
        },
        ["root"],
    )
    return {
        "number": _NUMBER,
        "node": {
            "oneOf": [
                {"$ref": "#/$defs/group"},
                {"$ref": "#/$defs/manual"},
                {"$ref": "#/$defs/task_ratio"},
                {"$ref": "#/$defs/target"},
                {"$ref": "#/$defs/leader_component"},
            ]
        },
        "group": group,
        "manual": manual,
        "task_ratio": task_ratio,
        "target": target,
        "leader_component": leader,
        "part": part,
    }


def framework_json_schema() -> dict[str, Any]:
    """The JSON Schema of a framework document (``schema: thuocdo/framework@1``)."""
    return {
        "$schema": _DRAFT,
        "$id": "https://thuocdo.invalid/schemas/framework.schema.json",
        "title": "Thước đo KPI framework",
        "description": "Khung tiêu chí KPI (cá nhân, đơn vị), xếp loại, tỷ lệ, tổng hợp năm.",
        "$defs": _framework_defs(),
        **_obj(
            {
                "schema": {"const": "thuocdo/framework@1"},
                "id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]{0,99}$"},
                "version": _TEXT,
                "title_vi": _TEXT,
                "title_en": _TEXT,
                "illustrative": {"type": "boolean"},
                "notes_vi": {"type": "string"},
                "notes_en": {"type": "string"},
                "source": {"type": "string"},
                "derived_from": {"type": ["string", "null"]},
                "job_position": {"type": ["string", "null"]},
                "settings": _obj(
                    {
                        "rounding": _obj(
                            {
                                "places": {"type": "integer", "minimum": 0},
                                "mode": {"const": "half_up"},
                            }
                        ),
                        "quality_deduction_per_failure": {"$ref": "#/$defs/number"},
                        "timeliness_deduction_per_delay": {"$ref": "#/$defs/number"},
                        "floor_item_at_zero": {"type": "boolean"},
                        "no_assigned_work": {"enum": ["not_scored", "zero"]},
                        "leader_component_levels": {
                            "type": "array",
                            "items": {"$ref": "#/$defs/number"},
                            "minItems": 1,
                        },
                        "leader_roles": _ROLES,
                        "manual_change_needs_reason": {"type": "boolean"},
                        "rate_on": {"enum": ["rounded", "exact"]},
                    }
                ),
                "task_kinds": {
                    "type": "array",
                    "minItems": 1,
                    "items": _obj(
                        {"key": _KEY, "label_vi": _TEXT, "label_en": _TEXT},
                        ["key", "label_vi", "label_en"],
                    ),
                },
                "individual": {"$ref": "#/$defs/part"},
                "unit": {"anyOf": [{"$ref": "#/$defs/part"}, {"type": "null"}]},
                "rating": _obj(
                    {
                        "bands": {
                            "type": "array",
                            "minItems": 4,
                            "maxItems": 4,
                            "items": _obj(
                                {
                                    "rating": {"enum": list(RATINGS)},
                                    "min": {"$ref": "#/$defs/number"},
                                },
                                ["rating", "min"],
                            ),
                        },
                        "overrides": {
                            "type": "array",
                            "items": _obj(
                                {
                                    "key": _KEY,
                                    "label_vi": _TEXT,
                                    "label_en": _TEXT,
                                    "trigger": {"enum": ["discipline_at_least", "flag"]},
                                    "value": _TEXT,
                                    "applies_to": _ROLES,
                                    "rating": {"enum": list(RATINGS)},
                                },
                                ["key", "label_vi", "label_en", "trigger", "value"],
                            ),
                        },
                        "head_not_above_unit": {"type": "boolean"},
                        "head_roles": _ROLES,
                        "unit_result_basis": {"enum": ["points", "final_rating"]},
                        "unit_result_scope": {"enum": ["unit_tree", "unit_members"]},
                    },
                    ["bands"],
                ),
                "quota": _obj(
                    {
                        "limited_rating": {"enum": list(RATINGS)},
                        "base_rating": {"enum": list(RATINGS)},
                        "ratio": {"$ref": "#/$defs/number"},
                        "max_exception_ratio": {"$ref": "#/$defs/number"},
                        "demote_to": {"enum": list(RATINGS)},
                        "scopes": {"type": "array", "items": {"enum": ["unit", "duty_group"]}},
                        "order": {"const": "lowest_points_first"},
                    }
                ),
                "roll_up": _obj(
                    {
                        "basis": {"enum": ["months", "quarters"]},
                        "min_months_worked": {"type": "integer", "minimum": 0},
                        "weight_by_days": {"type": "boolean"},
                        "worked_month": {"const": "has_score"},
                        "leave_statuses": {
                            "type": "array",
                            "items": {"enum": list(LEAVE_STATUSES)},
                            "uniqueItems": True,
                        },
                    }
                ),
            },
            ["id", "version", "title_vi", "title_en", "task_kinds", "individual", "rating"],
        ),
    }


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario document (``scenario: thuocdo/scenario@1``)."""
    fw = framework_json_schema()
    defs = copy.deepcopy(fw["$defs"])
    fw_doc = {k: v for k, v in fw.items() if k not in ("$schema", "$id", "$defs")}
    n = {"$ref": "#/$defs/number"}
    count = {"type": "integer", "minimum": 0}
    defs["framework"] = fw_doc
    defs["task"] = _obj(
        {
            "key": {"type": "string"},
            "title": {"type": "string"},
            "kind": _KEY,
            "quantity": n,
            "coefficient": n,
            "done": n,
            "completed": {"type": "boolean"},
            "failures": count,
            "exempt_failures": count,
            "delays": count,
            "exempt_delays": count,
            "extra": {"enum": ["taken_over", "outside_plan", None, False]},
        },
        ["kind", "quantity"],
    )
    defs["task_facts"] = {
        "type": "object",
        "additionalProperties": _obj(
            {"w": n, "done": n, "done_q": n, "done_t": n, "extra_done": n}
        ),
    }
    defs["manual"] = {
        "type": "object",
        "additionalProperties": {
            "anyOf": [
                n,
                _obj({"score": n, "self_score": n, "reason": {"type": "string"}}, ["score"]),
            ]
        },
    }
    defs["targets"] = {
        "type": "object",
        "additionalProperties": _obj({"target": n, "actual": n}, ["actual"]),
    }
    defs["adjustments"] = {
        "type": "array",
        "items": _obj({"points": n, "reason": _TEXT}, ["points", "reason"]),
    }
    period_inputs = {
        "general": {"$ref": "#/$defs/manual"},
        "given_points": {"type": "object", "additionalProperties": n},
        "tasks": {"type": "array", "items": {"$ref": "#/$defs/task"}},
        "task_facts": {"$ref": "#/$defs/task_facts"},
        "targets": {"$ref": "#/$defs/targets"},
        "leader": _obj(
            {
                "d": n,
                "dd": n,
                "e": n,
                "staff_points": {"type": "array", "items": n},
                "in_charge_of": {"type": "array", "items": {"type": "string"}},
                "organisation_shortcomings": {"type": "boolean"},
                "internal_conflict": {"type": "boolean"},
            }
        ),
    }
    defs["flags"] = {"type": "array", "items": {"type": "string"}}
    defs["discipline"] = {
        "description": "Discipline decided during the period (for a roll-up: during the year).",
        "type": "array",
        "items": {
            "anyOf": [
                {"enum": list(DISCIPLINE_LEVELS)},
                _obj(
                    {
                        "level": {"enum": list(DISCIPLINE_LEVELS)},
                        "decided": {"type": "string"},
                        "note": {"type": "string"},
                    },
                    ["level"],
                ),
            ]
        },
    }
    defs["criteria_set"] = _obj(
        {
            "key": _KEY,
            "unit": {"type": "string", "description": "The unit that owns the set."},
            "default": {
                "type": "boolean",
                "description": "Used for the unit's people (part individual) or the unit itself "
                "(part unit) unless a person names another set.",
            },
            "note": {"type": "string"},
            "part": {"enum": ["individual", "unit"]},
            "job_position": _TEXT,
            "version": _TEXT,
            "id": {"type": "string"},
            "title_vi": {"type": "string"},
            "title_en": {"type": "string"},
            "weights": {
                "description": "Only where the framework gives a weight_range, within it.",
                "type": "object",
                "additionalProperties": n,
            },
            "remove": {
                "description": "Optional criteria to drop; a required one (or a group holding "
                "one) cannot be dropped.",
                "type": "array",
                "items": {"type": "string"},
            },
            "add": {
                "description": "Unit-specific criteria, only into groups with allow_additions.",
                "type": "array",
                "items": _obj(
                    {"parent": {"type": "string"}, "criterion": {"$ref": "#/$defs/node"}},
                    ["parent", "criterion"],
                ),
            },
        },
        ["key", "job_position", "version"],
    )
    defs["month"] = _obj(
        {
            "month": {"type": "integer", "minimum": 1, "maximum": 12},
            "status": {"enum": list(MONTH_STATUSES)},
            "days_worked": count,
            "points": n,
            **period_inputs,
            "flags": {"$ref": "#/$defs/flags"},
            "discipline": {"$ref": "#/$defs/discipline"},
        },
        ["month"],
    )
    defs["person"] = _obj(
        {
            "id": {"type": "string", "minLength": 1},
            "name": {"type": "string"},
            "unit": {"type": "string"},
            "role": {"enum": list(ROLES)},
            "duty_group": {"type": "string"},
            "note": {"type": "string"},
            **period_inputs,
            "bonus": {"$ref": "#/$defs/adjustments"},
            "penalty": {"$ref": "#/$defs/adjustments"},
            "flags": {"$ref": "#/$defs/flags"},
            "discipline": {"$ref": "#/$defs/discipline"},
            "months": {"type": "array", "items": {"$ref": "#/$defs/month"}},
            "criteria_set": {
                "description": "Key of an individual criteria set in criteria_sets; default: "
                "the default set of the person's unit, else the framework itself.",
                **_KEY,
            },
        },
        ["id"],
    )
    defs["unit"] = _obj(
        {
            "id": {"type": "string", "minLength": 1},
            "name": {"type": "string"},
            "rating": {"enum": list(RATINGS)},
            "note": {"type": "string"},
            "parent": {
                "description": "Id of the unit this one belongs to: a head answers in d for "
                "the sub-units too (rating.unit_result_scope: unit_tree).",
                "type": "string",
            },
            "tasks": {"type": "array", "items": {"$ref": "#/$defs/task"}},
            "task_facts": {"$ref": "#/$defs/task_facts"},
            "targets": {"$ref": "#/$defs/targets"},
            "kpis": {"$ref": "#/$defs/targets"},
            "manual": {"$ref": "#/$defs/manual"},
            "given_points": {"type": "object", "additionalProperties": n},
        },
        ["id"],
    )
    return {
        "$schema": _DRAFT,
        "$id": "https://thuocdo.invalid/schemas/scenario.schema.json",
        "title": "Thước đo scoring scenario",
        "$defs": defs,
        **_obj(
            {
                "scenario": {"const": "thuocdo/scenario@1"},
                "title": {"type": "string"},
                "description": {"type": "string"},
                "framework": {
                    "anyOf": [
                        {"type": "string"},
                        _obj({"preset": {"type": "string"}}, ["preset"]),
                        {"$ref": "#/$defs/framework"},
                    ]
                },
                "period": {"type": "object"},
                "units": {"type": "array", "items": {"$ref": "#/$defs/unit"}},
                "criteria_sets": {"type": "array", "items": {"$ref": "#/$defs/criteria_set"}},
                "people": {"type": "array", "items": {"$ref": "#/$defs/person"}},
                "quota_groups": {
                    "type": "array",
                    "items": _obj(
                        {
                            "key": {"type": "string"},
                            "label": {"type": "string"},
                            "members": {"type": "array", "items": {"type": "string"}},
                            "exception_ratio": n,
                            "reason": {"type": "string"},
                        },
                        ["members"],
                    ),
                },
                "options": _obj(
                    {"quota_by_unit": {"type": "boolean"}, "explain": {"type": "boolean"}}
                ),
            },
            ["framework", "people"],
        ),
    }
