"""A scoring breakdown (the engine's `as_dict()` tree) as the pages show it: labels in the
page's language, numbers with its decimal mark, the first level open."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from thuocdo.core.numbers import text_for
from thuocdo.scoring.numbers import fmt_points

# Rules whose ratio only repeats the points: the page shows the points alone.
POINTS_ONLY = ("sum", "manual_score", "given_points")


def shown_tree(node: Mapping[str, Any], lang: str, depth: int = 0) -> dict[str, Any]:
    vi = lang.startswith("vi")
    points = node.get("points")
    ratio = node.get("ratio")
    top = node.get("max_points")
    rule = node.get("rule", {})
    return {
        "key": node["key"],
        "label": node["label_vi"] if vi else node["label_en"],
        "applicable": node.get("applicable", True),
        "points": text_for(points["display"], lang) if points else "",
        "max": text_for(fmt_points(Fraction(top)).rstrip("0").rstrip("."), lang) if top else "",
        "ratio": text_for(ratio["display"], lang)
        if ratio and rule.get("code") not in POINTS_ONLY
        else "",
        "detail": text_for(rule.get("detail") or rule.get("formula") or "", lang),
        "note": text_for(node.get("note_vi" if vi else "note_en", ""), lang),
        "open": depth < 1,
        "children": [shown_tree(child, lang, depth + 1) for child in node.get("children", [])],
    }
