"""Table reports (personnel lists, the agency's summary, a person's history) as PDF and Excel.

A `TableReport` is the official heading, a few information lines and one or more tables;
`table_pdf` and `table_xlsx` draw it with the building blocks of `pdf.py` and `xlsx.py`
(Liberation Serif in the PDF, number formats in Excel). Drawing only: no database access.
Cells are text, `int` (counts), `Decimal` (points, 2 places; decimal comma in the PDF,
`#,##0.00` in Excel), a `date` (05/02/2026; a date cell `dd/mm/yyyy` in Excel) or None.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment

from thuocdo.reports.forms import Heading, InfoLine, Signature
from thuocdo.reports.numbers import vn_date, vn_number
from thuocdo.reports.pdf import NOTE, _Document
from thuocdo.reports.xlsx import CENTRE, COUNT, DATE, POINTS, RIGHT, WRAP, _save, _Sheet

Cell = str | int | Decimal | dt.date | None


@dataclass(frozen=True)
class Column:
    title: str
    pdf_width: float  # mm; the widths of a table add up to at most 165 (A4 less margins)
    xlsx_width: float  # characters
    align: str = "L"  # L, C or R


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    empty: str  # printed when there are no rows
    notes: tuple[str, ...] = ()
    totals: tuple[Cell, ...] | None = None  # a bold last row


@dataclass(frozen=True)
class TableReport:
    heading: Heading
    info: tuple[InfoLine, ...]
    tables: tuple[Table, ...]
    signatures: tuple[Signature, ...]
    sheet_title: str  # at most 31 characters
    document_title: str


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return vn_number(value)
    if isinstance(value, dt.date):
        return vn_date(value)
    return str(value)


# --- PDF --------------------------------------------------------------------------------------


def table_pdf(report: TableReport) -> bytes:
    pdf = _Document(report.document_title)
    pdf.start()
    pdf.heading(report.heading)
    pdf.info(report.info)
    for table in report.tables:
        pdf.section(table.title)
        widths = [c.pdf_width for c in table.columns]
        if not table.rows:
            pdf.line_text(table.empty, style="I", size=NOTE)
        else:
            rows: list[tuple[Sequence[str], str]] = [
                (tuple(_text(v) for v in row), "item") for row in table.rows
            ]
            if table.totals is not None:
                rows.append((tuple(_text(v) for v in table.totals), "total"))
            pdf.grid(
                [c.title for c in table.columns],
                rows,
                widths,
                [c.align for c in table.columns],
            )
        for note in table.notes:
            pdf.line_text(note, style="I", size=NOTE)
    if report.signatures:
        pdf.signatures(report.signatures)
    return pdf.finish()


# --- Excel ------------------------------------------------------------------------------------

_ALIGN = {"L": WRAP, "C": CENTRE, "R": RIGHT}


def table_xlsx(report: TableReport) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = report.sheet_title[:31]
    columns = max(len(t.columns) for t in report.tables)
    first = report.tables[0]
    widths = [first.columns[i].xlsx_width if i < len(first.columns) else 12 for i in range(columns)]
    for table in report.tables[1:]:
        for i, column in enumerate(table.columns):
            widths[i] = max(widths[i], column.xlsx_width)
    sheet = _Sheet(ws, widths)
    split = max(1, columns // 2)
    sheet.heading(report.heading, split=split)
    sheet.info(report.info, split=split)
    header_row: int | None = None
    for table in report.tables:
        sheet.skip()
        sheet.line(table.title, bold=True)
        if not table.rows:
            sheet.line(table.empty, italic=True, size=10)
        else:
            last = len(table.columns)
            header = sheet.header_row([(i, i, c.title) for i, c in enumerate(table.columns, 1)])
            if header_row is None:
                header_row = header
            for row in table.rows:
                sheet.table_row(_cells(table.columns, row))
            if table.totals is not None:
                sheet.table_row(_cells(table.columns, table.totals), bold=True)
            elif header == header_row:
                end = sheet.row - 1
                ws.auto_filter.ref = (
                    f"A{header}:{ws.cell(row=header, column=last).column_letter}{end}"
                )
        for note in table.notes:
            sheet.line(note, italic=True, size=10)
    if report.signatures:
        sheet.signatures(report.signatures)
    sheet.print_setup(header_row)
    return _save(wb)


def _cells(
    columns: Sequence[Column], row: Sequence[Cell]
) -> list[tuple[int, int, object, str | None, Alignment]]:
    out: list[tuple[int, int, object, str | None, Alignment]] = []
    for index, (column, value) in enumerate(zip(columns, row, strict=True), start=1):
        fmt: str | None = None
        if isinstance(value, Decimal):
            fmt = POINTS
        elif isinstance(value, int):
            fmt = COUNT
        elif isinstance(value, dt.date):
            fmt = DATE
        out.append((index, index, value, fmt, _ALIGN.get(column.align, WRAP)))
    return out
