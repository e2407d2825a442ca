"""A generated corpus of malformed workbooks, run through every importer.

Each file either is refused with a Vietnamese error naming the row and the column (or,
for a file that is wrong as a whole, what is wrong with it), or imports exactly the rows
it holds. Never an unexpected exception, never a partial write.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db.models import Model
from openpyxl import Workbook

from tests.conftest import Cast
from tests.work.conftest import Work, build_work
from thuocdo.audit.models import AuditEntry
from thuocdo.core.models import User
from thuocdo.imports.catalogue import CatalogueKind
from thuocdo.imports.errors import RowError
from thuocdo.imports.framework import ImportKind, apply, plan
from thuocdo.imports.people import PeopleKind
from thuocdo.imports.plans import PlanKind
from thuocdo.imports.tasks import TaskKind
from thuocdo.org.models import Person
from thuocdo.work.models import PlanItem, ProductType, Task

SHEET = "xl/worksheets/sheet1.xml"
VIETNAMESE = re.compile(r"[ăâđêôơưàáảãạèéẻẽẹìíỉĩịòóỏõọùúủũụỳýỷỹỵ]", re.IGNORECASE)


@dataclass(frozen=True)
class Importer:
    kind: ImportKind
    model: type[Model]
    actor: str  # who applies it (a name in the cast)
    row: Callable[[int], dict[str, Any]]  # a good row, distinct per number
    name: str  # a required free-text column (a name or a title)
    code: str  # the key column
    number: str  # a number column (a date for people: it has none)


def _person(n: int) -> dict[str, Any]:
    return {
        "code": f"N{n:03}",
        "full_name": f"Trần Thị Mới {n}",
        "gender": "Nữ",
        "birth_date": "15/03/1990",
        "category": "Công chức",
        "unit": "X",
        "role": "Không giữ chức vụ lãnh đạo",
        "start_date": "01/02/2025",
    }


def _product(n: int) -> dict[str, Any]:
    return {
        "catalogue": "Danh mục sản phẩm Ban A",
        "code": f"MOI{n}",
        "name": f"Sản phẩm mới {n}",
        "unit_of_measure": "văn bản",
        "coefficient": "0,5",
        "complexity_group": 1,
    }


def _item(n: int) -> dict[str, Any]:
    return {
        "unit": "X",
        "year": 2026,
        "frequency": "Quý",
        "period_number": 1,
        "title": f"Báo cáo mới {n}",
        "product": "BC",
        "target_quantity": 2,
    }


def _task(n: int) -> dict[str, Any]:
    return {
        "external_ref": f"NV-{n}",
        "owner": "P004",
        "assigner": "P002",
        "kind": "phát sinh",  # the short label docs/excel.md lists
        "title": f"Soạn công văn {n}",
        "product_type": "CV",
        "quantity": 2,
        "deadline": "20/03/2025",
        "assigned_on": "05/03/2025",
    }


IMPORTERS = {
    "people": Importer(
        PeopleKind(), Person, "personnel_a", _person, "full_name", "code", "birth_date"
    ),
    "catalogue": Importer(
        CatalogueKind(), ProductType, "head_x", _product, "name", "code", "coefficient"
    ),
    "plans": Importer(
        PlanKind(), PlanItem, "personnel_a", _item, "title", "title", "target_quantity"
    ),
    "tasks": Importer(TaskKind(), Task, "personnel_a", _task, "title", "external_ref", "quantity"),
}


# --- building the files ---------------------------------------------------------------------


def workbook(
    importer: Importer, rows: list[dict[str, Any]], *, headers: list[str] | None = None
) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = importer.kind.sheet_name
    columns = importer.kind.columns
    if headers is not None:
        sheet.append(headers)
    else:
        sheet.append([c.template_header for c in columns])
    for row in rows:
        sheet.append([row.get(c.key) for c in columns])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def patched(content: bytes, change: Callable[[str], str]) -> bytes:
    """The workbook with its data sheet's XML changed (what openpyxl will not write)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == SHEET:
                data = change(data.decode("utf-8")).encode("utf-8")
            target.writestr(item, data)
    return out.getvalue()


def one_bad_cell(key: str, value: Any) -> Callable[[Importer], bytes]:
    def build(importer: Importer) -> bytes:
        column = getattr(importer, key)
        return workbook(importer, [importer.row(1), {**importer.row(2), column: value}])

    return build


def raw_text(key: str, xml_text: str) -> Callable[[Importer], bytes]:
    """A cell whose stored text is `xml_text` as written in the XML (escapes included)."""

    def build(importer: Importer) -> bytes:
        column = getattr(importer, key)
        content = workbook(importer, [importer.row(1), {**importer.row(2), column: "PLACEHOLDER"}])
        return patched(content, lambda xml: xml.replace(">PLACEHOLDER<", f">{xml_text}<"))

    return build


def uncalculated(importer: Importer) -> bytes:
    # openpyxl writes formulas without a cached result: as a script (not Excel) would.
    return workbook(importer, [importer.row(1), {**importer.row(2), importer.name: "=A2&B2"}])


def error_value(importer: Importer) -> bytes:
    content = workbook(importer, [importer.row(1), {**importer.row(2), importer.name: "XERRX"}])
    return patched(
        content,
        lambda xml: re.sub(
            r'<c r="([A-Z]+3)" t="inlineStr"><is><t>XERRX</t></is></c>',
            r'<c r="\1" t="e"><v>#DIV/0!</v></c>',
            xml,
        ),
    )


def understated_dimension(importer: Importer) -> bytes:
    content = workbook(importer, [importer.row(n) for n in range(1, 4)])
    return patched(
        content, lambda xml: re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:L2"', xml)
    )


def empty_sheet(importer: Importer) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = importer.kind.sheet_name
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def headers_only(importer: Importer) -> bytes:
    return workbook(importer, [])


def missing_headers(importer: Importer) -> bytes:
    first = importer.kind.columns[0]
    return workbook(importer, [importer.row(1)], headers=[first.template_header])


def wrong_sheet(importer: Importer) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Sheet1"
    sheet.append(["x"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def not_a_workbook(importer: Importer) -> bytes:
    return b"PK\x03\x04 not really a zip"


# The cell-level cases: refused naming row 3 (the second data row) and the column.
CELL_CASES: dict[str, tuple[Callable[[Importer], bytes], str]] = {
    "huge-float": (one_bad_cell("number", 1e308), "number"),
    "forty-nines": (one_bad_cell("number", "9" * 40), "number"),
    "tiny-fraction": (one_bad_cell("number", "0," + "0" * 30 + "1"), "number"),
    "text-in-number": (one_bad_cell("number", "nhiều"), "number"),
    "bool-name": (one_bad_cell("name", True), "name"),
    "na-text-name": (raw_text("name", "#N/A"), "name"),
    "bidi-name": (one_bad_cell("name", "Tên\u202egnal"), "name"),
    "zero-width-name": (one_bad_cell("name", "Tên\u200b"), "name"),
    "nul-name": (raw_text("name", "Tên_x0000_ẩn"), "name"),
    "control-name": (raw_text("name", "Tên&#1;ẩn"), "name"),
    "nul-code": (raw_text("code", "MA_x0000_"), "code"),
    "long-name": (one_bad_cell("name", "Tên " + "x" * 10_000), "name"),
    "long-code": (one_bad_cell("code", "M" * 10_000), "code"),
    "uncalculated-formula": (uncalculated, "name"),
    "error-value": (error_value, "name"),
}

# The file-level cases: refused as a whole.
FILE_CASES: dict[str, Callable[[Importer], bytes]] = {
    "empty-sheet": empty_sheet,
    "headers-only": headers_only,
    "missing-headers": missing_headers,
    "wrong-sheet": wrong_sheet,
    "not-a-workbook": not_a_workbook,
}


@pytest.fixture
def work(cast: Cast) -> Work:
    return build_work(cast)


def counts(importer: Importer) -> tuple[int, int]:
    return importer.model._default_manager.count(), AuditEntry.objects.count()


def run(importer: Importer, cast: Cast, content: bytes) -> tuple[list[RowError], int]:
    """Preview then write as the job does; (errors, rows added). Any exception, a
    refusal by the writes included, fails the test: the preview must have seen it."""
    actor: User = cast.user(importer.actor)
    result = plan(
        importer.kind, io.BytesIO(content), cast.agency_a, file_name="x.xlsx", actor=actor
    )
    if not result.ok:
        return result.errors, 0
    return [], apply(result, actor=actor)["create"]


@pytest.mark.parametrize("case", sorted(CELL_CASES))
@pytest.mark.parametrize("name", sorted(IMPORTERS))
def test_a_bad_cell_is_refused_naming_its_row_and_column(
    cast: Cast, work: Work, name: str, case: str
) -> None:
    importer = IMPORTERS[name]
    build, key = CELL_CASES[case]
    column = importer.kind.column(getattr(importer, key))
    before = counts(importer)
    errors, written = run(importer, cast, build(importer))
    assert errors, f"{name}/{case}: accepted, {written} rows written"
    assert counts(importer) == before  # no partial write
    assert [(e.row, e.column) for e in errors] == [(3, column.header_vi)], errors
    assert VIETNAMESE.search(errors[0].rule_vi), errors[0].rule_vi
    assert errors[0].rule_en and errors[0].rule_en != errors[0].rule_vi


@pytest.mark.parametrize("case", sorted(FILE_CASES))
@pytest.mark.parametrize("name", sorted(IMPORTERS))
def test_a_bad_file_is_refused_as_a_whole(cast: Cast, work: Work, name: str, case: str) -> None:
    importer = IMPORTERS[name]
    before = counts(importer)
    errors, written = run(importer, cast, FILE_CASES[case](importer))
    assert errors, f"{name}/{case}: accepted, {written} rows written"
    assert counts(importer) == before
    assert len(errors) == 1 and errors[0].row is None
    assert VIETNAMESE.search(errors[0].rule_vi), errors[0].rule_vi


@pytest.mark.parametrize("name", sorted(IMPORTERS))
def test_an_understated_dimension_loses_no_row(cast: Cast, work: Work, name: str) -> None:
    importer = IMPORTERS[name]
    errors, written = run(importer, cast, understated_dimension(importer))
    assert errors == []
    assert written == 3


@pytest.mark.parametrize("name", sorted(IMPORTERS))
def test_the_good_rows_of_the_corpus_import(cast: Cast, work: Work, name: str) -> None:
    """The control: the rows every case spoils import as they are."""
    importer = IMPORTERS[name]
    errors, written = run(importer, cast, workbook(importer, [importer.row(1), importer.row(2)]))
    assert errors == []
    assert written == 2
