"""Shared helpers for the scoring tests: no database, no Django."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from thuocdo.scoring import (
    Framework,
    KindFacts,
    ManualScore,
    PersonInputs,
    TaskLine,
    load_preset,
    loads_document,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "scenarios"

GENERAL_27 = {
    "g1_politics": "5",
    "g1_ethics": "4.5",
    "g2_culture": "2.5",
    "g2_discipline": "2.5",
    "g2_service": "2",
    "g2_coordination": "2",
    "g3_competence": "2.5",
    "g3_learning": "2",
    "g3_innovation": "2",
    "g3_daring": "2",
}


@pytest.fixture(scope="session")
def decree() -> Framework:
    return load_preset("decree-335-2025")


@pytest.fixture(scope="session")
def ban() -> Framework:
    return load_preset("ban-cscl-2025")


@pytest.fixture
def example() -> Callable[[str], Any]:
    def read(name: str) -> Any:
        return loads_document((EXAMPLES / name).read_text("utf-8"), name=name)

    return read


def manual(scores: dict[str, str]) -> dict[str, ManualScore]:
    return {k: ManualScore(Fraction(v)) for k, v in scores.items()}


def line(
    kind: str = "planned",
    quantity: str = "1",
    coefficient: str = "1",
    done: str | None = None,
    **kw: Any,
) -> TaskLine:
    q = Fraction(quantity)
    return TaskLine(
        kind=kind,
        quantity=q,
        coefficient=Fraction(coefficient),
        done=q if done is None else Fraction(done),
        **kw,
    )


def staff(general: str = "27", **kw: Any) -> PersonInputs:
    return PersonInputs(
        person_id=kw.pop("person_id", "p"), given_points={"general": Fraction(general)}, **kw
    )


def facts(w: str, done: str, q: str | None = None, t: str | None = None) -> dict[str, KindFacts]:
    return {
        "planned": KindFacts.of(w, done, q if q is not None else done, t if t is not None else done)
    }
