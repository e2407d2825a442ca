"""What changed between two framework versions, in words (both languages).

Pure: it reads two validated :class:`Framework` objects and lists the changes a person
deciding a new version needs to see — criteria added or removed, labels, weights, weight
ranges, scales, unit KPIs' targets, rating bands, the quota, the title and the settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .model import RATING_LABELS, Framework, Node, Part, num

__all__ = ["Change", "framework_diff"]

_PARTS = (
    ("individual", "Khung cá nhân", "Individual framework"),
    ("unit", "Khung đơn vị", "Unit framework"),
)
_COMBINES = {
    "sum": ("cộng điểm", "sum"),
    "mean": ("trung bình cộng", "mean"),
    "weighted_mean": ("trung bình có trọng số", "weighted mean"),
}
_DIRECTIONS = {
    "higher_is_better": ("càng cao càng tốt", "higher is better"),
    "lower_is_better": ("càng thấp càng tốt", "lower is better"),
}


@dataclass(frozen=True, slots=True)
class Change:
    """One change: what kind (``added``, ``removed``, ``changed``), where (``part`` and the
    criterion's ``key``, or a section such as ``rating``/``quota``), and the words."""

    kind: str
    part: str
    key: str
    message_vi: str
    message_en: str

    def message(self, language: str | None) -> str:
        return self.message_en if (language or "vi").startswith("en") else self.message_vi


def _vi(value: Fraction | None) -> str:
    return "—" if value is None else num(value).replace(".", ",")


def _en(value: Fraction | None) -> str:
    return "—" if value is None else num(value)


def _pct_vi(value: Fraction) -> str:
    return _vi(value * 100) + "%"


def _pct_en(value: Fraction) -> str:
    return _en(value * 100) + "%"


def _index(part: Part | None) -> dict[str, tuple[Node, Node | None]]:
    out: dict[str, tuple[Node, Node | None]] = {}
    if part is None:
        return out

    def walk(node: Node, parent: Node | None) -> None:
        out[node.key] = (node, parent)
        for child in node.children:
            walk(child, node)

    walk(part.root, None)
    return out


def _name_vi(node: Node) -> str:
    return f"“{node.label_vi}” ({node.key})"


def _name_en(node: Node) -> str:
    return f"“{node.label_en}” ({node.key})"


def _range_vi(rng: tuple[Fraction, Fraction] | None) -> str:
    return "không đặt" if rng is None else f"[{_vi(rng[0])}; {_vi(rng[1])}]"


def _range_en(rng: tuple[Fraction, Fraction] | None) -> str:
    return "none" if rng is None else f"[{_en(rng[0])}, {_en(rng[1])}]"


def _node_changes(part: str, old: Node, new: Node) -> list[Change]:
    out: list[Change] = []

    def add(vi: str, en: str) -> None:
        out.append(Change("changed", part, new.key, vi, en))

    if old.label_vi != new.label_vi:
        add(
            f"Đổi tên “{old.label_vi}” thành “{new.label_vi}” ({new.key}).",
            f"Vietnamese label of {new.key}: “{old.label_vi}” → “{new.label_vi}”.",
        )
    if old.label_en != new.label_en:
        add(
            f"Đổi tên tiếng Anh của {_name_vi(new)}: “{old.label_en}” → “{new.label_en}”.",
            f"Renamed “{old.label_en}” to “{new.label_en}” ({new.key}).",
        )
    if old.combine != new.combine:
        was, now = (
            _COMBINES.get(old.combine or "", ("—", "—")),
            _COMBINES.get(new.combine or "", ("—", "—")),
        )
        add(
            f"Cách tính của {_name_vi(new)}: {was[0]} → {now[0]}.",
            f"How {_name_en(new)} combines: {was[1]} → {now[1]}.",
        )
    if old.weight != new.weight:
        add(
            f"Trọng số của {_name_vi(new)}: {_vi(old.weight)} → {_vi(new.weight)}.",
            f"Weight of {_name_en(new)}: {_en(old.weight)} → {_en(new.weight)}.",
        )
    if old.weight_range != new.weight_range:
        add(
            f"Khoảng trọng số cho phép của {_name_vi(new)}: {_range_vi(old.weight_range)} → "
            f"{_range_vi(new.weight_range)}.",
            f"Allowed weight range of {_name_en(new)}: {_range_en(old.weight_range)} → "
            f"{_range_en(new.weight_range)}.",
        )
    if old.scale != new.scale and old.scale is not None and new.scale is not None:
        add(
            f"Thang điểm của {_name_vi(new)}: tối đa {_vi(old.scale.max)}, bước "
            f"{_vi(old.scale.step)} → tối đa {_vi(new.scale.max)}, bước {_vi(new.scale.step)}.",
            f"Scale of {_name_en(new)}: max {_en(old.scale.max)}, step {_en(old.scale.step)} → "
            f"max {_en(new.scale.max)}, step {_en(new.scale.step)}.",
        )
    if old.required != new.required:
        add(
            f"{_name_vi(new)}: {'bắt buộc' if new.required else 'không còn bắt buộc'}.",
            f"{_name_en(new)}: {'now required' if new.required else 'no longer required'}.",
        )
    if old.max_points != new.max_points:
        add(
            f"Điểm tối đa của {_name_vi(new)}: {_vi(old.max_points)} → {_vi(new.max_points)}.",
            f"Maximum points of {_name_en(new)}: {_en(old.max_points)} → {_en(new.max_points)}.",
        )
    if old.target is not None and new.target is not None and old.target != new.target:
        o, n = old.target, new.target
        if o.direction != n.direction:
            add(
                f"Chiều đánh giá của {_name_vi(new)}: {_DIRECTIONS[o.direction][0]} → "
                f"{_DIRECTIONS[n.direction][0]}.",
                f"Direction of {_name_en(new)}: {_DIRECTIONS[o.direction][1]} → "
                f"{_DIRECTIONS[n.direction][1]}.",
            )
        if o.unit_of_measure != n.unit_of_measure:
            add(
                f"Đơn vị tính của {_name_vi(new)}: “{o.unit_of_measure}” → “{n.unit_of_measure}”.",
                f"Unit of measure of {_name_en(new)}: “{o.unit_of_measure}” → "
                f"“{n.unit_of_measure}”.",
            )
        if (o.basis, o.scoring, o.cap, o.thresholds) != (n.basis, n.scoring, n.cap, n.thresholds):
            add(
                f"Cách chấm chỉ tiêu của {_name_vi(new)} thay đổi.",
                f"How {_name_en(new)} scores its target changed.",
            )
    return out


def _part_changes(
    part: str, label_vi: str, label_en: str, a: Part | None, b: Part | None
) -> list[Change]:
    old, new = _index(a), _index(b)
    out: list[Change] = []
    for key, (node, parent) in new.items():
        if key not in old:
            where_vi = f" vào nhóm “{parent.label_vi}”" if parent is not None else ""
            where_en = f" to “{parent.label_en}”" if parent is not None else ""
            weight_vi = f", trọng số {_vi(node.weight)}" if node.weight is not None else ""
            weight_en = f", weight {_en(node.weight)}" if node.weight is not None else ""
            out.append(
                Change(
                    "added",
                    part,
                    key,
                    f"{label_vi}: thêm {_name_vi(node)}{where_vi}{weight_vi}.",
                    f"{label_en}: added {_name_en(node)}{where_en}{weight_en}.",
                )
            )
    for key, (node, parent) in old.items():
        if key not in new:
            where_vi = f" khỏi nhóm “{parent.label_vi}”" if parent is not None else ""
            where_en = f" from “{parent.label_en}”" if parent is not None else ""
            out.append(
                Change(
                    "removed",
                    part,
                    key,
                    f"{label_vi}: bỏ {_name_vi(node)}{where_vi}.",
                    f"{label_en}: removed {_name_en(node)}{where_en}.",
                )
            )
    for key, (node, parent) in new.items():
        if key in old:
            before, before_parent = old[key]
            if (before_parent.key if before_parent else None) != (parent.key if parent else None):
                out.append(
                    Change(
                        "changed",
                        part,
                        key,
                        f"{label_vi}: chuyển {_name_vi(node)} sang nhóm "
                        f"“{parent.label_vi if parent else '—'}”.",
                        f"{label_en}: moved {_name_en(node)} to "
                        f"“{parent.label_en if parent else '—'}”.",
                    )
                )
            out.extend(_node_changes(part, before, node))
    if a is not None and b is not None:
        if a.max_points != b.max_points:
            out.append(
                Change(
                    "changed",
                    part,
                    "",
                    f"{label_vi}: thang điểm {_vi(a.max_points)} → {_vi(b.max_points)}.",
                    f"{label_en}: scale {_en(a.max_points)} → {_en(b.max_points)}.",
                )
            )
        if a.adjustments != b.adjustments:
            out.append(
                Change(
                    "changed",
                    part,
                    "",
                    f"{label_vi}: điểm cộng tối đa {_vi(a.adjustments.bonus_cap)} → "
                    f"{_vi(b.adjustments.bonus_cap)}, điểm trừ tối đa "
                    f"{_vi(a.adjustments.penalty_cap)} → {_vi(b.adjustments.penalty_cap)}.",
                    f"{label_en}: bonus cap {_en(a.adjustments.bonus_cap)} → "
                    f"{_en(b.adjustments.bonus_cap)}, penalty cap "
                    f"{_en(a.adjustments.penalty_cap)} → {_en(b.adjustments.penalty_cap)}.",
                )
            )
    elif a is None and b is not None:
        out.append(
            Change("added", part, "", f"Thêm {label_vi.lower()}.", f"Added the {label_en.lower()}.")
        )
    elif a is not None and b is None:
        out.append(
            Change(
                "removed", part, "", f"Bỏ {label_vi.lower()}.", f"Removed the {label_en.lower()}."
            )
        )
    return out


def framework_diff(a: Framework, b: Framework) -> list[Change]:
    """The changes from ``a`` (the version in force) to ``b`` (a draft), in reading order:
    title, the individual framework, the unit framework, rating bands, quota, settings."""
    out: list[Change] = []
    if a.title_vi != b.title_vi or a.title_en != b.title_en:
        out.append(
            Change(
                "changed",
                "",
                "title",
                f"Tên khung: “{a.title_vi}” → “{b.title_vi}”.",
                f"Title: “{a.title_en}” → “{b.title_en}”.",
            )
        )
    for name, label_vi, label_en in _PARTS:
        out.extend(_part_changes(name, label_vi, label_en, getattr(a, name), getattr(b, name)))
    old_bands = {band.rating: band.min for band in a.rating.bands}
    for band in b.rating.bands:
        before = old_bands.get(band.rating)
        if before != band.min:
            vi, en = RATING_LABELS[band.rating]
            out.append(
                Change(
                    "changed",
                    "rating",
                    band.rating,
                    f"Ngưỡng điểm “{vi}”: từ {_vi(before)} → từ {_vi(band.min)} điểm.",
                    f"Band “{en}”: from {_en(before)} → from {_en(band.min)} points.",
                )
            )
    if a.rating.overrides != b.rating.overrides:
        out.append(
            Change(
                "changed",
                "rating",
                "overrides",
                "Các trường hợp xếp loại đặc biệt (kỷ luật, suy thoái…) thay đổi.",
                "The overriding cases (discipline, degradation…) changed.",
            )
        )
    qa, qb = a.quota, b.quota
    if qa.ratio != qb.ratio:
        out.append(
            Change(
                "changed",
                "quota",
                "ratio",
                f"Tỷ lệ tối đa: {_pct_vi(qa.ratio)} → {_pct_vi(qb.ratio)}.",
                f"Quota ratio: {_pct_en(qa.ratio)} → {_pct_en(qb.ratio)}.",
            )
        )
    if qa.max_exception_ratio != qb.max_exception_ratio:
        out.append(
            Change(
                "changed",
                "quota",
                "max_exception_ratio",
                f"Tỷ lệ ngoại lệ tối đa: {_pct_vi(qa.max_exception_ratio)} → "
                f"{_pct_vi(qb.max_exception_ratio)}.",
                f"Exception ceiling: {_pct_en(qa.max_exception_ratio)} → "
                f"{_pct_en(qb.max_exception_ratio)}.",
            )
        )
    if (qa.limited_rating, qa.base_rating, qa.demote_to, qa.scopes) != (
        qb.limited_rating,
        qb.base_rating,
        qb.demote_to,
        qb.scopes,
    ):
        out.append(
            Change(
                "changed",
                "quota",
                "rule",
                "Quy tắc áp tỷ lệ (mức bị giới hạn, mức hạ, phạm vi) thay đổi.",
                "The quota rule (limited rating, demotion, scopes) changed.",
            )
        )
    if a.settings != b.settings:
        out.append(
            Change(
                "changed",
                "settings",
                "",
                "Các thiết lập tính điểm (làm tròn, mức trừ, …) thay đổi.",
                "The scoring settings (rounding, deductions, …) changed.",
            )
        )
    if a.roll_up != b.roll_up:
        out.append(
            Change(
                "changed",
                "roll_up",
                "",
                "Cách tổng hợp kết quả năm thay đổi.",
                "How the year is rolled up changed.",
            )
        )
    return out
