"""docs/evaluations.md shows the transition table exactly as the code has it."""

from __future__ import annotations

from pathlib import Path

from thuocdo.evaluations.transitions import markdown_table


def test_the_docs_show_the_period_table() -> None:
    text = (Path(__file__).parents[2] / "docs" / "evaluations.md").read_text(encoding="utf-8")
    table = text.split("<!-- transitions -->\n", 1)[1].split("\n<!-- /transitions -->", 1)[0]
    assert table == markdown_table()
