"""A framework workbook read back (issue 14, point 4): the personnel office downloads the
Excel file of a framework, changes what it may change there, and uploads it as a draft.

The workbook carries its own document on a hidden sheet (`DOC_SHEET`, the canonical JSON,
written by `embed_document`), so a file is read against the framework it was made from,
whichever system or agency made it. What the visible sheets may change:

- "Thông tin chung": the version label (the new draft's number);
- each criteria sheet: the names in both languages, the weight, the weight range units
  may choose within, and whether units may add criteria to a group;
- "Xếp loại": the lowest points of each band.

Anything else (scales, structure, rules) is read-only here: those change on the drafting
pages, where a structural edit has its own form. Each change becomes one of the drafting
service's edits; the engine checks the result, and a refusal names the sheet, the row and
the column with the engine's message. Nothing is stored by this module.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from python_calamine import CalamineWorkbook

from thuocdo.core.decimal_input import TYPED
from thuocdo.core.errors import ValidationFailed
from thuocdo.frameworks.drafting import DraftRefused, apply_edits, node_paths
from thuocdo.scoring import Framework
from thuocdo.scoring.model import RATING_LABELS

DOC_SHEET = "_thuocdo"
_CHUNK = 30_000  # a cell holds at most 32,767 characters

# The sheets by their names in either language (`framework_xlsx` writes one of them).
INFO = ("Thông tin chung", "General")
PARTS = {
    "individual": ("Tiêu chí cá nhân", "Individual criteria"),
    "unit": ("Tiêu chí đơn vị", "Unit criteria"),
}
RATING_SHEET = ("Xếp loại", "Rating")
VERSION_LABELS = ("Phiên bản", "Version")
# Columns of a criteria sheet (0-based), as `framework_files._nodes` writes them.
C_PATH, C_LABEL_VI, C_LABEL_EN, C_WEIGHT, C_RANGE, C_ADDITIONS = 0, 1, 2, 7, 8, 11
COLUMN_WORDS = {
    C_LABEL_VI: ("Tên (tiếng Việt)", "Label (Vietnamese)"),
    C_LABEL_EN: ("Tên (tiếng Anh)", "Label (English)"),
    C_WEIGHT: ("Trọng số", "Weight"),
    C_RANGE: ("Khoảng trọng số được chọn", "Weight range allowed"),
    C_ADDITIONS: ("Đơn vị được bổ sung tiêu chí", "Units may add criteria"),
}
YES = {"có", "yes", "x", "1", "true"}
NO = {"không", "no", "", "0", "false"}


def embed_document(wb: Workbook, fw: Framework) -> None:
    """The canonical document on a hidden sheet, so the file can be read back."""
    ws = wb.create_sheet(DOC_SHEET)
    ws.sheet_state = "hidden"
    text = json.dumps(fw.to_data(), ensure_ascii=False, sort_keys=True)
    for row, start in enumerate(range(0, len(text), _CHUNK), start=1):
        ws.cell(row=row, column=1).value = text[start : start + _CHUNK]
        ws.cell(row=row, column=1).data_type = "s"


@dataclass(frozen=True)
class Place:
    sheet: str
    row: int  # 1-based, as Excel shows it
    column: tuple[str, str]

    def words(self) -> tuple[str, str]:
        return (
            f"Trang “{self.sheet}”, dòng {self.row}, cột “{self.column[0]}”",
            f"Sheet “{self.sheet}”, row {self.row}, column “{self.column[1]}”",
        )


def _refuse(place: Place | None, vi: str, en: str) -> ValidationFailed:
    if place is not None:
        where_vi, where_en = place.words()
        vi, en = f"{where_vi}: {vi}", f"{where_en}: {en}"
    return ValidationFailed(vi, en, field="document")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFC", str(value)).strip()


def _decimal(value: Any, place: Place) -> Decimal | None:
    """A number from a cell: a number, or text written "0,35" or "0.35"."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise _refuse(place, "phải là một số.", "must be a number.")
    if isinstance(value, int | float):
        # a typed 0.35 arrives as the float nearest to it: its shortest text is what was typed
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    text = _text(value).replace(" ", "")
    if not TYPED.match(text):
        raise _refuse(
            place,
            f"“{_text(value)}” không phải là số; viết ví dụ 0,35 hoặc 0.35.",
            f"“{_text(value)}” is not a number; write for example 0.35 or 0,35.",
        )
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:  # a lone "." or "," passes the pattern
        raise _refuse(place, "phải là một số.", "must be a number.") from None


def _range(value: Any, place: Place) -> tuple[Decimal, Decimal] | None:
    text = _text(value)
    if not text:
        return None
    parts = re.split(r"\s*[–—-]\s*|\s*;\s*", text)
    if len(parts) != 2:
        raise _refuse(
            place,
            f"“{text}” không phải là một khoảng; viết “0,3 – 0,5” (hoặc để trống: cố định).",
            f"“{text}” is not a range; write “0.3 – 0.5” (or leave it empty: fixed).",
        )
    low, high = (_decimal(p, place) for p in parts)
    if low is None or high is None:
        raise _refuse(place, "thiếu một đầu của khoảng.", "an end of the range is missing.")
    return low, high


def _yes(value: Any, place: Place) -> bool:
    text = _text(value).lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise _refuse(
        place,
        f"“{_text(value)}”: ghi “Có” hoặc “Không”.",
        f"“{_text(value)}”: write “Yes” or “No”.",
    )


def _sheets(book: CalamineWorkbook) -> dict[str, list[list[Any]]]:
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def _named(sheets: Mapping[str, list[list[Any]]], names: tuple[str, str]) -> tuple[str, Any]:
    for name in names:
        if name in sheets:
            return name, sheets[name]
    return "", None


def _document(sheets: Mapping[str, list[list[Any]]]) -> dict[str, Any]:
    rows = sheets.get(DOC_SHEET)
    if not rows:
        raise _refuse(
            None,
            "Tệp Excel này không phải tệp khung do Thước đo xuất (thiếu trang ẩn “_thuocdo”). "
            "Hãy tải Excel từ trang của khung, sửa trên tệp đó rồi nhập lại.",
            "This workbook is not a framework file written by Thước đo (the hidden sheet "
            "“_thuocdo” is missing). Download the Excel file from the framework's page, "
            "change it there and import it again.",
        )
    text = "".join(_text(row[0]) if row else "" for row in rows)
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise _refuse(
            None,
            "Trang ẩn “_thuocdo” của tệp đã bị sửa hoặc hỏng: không đọc được khung gốc.",
            "The hidden sheet “_thuocdo” was changed or is damaged: the framework it was "
            "made from cannot be read.",
        )
    return data


def _cell(row: Sequence[Any], column: int) -> Any:
    return row[column] if column < len(row) else None


def _node_edits(
    sheet: str, rows: list[list[Any]], part: str, document: Mapping[str, Any]
) -> list[tuple[dict[str, Any], Place]]:
    nodes = node_paths(document, part)
    out: list[tuple[dict[str, Any], Place]] = []
    for index, row in enumerate(rows[1:], start=2):
        path = _text(_cell(row, C_PATH))
        if not path:
            continue
        key = path.split("›")[-1].strip()

        def at(column: int, row_number: int = index) -> Place:
            return Place(sheet, row_number, COLUMN_WORDS[column])

        found = nodes.get(key)
        if found is None:
            raise _refuse(
                Place(sheet, index, ("Đường dẫn", "Path")),
                f"không có tiêu chí mã “{key}” trong khung gốc (thêm tiêu chí mới trên "
                "trang soạn khung, không trong tệp Excel).",
                f"the base framework has no criterion “{key}” (add criteria on the drafting "
                "page, not in the workbook).",
            )
        node = found.node
        labels = {
            "label_vi": _text(_cell(row, C_LABEL_VI)),
            "label_en": _text(_cell(row, C_LABEL_EN)),
        }
        if any(labels[k] != node.get(k, "") for k in labels):
            out.append(({"op": "set_label", "part": part, "key": key, **labels}, at(C_LABEL_VI)))
        weight = _decimal(_cell(row, C_WEIGHT), at(C_WEIGHT))
        if weight is not None and ("weight" not in node or Decimal(node["weight"]) != weight):
            out.append(
                ({"op": "set_weight", "part": part, "key": key, "weight": weight}, at(C_WEIGHT))
            )
        limits: dict[str, Any] = {}
        if "weight" in node:
            rng = _range(_cell(row, C_RANGE), at(C_RANGE))
            old = node.get("weight_range")
            old_rng = (Decimal(old[0]), Decimal(old[1])) if old else None
            if rng != old_rng:
                limits.update(
                    min_weight=rng[0] if rng else None, max_weight=rng[1] if rng else None
                )
        if node.get("type") == "group":
            allow = _yes(_cell(row, C_ADDITIONS), at(C_ADDITIONS))
            if allow != bool(node.get("allow_additions")):
                limits["allow_additions"] = allow
        if limits:
            out.append(({"op": "set_limits", "part": part, "key": key, **limits}, at(C_RANGE)))
    return out


def _band_edits(
    sheet: str, rows: list[list[Any]], document: Mapping[str, Any]
) -> list[tuple[dict[str, Any], Place]]:
    bands = (document.get("rating") or {}).get("bands") or []
    words = {code: {vi, en} for code, (vi, en) in RATING_LABELS.items()}
    out: list[tuple[dict[str, Any], Place]] = []
    for index, band in enumerate(bands, start=2):
        row = rows[index - 1] if index - 1 < len(rows) else []
        code = band.get("rating")
        where = Place(sheet, index, ("Điểm tối thiểu", "Minimum"))
        if _text(_cell(row, 0)) not in words.get(code, set()):
            raise _refuse(
                Place(sheet, index, ("Xếp loại", "Rating")),
                "thứ tự các mức xếp loại đã bị đổi; giữ nguyên cột “Xếp loại”.",
                "the order of the rating bands was changed; keep the “Rating” column as it is.",
            )
        low = _decimal(_cell(row, 2), where)
        if low is not None and low != Decimal(str(band.get("min"))):
            out.append(({"op": "set_band", "rating": code, "min": low}, where))
    return out


def read_framework_workbook(data: bytes) -> tuple[dict[str, Any], Framework, int]:
    """(document, engine framework, number of changes) of an uploaded framework workbook:
    the embedded document with the visible sheets' changes applied and its version label
    taken from the general sheet. `ValidationFailed` names the sheet, row and column at
    fault (the engine's message for a rule it breaks)."""
    try:
        book = CalamineWorkbook.from_filelike(BytesIO(data))
        sheets = _sheets(book)
    except Exception as exc:  # calamine raises its own errors for anything not a workbook
        raise _refuse(
            None,
            "Tệp không phải bảng tính Excel (.xlsx) đọc được.",
            "The file is not a readable Excel workbook (.xlsx).",
        ) from exc
    document = _document(sheets)
    planned: list[tuple[dict[str, Any], Place]] = []
    for part, names in PARTS.items():
        name, rows = _named(sheets, names)
        if rows and document.get(part):
            planned += _node_edits(name, rows, part, document)
    name, rows = _named(sheets, RATING_SHEET)
    if rows:
        planned += _band_edits(name, rows, document)
    label = _version(sheets)
    if label:
        document = {**document, "version": label}
    edits = [edit for edit, _place in planned]
    try:
        result, fw = apply_edits(document, edits)
    except DraftRefused as refusal:
        raise _located(document, planned, refusal) from refusal
    return result, fw, len(edits)


def _version(sheets: Mapping[str, list[list[Any]]]) -> str:
    _name, rows = _named(sheets, INFO)
    for row in rows or []:
        if _text(_cell(row, 0)) in VERSION_LABELS:
            return _text(_cell(row, 1))[:60]
    return ""


def _located(
    document: Mapping[str, Any],
    planned: Sequence[tuple[dict[str, Any], Place]],
    refusal: DraftRefused,
) -> ValidationFailed:
    """The first change the engine refuses, by applying them one more at a time."""
    for count in range(1, len(planned) + 1):
        try:
            apply_edits(document, [edit for edit, _place in planned[:count]])
        except DraftRefused as first:
            return _refuse(planned[count - 1][1], first.message_vi, first.message_en)
    return _refuse(None, refusal.message_vi, refusal.message_en)
