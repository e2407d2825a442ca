"""The layout of a period's own evaluation template: who it is for, its columns, the
workbook written for one unit and the lines that name its period and unit.

The data sheet opens with three lines above the headers (*Cơ quan:*, *Kỳ đánh giá:*,
*Đơn vị:* and their codes); the import reads them first to know which period's criteria
the columns are. Then one row per evaluation, one column per general criterion of the
period's framework for the self score and one for the reviewer's score.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from python_calamine import CalamineWorkbook

from thuocdo.core.numbers import vn_text
from thuocdo.core.text import clean_text, fold
from thuocdo.core.xlsx import text_cell
from thuocdo.imports.columns import Column
from thuocdo.imports.errors import FileRejected
from thuocdo.imports.workbook import BRAND, HEADER_SEARCH_ROWS, INSTRUCTIONS_SHEET

SHEET = "Phiếu đánh giá"
AGENCY_LABEL = "Cơ quan:"
PERIOD_LABEL = "Kỳ đánh giá:"
UNIT_LABEL = "Đơn vị:"
HEADER_ROW = 6  # below the title, the three naming lines and a note
FIRST_ROW = HEADER_ROW + 1
MAX_COMMENT = 4000
MAX_REASON = 2000

# The step each group of columns belongs to (shaded while the period is at another step).
SELF_PREFIX = "self:"
REVIEW_PREFIX = "review:"
SELF_TEXT = ("self_comment", "self_evidence", "on_behalf_reason")
REVIEW_TEXT = ("review_reason", "review_comment")


@dataclass(frozen=True)
class Criterion:
    """A general criterion as the template shows it: key, labels and maximum."""

    key: str
    label_vi: str
    label_en: str
    max: Fraction


def shown_number(value: Fraction | Decimal) -> str:
    """5 → "5", 2.5 → "2,5" (as Vietnamese documents write it)."""
    number = (
        Decimal(value.numerator) / Decimal(value.denominator)
        if isinstance(value, Fraction)
        else value
    )
    return vn_text(f"{number.normalize():f}")


def self_key(criterion: str) -> str:
    return f"{SELF_PREFIX}{criterion}"


def review_key(criterion: str) -> str:
    return f"{REVIEW_PREFIX}{criterion}"


IDENTITY = (
    Column(
        "period",
        "Kỳ đánh giá",
        "Period",
        required=True,
        width=14,
        note_vi="Điền sẵn; phải là kỳ ghi ở dòng “Kỳ đánh giá:” phía trên.",
    ),
    Column(
        "unit",
        "Mã đơn vị",
        "Unit code",
        required=True,
        width=11,
        note_vi="Điền sẵn; phải là đơn vị ghi ở dòng “Đơn vị:” phía trên.",
        max_length=40,
    ),
    Column(
        "person",
        "Mã cán bộ",
        "Staff code",
        required=True,
        width=12,
        note_vi="Điền sẵn; mỗi người một dòng. Người không có phiếu trong kỳ và đơn vị này bị "
        "từ chối.",
        max_length=40,
    ),
    Column(
        "name",
        "Họ và tên",
        "Full name",
        width=24,
        note_vi="Điền sẵn; phải khớp với mã cán bộ (để không ghi nhầm dòng).",
        max_length=150,
    ),
    Column("role", "Chức vụ", "Role", width=16, note_vi="Chỉ để xem.", max_length=150),
    Column("state", "Trạng thái phiếu", "Evaluation state", width=16, note_vi="Chỉ để xem."),
    Column(
        "version",
        "Phiên bản phiếu",
        "Evaluation version",
        "integer",
        width=9,
        note_vi="Điền sẵn; phiếu đã được sửa sau khi tải mẫu thì dòng có thay đổi bị từ chối "
        "(để không ghi đè): hãy tải mẫu mới.",
    ),
)


def sheet_columns(criteria: Sequence[Criterion]) -> tuple[Column, ...]:
    """The template's columns for a period whose general criteria are `criteria`."""
    self_scores = tuple(
        Column(
            self_key(c.key),
            f"Tự chấm: {c.label_vi} (tối đa {shown_number(c.max)})",
            f"Self score: {c.label_en} (max {float(c.max):g})",
            "decimal",
            width=14,
            note_vi=f"Điểm tự chấm, từ 0 đến {shown_number(c.max)}; viết 2,5 hay 2.5 đều được.",
        )
        for c in criteria
    )
    review_scores = tuple(
        Column(
            review_key(c.key),
            f"Cấp trên chấm: {c.label_vi} (tối đa {shown_number(c.max)})",
            f"Manager's score: {c.label_en} (max {float(c.max):g})",
            "decimal",
            width=14,
            note_vi=f"Điểm cấp trên trực tiếp chấm, từ 0 đến {shown_number(c.max)}; để trống: "
            "giữ điểm tự chấm.",
        )
        for c in criteria
    )
    return (
        *IDENTITY,
        *self_scores,
        Column(
            "self_comment",
            "Tự nhận xét",
            "Self comment",
            width=30,
            note_vi="Tự nhận xét của người được đánh giá.",
            max_length=MAX_COMMENT,
        ),
        Column(
            "self_evidence",
            "Minh chứng chung",
            "Evidence",
            width=24,
            note_vi="Văn bản, đường dẫn; để trống: giữ minh chứng đã có.",
            max_length=MAX_COMMENT,
        ),
        Column(
            "on_behalf_reason",
            "Lý do nhập thay",
            "Reason for entering on behalf",
            width=24,
            note_vi="Bắt buộc khi người nhập tệp không phải người được đánh giá (nghỉ phép, ốm "
            "đau, biệt phái…); chỉ bộ phận tổ chức cán bộ hoặc cấp trên trực tiếp được nhập thay.",
            max_length=1000,
        ),
        *review_scores,
        Column(
            "review_reason",
            "Lý do thay đổi điểm",
            "Reason for changed scores",
            width=24,
            note_vi="Bắt buộc khi điểm cấp trên chấm khác điểm tự chấm.",
            max_length=MAX_REASON,
        ),
        Column(
            "review_comment",
            "Nhận xét của cấp trên",
            "Manager's comment",
            width=30,
            note_vi="Nhận xét, đánh giá của cấp trên trực tiếp.",
            max_length=MAX_COMMENT,
        ),
    )


def is_self_column(key: str) -> bool:
    return key.startswith(SELF_PREFIX) or key in SELF_TEXT


def is_review_column(key: str) -> bool:
    return key.startswith(REVIEW_PREFIX) or key in REVIEW_TEXT


# --- the lines that name the period and the unit ---------------------------------------------


@dataclass(frozen=True)
class SheetId:
    """What the lines above the headers say (texts as typed, cleaned)."""

    agency: str
    period: str
    unit: str


_LABELS = {fold(AGENCY_LABEL).rstrip(":"): "agency", fold(PERIOD_LABEL).rstrip(":"): "period"}
_LABELS[fold(UNIT_LABEL).rstrip(":")] = "unit"


def read_sheet_id(source: str | IO[bytes], sheet_name: str) -> SheetId | None:
    """The naming lines of the data sheet; None when the file has no such sheet (or is
    no workbook: the reader then says what is wrong). Leaves a stream at its start."""
    try:
        if isinstance(source, str):
            book = CalamineWorkbook.from_path(source)
        else:
            source.seek(0)
            book = CalamineWorkbook.from_filelike(source)
        wanted = fold(sheet_name)
        name = next((n for n in book.sheet_names if fold(n) == wanted), None)
        if name is None:
            return None
        rows = book.get_sheet_by_name(name).to_python(
            skip_empty_area=False, nrows=HEADER_SEARCH_ROWS
        )
    except Exception:  # calamine names no error kinds: the reader reports the file
        return None
    finally:
        if not isinstance(source, str):
            source.seek(0)
    found: dict[str, str] = {}
    for row in rows:
        cells = [clean_text(str(cell)) if cell not in (None, "") else "" for cell in row]
        for position, text in enumerate(cells):
            what = _LABELS.get(fold(text).rstrip(":").strip()) if text.endswith(":") else None
            if what is None or what in found:
                continue
            found[what] = _integral(cells[position + 1]) if position + 1 < len(cells) else ""
    return SheetId(found.get("agency", ""), found.get("period", ""), found.get("unit", ""))


def _integral(text: str) -> str:
    """A code typed as a number reads "12.0": keep "12"."""
    return text[:-2] if re.fullmatch(r"\d+\.0", text) else text


_PERIOD = re.compile(r"^(thang|month|quy|quarter)\s*(\d{1,2})\s*/\s*(\d{4})$")
_YEAR = re.compile(r"^(nam|year)\s*(\d{4})$")


def parse_period_name(text: str) -> tuple[str, int, int] | None:
    """ "Tháng 3/2026" → ("month", 2026, 3); "Quý 2/2026", "Năm 2026" (also in English)."""
    folded = fold(text)
    if match := _PERIOD.match(folded):
        kind = "month" if match.group(1) in ("thang", "month") else "quarter"
        return kind, int(match.group(3)), int(match.group(2))
    if match := _YEAR.match(folded):
        return "year", int(match.group(2)), 1
    return None


def missing_id() -> FileRejected:
    return FileRejected(
        f"Tệp không cho biết kỳ đánh giá và đơn vị (các dòng “{PERIOD_LABEL}” và "
        f"“{UNIT_LABEL}” phía trên dòng tiêu đề của trang “{SHEET}”). Hãy dùng mẫu của đơn vị "
        "tải về từ trang tiến độ của đơn vị.",
        "The file does not say which period and unit it is for (the “Kỳ đánh giá:” and "
        "“Đơn vị:” lines above the headers). Use the unit's template downloaded from the "
        "unit's progress page.",
    )


# --- writing ----------------------------------------------------------------------------------


@dataclass
class SheetHead:
    """The title and the naming lines of one unit's template."""

    title: str
    agency_code: str
    agency_name: str
    period_name: str
    step: str
    unit_code: str
    unit_name: str
    closed: set[str] = field(default_factory=set)  # column keys of a step not open now
    instructions: tuple[str, ...] = ()


GREY = PatternFill("solid", fgColor="EDEDED")
DARK = PatternFill("solid", fgColor="BFBFBF")


def write_sheet(
    head: SheetHead,
    columns: Sequence[Column],
    rows: Iterable[dict[str, Any]],
    maxima: dict[str, Fraction],
) -> bytes:
    """The workbook: the data sheet (naming lines, headers, one row per evaluation; cells
    of a criterion that does not apply to the person are dark, columns of a step that is
    not open light) and the instructions."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET
    text_cell(sheet, 1, 1, head.title).font = Font(bold=True, size=14)
    lines = (
        (AGENCY_LABEL, head.agency_code, head.agency_name),
        (PERIOD_LABEL, head.period_name, f"Bước hiện tại: {head.step}"),
        (UNIT_LABEL, head.unit_code, head.unit_name),
    )
    for number, (label, code, name) in enumerate(lines, start=2):
        text_cell(sheet, number, 1, label).font = Font(bold=True)
        text_cell(sheet, number, 2, code).number_format = "@"
        text_cell(sheet, number, 3, name)
    note = text_cell(
        sheet,
        HEADER_ROW - 1,
        1,
        "Giữ nguyên các dòng trên và các cột điền sẵn. Nhóm cột để trống: không thay đổi gì "
        f"cho người đó. Xem trang “{INSTRUCTIONS_SHEET}”.",
    )
    note.font = Font(italic=True, color="595959")
    header_font = Font(bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor=BRAND)
    for position, column in enumerate(columns, start=1):
        cell = text_cell(sheet, HEADER_ROW, position, column.template_header)
        cell.font = header_font
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[get_column_letter(position)].width = column.width
    sheet.row_dimensions[HEADER_ROW].height = 60
    sheet.freeze_panes = sheet.cell(row=FIRST_ROW, column=5)
    last = HEADER_ROW
    for last, row in enumerate(rows, start=FIRST_ROW):
        absent = row.get("_absent", set())
        for position, column in enumerate(columns, start=1):
            value = row.get(column.key)
            if column.type in ("decimal", "integer"):
                cell = sheet.cell(row=last, column=position, value=_number(value))
            else:
                cell = text_cell(sheet, last, position, value)
                cell.number_format = "@"
            if column.key in absent:
                cell.fill = DARK
            elif column.key in head.closed:
                cell.fill = GREY
    if last >= FIRST_ROW:
        for position, column in enumerate(columns, start=1):
            top = maxima.get(column.key)
            if top is None:
                continue
            letter = get_column_letter(position)
            shown = shown_number(top)
            validation = DataValidation(
                type="decimal",
                operator="between",
                formula1="0",
                formula2=str(float(top)),
                allow_blank=True,
                showErrorMessage=True,
                errorStyle="warning",  # "2,5" typed as text is still read
                errorTitle="Điểm ngoài thang",
                error=f"Điểm phải từ 0 đến {shown}.",
            )
            validation.add(f"{letter}{FIRST_ROW}:{letter}{last}")
            sheet.add_data_validation(validation)
    _write_instructions(book.create_sheet(INSTRUCTIONS_SHEET), head, columns)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _number(value: Any) -> int | float | None:
    if value is None:
        return None
    number = Decimal(value)
    return int(number) if number == number.to_integral_value() else float(number)


def _write_instructions(sheet: Any, head: SheetHead, columns: Sequence[Column]) -> None:
    sheet.column_dimensions["A"].width = 44
    sheet.column_dimensions["B"].width = 10
    sheet.column_dimensions["C"].width = 90
    text_cell(sheet, 1, 1, head.title).font = Font(bold=True, size=14)
    row = 3
    for line in head.instructions:
        text_cell(sheet, row, 1, f"• {line}")
        row += 1
    row += 1
    for position, text in enumerate(("Cột", "Bắt buộc", "Cách ghi"), start=1):
        sheet.cell(row=row, column=position, value=text).font = Font(bold=True)
    for column in columns:
        row += 1
        text_cell(sheet, row, 1, column.header_vi)
        sheet.cell(row=row, column=2, value="Có" if column.required else "")
        text_cell(sheet, row, 3, column.note_vi)
