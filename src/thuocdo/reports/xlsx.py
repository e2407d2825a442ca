"""The forms as Excel workbooks (openpyxl), with the same content as the PDFs.

Numbers are stored as numbers with number formats (`#,##0.00` for points, `0.00%` for
ratios, `#,##0` for counts), never as formatted text, so Excel shows them with the reader's
separators (a decimal comma in Vietnamese settings) and they can be summed; dates are date
cells `dd/mm/yyyy` holding the agency's local date. Drawing only: the functions take the
dataclasses of `forms.py`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from thuocdo.core.xlsx import text_cell
from thuocdo.reports.forms import (
    NATIONAL_MOTTO,
    NATIONAL_NAME,
    Heading,
    IndividualForm,
    InfoLine,
    Signature,
    UnitSummary,
)
from thuocdo.reports.numbers import vn_number

POINTS = "#,##0.00"
PERCENT = "0.00%"
COUNT = "#,##0"
DATE = "dd/mm/yyyy"
OUT_OF = '"/ "0'  # "/ 100" after the total points, still a number
FONT = "Times New Roman"  # the font of Vietnamese administrative documents, where installed
THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="E8ECF2")
GROUP_FILL = PatternFill("solid", fgColor="F6F7F9")
WRAP = Alignment(wrap_text=True, vertical="center")
CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)
RIGHT = Alignment(horizontal="right", vertical="center")


def _value(value: object) -> Any:
    """Decimal and Fraction as float (Excel stores doubles); text and None as they are
    (less the characters XML cannot hold)."""
    if isinstance(value, Decimal | Fraction):
        return float(value)
    if isinstance(value, str) and not value.isprintable():
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


class _Sheet:
    """A worksheet written top to bottom; `row` is the next free row."""

    def __init__(self, ws: Worksheet, widths: Sequence[float]) -> None:
        self.ws = ws
        self.row = 1
        self.columns = len(widths)
        self.widths = list(widths)
        for index, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
        ws.sheet_view.showGridLines = False

    def _span_width(self, first: int, last: int) -> float:
        return sum(self.widths[first - 1 : last])

    def fit(self, texts: Sequence[tuple[str, float]], base: float = 15.0) -> None:
        """Row height for wrapped text: (text, width in characters) of the row's cells."""
        lines = 1
        for text, width in texts:
            per_line = max(1, int(width * 1.1) - 1)
            needed = sum(max(1, math.ceil(len(part) / per_line)) for part in str(text).split("\n"))
            lines = max(lines, needed)
        if lines > 1:
            self.ws.row_dimensions[self.row].height = base * lines

    def put(
        self,
        column: int,
        value: object,
        *,
        last: int | None = None,
        bold: bool = False,
        italic: bool = False,
        size: float = 11,
        align: Alignment = WRAP,
        number_format: str | None = None,
        border: bool = False,
        fill: PatternFill | None = None,
    ) -> None:
        cell = text_cell(self.ws, self.row, column, _value(value))
        cell.font = Font(name=FONT, bold=bold, italic=italic, size=size)
        cell.alignment = align
        if number_format:
            cell.number_format = number_format
        if last is not None and last > column:
            self.ws.merge_cells(
                start_row=self.row, start_column=column, end_row=self.row, end_column=last
            )
        if border or fill:
            for col in range(column, (last or column) + 1):
                target = self.ws.cell(row=self.row, column=col)
                if border:
                    target.border = BOX
                if fill:
                    target.fill = fill

    def line(self, text: str, *, bold: bool = False, italic: bool = False, size: float = 11,
             align: Alignment = WRAP) -> None:  # fmt: skip
        self.put(1, text, last=self.columns, bold=bold, italic=italic, size=size, align=align)
        self.fit([(text, self._span_width(1, self.columns))])
        self.row += 1

    def skip(self, rows: int = 1) -> None:
        self.row += rows

    def heading(self, heading: Heading, split: int) -> None:
        """Agency, unit and the số/ký hiệu line over columns 1..split; the national name,
        motto and place-and-date line to the right (as in the PDF)."""
        self.put(1, heading.agency, last=split, align=CENTRE)
        self.put(split + 1, NATIONAL_NAME, last=self.columns, bold=True, align=CENTRE)
        self.row += 1
        self.put(1, heading.unit, last=split, bold=True, align=CENTRE)
        self.put(split + 1, NATIONAL_MOTTO, last=self.columns, bold=True, align=CENTRE)
        self.row += 1
        self.put(1, heading.number, last=split, align=CENTRE)
        self.put(split + 1, heading.place_date, last=self.columns, italic=True, align=CENTRE)
        self.row += 2
        self.line(heading.title, bold=True, size=13, align=CENTRE)
        self.line(heading.subtitle, bold=True, align=CENTRE)
        self.skip()

    def info(self, lines: Sequence[InfoLine], split: int) -> None:
        for line in lines:
            self.put(1, f"{line.label}:", last=split)
            if line.number is not None:  # a count or points: a number, left as the text is
                fmt = COUNT if isinstance(line.number, int) else POINTS
                self.put(
                    split + 1,
                    line.number,
                    last=self.columns,
                    bold=True,
                    number_format=fmt,
                    align=Alignment(horizontal="left", vertical="center"),
                )
            else:
                self.put(split + 1, line.value, last=self.columns, bold=True)
                self.fit([(line.value, self._span_width(split + 1, self.columns))])
            self.row += 1

    def header_row(self, spans: Sequence[tuple[int, int, str]]) -> int:
        for first, last, text in spans:
            self.put(first, text, last=last, bold=True, align=CENTRE, border=True, fill=HEAD_FILL)
        self.fit([(text, self._span_width(a, b)) for a, b, text in spans])
        self.row += 1
        return self.row - 1

    def table_row(
        self,
        cells: Sequence[tuple[int, int, object, str | None, Alignment]],
        *,
        bold: bool = False,
    ) -> None:
        """cells: (first column, last column, value, number format, alignment)."""
        fill = GROUP_FILL if bold else None
        for first, last, value, fmt, align in cells:
            self.put(
                first,
                value,
                last=last,
                bold=bold,
                align=align,
                number_format=fmt,
                border=True,
                fill=fill,
            )
        self.fit(
            [(str(v), self._span_width(a, b)) for a, b, v, fmt, _ in cells if isinstance(v, str)]
        )
        self.row += 1

    def signatures(self, blocks: Sequence[Signature]) -> None:
        self.skip()
        spans = _split(self.columns, len(blocks))
        top = self.row
        for (first, last), block in zip(spans, blocks, strict=True):
            self.row = top
            self.put(first, block.place_date, last=last, italic=True, size=10, align=CENTRE)
            self.row += 1
            self.put(first, block.title, last=last, bold=True, align=CENTRE)
            self.row += 1
            self.put(first, block.hint, last=last, italic=True, size=10, align=CENTRE)
            self.row += 4
            self.put(first, block.name, last=last, bold=True, align=CENTRE)
        self.row = top + 7

    def print_setup(self, title_row: int | None) -> None:
        ws = self.ws
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.orientation = ws.ORIENTATION_PORTRAIT
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_margins.left = 30 / 25.4
        ws.page_margins.right = 15 / 25.4
        ws.page_margins.top = 20 / 25.4
        ws.page_margins.bottom = 20 / 25.4
        ws.print_options.horizontalCentered = True
        ws.oddFooter.center.text = "Trang &P/&N"
        ws.print_area = f"A1:{get_column_letter(self.columns)}{self.row}"
        if title_row is not None:
            ws.print_title_rows = f"{title_row}:{title_row}"
            ws.freeze_panes = f"A{title_row + 1}"


def _split(columns: int, parts: int) -> list[tuple[int, int]]:
    """Columns 1..columns in `parts` runs, as even as possible."""
    out, start = [], 1
    for index in range(parts):
        size = columns // parts + (1 if index < columns % parts else 0)
        out.append((start, start + size - 1))
        start += size
    return out


def _save(wb: Workbook) -> bytes:
    wb.properties.creator = "Thước đo"
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --- the individual form ----------------------------------------------------------------------

L, C, R = WRAP, CENTRE, RIGHT


def individual_xlsx(form: IndividualForm) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Phiếu đánh giá"
    sheet = _Sheet(ws, (6, 46, 11, 12, 13, 13))
    sheet.heading(form.heading, split=2)
    sheet.info(form.info, split=2)
    if form.status:
        sheet.line(form.status, italic=True, size=10)

    sheet.skip()
    sheet.line(form.general_title, bold=True)
    header = sheet.header_row(
        [
            (1, 1, "TT"),
            (2, 2, "Tiêu chí"),
            (3, 3, "Điểm tối đa"),
            (4, 4, "Tự đánh giá"),
            (5, 5, "Cấp trên đánh giá"),
            (6, 6, "Điểm kết quả"),
        ]
    )
    for r in form.general:
        sheet.table_row(
            [
                (1, 1, r.number, None, C),
                (2, 2, r.label, None, L),
                (3, 3, r.max_points, "General", C),
                (4, 4, r.self_score, POINTS, R),
                (5, 5, r.reviewer_score, POINTS, R),
                (6, 6, r.final, POINTS, R),
            ],
            bold=r.kind in ("group", "total"),
        )
    for r in form.general:
        if r.reason:
            sheet.line(f"Lý do điều chỉnh “{r.label}”: {r.reason}", italic=True, size=10)

    sheet.skip()
    sheet.line(form.tasks_title, bold=True)
    sheet.header_row([(1, 2, "Tiêu chí"), (3, 3, "Tỷ lệ, điểm"), (4, 6, "Cách tính")])
    for t in form.tasks:
        sheet.table_row(
            [
                (1, 2, t.label, None, L),
                (3, 3, t.ratio, PERCENT, R),
                (4, 6, t.detail or t.note, None, L),
            ]
        )
    sheet.table_row(
        [
            (1, 2, "Tỷ lệ kết quả thực hiện nhiệm vụ", None, L),
            (3, 3, form.task_ratio, PERCENT, R),
            (4, 6, form.task_formula, None, L),
        ],
        bold=True,
    )
    top = vn_number(form.task_max, trim=True) if form.task_max is not None else ""
    sheet.table_row(
        [
            (1, 2, "Điểm kết quả thực hiện nhiệm vụ", None, L),
            (3, 3, form.task_points, POINTS, R),
            (4, 6, f"Tỷ lệ × {top}, tối đa {top} điểm" if top else "", None, L),
        ],
        bold=True,
    )
    for t in form.tasks:
        if t.note and t.detail:
            sheet.line(f"{t.label}: {t.note}", italic=True, size=10)
    if form.not_scored:
        sheet.line(form.not_scored, italic=True, size=10)

    sheet.skip()
    sheet.line("III. TỔNG ĐIỂM VÀ XẾP LOẠI", bold=True)
    sheet.put(1, "Tổng điểm:", last=2)
    sheet.put(3, form.total_points, bold=True, number_format=POINTS, align=R)
    sheet.put(4, form.total_max, last=6, number_format=OUT_OF)
    sheet.row += 1
    sheet.info(
        [
            InfoLine("Xếp loại theo điểm", form.rating_by_points or "—"),
            InfoLine("Xếp loại", form.rating or "—"),
        ],
        split=2,
    )
    for change in form.rating_changes:
        sheet.line(f"– {change}", size=10)
    if form.overrides:
        sheet.header_row([(1, 2, "Căn cứ"), (3, 4, "Văn bản"), (5, 6, "Lý do")])
        for o in form.overrides:
            sheet.table_row(
                [
                    (1, 2, f"{o.kind}: {o.what}", None, L),
                    (3, 4, o.document_ref, None, L),
                    (5, 6, o.reason, None, L),
                ]
            )

    sheet.skip()
    sheet.line("IV. NHẬN XÉT, Ý KIẾN", bold=True)
    for comment in form.comments:
        sheet.line(f"{comment.label}:", bold=True)
        sheet.line(comment.value or "—")
    sheet.line(f"Lấy ý kiến tập thể: {form.minutes}")
    sheet.line(form.framework, italic=True, size=9)
    sheet.signatures(form.signatures)
    sheet.print_setup(header)
    return _save(wb)


# --- the unit's summary -----------------------------------------------------------------------


def unit_xlsx(summary: UnitSummary) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Tổng hợp đơn vị"
    sheet = _Sheet(ws, (6, 28, 28, 16, 11, 11, 11, 24, 26))
    sheet.heading(summary.heading, split=3)
    sheet.info(summary.info, split=3)

    sheet.skip()
    sheet.line("I. KẾT QUẢ ĐÁNH GIÁ, XẾP LOẠI TỪNG NGƯỜI", bold=True)
    header = sheet.header_row(
        [
            (1, 1, "TT"),
            (2, 2, "Họ và tên"),
            (3, 3, "Vị trí việc làm"),
            (4, 4, "Chức vụ"),
            (5, 5, "Tiêu chí chung"),
            (6, 6, "Kết quả nhiệm vụ"),
            (7, 7, "Tổng điểm"),
            (8, 8, "Xếp loại"),
            (9, 9, "Ghi chú"),
        ]
    )
    for m in summary.members:
        sheet.table_row(
            [
                (1, 1, m.number, COUNT, C),
                (2, 2, m.name, None, L),
                (3, 3, m.job_position, None, L),
                (4, 4, m.role, None, L),
                (5, 5, m.general, POINTS, R),
                (6, 6, m.task_points, POINTS, R),
                (7, 7, m.points, POINTS, R),
                (8, 8, m.rating, None, L),
                (9, 9, m.note, None, L),
            ]
        )
    if summary.members:
        ws.auto_filter.ref = f"A{header}:I{sheet.row - 1}"

    sheet.skip()
    sheet.line("II. TỔNG HỢP XẾP LOẠI VÀ TỶ LỆ", bold=True)
    sheet.header_row([(1, 3, "Xếp loại"), (4, 4, "Số người"), (5, 5, "Tỷ lệ")])
    for d in summary.distribution:
        sheet.table_row(
            [
                (1, 3, d.label, None, L),
                (4, 4, d.count, COUNT, R),
                (5, 5, d.share, PERCENT, R),
            ],
            bold=d.label == "Tổng số",
        )
    if summary.quota is not None:
        sheet.line(f"Tỷ lệ (Điều 20 khoản 5): {summary.quota.text}")
        if summary.quota.basis:
            sheet.line(f"Căn cứ tỷ lệ ngoại lệ: {summary.quota.basis}", italic=True, size=10)
    else:
        sheet.line("Chưa lập nhóm áp tỷ lệ cho đơn vị trong kỳ này.", italic=True, size=10)

    sheet.skip()
    sheet.line("III. KẾT QUẢ CỦA ĐƠN VỊ", bold=True)
    part = summary.unit
    if part is None:
        sheet.line("Chưa có đánh giá của đơn vị trong kỳ này.", italic=True, size=10)
    else:
        if part.kpis:
            sheet.header_row(
                [
                    (1, 2, "Nhóm"),
                    (3, 3, "Chỉ tiêu"),
                    (4, 4, "Nguồn số liệu"),
                    (5, 5, "Kế hoạch"),
                    (6, 6, "Thực hiện"),
                    (7, 9, "Minh chứng"),
                ]
            )
            for k in part.kpis:
                sheet.table_row(
                    [
                        (1, 2, k.group, None, L),
                        (3, 3, k.label, None, L),
                        (4, 4, k.source, None, L),
                        (5, 5, k.target, POINTS, R),
                        (6, 6, k.actual, POINTS, R),
                        (7, 9, k.evidence, None, L),
                    ]
                )
        sheet.info([InfoLine("Trạng thái", part.state)], split=3)
        if part.points is not None:
            sheet.put(1, "Điểm của đơn vị:", last=3)
            sheet.put(4, part.points, bold=True, number_format=POINTS, align=R)
            sheet.row += 1
        lines = [InfoLine("Xếp loại của đơn vị", part.rating or "—")]
        if part.basis:
            lines.append(InfoLine("Căn cứ", part.basis))
        sheet.info(lines, split=3)

    sheet.signatures(summary.signatures)
    sheet.print_setup(header)
    return _save(wb)
