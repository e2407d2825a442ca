"""The breakdown tree: every criterion with its inputs, the rule applied and the points."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .numbers import fmt_fraction, fmt_percent, fmt_points

__all__ = ["BreakdownNode", "Rule", "render_text"]


@dataclass(frozen=True, slots=True)
class Rule:
    """``code`` is stable (for programs); ``formula`` is the general form, ``detail`` the
    same formula with this period's numbers."""

    code: str
    formula: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class BreakdownNode:
    key: str
    label_vi: str
    label_en: str
    rule: Rule
    inputs: tuple[tuple[str, str], ...] = ()
    ratio: Fraction | None = None
    points: Fraction | None = None
    max_points: Fraction | None = None
    applicable: bool = True
    note_vi: str = ""
    note_en: str = ""
    children: tuple[BreakdownNode, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "key": self.key,
            "label_vi": self.label_vi,
            "label_en": self.label_en,
            "applicable": self.applicable,
            "rule": {
                "code": self.rule.code,
                "formula": self.rule.formula,
                "detail": self.rule.detail,
            },
            "inputs": dict(self.inputs),
        }
        if self.ratio is not None:
            out["ratio"] = {"exact": fmt_fraction(self.ratio), "display": fmt_percent(self.ratio)}
        if self.points is not None:
            out["points"] = {"exact": fmt_fraction(self.points), "display": fmt_points(self.points)}
        if self.max_points is not None:
            out["max_points"] = fmt_fraction(self.max_points)
        if self.note_vi or self.note_en:
            out["note_vi"] = self.note_vi
            out["note_en"] = self.note_en
        if self.children:
            out["children"] = [c.as_dict() for c in self.children]
        return out

    def find(self, key: str) -> BreakdownNode | None:
        if self.key == key:
            return self
        for child in self.children:
            hit = child.find(key)
            if hit is not None:
                return hit
        return None


def _vn(text: str) -> str:
    """Vietnamese number style: decimal comma."""
    return text.replace(".", ",")


def render_text(node: BreakdownNode | dict[str, Any], *, lang: str = "vi") -> str:
    """A person-readable tree (Vietnamese by default; ``lang="en"`` for English).

    Accepts a node or its JSON form (``as_dict()``), so stored breakdowns render too.
    """
    data = node.as_dict() if isinstance(node, BreakdownNode) else node
    lines: list[str] = []
    _render(data, lines, "", True, lang, root=True)
    return "\n".join(lines)


def _render(
    node: dict[str, Any],
    lines: list[str],
    prefix: str,
    last: bool,
    lang: str,
    *,
    root: bool = False,
) -> None:
    vi = lang == "vi"
    label = node["label_vi"] if vi else node["label_en"]
    parts: list[str] = []
    rule = node.get("rule", {})
    if not node.get("applicable", True):
        parts.append("không áp dụng" if vi else "not applicable")
    else:
        points = node.get("points")
        if points is not None:
            text = points["display"]
            if node.get("max_points") is not None:
                top = fmt_points(Fraction(node["max_points"]))
                text += " / " + top.rstrip("0").rstrip(".")
            parts.append((_vn(text) + " điểm") if vi else (text + " points"))
        ratio = node.get("ratio")
        if ratio is not None and rule.get("code") not in ("sum", "manual_score", "given_points"):
            parts.append(_vn(ratio["display"]) if vi else ratio["display"])
    head = f"{label}: {', '.join(parts)}"
    detail = rule.get("detail") or rule.get("formula") or ""
    if detail and vi:
        detail = _vn(detail)
    if detail:
        head += f"  [{detail}]"
    note = node.get("note_vi" if vi else "note_en", "")
    if note:
        head += f" — {note}"
    if root:
        lines.append(head)
        child_prefix = ""
    else:
        lines.append(prefix + ("└─ " if last else "├─ ") + head)
        child_prefix = prefix + ("   " if last else "│  ")
    children = node.get("children", [])
    for i, child in enumerate(children):
        _render(child, lines, child_prefix, i == len(children) - 1, lang)
