"""What the forms say: the individual evaluation form (Decree 335/2025, Appendix II,
Forms 01/02) and a unit's summary for a period, under the heading of an administrative
document (Decree 30/2020/NĐ-CP, Appendix I): issuing body and số/ký hiệu on the left,
national name, motto and place-and-date on the right.

The builders here read the evaluations models and selectors once and return plain frozen
dataclasses; `pdf.py` and `xlsx.py` draw only these, with no database access. Numbers stay
`Decimal` (points, rounded half-up to 2 places as the engine rounds them) or `Fraction`
(ratios); the writers format them (decimal comma in the PDF, number formats in Excel).

Scores come from what the evaluation stored: the decided `result` (frozen at decision),
before that the compiled `proposed` result; a form printed before compilation shows the
self and reviewer scores only and says that the figures are provisional.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db.models import Prefetch, prefetch_related_objects

from thuocdo.core import clock
from thuocdo.evaluations.compute import engine_role, explained
from thuocdo.evaluations.models import (
    RATING_CHOICES,
    Complaint,
    CriterionScore,
    Evaluation,
    Minutes,
    Override,
    Period,
    QuotaGroup,
    UnitEvaluation,
    UnitKpi,
)
from thuocdo.evaluations.selectors import decision_sheet, unit_evaluation_for
from thuocdo.frameworks.selectors import engine_framework
from thuocdo.org.models import Assignment, Person, Unit
from thuocdo.reports.numbers import roman, to_decimal, vn_date, vn_number, vn_percent, vn_text
from thuocdo.scoring.model import Framework, Node

# Decree 30/2020 spells the national name "CỘNG HÒA" (Appendix I, form 1.1).
NATIONAL_NAME = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
NATIONAL_MOTTO = "Độc lập - Tự do - Hạnh phúc"
PLACE_DATE = "……, ngày … tháng … năm …"  # under each signer's title, filled by hand
# The document's own date line when no date is known: the agency records no place, so the
# clerk writes both (the year's century printed, as on pre-printed forms).
DOCUMENT_DATE = "……, ngày … tháng … năm 20…"
NUMBER_BLANK = "      "  # room for the clerk's number before the "/"
# Kinds of document in the số/ký hiệu line (Decree 30/2020, Appendix III): a report; the
# individual form is a "phiếu" (Phiếu gửi PG, Phiếu báo PB, …): PĐG, phiếu đánh giá.
REPORT_CODE = "BC"
FORM_CODE = "PĐG"
SIGN_HINT = "(Ký, ghi rõ họ tên)"

RATING_LABELS: dict[str, str] = {code: str(label) for code, label in RATING_CHOICES}
ROLE_LABELS: dict[str, str] = {
    Assignment.Role.HEAD: "Cấp trưởng",
    Assignment.Role.ACTING_HEAD: "Quyền cấp trưởng",
    Assignment.Role.DEPUTY: "Cấp phó",
    Assignment.Role.STAFF: "Không giữ chức vụ lãnh đạo",
}
CATEGORY_TITLES: dict[str, str] = {
    Person.Category.CADRE: "CÁN BỘ",
    Person.Category.CIVIL_SERVANT: "CÔNG CHỨC",
    Person.Category.PUBLIC_EMPLOYEE: "VIÊN CHỨC",
    Person.Category.CONTRACT: "NGƯỜI LAO ĐỘNG",
}
DISCIPLINE_LABELS = {
    "reprimand": "Kỷ luật khiển trách",
    "warning": "Kỷ luật cảnh cáo",
    "demotion": "Kỷ luật giáng chức",
    "removal": "Kỷ luật cách chức",
    "dismissal": "Kỷ luật buộc thôi việc",
}
FLAG_LABELS = {
    "political_degradation": (
        "Suy thoái về chính trị, tư tưởng, đạo đức, lối sống (cấp có thẩm quyền kết luận)"
    ),
    "corruption_or_waste_in_charge": (
        "Để xảy ra tham nhũng, lãng phí trong đơn vị trực tiếp phụ trách"
    ),
}
KPI_GROUP_LABELS = {
    "foundational": "Chỉ tiêu nền tảng",
    "functional": "Chỉ tiêu theo chức năng, nhiệm vụ",
    "specific": "Chỉ tiêu đặc thù",
}
KPI_SOURCE_LABELS: dict[str, str] = {code: str(label) for code, label in UnitKpi.Source.choices}
STATE_LABELS: dict[str, str] = {code: str(label) for code, label in Evaluation.State.choices}
_GROUP_PREFIX = re.compile(r"^\s*nhóm\s+[ivxlc]+\s*[:.\-–]\s*", re.IGNORECASE)


# --- the shapes the writers draw ---------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    """The top of an official document: the agency and unit with the số/ký hiệu line under
    them (left), the national name, motto and place-and-date line (right), then the title."""

    agency: str
    unit: str
    title: str
    subtitle: str
    number: str = ""  # "Số:      /BC-BTNA"
    place_date: str = DOCUMENT_DATE


@dataclass(frozen=True)
class Signature:
    title: str
    name: str = ""
    place_date: str = PLACE_DATE
    hint: str = SIGN_HINT


@dataclass(frozen=True)
class CriterionRow:
    number: str  # "I" for a group, "1" for a criterion, "" for the total
    label: str
    max_points: Decimal | None
    self_score: Decimal | None
    reviewer_score: Decimal | None
    final: Decimal | None
    kind: str = "item"  # group | item | total
    reason: str = ""


@dataclass(frozen=True)
class TaskRow:
    key: str
    label: str  # "a. Số lượng" — the framework's label, with its letter
    ratio: Fraction | None
    detail: str  # the formula with this period's numbers, Vietnamese style
    note: str = ""


@dataclass(frozen=True)
class OverrideRow:
    kind: str
    what: str
    document_ref: str
    reason: str


@dataclass(frozen=True)
class InfoLine:
    label: str
    value: str
    # the value as a number, for Excel to store as a number (the PDF prints `value`)
    number: Decimal | int | None = None


@dataclass(frozen=True)
class IndividualForm:
    heading: Heading
    info: tuple[InfoLine, ...]
    status: str  # "" when decided; otherwise why the figures are provisional
    general_title: str
    general: tuple[CriterionRow, ...]
    tasks_title: str
    tasks: tuple[TaskRow, ...]
    task_formula: str
    task_ratio: Fraction | None
    task_points: Decimal | None
    task_max: Decimal | None
    not_scored: str
    total_points: Decimal | None
    total_max: Decimal | None
    rating_by_points: str
    rating: str
    rating_changes: tuple[str, ...]
    overrides: tuple[OverrideRow, ...]
    comments: tuple[InfoLine, ...]
    minutes: str
    framework: str
    signatures: tuple[Signature, ...]
    person_name: str
    period_label: str


@dataclass(frozen=True)
class MemberRow:
    number: int
    name: str
    role: str
    job_position: str
    general: Decimal | None
    task_points: Decimal | None
    points: Decimal | None
    rating: str
    note: str


@dataclass(frozen=True)
class DistributionRow:
    label: str
    count: int
    share: Fraction | None


@dataclass(frozen=True)
class QuotaLine:
    ratio: Fraction
    excellent: int
    good: int
    limit: Fraction
    holds: bool
    text: str
    basis: str = ""


@dataclass(frozen=True)
class KpiRow:
    group: str
    label: str
    source: str
    target: Decimal | None
    actual: Decimal | None
    evidence: str


@dataclass(frozen=True)
class UnitPart:
    state: str
    kpis: tuple[KpiRow, ...]
    points: Decimal | None
    rating: str
    basis: str


@dataclass(frozen=True)
class UnitSummary:
    heading: Heading
    info: tuple[InfoLine, ...]
    members: tuple[MemberRow, ...]
    distribution: tuple[DistributionRow, ...]
    quota: QuotaLine | None
    unit: UnitPart | None
    signatures: tuple[Signature, ...]
    unit_name: str
    period_label: str


# --- shared reads -----------------------------------------------------------------------------


def period_label(period: Period) -> str:
    if period.kind == Period.Kind.YEAR:
        return f"Năm {period.year}"
    if period.kind == Period.Kind.QUARTER:
        return f"Quý {roman(period.number)} năm {period.year}"
    return f"Tháng {period.number} năm {period.year}"


_WORD = re.compile(r"[^\W_]+")


def abbreviation(unit: Unit) -> str:
    """A unit's short form for the ký hiệu: its short name (or name) with words in capitals
    kept ("Ban CS,CL TW" → BCSCLTW) and the others by their initial (Vụ Xây dựng → VXD)."""
    words = _WORD.findall(unit.short_name or unit.name)
    return "".join(w if w.isupper() or w.isdigit() else w[0].upper() for w in words)


def number_line(agency: Unit, unit: Unit, code: str) -> str:
    """The số/ký hiệu line, its number left blank for the clerk (no number is stored):
    "Số:      /BC-BTNA", a unit's document also naming the unit ("/BC-BTNA-VXD")."""
    issuer = abbreviation(agency)
    if unit.pk != agency.pk:
        issuer += f"-{abbreviation(unit)}"
    return f"Số:{NUMBER_BLANK}/{code}-{issuer}"


def date_line(day: dt.date | dt.datetime | None) -> str:
    """The place-and-date line: "……, ngày 05 tháng 02 năm 2026" (a day below 10 and the
    months 1 and 2 with a leading zero, Decree 30/2020), dots where nothing is known; a
    moment by the agency's calendar."""
    if day is None:
        return DOCUMENT_DATE
    if isinstance(day, dt.datetime):
        day = clock.local_date(day)
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"……, ngày {day.day:02d} tháng {month} năm {day.year}"


def official_heading(
    agency: Unit,
    unit: Unit,
    title: str,
    subtitle: str,
    *,
    code: str = REPORT_CODE,
    day: dt.date | dt.datetime | None = None,
) -> Heading:
    """The heading of a document of `unit` (the agency itself or a unit of it)."""
    return Heading(
        agency="" if unit.pk == agency.pk else agency.name.upper(),
        unit=unit.name.upper(),
        title=title,
        subtitle=subtitle,
        number=number_line(agency, unit, code),
        place_date=date_line(day),
    )


def framework_label(fw: Framework) -> str:
    """A framework by its title and version, never its internal key."""
    return f"{fw.title_vi} (phiên bản {fw.version})"


def _find(tree: Mapping[str, Any] | None, key: str) -> Mapping[str, Any] | None:
    if not tree:
        return None
    if tree.get("key") == key:
        return tree
    for child in tree.get("children", []):
        hit = _find(child, key)
        if hit is not None:
            return hit
    return None


def _points(node: Mapping[str, Any] | None) -> Decimal | None:
    if not node or not node.get("applicable", True) or node.get("points") is None:
        return None
    return to_decimal(node["points"]["exact"])


def _ratio(node: Mapping[str, Any] | None) -> Fraction | None:
    if not node or not node.get("applicable", True) or node.get("ratio") is None:
        return None
    return Fraction(node["ratio"]["exact"])


def _plus(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return None if a is None or b is None else a + b


def _applies(node: Node, role: str) -> bool:
    return node.applies_to is None or role in node.applies_to


def _max(node: Node) -> Decimal | None:
    top = node.max_points if node.max_points is not None else node.points_max
    if top is None and node.scale is not None:
        top = node.scale.max
    return to_decimal(top) if top is not None else None


# --- the individual form ----------------------------------------------------------------------


def _general_rows(
    sections: Iterable[Node],
    role: str,
    scores: Mapping[str, CriterionScore],
    breakdown: Mapping[str, Any] | None,
    reviewed: bool,
) -> list[CriterionRow]:
    rows: list[CriterionRow] = []
    totals: dict[str, Decimal | None] = {
        "self": Decimal(0),
        "review": Decimal(0),
        "final": Decimal(0),
    }

    def add(total: str, value: Decimal | None) -> None:
        totals[total] = _plus(totals[total], value)

    def item(node: Node, number: str) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
        row = scores.get(node.key)
        own = to_decimal(row.self_score) if row else None
        review = None
        if row is not None and row.reviewer_score is not None:
            review = to_decimal(row.reviewer_score)
        elif reviewed:
            review = own  # the reviewer kept the official's score
        final = _points(_find(breakdown, node.key)) if breakdown else None
        if final is None and not breakdown:
            final = review if reviewed else None
        rows.append(
            CriterionRow(
                number,
                node.label_vi,
                _max(node),
                own,
                review,
                final,
                reason=row.reason if row is not None and row.reviewer_score is not None else "",
            )
        )
        return own, review, final

    top = Decimal(0)
    for section in sections:
        top += _max(section) or Decimal(0)
        groups = [c for c in section.children if c.type != "manual" and _applies(c, role)]
        direct = [c for c in section.children if c.type == "manual" and _applies(c, role)]
        for index, group in enumerate(groups, start=1):
            leaves = [n for n in group.walk() if n.type == "manual" and _applies(n, role)]
            if not leaves:
                continue
            at = len(rows)
            sums: list[Decimal | None] = [Decimal(0), Decimal(0), Decimal(0)]
            for number, leaf in enumerate(leaves, start=1):
                sums = [_plus(a, b) for a, b in zip(sums, item(leaf, str(number)), strict=True)]
            group_final = _points(_find(breakdown, group.key)) if breakdown else sums[2]
            label = _GROUP_PREFIX.sub("", group.label_vi) or group.label_vi
            rows.insert(
                at,
                CriterionRow(
                    roman(index), label, _max(group), sums[0], sums[1], group_final, kind="group"
                ),
            )
            add("self", sums[0])
            add("review", sums[1])
            add("final", group_final)
        for number, leaf in enumerate(direct, start=1):
            own, review, final = item(leaf, str(number))
            add("self", own)
            add("review", review)
            add("final", final)
    if breakdown:
        section_points = [_points(_find(breakdown, s.key)) for s in sections]
        totals["final"] = (
            sum((p for p in section_points if p is not None), Decimal(0))
            if all(p is not None for p in section_points)
            else None
        )
    rows.append(
        CriterionRow(
            "",
            "Cộng",
            top or None,
            totals["self"],
            totals["review"] if reviewed else None,
            totals["final"],
            kind="total",
        )
    )
    return rows


def _leader_basis(code: str, inputs: Mapping[str, Any]) -> str:
    """Where a leader's d, đ or e came from, in words (the engine keeps the facts)."""
    if inputs.get("source") not in (None, "derived"):
        reason = str(inputs.get("reason", "")).strip()
        return "Cấp trên xác định" + (f": {reason}" if reason else "")
    if code == "leader_d":
        return (
            f"{inputs.get('staff_count', '0')} người thuộc phạm vi phụ trách, "
            f"{inputs.get('below_completed', '0')} người dưới "
            f"{inputs.get('completed_min', '50')} điểm"
        )
    if code == "leader_dd":
        return (
            "Có hạn chế, chậm muộn hoặc sai sót trong nhiệm vụ kế hoạch"
            if str(inputs.get("organisation_shortcomings")).lower() == "true"
            else "Nhiệm vụ kế hoạch hoàn thành đúng hạn, bảo đảm chất lượng"
        )
    if code == "leader_e":
        return (
            "Có đơn thư kéo dài về mất đoàn kết nội bộ"
            if str(inputs.get("internal_conflict")).lower() == "true"
            else "Đơn vị đoàn kết, không có đơn thư kéo dài"
        )
    return ""


def _task_rows(section: Node, role: str, breakdown: Mapping[str, Any] | None) -> list[TaskRow]:
    rows = []
    for child in section.children:
        if not _applies(child, role):
            continue
        node = _find(breakdown, child.key)
        if node is not None and not node.get("applicable", True):
            continue
        rule = (node or {}).get("rule", {})
        detail = rule.get("detail") or rule.get("formula") or ""
        basis = _leader_basis(str(rule.get("code", "")), (node or {}).get("inputs", {}))
        if basis:
            detail = f"{detail}: {basis}" if detail else basis
        rows.append(
            TaskRow(
                child.key,
                child.label_vi,
                _ratio(node),
                vn_text(detail),
                vn_text((node or {}).get("note_vi", "")),
            )
        )
    return rows


def _override_rows(overrides: Iterable[Override]) -> list[OverrideRow]:
    out = []
    for o in overrides:
        if o.kind == Override.Kind.DISCIPLINE:
            what = DISCIPLINE_LABELS.get(o.value, o.value)
        else:
            what = FLAG_LABELS.get(o.value, o.value)
        out.append(OverrideRow(str(Override.Kind(o.kind).label), what, o.document_ref, o.reason))
    return out


def _complaint_lines(complaints: Iterable[Complaint]) -> list[str]:
    lines = []
    for c in complaints:
        outcome = (
            f"thay đổi xếp loại thành “{RATING_LABELS.get(c.new_rating, c.new_rating)}”"
            if c.outcome == Complaint.Outcome.CHANGED
            else "giữ nguyên xếp loại"
        )
        lines.append(
            f"Khiếu nại ngày {vn_date(c.filed_at)} đã được trả lời ngày "
            f"{vn_date(c.answered_at)}: {outcome}."
        )
    return lines


def _minutes_line(minutes: Minutes | None, unit: Unit) -> str:
    if minutes is None:
        return "Chưa có biên bản lấy ý kiến tập thể."
    state = "đã thông qua" if minutes.approved else "chưa thông qua"
    return (
        f"Biên bản họp lấy ý kiến tập thể {unit.name} ngày {vn_date(minutes.held_on)} "
        f"(có mặt {len(minutes.attendees)}/{minutes.total_members} thành viên; {state})."
    )


@dataclass(frozen=True)
class _Reads:
    """What a form reads besides the evaluation's row and its select_related parents:
    one evaluation reads them with a few queries, a unit's bundle for all at once."""

    scores: Mapping[str, CriterionScore]
    overrides: Sequence[Override]
    complaints: Sequence[Complaint]
    minutes: Minutes | None
    decider: str  # the name of who decided


def _overrides_query() -> Any:
    return Override.objects.order_by("recorded_at", "id")


def _complaints_query() -> Any:
    return Complaint.objects.filter(state=Complaint.State.ANSWERED)


def _reads_of(ev: Evaluation) -> _Reads:
    decider = None
    if ev.decided_by_id is not None:
        decider = Person.objects.filter(user_id=ev.decided_by_id).only("full_name").first()
    return _Reads(
        scores={s.key: s for s in CriterionScore.objects.filter(evaluation=ev)},
        overrides=list(_overrides_query().filter(evaluation=ev)),
        complaints=list(_complaints_query().filter(evaluation=ev)),
        minutes=Minutes.objects.filter(period=ev.period_id, unit=ev.unit_id).first(),
        decider=decider.full_name if decider else "",
    )


# What an individual form reads through the evaluation's row (select_related).
FORM_RELATED = (
    "period",
    "person",
    "unit",
    "agency",
    "job_position",
    "framework",
    "reviewer",
    "self_entered_by",
)


def individual_forms(evaluations: Iterable[Evaluation]) -> list[IndividualForm]:
    """The forms of many evaluations (a unit's bundle) in a fixed number of queries, not a
    few per person: scores, overrides, complaints, Party comments, minutes and deciders are
    each read once for all. The evaluations come with their period, person, unit, agency,
    job position, framework and reviewer (select_related), as for `individual_form`."""
    evs = list(evaluations)
    prefetch_related_objects(
        evs,
        "scores",
        "party_comment",
        Prefetch("overrides", queryset=_overrides_query(), to_attr="form_overrides"),
        Prefetch("complaints", queryset=_complaints_query(), to_attr="form_complaints"),
    )
    minutes: dict[tuple[int, int], Minutes] = {}
    for m in Minutes.objects.filter(
        period__in={ev.period_id for ev in evs}, unit__in={ev.unit_id for ev in evs}
    ).order_by("pk"):
        minutes.setdefault((m.period_id, m.unit_id), m)
    deciders: dict[int, str] = {}
    users = {ev.decided_by_id for ev in evs if ev.decided_by_id is not None}
    for person in Person.objects.filter(user_id__in=users).only("full_name", "user_id"):
        if person.user_id is not None:
            deciders.setdefault(person.user_id, person.full_name)
    return [
        _individual_form(
            ev,
            _Reads(
                scores={s.key: s for s in ev.scores.all()},
                overrides=ev.form_overrides,  # type: ignore[attr-defined]
                complaints=ev.form_complaints,  # type: ignore[attr-defined]
                minutes=minutes.get((ev.period_id, ev.unit_id)),
                decider=deciders.get(ev.decided_by_id or 0, ""),
            ),
        )
        for ev in evs
    ]


def individual_form(ev: Evaluation) -> IndividualForm:
    """The form of one evaluation, as fetched by `access_evaluation`."""
    return _individual_form(ev, _reads_of(ev))


def _individual_form(ev: Evaluation, reads: _Reads) -> IndividualForm:
    period, person, unit, agency = ev.period, ev.person, ev.unit, ev.agency
    fw: Framework = engine_framework(ev.framework)
    role = engine_role(ev)
    decided = ev.state == Evaluation.State.DECIDED
    data: Mapping[str, Any] = (ev.result if decided else ev.proposed) or {}
    breakdown = explained(data, fw)
    reviewed = ev.state in (Evaluation.State.REVIEWED, Evaluation.State.DECIDED)
    scores = reads.scores

    sections = list(fw.individual.root.children)
    general_sections = [s for s in sections if any(n.type == "manual" for n in s.walk())]
    other_sections = [s for s in sections if s not in general_sections]
    general = _general_rows(general_sections, role, scores, breakdown, reviewed)
    task_section = other_sections[0] if other_sections else None
    tasks = _task_rows(task_section, role, breakdown) if task_section else []
    task_node = _find(breakdown, task_section.key) if task_section and breakdown else None
    task_rule = (task_node or {}).get("rule", {})

    if decided:
        status = ""
    elif data:
        status = (
            "Số liệu dự kiến: phiếu chưa được cấp có thẩm quyền quyết định "
            f"(trạng thái: {STATE_LABELS.get(ev.state, ev.state)})."
        )
    else:
        status = (
            "Chưa tính điểm kết quả thực hiện nhiệm vụ: điểm được tính khi cấp trên đánh giá "
            f"(trạng thái: {STATE_LABELS.get(ev.state, ev.state)})."
        )
    not_scored = vn_text(data.get("reason_vi", "")) if data.get("status") == "not_scored" else ""

    rating_code = (ev.rating if decided else data.get("rating")) or ""
    points = ev.points if decided and ev.points is not None else to_decimal(data.get("points"))
    changes = [vn_text(c.get("reason_vi", "")) for c in data.get("rating_changes", [])]
    changes += _complaint_lines(reads.complaints)

    reviewer_name = ev.reviewer.full_name if ev.reviewer else ""
    comments = [
        InfoLine("Tự nhận xét của người được đánh giá", ev.self_comment),
        InfoLine("Nhận xét, đánh giá của thủ trưởng trực tiếp", ev.review_comment),
    ]
    if ev.self_entered_by_id:  # entered for an official who could not, with the reason
        by = ev.self_entered_by
        comments.insert(
            0,
            InfoLine(
                "Tự đánh giá được nhập thay",
                f"do {by.get_full_name() or by.get_username() if by else ''}, "
                f"lý do: {ev.self_on_behalf_reason}",
            ),
        )
    party = getattr(ev, "party_comment", None)
    if party is not None:
        ref = f" ({party.document_ref})" if party.document_ref else ""
        comments.append(InfoLine(f"Ý kiến của {party.committee}{ref}", party.text))

    category = CATEGORY_TITLES.get(person.category, "CÔNG CHỨC")
    job = ev.job_position.name if ev.job_position else ""
    info = [
        InfoLine("Họ và tên", person.full_name),
        InfoLine("Chức vụ", ROLE_LABELS.get(ev.role, ev.role)),
        InfoLine("Vị trí việc làm", job),
        InfoLine("Đơn vị công tác", unit.name),
        InfoLine("Cơ quan", agency.name),
        InfoLine(
            "Kỳ đánh giá",
            period_label(period) + f" ({vn_date(period.start)} – {vn_date(period.end)})",
        ),
    ]
    framework = f"Khung đánh giá: {framework_label(fw)}"
    if decided and ev.decided_at:
        framework += f"; quyết định ngày {vn_date(ev.decided_at)}"
    task_max = _max(task_section) if task_section else None
    total_max = to_decimal(fw.individual.max_points)
    return IndividualForm(
        heading=official_heading(
            agency,
            unit,
            f"PHIẾU ĐÁNH GIÁ, XẾP LOẠI CHẤT LƯỢNG {category}",
            f"Kỳ đánh giá: {period_label(period)}",
            code=FORM_CODE,
            day=ev.decided_at if decided else None,
        ),
        info=tuple(info),
        status=status,
        general_title=(
            f"I. TIÊU CHÍ CHUNG (tối đa {vn_number(general[-1].max_points, trim=True)} điểm)"
        ),
        general=tuple(general),
        tasks_title=(
            "II. KẾT QUẢ THỰC HIỆN NHIỆM VỤ"
            + (f" (tối đa {vn_number(task_max, trim=True)} điểm)" if task_max else "")
        ),
        tasks=tuple(tasks),
        task_formula=vn_text(task_rule.get("detail") or task_rule.get("formula") or ""),
        task_ratio=_ratio(task_node),
        task_points=_points(task_node),
        task_max=task_max,
        not_scored=not_scored,
        total_points=points,
        total_max=total_max,
        rating_by_points=RATING_LABELS.get(data.get("rating_by_points") or "", ""),
        rating=RATING_LABELS.get(rating_code, ""),
        rating_changes=tuple(c for c in changes if c),
        overrides=tuple(_override_rows(reads.overrides)),
        comments=tuple(comments),
        minutes=_minutes_line(reads.minutes, unit),
        framework=framework,
        signatures=(
            Signature("NGƯỜI TỰ ĐÁNH GIÁ", person.full_name),
            Signature("THỦ TRƯỞNG TRỰC TIẾP", reviewer_name),
            Signature("CẤP CÓ THẨM QUYỀN", reads.decider),
        ),
        person_name=person.full_name,
        period_label=period_label(period),
    )


# --- the unit's summary -----------------------------------------------------------------------


def _member_note(ev: Evaluation, data: Mapping[str, Any]) -> str:
    notes = []
    if data.get("status") == "not_scored":
        notes.append("Không chấm điểm kỳ này")
    for change in data.get("rating_changes", []):
        rule = str(change.get("rule", ""))
        if rule.startswith("quota"):
            notes.append("Hạ theo tỷ lệ (Điều 20 khoản 5)")
        elif rule.startswith("override"):
            notes.append("Hạ theo căn cứ của cấp có thẩm quyền")
        elif rule == "head_not_above_unit":
            notes.append("Không cao hơn xếp loại của đơn vị")
        else:
            notes.append(vn_text(str(change.get("reason_vi", rule))))
    if ev.state != Evaluation.State.DECIDED:
        notes.append(STATE_LABELS.get(ev.state, ev.state))
    return "; ".join(dict.fromkeys(notes))


def _quota(group: QuotaGroup | None) -> QuotaLine | None:
    if group is None:
        return None
    sheet = decision_sheet(group)
    quota = sheet.get("quota")
    if not quota:
        return None
    ratio = Fraction(quota["ratio"])
    excellent = int(quota["before"].get(quota["limited_rating"], 0))
    good = int(quota["before"].get(quota["base_rating"], 0))
    limit = ratio * good
    holds = excellent <= limit
    limited = RATING_LABELS.get(quota["limited_rating"], quota["limited_rating"])
    base = RATING_LABELS.get(quota["base_rating"], quota["base_rating"])
    text = (
        f"Số “{limited}”: {excellent}; giới hạn {vn_percent(ratio)} × {good} “{base}” = "
        f"{vn_number(limit, trim=True) or '0'}: " + ("đạt tỷ lệ." if holds else "vượt tỷ lệ.")
    )
    return QuotaLine(ratio, excellent, good, limit, holds, text, group.exception_basis)


def _unit_part(ue: UnitEvaluation | None) -> UnitPart | None:
    if ue is None:
        return None
    kpis = tuple(
        KpiRow(
            KPI_GROUP_LABELS.get(k.group, k.group),
            k.label,
            KPI_SOURCE_LABELS.get(k.source, k.source),
            to_decimal(k.target),
            to_decimal(k.exact_actual or k.actual),
            k.evidence,
        )
        for k in ue.kpis.all()
    )
    decided = ue.state == UnitEvaluation.State.DECIDED
    basis = ue.given_basis or ""
    return UnitPart(
        state=str(UnitEvaluation.State(ue.state).label),
        kpis=kpis,
        points=to_decimal(ue.points) if decided else None,
        rating=RATING_LABELS.get(ue.rating if decided else ue.given_rating, ""),
        basis=basis,
    )


def in_summary_order(evaluations: Iterable[Evaluation]) -> list[Evaluation]:
    """A unit's members as its summary lists them: head, acting head, deputies, then the
    others, each by name (the bundle prints their forms in this order too)."""
    seniority = {"head": 0, "acting_head": 1, "deputy": 2}
    return sorted(evaluations, key=lambda e: (seniority.get(e.role, 3), e.person.search_name))


def unit_summary(period: Period, unit: Unit, evaluations: Iterable[Evaluation]) -> UnitSummary:
    """A unit's summary: its members' points and ratings (the evaluations given, already
    filtered by what the reader may see), the distribution against the quota, and the
    unit's own KPIs and rating."""
    members = []
    counts: dict[str, int] = dict.fromkeys(RATING_LABELS, 0)
    unrated = 0
    frameworks: dict[str, str] = {}
    for number, ev in enumerate(in_summary_order(evaluations), start=1):
        decided = ev.state == Evaluation.State.DECIDED
        data: Mapping[str, Any] = (ev.result if decided else ev.proposed) or {}
        fw = engine_framework(ev.framework)
        frameworks.setdefault(fw.content_hash, framework_label(fw))
        breakdown = explained(data, fw)
        rating = (ev.rating if decided else data.get("rating")) or ""
        if rating in counts:
            counts[rating] += 1
        else:
            unrated += 1
        points = ev.points if decided and ev.points is not None else to_decimal(data.get("points"))
        members.append(
            MemberRow(
                number,
                ev.person.full_name,
                ROLE_LABELS.get(ev.role, ev.role),
                ev.job_position.name if ev.job_position else "",
                _points(_find(breakdown, "general")),
                _points(_find(breakdown, "task_results")),
                points,
                RATING_LABELS.get(rating, ""),
                _member_note(ev, data),
            )
        )
    total = len(members)

    def share(count: int) -> Fraction | None:
        return Fraction(count, total) if total else None

    distribution = [
        DistributionRow(label, counts[code], share(counts[code]))
        for code, label in RATING_LABELS.items()
    ]
    if unrated:
        distribution.append(DistributionRow("Chưa xếp loại", unrated, share(unrated)))
    distribution.append(DistributionRow("Tổng số", total, share(total)))
    group = QuotaGroup.objects.filter(period=period, kind=QuotaGroup.Kind.UNIT, unit=unit).first()
    agency = period.agency
    return UnitSummary(
        heading=official_heading(
            agency,
            unit,
            "BẢNG TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ, XẾP LOẠI CHẤT LƯỢNG",
            f"{unit.name} — {period_label(period)}",
        ),
        info=(
            InfoLine("Đơn vị", unit.name),
            InfoLine("Cơ quan", agency.name),
            InfoLine(
                "Kỳ đánh giá",
                period_label(period) + f" ({vn_date(period.start)} – {vn_date(period.end)})",
            ),
            InfoLine("Số người được đánh giá", str(total), number=total),
            *([InfoLine("Khung đánh giá", "; ".join(frameworks.values()))] if frameworks else []),
        ),
        members=tuple(members),
        distribution=tuple(distribution),
        quota=_quota(group),
        unit=_unit_part(unit_evaluation_for(period, unit)),
        signatures=(
            Signature("NGƯỜI LẬP BIỂU"),
            Signature("THỦ TRƯỞNG ĐƠN VỊ"),
            Signature("CẤP CÓ THẨM QUYỀN"),
        ),
        unit_name=unit.name,
        period_label=period_label(period),
    )
