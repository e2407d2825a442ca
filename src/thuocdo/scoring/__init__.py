"""Thước đo's scoring engine: KPI frameworks as versioned data, and explainable scores.

Pure Python: no Django, no I/O beyond reading the preset files shipped with the package,
no clock. Exact arithmetic (fractions) throughout; points are rounded half-up once, at the
end. See docs/scoring.md.
"""

from __future__ import annotations

from .breakdown import BreakdownNode, Rule, render_text
from .criteria_set import derive_criteria_set
from .documents import DocumentError, loads_document
from .engine import (
    PersonResult,
    RatingChange,
    UnitResult,
    apply_head_rule,
    apply_overrides,
    rate_points,
    score_person,
    score_unit,
)
from .errors import FrameworkError, InputError, Issue, ScenarioError, ScoringError
from .inputs import (
    Adjustment,
    KindFacts,
    LeaderFacts,
    ManualScore,
    PersonInputs,
    TargetFacts,
    TaskLine,
    UnitInputs,
    aggregate_tasks,
    group_facts,
)
from .model import RATINGS, ROLES, Framework, Node, RatingRules
from .numbers import parse_exact, round_half_up
from .presets import list_presets, load_preset, preset_data
from .quota import QuotaMember, QuotaResult, QuotaTie, apply_quota, resolve_quota
from .rollup import MonthEntry, RollUpResult, roll_up
from .scenario import run_scenario
from .schema import framework_json_schema, scenario_json_schema
from .validate import validate_framework

__all__ = [
    "RATINGS",
    "ROLES",
    "Adjustment",
    "BreakdownNode",
    "DocumentError",
    "Framework",
    "FrameworkError",
    "InputError",
    "Issue",
    "KindFacts",
    "LeaderFacts",
    "ManualScore",
    "MonthEntry",
    "Node",
    "PersonInputs",
    "PersonResult",
    "QuotaMember",
    "QuotaResult",
    "QuotaTie",
    "RatingChange",
    "RatingRules",
    "RollUpResult",
    "Rule",
    "ScenarioError",
    "ScoringError",
    "TargetFacts",
    "TaskLine",
    "UnitInputs",
    "UnitResult",
    "aggregate_tasks",
    "apply_head_rule",
    "apply_overrides",
    "apply_quota",
    "derive_criteria_set",
    "framework_json_schema",
    "group_facts",
    "list_presets",
    "load_preset",
    "loads_document",
    "parse_exact",
    "preset_data",
    "rate_points",
    "render_text",
    "resolve_quota",
    "roll_up",
    "round_half_up",
    "run_scenario",
    "scenario_json_schema",
    "score_person",
    "score_unit",
    "validate_framework",
]
