"""The compiled hot path (explain=False) gives exactly what the explained path gives."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thuocdo.scoring import (
    Adjustment,
    InputError,
    KindFacts,
    LeaderFacts,
    ManualScore,
    PersonInputs,
    PersonResult,
    TargetFacts,
    derive_criteria_set,
    load_preset,
    score_person,
    validate_framework,
)

from .conftest import GENERAL_27

DECREE = load_preset("decree-335-2025")
BAN = load_preset("ban-cscl-2025")
_data = BAN.to_data()
_data["individual"]["adjustments"] = {"bonus_cap": "5", "penalty_cap": "5"}
BAN_ADJ = validate_framework(_data)
BAN_SET = derive_criteria_set(
    BAN,
    {
        "job_position": "Chuyên viên",
        "version": "1",
        "weights": {"volume": "0.3", "a_other": "0", "specific": "0.2"},
        "add": [
            {
                "parent": "specific",
                "criterion": {
                    "key": "s_target",
                    "type": "target",
                    "weight": "1",
                    "label_vi": "Chỉ tiêu",
                    "label_en": "Target",
                    "target": {"direction": "higher_is_better", "scoring": "ratio", "cap": "1.2"},
                },
            }
        ],
    },
)
FRAMEWORKS = [DECREE, BAN, BAN_ADJ, BAN_SET]

amount = st.integers(min_value=0, max_value=400).map(lambda n: Fraction(n, 8))


@st.composite
def kind_facts(draw: Any) -> KindFacts:
    w = draw(amount)
    done = draw(amount)
    return KindFacts(
        w,
        done,
        done * draw(st.sampled_from([1, Fraction(3, 4), Fraction(1, 2), 0])),
        done * draw(st.sampled_from([1, Fraction(3, 4), Fraction(1, 4), 0])),
    )


@st.composite
def person(draw: Any) -> PersonInputs:
    role = draw(st.sampled_from(["staff", "deputy", "acting_head", "head"]))
    kinds = draw(st.lists(st.sampled_from(["planned", "arising", "other"]), unique=True))
    tasks = {k: draw(kind_facts()) for k in kinds}
    if draw(st.booleans()):
        given = {"general": Fraction(draw(st.integers(min_value=0, max_value=62)), 2)}
        manual: dict[str, ManualScore] = {}
    else:
        given = {}
        manual = {k: ManualScore(Fraction(v)) for k, v in GENERAL_27.items()}
        if draw(st.booleans()):
            manual["g1_ethics"] = ManualScore(
                Fraction(draw(st.integers(min_value=0, max_value=11)), 2),
                Fraction(5),
                draw(st.sampled_from(["", "Lý do"])),
            )
    levels = st.sampled_from([Fraction(1), Fraction(1, 2), Fraction(3, 4), None])
    leader = LeaderFacts(draw(levels), draw(levels), draw(levels)) if draw(st.booleans()) else None
    pts = st.integers(min_value=0, max_value=8).map(Fraction)
    return PersonInputs(
        person_id="p",
        role=role,
        tasks=tasks,
        manual=manual,
        given_points=given,
        targets={"s_target": TargetFacts(draw(amount), Fraction(draw(st.integers(0, 6))))}
        if draw(st.booleans())
        else {},
        leader=leader,
        bonus=tuple(Adjustment(p, "thưởng") for p in draw(st.lists(pts, max_size=2))),
        penalty=tuple(Adjustment(p, "trừ") for p in draw(st.lists(pts, max_size=2))),
        flags=frozenset(draw(st.sets(st.sampled_from(["political_degradation"]), max_size=1))),
        discipline=tuple(draw(st.lists(st.sampled_from(["reprimand", "warning"]), max_size=1))),
    )


def outcome(fw: Any, inp: PersonInputs, explain: bool) -> Any:
    try:
        r: PersonResult = score_person(fw, inp, explain=explain)
    except InputError as exc:
        return ("error", exc.issues)
    return (
        r.status,
        r.exact,
        r.points,
        str(r.points),
        r.rating_by_points,
        r.rating,
        r.changes,
        r.framework,
        r.reason_en,
    )


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(FRAMEWORKS), person())
def test_the_hot_path_gives_exactly_the_explained_result(fw: Any, inp: PersonInputs) -> None:
    assert outcome(fw, inp, explain=False) == outcome(fw, inp, explain=True)


@pytest.mark.parametrize(
    ("general", "done", "points"),
    [("0", "0", "0.00"), ("30", "6", "100.00"), ("27", "4.5", "79.50"), ("20", "0.0001", "20.00")],
)
def test_rounding_and_the_bounds_match(general: str, done: str, points: str) -> None:
    inp = PersonInputs(
        tasks={"planned": KindFacts.of(6, done, done, done)},
        given_points={"general": Fraction(general)},
    )
    fast = score_person(DECREE, inp, explain=False)
    slow = score_person(DECREE, inp, explain=True)
    assert str(fast.points) == str(slow.points) == points
    assert fast.exact == slow.exact
