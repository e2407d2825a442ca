"""Reading and writing the workbooks: one data sheet, instructions, allowed values.

The template and the export are the same workbook (the export just has rows), so a
file downloaded from Thước đo can always be imported back unchanged.
"""

from __future__ import annotations

import datetime as dt
import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any
from xml.etree import ElementTree

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import column_index_from_string, get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from python_calamine import CalamineWorkbook

from thuocdo.core.text import clean_text, fold
from thuocdo.core.xlsx import text_cell
from thuocdo.imports.columns import (
    BrokenCell,
    Choice,
    Column,
    display,
    error_cell,
    header_key,
    is_blank,
    uncalculated_cell,
)
from thuocdo.imports.errors import FileRejected
from thuocdo.imports.sheetrows import PROBE_ROW, splice_rows

if TYPE_CHECKING:
    from thuocdo.imports.framework import ImportKind
    from thuocdo.org.models import Unit

INSTRUCTIONS_SHEET = "Hướng dẫn"
VALUES_SHEET = "Giá trị hợp lệ"
HEADER_SEARCH_ROWS = 10  # a title line or two above the headers is tolerated
BRAND = "1F4E79"
DATE_FORMAT = "DD/MM/YYYY"


def vn_number(number: int) -> str:
    """1200 → "1.200", the Vietnamese way of grouping thousands."""
    return f"{number:,}".replace(",", ".")


# --- reading -------------------------------------------------------------------------------


@dataclass
class Table:
    columns: dict[str, int]  # column key → position in the row
    rows: list[tuple[int, dict[str, Any]]]  # (row number as Excel shows it, key → raw value)
    ignored_headers: list[str] = field(default_factory=list)


def read_table(
    source: str | IO[bytes],
    kind: ImportKind,
    *,
    max_rows: int,
    progress: Callable[[int], None] | None = None,
) -> Table:
    """The data sheet's rows keyed by column, or FileRejected saying what is wrong.

    Read with calamine (Rust): every cell the sheet holds, whatever its declared
    `<dimension>` says (a file whose dimension is smaller than its data loses no row),
    the cached result of formulas, about ten times faster than openpyxl."""
    try:
        if isinstance(source, str):
            book = CalamineWorkbook.from_path(source)
        else:
            book = CalamineWorkbook.from_filelike(source)
        names = list(book.sheet_names)
    except Exception as error:  # calamine names no error kinds: any failure to open
        raise FileRejected(
            "Tệp không đọc được như một bảng tính Excel (.xlsx). Hãy lưu lại tệp dưới dạng "
            "“Excel Workbook (.xlsx)” rồi tải lên.",
            "The file cannot be read as an Excel workbook (.xlsx). Save it as "
            "“Excel Workbook (.xlsx)” and upload it again.",
        ) from error
    wanted = fold(kind.sheet_name)
    name = next((name for name in names if fold(name) == wanted), None)
    if name is None:
        found = ", ".join(f"“{name}”" for name in names)
        raise FileRejected(
            f"Không thấy trang tính “{kind.sheet_name}” (tệp có: {found}). Hãy dùng mẫu tải "
            "về từ Thước đo.",
            f"There is no sheet named “{kind.sheet_name}” (the file has: {found}). Use the "
            "template downloaded from Thước đo.",
        )
    cells: Sequence[Sequence[Any]]
    try:
        cells = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception as error:
        raise FileRejected(
            f"Không đọc được trang tính “{name}”: tệp bị hỏng.",
            f"The sheet “{name}” cannot be read: the file is damaged.",
        ) from error
    broken = _broken_cells(source, names.index(name))
    if broken:
        cells = _with_broken(cells, broken)
    return _read_rows(name, cells, kind, max_rows=max_rows, progress=progress)


# --- cells calamine reads as empty: Excel errors and formulas never calculated ---------------

_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_MARKERS = (b"<f>", b"<f ", b"<f/>", b":f>", b":f ", b't="e"', b"t='e'")
_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")


def _broken_cells(source: str | IO[bytes], index: int) -> dict[tuple[int, int], BrokenCell]:
    """(row number, column position from 0) → what is wrong, for the `index`-th sheet's
    error cells and formulas without a cached result. Calamine reads both as empty, which
    would make a required cell look blank (or a row vanish). Best effort: a file the zip
    reader cannot follow was read by calamine already, so it is not refused here."""
    try:
        if not isinstance(source, str):
            source.seek(0)
        with zipfile.ZipFile(source) as archive:
            part = _sheet_part(archive, index)
            if part is None or not _has_markers(archive, part):
                return {}
            with archive.open(part) as stream:
                return _scan(stream)
    except (
        OSError,
        KeyError,
        ValueError,
        RuntimeError,
        EOFError,
        NotImplementedError,
        zipfile.BadZipFile,
        zlib.error,
        ElementTree.ParseError,
    ):
        return {}


def _sheet_part(archive: zipfile.ZipFile, index: int) -> str | None:
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    sheets = [e for e in book.iter() if e.tag.rsplit("}", 1)[-1] == "sheet"]
    if index >= len(sheets):
        return None
    rel_id = sheets[index].get(f"{_REL_NS}id")
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    for rel in rels.iter(f"{_PKG_REL_NS}Relationship"):
        if rel.get("Id") == rel_id:
            target = rel.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            return posixpath.normpath(path)
    return None


def _has_markers(archive: zipfile.ZipFile, part: str) -> bool:
    """Whether the sheet may hold a formula or an error cell (a streamed byte search: the
    common file has neither and is not parsed twice)."""
    tail = b""
    with archive.open(part) as stream:
        while chunk := stream.read(1 << 20):
            window = tail + chunk
            if any(marker in window for marker in _MARKERS):
                return True
            tail = window[-8:]
    return False


def _scan(stream: IO[bytes]) -> dict[tuple[int, int], BrokenCell]:
    found: dict[tuple[int, int], BrokenCell] = {}
    for _, element in ElementTree.iterparse(stream):
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "row":
            element.clear()
            continue
        if tag != "c":
            continue
        match = _REF.match(element.get("r", ""))
        kind = element.get("t", "n")
        formula = value = None
        for child in element:
            name = child.tag.rsplit("}", 1)[-1]
            if name == "f":
                formula = child.text or ""
            elif name == "v":
                value = child.text
        if match is not None:
            row, column = int(match.group(2)), column_index_from_string(match.group(1)) - 1
            if kind == "e":
                found[(row, column)] = error_cell(value or "#N/A")
            elif formula is not None and not value and kind not in ("str", "inlineStr"):
                found[(row, column)] = uncalculated_cell(formula)
    return found


def _with_broken(
    cells: Sequence[Sequence[Any]], broken: dict[tuple[int, int], BrokenCell]
) -> list[Sequence[Any]]:
    rows: list[Sequence[Any]] = list(cells)
    for (number, column), cell in sorted(broken.items()):
        while len(rows) < number:
            rows.append([])
        row = list(rows[number - 1])
        if len(row) <= column:
            row.extend([""] * (column + 1 - len(row)))
        row[column] = cell
        rows[number - 1] = row
    return rows


def cell_value(value: Any) -> Any:
    """A cell as openpyxl gives it: None when empty, whole numbers as int."""
    if value == "" and isinstance(value, str):
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _read_rows(
    title: str,
    cells: Sequence[Sequence[Any]],
    kind: ImportKind,
    *,
    max_rows: int,
    progress: Callable[[int], None] | None,
) -> Table:
    known = {}
    for column in kind.columns:
        known[header_key(column.header_vi)] = column
        known[header_key(column.header_en)] = column
    columns: dict[str, int] | None = None
    ignored: list[str] = []
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, raw in enumerate(cells, start=1):
        if columns is None:
            if number > HEADER_SEARCH_ROWS:
                break
            values = [cell_value(value) for value in raw]
            matched = [known.get(header_key(value)) for value in values]
            if any(matched):
                columns, ignored = _header_map(values, matched)
            continue
        if all(is_blank(value) for value in raw):
            continue
        if len(rows) >= max_rows:
            raise FileRejected(
                f"Tệp có hơn {vn_number(max_rows)} dòng dữ liệu; hãy chia thành nhiều tệp.",
                f"The file has more than {max_rows:,} data rows; split it into several files.",
            )
        rows.append(
            (
                number,
                {
                    key: cell_value(raw[pos]) if pos < len(raw) else None
                    for key, pos in columns.items()
                },
            )
        )
        if progress is not None and len(rows) % 500 == 0:
            progress(len(rows))
    if columns is None:
        raise FileRejected(
            f"Trang tính “{title}” không có dòng tiêu đề (ví dụ “{kind.columns[0].header_vi}”).",
            f"The sheet “{title}” has no header row (such as “{kind.columns[0].header_en}”).",
        )
    missing = [c for c in kind.columns if c.required and c.key not in columns]
    if missing:
        raise FileRejected(
            "Thiếu cột bắt buộc: " + ", ".join(f"“{c.header_vi}”" for c in missing) + ".",
            "Required columns are missing: " + ", ".join(f"“{c.header_en}”" for c in missing) + ".",
        )
    if not rows:
        raise FileRejected(
            "Tệp không có dòng dữ liệu nào dưới dòng tiêu đề.",
            "The file has no data rows under the header row.",
        )
    if progress is not None:
        progress(len(rows))
    return Table(columns=columns, rows=rows, ignored_headers=ignored)


def _header_map(
    values: Sequence[Any], matched: Sequence[Column | None]
) -> tuple[dict[str, int], list[str]]:
    columns: dict[str, int] = {}
    ignored: list[str] = []
    for position, (value, column) in enumerate(zip(values, matched, strict=True)):
        if column is None:
            if not is_blank(value):
                ignored.append(clean_text(str(value)))
            continue
        if column.key in columns:
            raise FileRejected(
                f"Cột “{column.header_vi}” xuất hiện hai lần.",
                f"The column “{column.header_en}” appears twice.",
            )
        columns[column.key] = position
    return columns, ignored


# --- writing -------------------------------------------------------------------------------


def write_workbook(kind: ImportKind, agency: Unit, rows: Iterable[dict[str, Any]] = ()) -> bytes:
    """The template (no rows) or an export: data sheet, instructions, allowed values."""
    book = Workbook()
    data = book.active
    assert data is not None
    data.title = kind.sheet_name
    choices = {c.key: list(c.choices(agency)) for c in kind.columns if c.choices is not None}
    lines = _write_data_sheet(data, kind.columns, rows, choices)
    _write_instructions(book.create_sheet(INSTRUCTIONS_SHEET), kind, agency)
    values = book.create_sheet(VALUES_SHEET)
    ranges = _write_values_sheet(values, kind.columns, choices)
    last_row = kind.max_rows() + 1
    for position, column in enumerate(kind.columns, start=1):
        if column.key not in ranges or column.multiple:
            continue
        letter = get_column_letter(position)
        validation = DataValidation(
            type="list",
            formula1=ranges[column.key],
            allow_blank=True,
            showErrorMessage=True,
            errorStyle="warning",  # typed variants (lower case, no accents) are still accepted
            errorTitle="Giá trị không có trong danh sách",
            error=f"Xem các giá trị hợp lệ của cột “{column.header_vi}” ở trang “{VALUES_SHEET}”.",
        )
        validation.add(f"{letter}2:{letter}{last_row}")
        data.add_data_validation(validation)
    buffer = io.BytesIO()
    book.save(buffer)
    return splice_rows(buffer.getvalue(), lines, width=len(kind.columns))


def _write_data_sheet(
    sheet: Any,
    columns: Sequence[Column],
    rows: Iterable[dict[str, Any]],
    choices: dict[str, list[Choice]],
) -> Iterator[list[Any]]:
    """Writes the header row; returns the data rows' values, to be spliced in."""
    sheet.append([column.template_header for column in columns])
    header_font = Font(bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor=BRAND)
    for position, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=position)
        cell.font = header_font
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        dimension = sheet.column_dimensions[get_column_letter(position)]
        dimension.width = column.width
        if column.type in ("text", "choice") and not column.multiple:
            dimension.number_format = "@"  # codes like 001 stay text when typed
    sheet.row_dimensions[1].height = 32
    sheet.freeze_panes = "A2"
    labels = {
        key: {choice.value: choice.label for choice in items} for key, items in choices.items()
    }
    # The rows themselves are spliced in after saving (`sheetrows`): a probe row gives
    # them the date style.
    sheet.cell(row=PROBE_ROW, column=1, value=dt.date(2000, 1, 1)).number_format = DATE_FORMAT

    def cells_of(row: dict[str, Any]) -> list[Any]:
        cells: list[Any] = []
        for column in columns:
            value = row.get(column.key)
            if column.key in labels and value is not None:
                value = (
                    [labels[column.key].get(v, v) for v in value]
                    if column.multiple
                    else (labels[column.key].get(value, value))
                )
            if isinstance(value, list):
                value = "; ".join(str(v) for v in value)
            cells.append(value)
        return cells

    return (cells_of(row) for row in rows)


def _write_instructions(sheet: Any, kind: ImportKind, agency: Unit) -> None:
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 14
    sheet.column_dimensions["C"].width = 90
    title = text_cell(sheet, 1, 1, f"{kind.title_vi} — {agency.name}")
    title.font = Font(bold=True, size=14)
    lines = [
        f"Điền dữ liệu vào trang “{kind.sheet_name}”, mỗi dòng một {kind.row_noun_vi}; "
        "giữ nguyên dòng tiêu đề.",
        "Cột có dấu * là bắt buộc. Ngày ghi theo dạng dd/mm/yyyy (ví dụ 15/03/2025).",
        f"Giá trị của các cột có danh sách chọn xem ở trang “{VALUES_SHEET}”.",
        "Khi nhập, mọi dòng được kiểm tra trước; nếu có lỗi thì không dòng nào được ghi.",
        "Nhập lại cùng một tệp không làm thay đổi gì.",
        *kind.instructions_vi,
    ]
    row = 3
    for line in lines:
        text_cell(sheet, row, 1, f"• {line}")
        row += 1
    row += 1
    for position, text in enumerate(("Cột", "Bắt buộc", "Cách ghi"), start=1):
        sheet.cell(row=row, column=position, value=text).font = Font(bold=True)
    for column in kind.columns:
        row += 1
        text_cell(sheet, row, 1, column.header_vi)
        sheet.cell(row=row, column=2, value="Có" if column.required else "")
        text_cell(sheet, row, 3, column.note_vi or _type_note(column))


def _type_note(column: Column) -> str:
    notes = {
        "text": "Chữ.",
        "date": "Ngày, dạng dd/mm/yyyy.",
        "choice": f"Chọn một giá trị trong trang “{VALUES_SHEET}”.",
        "integer": "Số nguyên.",
        "decimal": "Số; phần thập phân sau dấu phẩy.",
        "email": "Địa chỉ thư điện tử.",
    }
    note = notes[column.type]
    return f"{note} Nhiều giá trị cách nhau bằng dấu “;”." if column.multiple else note


def _write_values_sheet(
    sheet: Any, columns: Sequence[Column], choices: dict[str, list[Choice]]
) -> dict[str, str]:
    """One column per list (plus a note column where values have notes); returns the
    range of each list for the data validations."""
    ranges: dict[str, str] = {}
    position = 1
    for column in columns:
        items = choices.get(column.key)
        if items is None:
            continue
        letter = get_column_letter(position)
        sheet.cell(row=1, column=position, value=column.header_vi).font = Font(bold=True)
        sheet.column_dimensions[letter].width = max(column.width, 16)
        has_notes = any(choice.note for choice in items)
        if has_notes:
            sheet.cell(row=1, column=position + 1, value="Diễn giải").font = Font(bold=True)
            sheet.column_dimensions[get_column_letter(position + 1)].width = 40
        for offset, choice in enumerate(items, start=2):
            text_cell(sheet, offset, position, choice.label).number_format = "@"
            if has_notes:
                text_cell(sheet, offset, position + 1, choice.note)
        if items:
            ranges[column.key] = (
                f"{quote_sheetname(VALUES_SHEET)}!${letter}$2:${letter}${len(items) + 1}"
            )
        position += 2 if has_notes else 1
    sheet.freeze_panes = "A2"
    return ranges


__all__ = ["Table", "display", "read_table", "vn_number", "write_workbook"]
