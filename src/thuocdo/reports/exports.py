"""The agency's summary for a period and a person's history (issue 6, item 6), as
`TableReport`s for `tables.table_pdf|table_xlsx`. Two queries each (units or nothing, then
the evaluations the reader may see); figures are what the decision stored."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from thuocdo.core import clock
from thuocdo.evaluations.models import Evaluation, Period
from thuocdo.org.models import Person, Unit
from thuocdo.reports.forms import (
    RATING_LABELS,
    ROLE_LABELS,
    InfoLine,
    Signature,
    official_heading,
    period_label,
)
from thuocdo.reports.numbers import vn_date, vn_number
from thuocdo.reports.tables import Cell, Column, Table, TableReport

RATINGS = ("excellent", "good", "completed", "not_completed")


def _mean(values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def agency_summary(
    period: Period, agency: Unit, units: Iterable[Unit], evaluations: Iterable[Evaluation]
) -> TableReport:
    """Per unit of the agency: members, count per rating, left out of the period (with a
    reason, Art. 11 and 19), not yet decided, mean points."""
    by_unit: dict[int, list[Evaluation]] = defaultdict(list)
    for ev in evaluations:
        by_unit[ev.unit_id].append(ev)

    def counts(evs: list[Evaluation]) -> tuple[Cell, ...]:
        decided = [ev for ev in evs if ev.state == Evaluation.State.DECIDED and ev.rating]
        per = [sum(1 for ev in decided if ev.rating == code) for code in RATINGS]
        points = [ev.points for ev in decided if ev.points is not None]
        out = sum(1 for ev in evs if ev.state == Evaluation.State.EXCLUDED)
        return (len(evs), *per, out, len(evs) - len(decided) - out, _mean(points))

    rows: list[tuple[Cell, ...]] = []
    for unit in units:
        evs = by_unit.get(unit.pk, [])
        if not evs:
            continue
        indent = "  " * max(0, unit.depth - agency.depth)
        rows.append((len(rows) + 1, indent + unit.name, *counts(evs)))
    everyone = [ev for evs in by_unit.values() for ev in evs]
    columns = (
        Column("TT", 9, 6, "C"),
        Column("Đơn vị", 31, 34),
        Column("Số người", 13, 9, "R"),
        Column("Hoàn thành xuất sắc", 16, 12, "R"),
        Column("Hoàn thành tốt", 15, 11, "R"),
        Column("Hoàn thành", 15, 11, "R"),
        Column("Không hoàn thành", 16, 12, "R"),
        Column("Không đánh giá", 15, 11, "R"),
        Column("Chưa quyết định", 16, 12, "R"),
        Column("Điểm bình quân", 19, 12, "R"),
    )
    table = Table(
        title="KẾT QUẢ XẾP LOẠI THEO ĐƠN VỊ",
        columns=columns,
        rows=tuple(rows),
        empty="Không có người được đánh giá trong kỳ.",
        notes=(
            "Mỗi đơn vị tính những người được đánh giá tại chính đơn vị đó (không gộp đơn vị "
            "cấp dưới); điểm bình quân tính trên các phiếu đã quyết định.",
        ),
        totals=("", "Toàn cơ quan", *counts(everyone)) if everyone else None,
    )
    title = "BẢNG TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ, XẾP LOẠI CHẤT LƯỢNG TOÀN CƠ QUAN"
    label = period_label(period)
    return TableReport(
        heading=official_heading(agency, agency, title, label),
        info=(
            InfoLine("Cơ quan", agency.name),
            InfoLine("Kỳ đánh giá", f"{label} ({vn_date(period.start)} – {vn_date(period.end)})"),
            InfoLine("Trạng thái kỳ", str(Period.State(period.state).label)),
        ),
        tables=(table,),
        signatures=(
            Signature("NGƯỜI LẬP BIỂU"),
            Signature("THỦ TRƯỞNG CƠ QUAN"),
        ),
        sheet_title="Tổng hợp cơ quan",
        document_title=f"Bảng tổng hợp toàn cơ quan — {agency.name} — {label}",
    )


def person_history(person: Person, evaluations: Iterable[Evaluation]) -> TableReport:
    """Every decided evaluation of the person the reader may see, oldest first."""
    evs = sorted(
        (ev for ev in evaluations if ev.state == Evaluation.State.DECIDED),
        key=lambda ev: (ev.period.start, ev.period.end, ev.pk),
    )
    rows: list[tuple[Cell, ...]] = [
        (
            i,
            period_label(ev.period),
            ev.agency.name,
            ev.unit.name,
            ROLE_LABELS.get(ev.role, ev.role),
            ev.points,
            RATING_LABELS.get(ev.rating, ev.rating),
            clock.local_date(ev.decided_at) if ev.decided_at else None,
        )
        for i, ev in enumerate(evs, start=1)
    ]
    points = [ev.points for ev in evs if ev.points is not None]
    columns = (
        Column("TT", 9, 6, "C"),
        Column("Kỳ đánh giá", 26, 20),
        Column("Cơ quan", 22, 26),
        Column("Đơn vị", 22, 26),
        Column("Chức vụ", 21, 18),
        Column("Tổng điểm", 16, 10, "R"),
        Column("Xếp loại", 27, 28),
        Column("Ngày quyết định", 22, 14, "C"),
    )
    table = Table(
        title="KẾT QUẢ ĐÁNH GIÁ, XẾP LOẠI QUA CÁC KỲ",
        columns=columns,
        rows=tuple(rows),
        empty="Chưa có kết quả đánh giá đã quyết định.",
    )
    info = [
        InfoLine("Họ và tên", person.full_name),
        InfoLine("Mã cán bộ", person.code),
        InfoLine("Cơ quan hiện tại", person.agency.name),
        InfoLine("Số kỳ đã quyết định", str(len(evs)), number=len(evs)),
    ]
    mean = _mean(points)
    if mean is not None:
        info.append(InfoLine("Điểm bình quân", vn_number(mean), number=mean))
    title = "QUÁ TRÌNH ĐÁNH GIÁ, XẾP LOẠI CHẤT LƯỢNG"
    return TableReport(
        heading=official_heading(person.agency, person.agency, title, person.full_name),
        info=tuple(info),
        tables=(table,),
        signatures=(),
        sheet_title="Quá trình đánh giá",
        document_title=f"Quá trình đánh giá — {person.full_name}",
    )
