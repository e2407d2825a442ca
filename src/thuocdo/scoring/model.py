"""The framework as frozen, typed objects (built only by :func:`validate_framework`)."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from .numbers import fmt_decimal

__all__ = [
    "COMBINES",
    "COMPONENTS",
    "DISCIPLINE_LEVELS",
    "LEADER_ROLES",
    "MEASURES",
    "NODE_TYPES",
    "RATE_ON",
    "RATINGS",
    "ROLES",
    "UNIT_RESULT_SCOPES",
    "Adjustments",
    "Band",
    "Framework",
    "Node",
    "Override",
    "Part",
    "QuotaRule",
    "RatingRules",
    "RollUpRule",
    "Scale",
    "Settings",
    "TargetRule",
    "TaskKind",
    "canonical_json",
]

ROLES = ("staff", "deputy", "acting_head", "head")
LEADER_ROLES = frozenset({"deputy", "acting_head", "head"})
RATINGS = ("excellent", "good", "completed", "not_completed")  # best first
RATING_LABELS = {
    "excellent": ("Hoàn thành xuất sắc nhiệm vụ", "Excellent"),
    "good": ("Hoàn thành tốt nhiệm vụ", "Good"),
    "completed": ("Hoàn thành nhiệm vụ", "Completed"),
    "not_completed": ("Không hoàn thành nhiệm vụ", "Not completed"),
}
MEASURES = ("quantity", "quality", "timeliness")
MEASURE_LETTER = {"quantity": "a", "quality": "b", "timeliness": "c"}
COMBINES = ("sum", "mean", "weighted_mean")
COMPONENTS = ("d", "dd", "e")
RATE_ON = ("rounded", "exact")  # which points the bands compare (§8)
UNIT_RESULT_SCOPES = ("unit_tree", "unit_members")  # whom a head answers for in d
NODE_TYPES = ("group", "manual", "task_ratio", "target", "leader_component")
DISCIPLINE_LEVELS = ("reprimand", "warning", "demotion", "removal", "dismissal")


def rating_rank(rating: str) -> int:
    """0 for the best rating; larger is worse."""
    return RATINGS.index(rating)


@dataclass(frozen=True, slots=True)
class Scale:
    max: Fraction
    step: Fraction


@dataclass(frozen=True, slots=True)
class TargetRule:
    direction: str  # higher_is_better | lower_is_better
    basis: str  # ratio_to_target | actual
    scoring: str  # ratio | thresholds
    cap: Fraction
    thresholds: tuple[tuple[Fraction, Fraction], ...]  # (at, score), best first
    unit_of_measure: str


@dataclass(frozen=True, slots=True)
class Node:
    """A criteria group or a criterion (leaf). Every node yields a ratio; points when sized."""

    key: str
    type: str
    label_vi: str
    label_en: str
    path: str
    weight: Fraction | None = None
    weight_range: tuple[Fraction, Fraction] | None = None
    applies_to: frozenset[str] | None = None
    required: bool = False
    max_points: Fraction | None = None
    cap_points: Fraction | None = None
    # group
    combine: str | None = None
    children: tuple[Node, ...] = ()
    allow_additions: bool = False
    # manual
    scale: Scale | None = None
    reason_required_on_change: bool = True
    # task_ratio
    measure: str | None = None
    kinds: tuple[str, ...] | None = None
    # target
    target: TargetRule | None = None
    # leader_component
    component: str | None = None
    description_vi: str = ""
    description_en: str = ""
    size: Fraction | None = None  # points_max, computed once by the validator

    def applies(self, role: str) -> bool:
        return self.applies_to is None or role in self.applies_to

    @property
    def points_max(self) -> Fraction | None:
        """The points this node is worth, if sized (explicit, a manual scale, or a sum)."""
        if self.size is not None:
            return self.size
        return self.compute_size()

    def compute_size(self) -> Fraction | None:
        if self.max_points is not None:
            return self.max_points
        if self.type == "manual" and self.scale is not None:
            return self.scale.max
        if self.type == "group" and self.combine == "sum":
            total = Fraction(0)
            for child in self.children:
                m = child.points_max
                if m is None:
                    return None
                total += m
            return total
        return None

    def walk(self) -> list[Node]:
        out: list[Node] = [self]
        for child in self.children:
            out.extend(child.walk())
        return out


@dataclass(frozen=True, slots=True)
class Settings:
    rounding_places: int
    quality_deduction: Fraction
    timeliness_deduction: Fraction
    floor_item_at_zero: bool
    no_assigned_work: str  # not_scored | zero
    leader_levels: tuple[Fraction, ...]
    leader_roles: frozenset[str]
    manual_change_needs_reason: bool
    rate_on: str = "rounded"  # rounded | exact: the points the bands compare (§8)


@dataclass(frozen=True, slots=True)
class TaskKind:
    code: str
    label_vi: str
    label_en: str


@dataclass(frozen=True, slots=True)
class Adjustments:
    bonus_cap: Fraction
    penalty_cap: Fraction


@dataclass(frozen=True, slots=True)
class Part:
    """The individual or the unit framework."""

    max_points: Fraction
    root: Node
    adjustments: Adjustments


@dataclass(frozen=True, slots=True)
class Band:
    rating: str
    min: Fraction


@dataclass(frozen=True, slots=True)
class Override:
    key: str
    label_vi: str
    label_en: str
    trigger: str  # discipline_at_least | flag
    value: str
    applies_to: frozenset[str] | None
    rating: str


@dataclass(frozen=True, slots=True)
class RatingRules:
    bands: tuple[Band, ...]  # best first
    overrides: tuple[Override, ...]
    head_not_above_unit: bool
    head_roles: frozenset[str]
    unit_result_basis: str  # points | final_rating
    unit_result_scope: str = "unit_tree"  # unit_tree | unit_members: a head's charge for d


@dataclass(frozen=True, slots=True)
class QuotaRule:
    limited_rating: str
    base_rating: str
    ratio: Fraction
    max_exception_ratio: Fraction
    demote_to: str
    scopes: tuple[str, ...]
    order: str  # lowest_points_first


@dataclass(frozen=True, slots=True)
class RollUpRule:
    basis: str  # months | quarters
    min_months_worked: int
    weight_by_days: bool
    worked_month: str  # has_score
    leave_statuses: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Framework:
    """A validated framework. Frozen: the content hash is what a score records."""

    id: str
    version: str
    title_vi: str
    title_en: str
    illustrative: bool
    settings: Settings
    task_kinds: tuple[TaskKind, ...]
    individual: Part
    unit: Part | None
    rating: RatingRules
    quota: QuotaRule
    roll_up: RollUpRule
    derived_from: str | None
    job_position: str | None
    canonical: str = field(repr=False)
    content_hash: str

    def to_data(self) -> dict[str, Any]:
        """The canonical data (numbers as exact decimal strings); feeds validate_framework."""
        data: dict[str, Any] = json.loads(self.canonical)
        return data

    @property
    def ref(self) -> dict[str, str]:
        """What a stored score records about the framework it used."""
        return {"id": self.id, "version": self.version, "content_hash": self.content_hash}

    def find(self, key: str, *, part: str = "individual") -> Node | None:
        p = self.individual if part == "individual" else self.unit
        if p is None:
            return None
        for node in p.root.walk():
            if node.key == key:
                return node
        return None


def num(value: Fraction) -> str:
    """Canonical text of an exact number (all framework numbers are terminating decimals)."""
    return fmt_decimal(value, 12)


def _nfc(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {_nfc(k): _nfc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nfc(v) for v in value]
    return value


def canonical_json(data: Any) -> str:
    """Sorted keys, no spaces, UTF-8 text in NFC: the bytes the content hash covers."""
    return json.dumps(_nfc(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(canonical: str) -> str:
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
