"""A framework in words (issue 14, point 1): what the framework pages and the Excel export
show of a `Framework` — its criteria tree, bands, overrides, quota, roll-up and settings —
each value said in the page's language with its decimal mark, never as a code, and each
configurable rule with the article of Decree 335/2025/NĐ-CP it comes from
(docs/reference decree-335.md) or, where the decree is silent, Thước đo's own default.

Pure reading: no query, no write. Texts stored in both languages (criteria labels) are
chosen with `in_language`; the words of this module are (Vietnamese, English) pairs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from thuocdo.core.numbers import to_decimal, vn_number
from thuocdo.core.text import in_language, is_english
from thuocdo.scoring import Framework, Node, load_preset
from thuocdo.scoring.model import RATING_LABELS, Part

Words = tuple[str, str]  # (Vietnamese, English)

# The national default every agency framework is compared with.
DECREE_PRESET = "decree-335-2025"


def say(words: Words) -> str:
    return in_language(*words)


def number(value: Fraction | Decimal | int | None, places: int = 4) -> str:
    """A rule quantity as the page writes it: "2,5" in Vietnamese, "2.5" in English."""
    if value is None:
        return ""
    if is_english():
        exact = to_decimal(value, places)
        assert exact is not None
        text = f"{exact:f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return vn_number(value, places, trim=True)


def percent(ratio: Fraction | Decimal | int) -> str:
    """0.2 → "20%"; 0.125 → "12,5%" ("12.5%" in English)."""
    return number(Fraction(ratio) * 100, 2) + "%"


def points(value: Fraction | Decimal | int | None) -> str:
    if value is None:
        return "—"
    return f"{number(value)} " + say(("điểm", "points"))


ROLE_WORDS: dict[str, Words] = {
    "staff": ("người không giữ chức vụ lãnh đạo", "staff without a leadership post"),
    "deputy": ("cấp phó", "deputy"),
    "acting_head": ("quyền trưởng", "acting head"),
    "head": ("cấp trưởng", "head"),
}
ROLE_ORDER = ("head", "acting_head", "deputy", "staff")


def roles(codes: frozenset[str] | tuple[str, ...] | None) -> str:
    if codes is None:
        return say(("Mọi người", "Everyone"))
    return ", ".join(say(ROLE_WORDS.get(c, (c, c))) for c in ROLE_ORDER if c in codes)


def rating(code: str) -> str:
    return say(RATING_LABELS.get(code, (code, code)))


def yes_no(value: bool) -> str:
    return say(("Có", "Yes") if value else ("Không", "No"))


COMBINE_WORDS: dict[str, Words] = {
    "sum": ("Cộng điểm các tiêu chí", "Sum of the criteria's points"),
    "mean": ("Trung bình cộng các thành phần áp dụng", "Mean of the applicable components"),
    "weighted_mean": ("Trung bình có trọng số", "Weighted mean"),
}
MEASURE_WORDS: dict[str, Words] = {
    "quantity": ("số lượng (a)", "quantity (a)"),
    "quality": ("chất lượng (b)", "quality (b)"),
    "timeliness": ("tiến độ (c)", "timeliness (c)"),
}
COMPONENT_WORDS: dict[str, Words] = {
    "d": ("kết quả của đơn vị (d)", "unit result (d)"),
    "dd": ("năng lực tổ chức triển khai (đ)", "ability to organise implementation (đ)"),
    "e": ("năng lực tập hợp, đoàn kết (e)", "ability to gather and unite (e)"),
}
DISCIPLINE_WORDS: dict[str, Words] = {
    "reprimand": ("khiển trách", "reprimand"),
    "warning": ("cảnh cáo", "warning"),
    "demotion": ("hạ bậc lương", "demotion"),
    "removal": ("cách chức", "removal from office"),
    "dismissal": ("buộc thôi việc", "dismissal"),
}
FLAG_WORDS: dict[str, Words] = {
    "political_degradation": (
        "có kết luận suy thoái về chính trị, tư tưởng, đạo đức, lối sống",
        "a concluded political, ethical or lifestyle degradation",
    ),
    "corruption_or_waste_in_charge": (
        "để xảy ra tham nhũng, lãng phí trong đơn vị trực tiếp phụ trách",
        "corruption or waste in the unit under their direct charge",
    ),
}
LEAVE_WORDS: dict[str, Words] = {
    "sick": ("nghỉ ốm đau", "sick leave"),
    "maternity": ("nghỉ thai sản", "maternity leave"),
    "unpaid": ("nghỉ không hưởng lương", "unpaid leave"),
}
SCOPE_WORDS: dict[str, Words] = {
    "unit": ("trong từng đơn vị", "within each unit"),
    "duty_group": (
        "trong từng nhóm có chức trách, nhiệm vụ tương đồng",
        "within each group of officials with similar duties",
    ),
}


def _kinds(fw: Framework, kinds: tuple[str, ...] | None) -> str:
    if kinds is None:
        return say(("mọi loại nhiệm vụ", "every kind of task"))
    labels = {k.code: say((k.label_vi, k.label_en)) for k in fw.task_kinds}
    return ", ".join(labels.get(k, k) for k in kinds).lower()


def how_scored(fw: Framework, node: Node) -> str:
    """How a node yields its ratio or points, in words."""
    if node.type == "group":
        return say(COMBINE_WORDS.get(node.combine or "", (node.combine or "", node.combine or "")))
    if node.type == "manual":
        return say(("Chấm điểm theo thang", "Scored on a scale"))
    if node.type == "task_ratio":
        measure = say(MEASURE_WORDS.get(node.measure or "", ("", "")))
        return say(("Tính từ nhiệm vụ: %s, %s", "From the tasks: %s, %s")) % (
            measure,
            _kinds(fw, node.kinds),
        )
    if node.type == "leader_component":
        component = say(COMPONENT_WORDS.get(node.component or "", ("", "")))
        levels = " / ".join(percent(x) for x in fw.settings.leader_levels)
        return say(("Thành phần của lãnh đạo: %s, mức %s", "Leader's component: %s, at %s")) % (
            component,
            levels,
        )
    if node.type == "target" and node.target is not None:
        return target_words(node)
    return node.type


def target_words(node: Node) -> str:
    t = node.target
    assert t is not None
    direction = say(
        ("càng cao càng tốt", "higher is better")
        if t.direction == "higher_is_better"
        else ("càng thấp càng tốt", "lower is better")
    )
    basis = say(
        ("so với chỉ tiêu", "against the target")
        if t.basis == "ratio_to_target"
        else ("theo giá trị thực hiện", "on the actual value")
    )
    if t.scoring == "thresholds" and t.thresholds:
        steps = "; ".join(
            say(("đạt %s → %s", "at %s → %s")) % (number(at), percent(score))
            for at, score in t.thresholds
        )
        scoring = say(("theo ngưỡng: %s", "by thresholds: %s")) % steps
    else:
        scoring = say(("theo tỷ lệ, tối đa %s", "as a ratio, at most %s")) % percent(t.cap)
    unit = f" ({t.unit_of_measure})" if t.unit_of_measure else ""
    return say(("Chỉ tiêu%s: %s, %s, %s", "Target%s: %s, %s, %s")) % (
        unit,
        direction,
        basis,
        scoring,
    )


@dataclass(frozen=True)
class NodeRow:
    """One group or criterion of a part, flattened in tree order."""

    depth: int
    key: str
    path: str
    label: str
    description: str
    is_group: bool
    how: str
    max_points: str
    max_value: Fraction | None
    scale: str
    weight: str
    weight_range: str
    applies_to: str
    required: bool
    allow_additions: bool
    cap: str


def node_rows(fw: Framework, part: Part | None) -> list[NodeRow]:
    if part is None:
        return []
    out: list[NodeRow] = []

    def visit(node: Node, depth: int, trail: str) -> None:
        path = f"{trail} › {node.key}" if trail else node.key
        scale = ""
        if node.scale is not None:
            scale = say(("0 đến %s, bước %s", "0 to %s, in steps of %s")) % (
                number(node.scale.max),
                number(node.scale.step),
            )
        size = node.points_max
        out.append(
            NodeRow(
                depth=depth,
                key=node.key,
                path=path,
                label=say((node.label_vi, node.label_en)),
                description=say((node.description_vi, node.description_en)),
                is_group=node.type == "group",
                how=how_scored(fw, node),
                max_points=number(size) if size is not None else "",
                max_value=size,
                scale=scale,
                weight=number(node.weight) if node.weight is not None else "",
                weight_range=(
                    f"{number(node.weight_range[0])} – {number(node.weight_range[1])}"
                    if node.weight_range is not None
                    else ""
                ),
                applies_to=roles(node.applies_to),
                required=node.required,
                allow_additions=node.allow_additions,
                cap=number(node.cap_points) if node.cap_points is not None else "",
            )
        )
        for child in node.children:
            visit(child, depth + 1, path)

    visit(part.root, 0, "")
    return out


@dataclass(frozen=True)
class BandRow:
    rating: str
    code: str
    range: str
    min_value: Fraction


def band_rows(fw: Framework) -> list[BandRow]:
    out: list[BandRow] = []
    above: Fraction | None = None
    for band in fw.rating.bands:  # best first
        low, high = number(band.min), number(above) if above is not None else ""
        if above is None:
            text = say(("từ %s điểm trở lên", "%s points or more")) % low
        elif band.min == 0:
            text = say(("dưới %s điểm", "below %s points")) % high
        else:
            text = say(("từ %s đến dưới %s điểm", "from %s to below %s points")) % (low, high)
        out.append(BandRow(rating(band.rating), band.rating, text, band.min))
        above = band.min
    return out


@dataclass(frozen=True)
class OverrideRow:
    label: str
    when: str
    applies_to: str
    rating: str


def override_rows(fw: Framework) -> list[OverrideRow]:
    out: list[OverrideRow] = []
    for o in fw.rating.overrides:
        if o.trigger == "discipline_at_least":
            level = say(DISCIPLINE_WORDS.get(o.value, (o.value, o.value)))
            when = say(("Bị kỷ luật từ mức %s trở lên", "Disciplined at %s or higher")) % level
        else:
            when = say(FLAG_WORDS.get(o.value, (o.label_vi, o.label_en)))
            when = when[:1].upper() + when[1:]
        out.append(
            OverrideRow(say((o.label_vi, o.label_en)), when, roles(o.applies_to), rating(o.rating))
        )
    return out


# --- the configurable rules and where each comes from -------------------------------------

DEFAULT_SOURCE: Words = (
    "Mặc định của Thước đo (Nghị định không quy định), cấu hình được",
    "Thước đo's default (the decree is silent), configurable",
)
FRAMEWORK_SOURCE: Words = ("Dữ liệu của khung", "The framework's own data")


@dataclass(frozen=True)
class RuleSpec:
    section: str  # scoring | rating | quota | roll_up
    label: Words
    value: Callable[[Framework], str]
    source: Words


def _rounding(fw: Framework) -> str:
    return (
        say(
            (
                "Làm tròn nửa lên %s chữ số thập phân, một lần ở cuối",
                "Half-up to %s decimals, once, at the end",
            )
        )
        % fw.settings.rounding_places
    )


def _rate_on(fw: Framework) -> str:
    return say(
        ("Điểm đã làm tròn", "The rounded points")
        if fw.settings.rate_on == "rounded"
        else ("Điểm chính xác (chưa làm tròn)", "The exact points (before rounding)")
    )


def _deduction(value: Fraction, what: Words) -> str:
    return say(("Trừ %s mỗi lần %s", "−%s for each %s")) % (percent(value), say(what))


def _no_work(fw: Framework) -> str:
    return say(
        ("Kỳ đó không chấm điểm người ấy", "The person is not scored for that period")
        if fw.settings.no_assigned_work == "not_scored"
        else ("Tính 0 điểm kết quả nhiệm vụ", "Task results score 0")
    )


def _unit_basis(fw: Framework) -> str:
    return say(
        (
            "Theo xếp loại cuối cùng (kể cả bị hạ do kỷ luật)",
            "By the final rating (a rating lowered by discipline counts)",
        )
        if fw.rating.unit_result_basis == "final_rating"
        else ("Theo điểm (dưới mức Hoàn thành nhiệm vụ)", "By the points (below completed)")
    )


def _unit_scope(fw: Framework) -> str:
    return say(
        ("Đơn vị và các đơn vị trực thuộc", "The unit with its sub-units")
        if fw.rating.unit_result_scope == "unit_tree"
        else ("Chỉ công chức của chính đơn vị", "The unit's own officials only")
    )


def _quota_line(fw: Framework) -> str:
    q = fw.quota
    return say(
        ("Số “%s” không vượt quá %s số “%s”", "“%s” at most %s of the number rated “%s”")
    ) % (rating(q.limited_rating), percent(q.ratio), rating(q.base_rating))


def _scopes(fw: Framework) -> str:
    return "; ".join(say(SCOPE_WORDS.get(s, (s, s))) for s in fw.quota.scopes)


def _order(fw: Framework) -> str:
    return say(
        (
            "Đề xuất ít người nhất, điểm thấp nhất trước; bằng điểm thì để cấp có thẩm quyền chọn",
            "The fewest people, lowest points first; equal points are left to the authority",
        )
    )


def _basis(fw: Framework) -> str:
    return say(
        ("Trung bình cộng điểm các tháng", "Mean of the monthly points")
        if fw.roll_up.basis == "months"
        else ("Trung bình cộng điểm các quý", "Mean of the quarterly points")
    )


def _leave(fw: Framework) -> str:
    statuses = fw.roll_up.leave_statuses
    if not statuses:
        return say(("Không có", "None"))
    return ", ".join(say(LEAVE_WORDS.get(s, (s, s))) for s in statuses)


RULES: tuple[RuleSpec, ...] = (
    # scoring
    RuleSpec(
        "scoring",
        ("Tổng điểm tối đa", "Maximum points"),
        lambda fw: points(fw.individual.max_points),
        ("Điều 12; Phụ lục II, Mẫu 01", "Art. 12; Appendix II, Form 01"),
    ),
    RuleSpec(
        "scoring",
        ("Điểm thưởng, điểm trừ tối đa", "Bonus and penalty points at most"),
        lambda fw: (
            f"{number(fw.individual.adjustments.bonus_cap)} / "
            f"{number(fw.individual.adjustments.penalty_cap)}"
        ),
        ("Nghị định không có điểm thưởng, điểm trừ", "The decree has no bonus or penalty"),
    ),
    RuleSpec(
        "scoring",
        ("Giảm trừ chất lượng", "Quality deduction"),
        lambda fw: _deduction(
            fw.settings.quality_deduction,
            ("sản phẩm bị đánh giá không đạt chất lượng", "failed quality assessment"),
        ),
        ("Điều 14", "Art. 14"),
    ),
    RuleSpec(
        "scoring",
        ("Giảm trừ tiến độ", "Timeliness deduction"),
        lambda fw: _deduction(fw.settings.timeliness_deduction, ("chậm tiến độ", "delay")),
        ("Điều 14", "Art. 14"),
    ),
    RuleSpec(
        "scoring",
        ("Sàn 0 cho từng sản phẩm", "Each item floored at 0"),
        lambda fw: yes_no(fw.settings.floor_item_at_zero),
        DEFAULT_SOURCE,
    ),
    RuleSpec(
        "scoring",
        ("Kỳ không được giao việc", "A period with nothing assigned"),
        _no_work,
        DEFAULT_SOURCE,
    ),
    RuleSpec(
        "scoring",
        ("Mức của thành phần d, đ, e (lãnh đạo)", "Levels of d, đ, e (leaders)"),
        lambda fw: ", ".join(percent(x) for x in fw.settings.leader_levels),
        ("Điều 15 khoản 3", "Art. 15(3)"),
    ),
    RuleSpec(
        "scoring",
        ("Người được chấm d, đ, e", "Who is scored on d, đ, e"),
        lambda fw: roles(fw.settings.leader_roles),
        ("Điều 15; Điều 16 khoản 2", "Art. 15; Art. 16(2)"),
    ),
    RuleSpec(
        "scoring",
        ("Cấp trên sửa điểm phải nêu lý do", "A reviewer's change needs a reason"),
        lambda fw: yes_no(fw.settings.manual_change_needs_reason),
        (
            "Mặc định của Thước đo: quy trình, bước cấp trên đánh giá",
            "Thước đo's default: the workflow's review step",
        ),
    ),
    RuleSpec("scoring", ("Làm tròn", "Rounding"), _rounding, DEFAULT_SOURCE),
    RuleSpec("scoring", ("Xếp loại dựa trên", "Ratings compare"), _rate_on, DEFAULT_SOURCE),
    # rating
    RuleSpec(
        "rating",
        ("Cấp trưởng không xếp loại cao hơn đơn vị", "Head not rated above the unit"),
        lambda fw: (
            yes_no(fw.rating.head_not_above_unit)
            + (f" ({roles(fw.rating.head_roles)})" if fw.rating.head_not_above_unit else "")
        ),
        ("Điều 20 khoản 6", "Art. 20(6)"),
    ),
    RuleSpec(
        "rating",
        ("Thành phần d: đọc mức của người được phụ trách", "d: how a member's level is read"),
        _unit_basis,
        ("Điều 15 khoản 3 điểm d (cách đọc mặc định)", "Art. 15(3)(d) (default reading)"),
    ),
    RuleSpec(
        "rating",
        ("Thành phần d: cấp trưởng chịu trách nhiệm về", "d: whom a head answers for"),
        _unit_scope,
        DEFAULT_SOURCE,
    ),
    # quota
    RuleSpec("quota", ("Tỷ lệ tối đa", "Quota"), _quota_line, ("Điều 20 khoản 5", "Art. 20(5)")),
    RuleSpec(
        "quota",
        ("Ngoại lệ cho đơn vị có thành tích nổi bật", "Exception for outstanding units"),
        lambda fw: say(("Tối đa %s", "Up to %s")) % percent(fw.quota.max_exception_ratio),
        ("Điều 20 khoản 5", "Art. 20(5)"),
    ),
    RuleSpec("quota", ("Phạm vi tính", "Counted"), _scopes, ("Điều 20 khoản 5", "Art. 20(5)")),
    RuleSpec(
        "quota",
        ("Người vượt tỷ lệ được xếp loại", "Over the quota, rated"),
        lambda fw: rating(fw.quota.demote_to),
        ("Điều 20 khoản 5", "Art. 20(5)"),
    ),
    RuleSpec("quota", ("Cách đề xuất hạ loại", "Who is proposed"), _order, DEFAULT_SOURCE),
    # roll-up
    RuleSpec(
        "roll_up",
        ("Điểm của năm", "The year's points"),
        _basis,
        ("Điều 17 khoản 3", "Art. 17(3)"),
    ),
    RuleSpec(
        "roll_up",
        ("Số tháng công tác tối thiểu để được xếp loại", "Months in service to be rated"),
        lambda fw: say(("%s tháng", "%s months")) % fw.roll_up.min_months_worked,
        ("Điều 11; Điều 19", "Art. 11; Art. 19"),
    ),
    RuleSpec(
        "roll_up",
        ("Tháng nghỉ vẫn tính thời gian công tác", "Leave counted as time in service"),
        _leave,
        ("Điều 11; Điều 19", "Art. 11; Art. 19"),
    ),
    RuleSpec(
        "roll_up",
        ("Tính trọng số theo số ngày làm việc", "Weighted by days worked"),
        lambda fw: yes_no(fw.roll_up.weight_by_days),
        DEFAULT_SOURCE,
    ),
    RuleSpec(
        "roll_up",
        ("Tháng được tính là tháng làm việc", "A month counts as worked"),
        lambda fw: say(("Khi tháng đó có điểm", "When it has a score")),
        DEFAULT_SOURCE,
    ),
)

SECTIONS: dict[str, Words] = {
    "scoring": ("Cách chấm điểm", "Scoring"),
    "rating": ("Xếp loại", "Rating"),
    "quota": ("Tỷ lệ tối đa", "Quota"),
    "roll_up": ("Tổng hợp năm", "The year"),
}


@dataclass(frozen=True)
class RuleRow:
    label: str
    value: str
    source: str
    decree_value: str  # the national default's value when this framework's differs, else ""


def rule_rows(fw: Framework, section: str) -> list[RuleRow]:
    national = load_preset(DECREE_PRESET)
    out: list[RuleRow] = []
    for spec in RULES:
        if spec.section != section:
            continue
        value, default = spec.value(fw), spec.value(national)
        out.append(
            RuleRow(say(spec.label), value, say(spec.source), "" if value == default else default)
        )
    return out


@dataclass(frozen=True)
class Reading:
    """Everything the detail page and the workbook show of one framework."""

    fw: Framework
    title: str
    notes: str
    individual: list[NodeRow]
    unit: list[NodeRow]
    bands: list[BandRow]
    overrides: list[OverrideRow]
    rules: dict[str, list[RuleRow]] = field(default_factory=dict)
    task_kinds: list[str] = field(default_factory=list)

    @property
    def sections(self) -> list[tuple[str, str, list[RuleRow]]]:
        return [(code, say(words), self.rules[code]) for code, words in SECTIONS.items()]


def notes_of(fw: Framework) -> str:
    data = fw.to_data()
    return str(in_language(data.get("notes_vi") or "", data.get("notes_en") or ""))


def source_of(fw: Framework) -> str:
    return str(fw.to_data().get("source") or "")


def read_framework(fw: Framework) -> Reading:
    return Reading(
        fw=fw,
        title=say((fw.title_vi, fw.title_en)),
        notes=notes_of(fw),
        individual=node_rows(fw, fw.individual),
        unit=node_rows(fw, fw.unit),
        bands=band_rows(fw),
        overrides=override_rows(fw),
        rules={code: rule_rows(fw, code) for code in SECTIONS},
        task_kinds=[say((k.label_vi, k.label_en)) for k in fw.task_kinds],
    )
