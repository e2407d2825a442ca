"""Evaluation fixtures on top of the cast and the work fixtures: January 2026 of agency A.

`Flow` drives a period step by step with backdated times, so a test reads as the
calendar of the office: open, self-assessment, review, minutes, decision, publication.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from tests.conftest import Cast
from tests.work.conftest import Work, at, build_work
from thuocdo.evaluations import services
from thuocdo.evaluations.compute import explained
from thuocdo.evaluations.models import Evaluation, Period, QuotaGroup, UnitEvaluation
from thuocdo.frameworks.selectors import engine_framework
from thuocdo.work.models import Task

D = dt.date
# General criteria of the decree-335-2025 preset (Form 01): key and maximum.
GENERAL = [
    ("g1_politics", Decimal(5)),
    ("g1_ethics", Decimal(5)),
    ("g2_culture", Decimal("2.5")),
    ("g2_discipline", Decimal("2.5")),
    ("g2_service", Decimal("2.5")),
    ("g2_coordination", Decimal("2.5")),
    ("g3_competence", Decimal("2.5")),
    ("g3_learning", Decimal("2.5")),
    ("g3_innovation", Decimal("2.5")),
    ("g3_daring", Decimal("2.5")),
]
AGENCY_A = [
    "head_x",
    "deputy_x",
    "staff_x",
    "staff_x1",
    "head_y",
    "staff_y",
    "personnel_a",
    "auditor_a",
]
REVIEWER = {
    "head_x": "leader_a",
    "deputy_x": "head_x",
    "staff_x": "head_x",
    "staff_x1": "head_x",
    "head_y": "leader_a",
    "staff_y": "head_y",
    "personnel_a": "head_y",
    "auditor_a": "head_y",
}
# Calendar of January 2026's evaluation.
OPENED, SELF, REVIEW, COLLECTIVE, DECISION, PUBLISH = (
    D(2026, 1, 26),
    D(2026, 2, 2),
    D(2026, 2, 4),
    D(2026, 2, 5),
    D(2026, 2, 6),
    D(2026, 2, 10),
)


def tree(ev: Evaluation, *, decided: bool = True) -> dict[str, Any]:
    """The breakdown of an evaluation's kept result, rebuilt as every page rebuilds it."""
    data = ev.result if decided else ev.proposed
    found = explained(data, engine_framework(ev.framework))
    assert found is not None, "the kept result has no breakdown to rebuild"
    return found


def node(found: dict[str, Any], key: str) -> dict[str, Any]:
    """The node `key` of a breakdown tree (empty when absent)."""
    if found.get("key") == key:
        return found
    for child in found.get("children", []):
        hit = node(child, key)
        if hit:
            return hit
    return {}


def scores(total: Any) -> dict[str, str]:
    """General scores adding up to `total` (a multiple of 0.5), filled in form order."""
    remaining = Decimal(str(total))
    out = {}
    for key, top in GENERAL:
        value = min(top, remaining)
        out[key] = str(value)
        remaining -= value
    assert remaining == 0
    return out


@dataclass
class Flow:
    cast: Cast
    work: Work
    period: Period
    general: dict[str, Any] = field(default_factory=dict)  # name → total general points

    def user(self, name: str) -> Any:
        return self.cast.user(name)

    def ev(self, name: str) -> Evaluation:
        return Evaluation.objects.get(period=self.period, person=self.cast.person(name))

    def refresh(self) -> Period:
        self.period.refresh_from_db()
        return self.period

    def step(self, action: str, by: str = "personnel_a", on: D = SELF) -> Period:
        self.period = services.period_transition(
            actor=self.user(by),
            period=self.refresh(),
            action=action,
            expected_version=self.period.version,
            at=at(on),
        )
        return self.period

    def task(self, owner: str, *, done: bool = True, by: str | None = None) -> Task:
        """One arising task worth 1 standard product, accepted on time (ratio 100%)."""
        assigner = by or ("leader_a" if REVIEWER[owner] == "leader_a" else REVIEWER[owner])
        task = self.work.assign(owner, by=assigner, kind="arising", product="TD")
        if not done:
            return self.work.act(task, "hand_back", by=owner, reason="Không kịp")
        task = self.work.act(task, "submit", by=owner)
        return self.work.act(task, "accept", by=assigner, on=D(2026, 1, 12))

    def self_assess(self, name: str, total: Any = None, on: D = SELF) -> Evaluation:
        ev = self.ev(name)
        return services.evaluation_self_assess(
            actor=self.user(name),
            evaluation=ev,
            expected_version=ev.version,
            scores=scores(total if total is not None else self.general.get(name, 25)),
            comment="Hoàn thành các nhiệm vụ được giao",
            at=at(on),
        )

    def review(self, name: str, by: str | None = None, on: D = REVIEW, **kw: Any) -> Evaluation:
        ev = self.ev(name)
        return services.evaluation_review(
            actor=self.user(by or REVIEWER[name]),
            evaluation=ev,
            expected_version=ev.version,
            comment="Đồng ý với kết quả tự đánh giá",
            at=at(on),
            **kw,
        )

    def minutes(self, on: D = COLLECTIVE) -> None:
        units = {
            self.cast.unit_x: "head_x",
            self.cast.office_x1: "head_x",
            self.cast.unit_y: "head_y",
        }
        for unit, by in units.items():
            services.minutes_record(
                actor=self.user(by),
                period=self.refresh(),
                unit=unit,
                text="Tập thể nhất trí với kết quả tự đánh giá và nhận xét của lãnh đạo.",
                held_on=on,
                attendees=[self.cast.person("staff_x").pk],
                total_members=5,
                at=at(on),
            )

    def to_decision(self, *, skip: tuple[str, ...] = ()) -> None:
        """From `open` to `decision`: everyone self-assesses, is reviewed, minutes held."""
        if self.period.state == Period.State.OPEN:
            self.step("start_self_assessment", on=OPENED)
        for name in AGENCY_A:
            if name not in skip:
                self.self_assess(name)
        self.step("start_review", on=REVIEW)
        for name in AGENCY_A:
            if name not in skip:
                self.review(name)
        self.step("start_collective", on=COLLECTIVE)
        self.minutes()
        self.step("start_decision", on=DECISION)

    def rate_units(self, rating: str = "excellent", on: D = DECISION) -> None:
        for ue in UnitEvaluation.objects.filter(period=self.period):
            services.unit_evaluation_give_rating(
                actor=self.user("leader_a"),
                unit_evaluation=ue,
                rating=rating,
                basis="Kết quả thực hiện kế hoạch của đơn vị",
                at=at(on),
            )
            services.unit_evaluation_decide(
                actor=self.user("leader_a"), unit_evaluation=ue, at=at(on)
            )

    def group(self, code: str) -> QuotaGroup:
        return QuotaGroup.objects.get(period=self.period, code=code)

    def decide_all(self, on: D = DECISION) -> None:
        # offices before departments: a head's d reads the staff's points
        for code in ("unit:X1", "unit:X", "unit:Y"):
            services.group_decide(actor=self.user("leader_a"), group=self.group(code), at=at(on))

    def publish(self, on: D = PUBLISH) -> None:
        self.step("publish", by="leader_a", on=on)


@pytest.fixture
def presets(db: None) -> None:
    call_command("load_presets", stdout=StringIO())


def open_period(cast: Cast, **kw: Any) -> Period:
    return services.period_create(
        actor=cast.user("personnel_a"),
        agency=cast.agency_a,
        kind=kw.pop("kind", Period.Kind.MONTH),
        year=kw.pop("year", 2026),
        number=kw.pop("number", 1),
        deadlines={"self_assessment_until": D(2026, 2, 3), "decision_until": D(2026, 2, 9)},
        at=at(OPENED),
        **kw,
    )


@pytest.fixture
def flow(cast: Cast, presets: None) -> Flow:
    work = build_work(cast)
    return Flow(cast, work, open_period(cast))


def make_flow(cast: Cast, **kw: Any) -> Flow:
    return Flow(cast, build_work(cast), open_period(cast, **kw))
