"""docs/work.md shows the transition table exactly as the code has it."""

from __future__ import annotations

from pathlib import Path

from thuocdo.work.transitions import markdown_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "work.md"


def test_the_documented_transition_table_is_the_codes() -> None:
    assert markdown_table() in DOC.read_text("utf-8"), (
        "docs/work.md is out of date: paste thuocdo.work.transitions.markdown_table()"
    )
