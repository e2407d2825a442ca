"""A person's or a unit's period inputs: the aggregated form and the per-task form.

The aggregated form (:class:`KindFacts` per task kind) is what the database computes in
SQL: Σw, Σdone, Σdone×q, Σdone×t. The per-task form (:class:`TaskLine`) reduces to it
with :func:`aggregate_tasks`, which applies the framework's deductions and exemptions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType

from .errors import InputError, Issue
from .model import Framework, Settings
from .numbers import ZERO, parse_exact
from .rules import art14_item_factor

__all__ = [
    "Adjustment",
    "KindFacts",
    "LeaderFacts",
    "ManualScore",
    "PersonInputs",
    "TargetFacts",
    "TaskContribution",
    "TaskLine",
    "UnitInputs",
    "aggregate_tasks",
    "group_facts",
    "task_contribution",
]

_EMPTY: Mapping[str, object] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class KindFacts:
    """Aggregated task facts for one task kind in one period.

    ``w`` excludes extra work; ``done``, ``done_q`` and ``done_t`` include it.
    """

    w: Fraction = ZERO
    done: Fraction = ZERO
    done_q: Fraction = ZERO
    done_t: Fraction = ZERO
    extra_done: Fraction = ZERO
    count: int = 0

    @classmethod
    def of(
        cls,
        w: object = 0,
        done: object = 0,
        done_q: object = 0,
        done_t: object = 0,
        extra_done: object = 0,
        count: int = 0,
    ) -> KindFacts:
        """Build from ints, Decimals or decimal strings (e.g. straight from SQL)."""
        return cls(
            parse_exact(w),
            parse_exact(done),
            parse_exact(done_q),
            parse_exact(done_t),
            parse_exact(extra_done),
            count,
        )

    def __add__(self, other: KindFacts) -> KindFacts:
        return KindFacts(
            self.w + other.w,
            self.done + other.done,
            self.done_q + other.done_q,
            self.done_t + other.done_t,
            self.extra_done + other.extra_done,
            self.count + other.count,
        )


@dataclass(frozen=True, slots=True)
class TaskLine:
    """One task of the period, as recorded. Quantities are in the task's own units."""

    kind: str
    quantity: Fraction
    coefficient: Fraction
    done: Fraction
    failures: int = 0
    exempt_failures: int = 0
    delays: int = 0
    exempt_delays: int = 0
    extra: str | None = None  # None | "taken_over" | "outside_plan"
    key: str = ""
    title: str = ""


@dataclass(frozen=True, slots=True)
class TaskContribution:
    """How one task line enters Σw and the numerators (for the breakdown)."""

    line: TaskLine
    w: Fraction
    done: Fraction
    q: Fraction
    t: Fraction
    counted_failures: int
    counted_delays: int


def task_contribution(settings: Settings, line: TaskLine) -> TaskContribution:
    """Art. 14: how one task enters Σw and the numerators — w = quantity × coefficient
    (extra work: none, Art. 18(1)(d)), done × coefficient, and the quality and timeliness
    factors after exemptions for an objective cause."""
    f = max(0, line.failures - line.exempt_failures)
    lt = max(0, line.delays - line.exempt_delays)
    q = art14_item_factor(f, settings.quality_deduction, settings.floor_item_at_zero)
    t = art14_item_factor(lt, settings.timeliness_deduction, settings.floor_item_at_zero)
    w = ZERO if line.extra else line.quantity * line.coefficient
    done = line.done * line.coefficient
    return TaskContribution(line, w, done, q, t, f, lt)


def group_facts(
    settings: Settings,
    *,
    w: Fraction,
    done: Fraction,
    failures: int,
    delays: int,
    extra: bool,
    count: int,
) -> KindFacts:
    """Art. 14 for a group of tasks that share their counted failures and delays (what SQL
    sums per group): the same factors as :func:`task_contribution`, applied once."""
    q = art14_item_factor(failures, settings.quality_deduction, settings.floor_item_at_zero)
    t = art14_item_factor(delays, settings.timeliness_deduction, settings.floor_item_at_zero)
    return KindFacts(w, done, done * q, done * t, done if extra else ZERO, count)


def aggregate_tasks(framework: Framework, lines: Iterable[TaskLine]) -> dict[str, KindFacts]:
    """Reduce per-task lines to the aggregated form, per task kind."""
    out: dict[str, KindFacts] = {}
    for line in lines:
        c = task_contribution(framework.settings, line)
        prev = out.get(line.kind, KindFacts())
        out[line.kind] = KindFacts(
            prev.w + c.w,
            prev.done + c.done,
            prev.done_q + c.done * c.q,
            prev.done_t + c.done * c.t,
            prev.extra_done + (c.done if line.extra else ZERO),
            prev.count + 1,
        )
    return out


@dataclass(frozen=True, slots=True)
class ManualScore:
    """A score on a criterion's scale. ``self_score`` is the official's own; ``value`` the
    reviewed one. A reviewer's change needs a ``reason``."""

    value: Fraction
    self_score: Fraction | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class TargetFacts:
    actual: Fraction
    target: Fraction | None = None


@dataclass(frozen=True, slots=True)
class LeaderFacts:
    """Either the components themselves (``d``, ``dd``, ``e`` as 1 or 0.5), or the facts
    they derive from."""

    d: Fraction | None = None
    dd: Fraction | None = None
    e: Fraction | None = None
    staff_points: tuple[Decimal, ...] | None = None  # points of the officials in charge
    staff_not_completed: tuple[bool, ...] | None = None  # each rated "not completed"?
    organisation_shortcomings: bool | None = None  # đ: shortcomings or prolonged delays
    internal_conflict: bool | None = None  # e: prolonged complaints about internal conflict


@dataclass(frozen=True, slots=True)
class Adjustment:
    points: Fraction
    reason: str = ""


@dataclass(frozen=True, slots=True)
class PersonInputs:
    """A person's inputs for one period."""

    person_id: str = ""
    role: str = "staff"
    tasks: Mapping[str, KindFacts] | None = None  # aggregated form
    task_lines: tuple[TaskLine, ...] = ()  # per-task form (used when ``tasks`` is None)
    manual: Mapping[str, ManualScore] = field(default_factory=lambda: MappingProxyType({}))
    given_points: Mapping[str, Fraction] = field(default_factory=lambda: MappingProxyType({}))
    targets: Mapping[str, TargetFacts] = field(default_factory=lambda: MappingProxyType({}))
    leader: LeaderFacts | None = None
    bonus: tuple[Adjustment, ...] = ()
    penalty: tuple[Adjustment, ...] = ()
    flags: frozenset[str] = frozenset()
    discipline: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class UnitInputs:
    """A unit's inputs for one period (unit framework)."""

    unit_id: str = ""
    tasks: Mapping[str, KindFacts] | None = None
    task_lines: tuple[TaskLine, ...] = ()
    manual: Mapping[str, ManualScore] = field(default_factory=lambda: MappingProxyType({}))
    given_points: Mapping[str, Fraction] = field(default_factory=lambda: MappingProxyType({}))
    targets: Mapping[str, TargetFacts] = field(default_factory=lambda: MappingProxyType({}))
    bonus: tuple[Adjustment, ...] = ()
    penalty: tuple[Adjustment, ...] = ()


def check_task_lines(framework: Framework, lines: Iterable[TaskLine], path: str) -> list[Issue]:
    """Rules every task line must meet (kind declared, done ≤ quantity, exemptions ≤ counts)."""
    kinds = {k.code for k in framework.task_kinds}
    issues: list[Issue] = []
    for i, line in enumerate(lines):
        p = f"{path}[{i}]"
        if line.kind not in kinds:
            issues.append(
                Issue(
                    f"{p}.kind",
                    "enum",
                    f"Loại nhiệm vụ “{line.kind}” không có trong khung.",
                    f"Task kind “{line.kind}” is not in the framework.",
                )
            )
        if line.done < 0:
            issues.append(
                Issue(
                    f"{p}.done",
                    "range",
                    "Khối lượng hoàn thành phải ≥ 0.",
                    "Done must be ≥ 0.",
                )
            )
        # Art. 13–14: w = quantity × coefficient; a zero or negative factor would make the
        # task — and its failures and delays — vanish from a, b and c without a word
        if line.coefficient <= 0:
            issues.append(
                Issue(
                    f"{p}.coefficient",
                    "coefficient_positive",
                    "Hệ số quy đổi phải lớn hơn 0: nhiệm vụ hệ số 0 không được tính vào đâu.",
                    "The conversion coefficient must be > 0: a task with coefficient 0 would "
                    "count nowhere.",
                )
            )
        if line.quantity <= 0:
            issues.append(
                Issue(
                    f"{p}.quantity",
                    "quantity_positive",
                    "Khối lượng được giao phải lớn hơn 0"
                    + (
                        ": số lần không đạt chất lượng và chậm tiến độ của nhiệm vụ khối "
                        "lượng 0 sẽ bị bỏ qua."
                        if line.failures or line.delays
                        else "."
                    ),
                    "The assigned quantity must be > 0"
                    + (
                        ": failures and delays of a zero-quantity task would be lost."
                        if line.failures or line.delays
                        else "."
                    ),
                )
            )
        if line.done > line.quantity:
            issues.append(
                Issue(
                    f"{p}.done",
                    "done_above_quantity",
                    "Khối lượng hoàn thành vượt khối lượng được giao; phần làm thêm "
                    "ghi thành một nhiệm vụ làm thêm (extra).",
                    "Done exceeds the assigned quantity; record additional output as extra work.",
                )
            )
        if line.exempt_failures > line.failures or line.exempt_delays > line.delays:
            issues.append(
                Issue(
                    p,
                    "exemption_above_count",
                    "Số lần được miễn trừ vượt số lần không đạt/chậm.",
                    "More exemptions than failures or delays.",
                )
            )
        if min(line.failures, line.delays, line.exempt_failures, line.exempt_delays) < 0:
            issues.append(Issue(p, "range", "Số lần phải ≥ 0.", "Counts must be ≥ 0."))
        if line.extra not in (None, "taken_over", "outside_plan"):
            issues.append(
                Issue(
                    f"{p}.extra",
                    "enum",
                    "extra: taken_over hoặc outside_plan.",
                    "extra: taken_over or outside_plan.",
                )
            )
    return issues


def raise_if(issues: list[Issue]) -> None:
    if issues:
        raise InputError(issues)
