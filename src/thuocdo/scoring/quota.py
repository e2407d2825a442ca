"""Quota resolution (Art. 20(5)): excellent ≤ ratio × good, on the final counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

from .engine import PersonResult, RatingChange
from .errors import InputError, Issue
from .model import RATING_LABELS, Framework
from .numbers import fmt_decimal, fmt_percent

__all__ = ["Demotion", "QuotaMember", "QuotaResult", "QuotaTie", "apply_quota", "resolve_quota"]


@dataclass(frozen=True, slots=True)
class QuotaMember:
    person_id: str
    points: Decimal
    rating: str


@dataclass(frozen=True, slots=True)
class Demotion:
    person_id: str
    points: Decimal
    from_rating: str
    to_rating: str
    reason_vi: str
    reason_en: str


@dataclass(frozen=True, slots=True)
class QuotaTie:
    """``choose`` of ``candidates`` (equal points) must be demoted: the authority decides."""

    points: Decimal
    candidates: tuple[str, ...]
    choose: int


@dataclass(frozen=True, slots=True)
class QuotaResult:
    group: str
    ratio: Fraction
    limited_rating: str
    base_rating: str
    before: tuple[int, int]  # (limited, base) counts
    after: tuple[int, int]  # after all proposed demotions, ties included
    allowed_after: Fraction  # ratio × base count after
    holds_before: bool
    holds_after: bool
    demotions: tuple[Demotion, ...]  # definite proposals
    ties: tuple[QuotaTie, ...]  # undecidable by points

    @property
    def demotion_count(self) -> int:
        return len(self.demotions) + sum(t.choose for t in self.ties)

    def as_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "ratio": fmt_decimal(self.ratio),
            "limited_rating": self.limited_rating,
            "base_rating": self.base_rating,
            "before": {self.limited_rating: self.before[0], self.base_rating: self.before[1]},
            "after": {self.limited_rating: self.after[0], self.base_rating: self.after[1]},
            "allowed_after": fmt_decimal(self.allowed_after),
            "holds_before": self.holds_before,
            "holds_after": self.holds_after,
            "demotion_count": self.demotion_count,
            "demotions": [
                {
                    "person_id": d.person_id,
                    "points": str(d.points),
                    "from": d.from_rating,
                    "to": d.to_rating,
                    "reason_vi": d.reason_vi,
                    "reason_en": d.reason_en,
                }
                for d in self.demotions
            ],
            "ties": [
                {"points": str(t.points), "candidates": list(t.candidates), "choose": t.choose}
                for t in self.ties
            ],
        }


def resolve_quota(
    framework: Framework,
    members: Sequence[QuotaMember],
    *,
    group: str = "",
    exception_ratio: Fraction | None = None,
) -> QuotaResult:
    """Propose the fewest demotions, lowest points first, so that the quota holds on the
    final counts. Equal points at the cut are reported as a tie, never broken."""
    rule = framework.quota
    ratio = rule.ratio
    if exception_ratio is not None:
        if not rule.ratio <= exception_ratio <= rule.max_exception_ratio:
            raise InputError(
                [
                    Issue(
                        f"quota_groups.{group}.exception_ratio",
                        "quota_exception",
                        f"Tỷ lệ ngoại lệ phải trong khoảng {fmt_percent(rule.ratio)}–"
                        f"{fmt_percent(rule.max_exception_ratio)}.",
                        f"The exception ratio must be within {fmt_percent(rule.ratio)}–"
                        f"{fmt_percent(rule.max_exception_ratio)}.",
                    )
                ]
            )
        ratio = exception_ratio
    limited = sorted(
        (m for m in members if m.rating == rule.limited_rating),
        key=lambda m: (m.points, m.person_id),
    )
    e = len(limited)
    g = sum(1 for m in members if m.rating == rule.base_rating)
    moves_to_base = rule.demote_to == rule.base_rating

    def holds(k: int) -> bool:
        return e - k <= ratio * (g + (k if moves_to_base else 0))

    k = 0
    while not holds(k):
        k += 1
    demotions: list[Demotion] = []
    ties: list[QuotaTie] = []
    if k:
        cut = limited[k - 1].points
        below = [m for m in limited if m.points < cut]
        at_cut = [m for m in limited if m.points == cut]
        definite = below
        need = k - len(below)
        if need == len(at_cut):
            definite = below + at_cut
        else:
            ties.append(QuotaTie(cut, tuple(m.person_id for m in at_cut), need))
        lim_vi, lim_en = RATING_LABELS[rule.limited_rating]
        base_vi, base_en = RATING_LABELS[rule.base_rating]
        for m in definite:
            demotions.append(
                Demotion(
                    m.person_id,
                    m.points,
                    rule.limited_rating,
                    rule.demote_to,
                    f"Vượt tỷ lệ: {e} “{lim_vi}” > {fmt_percent(ratio)} × {g} “{base_vi}”; cần hạ "
                    f"{k} người, điểm thấp nhất trước ({m.points} điểm).",
                    f"Quota exceeded: {e} “{lim_en}” > {fmt_percent(ratio)} × {g} “{base_en}”; "
                    f"{k} demotion(s) needed, lowest points first ({m.points} points).",
                )
            )
    g_after = g + (k if moves_to_base else 0)
    return QuotaResult(
        group=group,
        ratio=ratio,
        limited_rating=rule.limited_rating,
        base_rating=rule.base_rating,
        before=(e, g),
        after=(e - k, g_after),
        allowed_after=ratio * g_after,
        holds_before=holds(0),
        holds_after=holds(k),
        demotions=tuple(demotions),
        ties=tuple(ties),
    )


def apply_quota(results: Sequence[PersonResult], quota: QuotaResult) -> list[PersonResult]:
    """Apply the definite demotions (ties wait for the authority's decision)."""
    by_id = {d.person_id: d for d in quota.demotions}
    out = []
    for r in results:
        d = by_id.get(r.person_id)
        if d is not None and r.rating == d.from_rating:
            change = RatingChange(
                f"quota:{quota.group}", d.from_rating, d.to_rating, d.reason_vi, d.reason_en
            )
            r = replace(r, rating=d.to_rating, changes=(*r.changes, change))
        out.append(r)
    return out
