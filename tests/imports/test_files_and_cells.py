"""Malformed files get one clear message; headers and cells are read tolerantly."""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook

from tests.conftest import Cast
from thuocdo.imports.columns import CellError, Column, parse_cell, parse_date, parse_decimal
from thuocdo.imports.people import COLUMNS

from .conftest import HEADERS, errors_of, person_row, plan_of, xlsx


def only_file_error(result: Any) -> str:
    assert result.rows == []
    assert len(result.errors) == 1
    error = result.errors[0]
    assert error.row is None and error.rule_en
    return str(error.rule_vi)


def test_a_file_that_is_not_xlsx_is_refused(cast: Cast) -> None:
    for content in (b"Ho va ten;Ma can bo\nA;1\n", b"", b"PK\x03\x04 broken zip"):
        rule = only_file_error(plan_of(io.BytesIO(content), cast.agency_a))
        assert "Excel (.xlsx)" in rule


def test_a_workbook_without_the_sheet_names_the_sheets_it_has(cast: Cast) -> None:
    rule = only_file_error(plan_of(xlsx([person_row()], sheet="Sheet1"), cast.agency_a))
    assert rule.startswith("Không thấy trang tính “Cán bộ” (tệp có: “Sheet1”)")


def test_an_empty_sheet_or_one_without_headers_is_refused(cast: Cast) -> None:
    book = Workbook()
    assert book.active is not None
    book.active.title = "Cán bộ"
    buffer = io.BytesIO()
    book.save(buffer)
    assert "không có dòng tiêu đề" in only_file_error(plan_of(buffer, cast.agency_a))
    rule = only_file_error(plan_of(xlsx([]), cast.agency_a))
    assert rule == "Tệp không có dòng dữ liệu nào dưới dòng tiêu đề."


def test_missing_required_headers_are_named(cast: Cast) -> None:
    headers = [h for h in HEADERS if h not in ("Đối tượng*", "Ngày nhận công tác*")]
    rule = only_file_error(plan_of(xlsx([], headers=headers), cast.agency_a))
    assert rule == "Thiếu cột bắt buộc: “Đối tượng”, “Ngày nhận công tác”."


def test_a_column_given_twice_is_refused(cast: Cast) -> None:
    rule = only_file_error(plan_of(xlsx([], headers=[*HEADERS, "Mã cán bộ"]), cast.agency_a))
    assert rule == "Cột “Mã cán bộ” xuất hiện hai lần."


def test_too_many_rows_are_refused(cast: Cast, settings: Any) -> None:
    settings.IMPORTS_MAX_ROWS = 3
    rows = [person_row(f"M{i}") for i in range(4)]
    assert only_file_error(plan_of(xlsx(rows), cast.agency_a)).startswith("Tệp có hơn 3 dòng")
    assert plan_of(xlsx(rows[:3]), cast.agency_a).ok


def test_duplicate_codes_in_the_file_are_reported_on_each_repeat(cast: Cast) -> None:
    result = plan_of(xlsx([person_row("D1"), person_row("D2"), person_row(" D1 ")]), cast.agency_a)
    assert errors_of(result) == [
        (4, "Mã cán bộ", "D1", "Trùng với dòng 2: mỗi mã chỉ được một dòng.")
    ]


def test_headers_match_in_nfd_any_case_with_spaces_english_or_below_a_title(cast: Cast) -> None:
    headers: list[Any] = [unicodedata.normalize("NFD", f"  {h.upper()}  ") for h in HEADERS]
    headers[1] = "Full name"
    headers.append("Ghi chú")
    buffer = xlsx(
        [[*person_row(), "bỏ qua"]], headers=headers, leading=[["Danh sách cán bộ năm 2025"], []]
    )
    result = plan_of(buffer, cast.agency_a)
    assert result.ok, errors_of(result)
    assert result.ignored_headers == ["Ghi chú"]
    assert result.rows[0].row == 4  # row numbers are Excel's, title lines counted


def test_blank_rows_are_skipped_and_numbers_keep_their_excel_row(cast: Cast) -> None:
    result = plan_of(
        xlsx([person_row("B1"), [None] * 12, ["  "], person_row("B2", "", unit="X")]), cast.agency_a
    )
    assert errors_of(result) == [(5, "Họ và tên", "", "Cột bắt buộc, không được để trống.")]


def understated(buffer: io.BytesIO) -> io.BytesIO:
    """The same workbook with `<dimension ref="A1:L2"/>`: smaller than its data."""
    source, out = zipfile.ZipFile(buffer), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data, count = re.subn(
                    rb'<dimension ref="[^"]+"\s*/>', b'<dimension ref="A1:L2"/>', data
                )
                assert count == 1
            target.writestr(item, data)
    out.seek(0)
    return out


def test_a_declared_dimension_smaller_than_the_data_loses_no_row(cast: Cast) -> None:
    rows = [person_row(f"D{i}", f"Lê Văn Số {i}") for i in range(1, 6)]
    result = plan_of(understated(xlsx(rows)), cast.agency_a)
    assert result.ok, errors_of(result)
    assert [row.key for row in result.rows] == [f"D{i}" for i in range(1, 6)]
    assert [row.row for row in result.rows] == [2, 3, 4, 5, 6]


def test_cells_typed_as_numbers_dates_or_serials_are_read(cast: Cast) -> None:
    row = person_row(1234.0, birth=dt.datetime(1990, 3, 15), start=45689)
    result = plan_of(xlsx([row]), cast.agency_a)
    assert result.ok, errors_of(result)
    assert result.rows[0].key == "1234"


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("15/03/2025", dt.date(2025, 3, 15)),
        ("5/3/2025", dt.date(2025, 3, 5)),
        (" 15-03-2025 ", dt.date(2025, 3, 15)),
        ("15.03.2025", dt.date(2025, 3, 15)),
        ("2025-03-15", dt.date(2025, 3, 15)),
        ("2025-03-15T00:00:00", dt.date(2025, 3, 15)),
        (45731, dt.date(2025, 3, 15)),
        (dt.date(2025, 3, 15), dt.date(2025, 3, 15)),
    ],
)
def test_dates_are_read_from_excel_dates_serials_and_text(text: Any, day: dt.date) -> None:
    assert parse_date(text) == day


@pytest.mark.parametrize("text", ["31/02/2025", "03/15/2025", "hôm qua", "15/03/25", "01/01/1800"])
def test_impossible_or_ambiguous_dates_are_refused(text: str) -> None:
    with pytest.raises(CellError):
        parse_date(text)


@pytest.mark.parametrize(
    ("text", "number"),
    [("1.234,5", "1234.5"), ("1,234.5", "1234.5"), ("2,5", "2.5"), (" 3 ", "3"), (1.5, "1.5")],
)
def test_decimals_read_the_vietnamese_and_the_english_way(text: Any, number: str) -> None:
    assert parse_decimal(text) == Decimal(number)


def test_integer_and_decimal_columns_refuse_what_is_not_a_number() -> None:
    integer = Column("n", "Số lượng", "Quantity", "integer")
    assert parse_cell(integer, "12") == 12
    with pytest.raises(CellError, match="số nguyên"):
        parse_cell(integer, "1,5")
    with pytest.raises(CellError, match="số hợp lệ"):
        parse_cell(Column("d", "Hệ số", "Factor", "decimal"), "NaN")
    with pytest.raises(CellError):
        parse_decimal("mười")


def test_multiple_values_are_split_on_semicolons() -> None:
    fields = next(c for c in COLUMNS if c.key == "fields")
    assert parse_cell(fields, " A ;; B  C ;") == ["A", "B C"]
