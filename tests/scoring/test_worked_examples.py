"""The reference's two worked examples, from the engine and from the shipped files."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from io import StringIO
from typing import Any

from thuocdo.cli import main
from thuocdo.scoring import PersonInputs, QuotaMember, render_text, resolve_quota, score_person

from .conftest import EXAMPLES, GENERAL_27, line, manual


def worked_example_inputs() -> PersonInputs:
    return PersonInputs(
        person_id="a",
        manual=manual(GENERAL_27),
        task_lines=(
            line(quantity="1", coefficient="2.0"),
            line(quantity="3", coefficient="0.5", failures=1),
            line(quantity="1", coefficient="1.0", delays=2),
            line(kind="arising", quantity="1", coefficient="1.5", done="0"),
        ),
    )


def test_the_non_leader_example_scores_76_10_good(decree: Any) -> None:
    result = score_person(decree, worked_example_inputs())
    assert result.points == Decimal("76.10")
    assert result.rating == "good"
    assert result.exact == 27 + Fraction(70) * Fraction(101, 48) / 3
    tree = result.breakdown
    assert tree is not None
    a, b, c = (tree.find(k) for k in ("a", "b", "c"))
    assert a is not None
    assert a.ratio == Fraction(3, 4)
    assert b is not None
    assert b.ratio == Fraction(11, 16)
    assert c is not None
    assert c.ratio == Fraction(2, 3)
    task = tree.find("task_results")
    assert task is not None
    assert task.points == Fraction(70) * Fraction(101, 48) / 3
    general = tree.find("general")
    assert general is not None
    assert general.points == 27


def test_the_breakdown_says_why_in_vietnamese(decree: Any) -> None:
    text = render_text(score_person(decree, worked_example_inputs()).breakdown or {})
    assert "Tổng điểm: 76,10" in text
    assert "b. Chất lượng: 68,75%" in text
    assert "c. Tiến độ: 66,67%" in text
    assert "Hoàn thành tốt nhiệm vụ" in text


def test_the_quota_example_needs_one_demotion(decree: Any) -> None:
    members = [QuotaMember(f"g{i}", Decimal(80), "good") for i in range(10)]
    members += [
        QuotaMember("e1", Decimal("95"), "excellent"),
        QuotaMember("e2", Decimal("92"), "excellent"),
        QuotaMember("e3", Decimal("97"), "excellent"),
    ]
    q = resolve_quota(decree, members, group="g")
    assert not q.holds_before
    assert [d.person_id for d in q.demotions] == ["e2"]
    assert q.after == (2, 11)
    assert q.allowed_after == Fraction(22, 10)
    assert q.holds_after


def run_cli(name: str) -> dict[str, Any]:
    out = StringIO()
    assert main(["score", str(EXAMPLES / name)], stdout=out, stderr=StringIO()) == 0
    data: dict[str, Any] = json.loads(out.getvalue())
    return data


def test_the_non_leader_example_file_gives_76_10() -> None:
    data = run_cli("worked-example-non-leader.yaml")
    (person,) = data["people"]
    assert person["points"] == "76.10"
    assert person["exact"] == "5479/72"
    assert person["rating"] == "good"
    assert data["framework"]["id"] == "decree-335-2025"
    assert [t["w"] for t in person["tasks"]] == ["2", "1.5", "1", "1.5"]
    ratios = {
        n["key"]: n["ratio"]["exact"]
        for n in person["breakdown"]["children"][1]["children"]
        if "ratio" in n
    }
    assert ratios == {"a": "3/4", "b": "11/16", "c": "2/3"}


def test_the_quota_example_file_demotes_the_lowest_excellent() -> None:
    data = run_cli("worked-example-quota.yaml")
    (group,) = data["quota"]
    assert group["before"] == {"excellent": 3, "good": 10}
    assert group["after"] == {"excellent": 2, "good": 11}
    assert [d["person_id"] for d in group["demotions"]] == ["cv03"]
    ratings = [p["rating"] for p in data["people"]]
    assert ratings.count("excellent") == 2
    assert ratings.count("good") == 11


def test_every_shipped_example_runs(example: Callable[[str], Any]) -> None:
    for path in sorted(EXAMPLES.glob("*.yaml")):
        if path.name.startswith("bad-"):
            continue
        run_cli(path.name)
