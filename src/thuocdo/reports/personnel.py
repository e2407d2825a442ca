"""Personnel-decision lists (issue 6, item 5), computed from decided evaluations.

Each selector reads the given evaluations (already narrowed by `visible_evaluations` and
the agency) in **one query** and works in memory:

- `excellent_streaks`: officials whose latest decided evaluations of a kind (months,
  quarters or years) are rated excellent for at least N consecutive periods. Periods are
  consecutive on the calendar (January 2026 follows December 2025): a period without a
  decided evaluation, or with another rating, breaks the run.
- `not_completed_two_years`: officials rated “not completed” in two consecutive years
  (year periods), with the latest such pair.
- `candidates`: the office's rule: over the last K periods of a kind that have decided
  evaluations, a decided evaluation in each, mean points at least P and no rating below X.

`personnel_report` turns a list into a `TableReport` for `tables.table_pdf|table_xlsx`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

from django.db.models import QuerySet

from thuocdo.evaluations.models import Evaluation, Period
from thuocdo.org.models import Unit
from thuocdo.reports.forms import (
    RATING_LABELS,
    InfoLine,
    Signature,
    official_heading,
    period_label,
)
from thuocdo.reports.numbers import vn_number
from thuocdo.reports.tables import Column, Table, TableReport

EXCELLENT = "excellent"
NOT_COMPLETED = "not_completed"
RATING_RANK = {"excellent": 3, "good": 2, "completed": 1, "not_completed": 0}
KIND_LABELS: dict[str, str] = {
    Period.Kind.MONTH: "tháng",
    Period.Kind.QUARTER: "quý",
    Period.Kind.YEAR: "năm",
}
REPORTS = ("excellent-streak", "not-completed", "candidates")


@dataclass(frozen=True)
class StreakRule:
    kind: str = Period.Kind.MONTH
    periods: int = 3


@dataclass(frozen=True)
class CandidateRule:
    kind: str = Period.Kind.MONTH
    periods: int = 3  # the last K periods
    min_points: Decimal = Decimal(90)
    min_rating: str = "good"  # no rating below this one


@dataclass(frozen=True)
class PersonLine:
    person_id: int
    name: str
    unit: str
    count: int  # periods in the run, years, or periods of the rule
    span: str  # "Tháng 1 năm 2026 – Tháng 3 năm 2026", "Năm 2024, Năm 2025"
    mean_points: Decimal | None
    lowest: str = ""  # the lowest rating (candidates)


def ordinal(period: Period) -> int:
    """A period's place on the calendar among periods of its kind."""
    if period.kind == Period.Kind.MONTH:
        return period.year * 12 + period.number - 1
    if period.kind == Period.Kind.QUARTER:
        return period.year * 4 + period.number - 1
    return period.year


def _mean(values: Sequence[Decimal | None]) -> Decimal | None:
    if not values or any(v is None for v in values):
        return None
    total = sum((v for v in values if v is not None), Decimal(0))
    return (total / len(values)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def decided_by_person(evaluations: QuerySet[Evaluation], kind: str) -> dict[int, list[Evaluation]]:
    """The decided evaluations of `kind`, per person in calendar order (one query)."""
    rows = (
        evaluations.filter(state=Evaluation.State.DECIDED, period__kind=kind)
        .exclude(rating="")
        .select_related("period", "person", "unit")
        .order_by("person_id", "period__year", "period__number", "pk")
    )
    out: dict[int, list[Evaluation]] = defaultdict(list)
    for ev in rows:
        out[ev.person_id].append(ev)
    return dict(out)


def latest_run(evs: Sequence[Evaluation], rating: str) -> list[Evaluation]:
    """The run of consecutive periods rated `rating` ending at the latest evaluation."""
    run: list[Evaluation] = []
    expected: int | None = None
    for ev in reversed(evs):
        place = ordinal(ev.period)
        if ev.rating != rating or (expected is not None and place != expected):
            break
        run.append(ev)
        expected = place - 1
    run.reverse()
    return run


def _line(evs: Sequence[Evaluation], span: str, lowest: str = "") -> PersonLine:
    last = evs[-1]
    return PersonLine(
        person_id=last.person_id,
        name=last.person.full_name,
        unit=last.unit.name,
        count=len(evs),
        span=span,
        mean_points=_mean([ev.points for ev in evs]),
        lowest=lowest,
    )


def _sorted(lines: Iterable[PersonLine]) -> list[PersonLine]:
    return sorted(lines, key=lambda line: (line.unit, line.name, line.person_id))


def excellent_streaks(evaluations: QuerySet[Evaluation], rule: StreakRule) -> list[PersonLine]:
    lines = []
    for evs in decided_by_person(evaluations, rule.kind).values():
        run = latest_run(evs, EXCELLENT)
        if len(run) >= rule.periods:
            span = f"{period_label(run[0].period)} – {period_label(run[-1].period)}"
            lines.append(_line(run, span))
    return _sorted(lines)


def not_completed_two_years(evaluations: QuerySet[Evaluation]) -> list[PersonLine]:
    lines = []
    for evs in decided_by_person(evaluations, Period.Kind.YEAR).values():
        pair: list[Evaluation] = []
        for before, after in pairwise(evs):
            if (
                before.rating == NOT_COMPLETED
                and after.rating == NOT_COMPLETED
                and after.period.year == before.period.year + 1
            ):
                pair = [before, after]
        if pair:
            lines.append(_line(pair, ", ".join(period_label(ev.period) for ev in pair)))
    return _sorted(lines)


def candidates(evaluations: QuerySet[Evaluation], rule: CandidateRule) -> list[PersonLine]:
    history = decided_by_person(evaluations, rule.kind)
    places = sorted({ordinal(ev.period) for evs in history.values() for ev in evs})
    last = set(places[-rule.periods :])
    if len(last) < rule.periods:
        return []  # fewer decided periods than the rule asks for
    floor = RATING_RANK[rule.min_rating]
    lines = []
    for evs in history.values():
        chosen = [ev for ev in evs if ordinal(ev.period) in last]
        if {ordinal(ev.period) for ev in chosen} != last or len(chosen) != rule.periods:
            continue
        lowest = min(chosen, key=lambda ev: RATING_RANK.get(ev.rating, -1))
        mean = _mean([ev.points for ev in chosen])
        if RATING_RANK.get(lowest.rating, -1) < floor or mean is None:
            continue
        if mean < rule.min_points:
            continue
        span = f"{period_label(chosen[0].period)} – {period_label(chosen[-1].period)}"
        lines.append(_line(chosen, span, RATING_LABELS.get(lowest.rating, lowest.rating)))
    return _sorted(lines)


# --- the report -------------------------------------------------------------------------------

_SIGNATURES = (
    Signature("NGƯỜI LẬP BIỂU"),
    Signature("THỦ TRƯỞNG CƠ QUAN"),
)


def personnel_report(
    agency: Unit,
    report: str,
    evaluations: QuerySet[Evaluation],
    *,
    streak: StreakRule | None = None,
    rule: CandidateRule | None = None,
) -> TableReport:
    """One of `REPORTS` for the agency, from the evaluations the reader may see."""
    streak = streak or StreakRule()
    rule = rule or CandidateRule()
    kind_of = KIND_LABELS.get
    if report == "excellent-streak":
        lines = excellent_streaks(evaluations, streak)
        title = "DANH SÁCH CÔNG CHỨC HOÀN THÀNH XUẤT SẮC NHIỆM VỤ NHIỀU KỲ LIÊN TIẾP"
        subtitle = f"Từ {streak.periods} {kind_of(streak.kind, '')} liên tiếp trở lên"
        count_title = f"Số {kind_of(streak.kind, '')} liên tiếp"
        span_title = "Từ kỳ – đến kỳ"
        notes: tuple[str, ...] = (
            "Tính đến kỳ đã quyết định gần nhất của mỗi người; một kỳ không được đánh giá "
            "hoặc xếp loại khác làm gián đoạn chuỗi.",
        )
        info: tuple[InfoLine, ...] = (
            InfoLine("Loại kỳ", kind_of(streak.kind, "").capitalize()),
            InfoLine("Số kỳ liên tiếp tối thiểu", str(streak.periods), number=streak.periods),
        )
    elif report == "not-completed":
        lines = not_completed_two_years(evaluations)
        title = "DANH SÁCH CÔNG CHỨC KHÔNG HOÀN THÀNH NHIỆM VỤ HAI NĂM LIÊN TIẾP"
        subtitle = "Theo kết quả đánh giá, xếp loại chất lượng hằng năm"
        count_title = "Số năm"
        span_title = "Các năm"
        notes = ()
        info = ()
    else:
        lines = candidates(evaluations, rule)
        title = "DANH SÁCH ĐỀ XUẤT THEO TIÊU CHÍ CỦA CƠ QUAN"
        subtitle = (
            f"{rule.periods} {kind_of(rule.kind, '')} gần nhất, điểm bình quân từ "
            f"{vn_number(rule.min_points, trim=True)}, không có kỳ xếp loại dưới mức "
            f"“{RATING_LABELS.get(rule.min_rating, rule.min_rating)}”"
        )
        count_title = "Số kỳ"
        span_title = "Các kỳ xét"
        notes = ()
        info = (
            InfoLine("Loại kỳ", kind_of(rule.kind, "").capitalize()),
            InfoLine("Số kỳ gần nhất", str(rule.periods), number=rule.periods),
            InfoLine(
                "Điểm bình quân tối thiểu",
                vn_number(rule.min_points, trim=True),
                number=rule.min_points,
            ),
            InfoLine("Xếp loại thấp nhất", RATING_LABELS.get(rule.min_rating, rule.min_rating)),
        )
    columns: tuple[Column, ...] = (
        Column("TT", 10, 6, "C"),
        Column("Họ và tên", 41, 30),
        Column("Đơn vị", 36, 28),
        Column(count_title, 16, 10, "R"),
        Column(span_title, 40, 30),
        Column("Điểm bình quân", 22, 12, "R"),
    )
    rows: list[tuple[str | int | Decimal | None, ...]] = [
        (i, line.name, line.unit, line.count, line.span, line.mean_points)
        for i, line in enumerate(lines, start=1)
    ]
    if report == "candidates":
        columns = (*columns[:5], Column("Xếp loại thấp nhất", 22, 24), columns[5])
        columns = tuple(
            Column(c.title, w, c.xlsx_width, c.align)
            for c, w in zip(columns, (10, 40, 28, 12, 33, 24, 18), strict=True)
        )
        rows = [
            (i, line.name, line.unit, line.count, line.span, line.lowest, line.mean_points)
            for i, line in enumerate(lines, start=1)
        ]
    table = Table(
        title=f"Danh sách ({len(lines)} người)",
        columns=columns,
        rows=tuple(rows),
        empty="Không có người nào đáp ứng điều kiện.",
        notes=notes,
    )
    return TableReport(
        heading=official_heading(agency, agency, title, subtitle),
        info=(InfoLine("Cơ quan", agency.name), *info),
        tables=(table,),
        signatures=_SIGNATURES,
        sheet_title="Danh sách",
        document_title=f"{title.capitalize()} — {agency.name}",
    )
