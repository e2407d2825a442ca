"""Golden outputs: every example scenario's full JSON, compared byte for byte.

A change in any number, label, breakdown or hash shows up as a diff to review. To accept
new outputs on purpose:

    THUOCDO_UPDATE_GOLDEN=1 pytest tests/scoring/test_golden.py

That run rewrites the files and reports each test as skipped (never as passed), so a
regeneration cannot hide in a green run.
"""

from __future__ import annotations

import os
from io import StringIO
from pathlib import Path

import pytest

from thuocdo.cli import main

from .conftest import EXAMPLES

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE_ENV = "THUOCDO_UPDATE_GOLDEN"
SCENARIOS = sorted(p.name for p in EXAMPLES.glob("*.yaml") if p.name != "bad-scenario.yaml")


def golden_path(scenario: str) -> Path:
    return GOLDEN / (scenario.rsplit(".", 1)[0] + ".json")


def cli_output(scenario: str) -> str:
    out, err = StringIO(), StringIO()
    code = main(["score", str(EXAMPLES / scenario)], stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    return out.getvalue()


def regenerate(scenario: str) -> Path:
    """Write the current output as the expected one (only when asked through the env var)."""
    path = golden_path(scenario)
    path.parent.mkdir(exist_ok=True)
    path.write_text(cli_output(scenario), "utf-8")
    return path


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_example_output_matches_its_golden_file(scenario: str) -> None:
    if os.environ.get(UPDATE_ENV) == "1":
        path = regenerate(scenario)
        pytest.skip(f"{UPDATE_ENV}=1: rewrote {path.name}; review the diff, then rerun")
    path = golden_path(scenario)
    assert path.exists(), f"no golden file {path.name}; create it with {UPDATE_ENV}=1"
    assert cli_output(scenario) == path.read_text("utf-8")


def test_every_golden_file_has_its_scenario() -> None:
    expected = {golden_path(s).name for s in SCENARIOS}
    assert {p.name for p in GOLDEN.glob("*.json")} == expected
