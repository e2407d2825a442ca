"""Issue 16, points 2 and 9: the preview refuses what the job would refuse, numbers out
of range are refused naming row and column (also on the command line, with exit code 2),
the short task-kind labels of docs/excel.md are accepted."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from tests.conftest import Cast
from tests.work.conftest import Work, build_work
from thuocdo.imports import catalogue, tasks
from thuocdo.imports.columns import CellError, ChoiceIndex, parse_decimal
from thuocdo.imports.framework import ImportKind, apply, plan
from thuocdo.work.models import CatalogueVersion, ProductType, Task


@pytest.fixture
def work(cast: Cast) -> Work:
    return build_work(cast)


def book(kind: ImportKind, rows: list[dict[str, Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = kind.sheet_name
    sheet.append([c.template_header for c in kind.columns])
    for row in rows:
        sheet.append([row.get(c.key) for c in kind.columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


PRODUCT = {
    "catalogue": "Danh mục sản phẩm Ban A",
    "code": "MOI",
    "name": "Sản phẩm mới",
    "unit_of_measure": "văn bản",
    "coefficient": "0,5",
    "complexity_group": 1,
}


def test_the_catalogue_preview_refuses_a_version_its_user_may_not_propose(
    cast: Cast, work: Work
) -> None:
    kind = catalogue.CatalogueKind()
    content = book(kind, [PRODUCT])
    # The personnel office may edit a version but not propose one: the latest is decided.
    refused = plan(kind, io.BytesIO(content), cast.agency_a, actor=cast.user("personnel_a"))
    assert [(e.row, e.column) for e in refused.errors] == [(2, "Danh mục")]
    assert "chỉ lãnh đạo đơn vị mới đề xuất" in refused.errors[0].rule_vi
    # The command line acts for nobody: refused in its preview too.
    nobody = plan(kind, io.BytesIO(content), cast.agency_a, actor=None)
    assert "dòng lệnh không thay mặt ai được" in nobody.errors[0].rule_vi
    # A unit's head: the preview's promise is kept.
    head = cast.user("head_x")
    accepted = plan(kind, io.BytesIO(content), cast.agency_a, actor=head)
    assert accepted.ok and accepted.counts["create"] == 1
    versions = CatalogueVersion.objects.count()
    assert apply(accepted, actor=head)["create"] == 1
    assert CatalogueVersion.objects.count() == versions + 1
    assert ProductType.objects.filter(code="MOI").count() == 1


@pytest.mark.parametrize("text", ["1e308", "9" * 40, "-" + "9" * 16, "0," + "0" * 20 + "1"])
def test_numbers_out_of_range_are_refused_not_crashed_on(text: str) -> None:
    with pytest.raises(CellError) as refused:
        parse_decimal(text)
    assert refused.value.rule_vi.startswith("Số ")
    with pytest.raises(CellError):
        parse_decimal(float(text.replace(",", ".")))


def test_numbers_in_range_read_as_excel_shows_them() -> None:
    assert str(parse_decimal(0.1 + 0.2)) == "0.3"
    assert parse_decimal("1.234,5") == parse_decimal(1234.5)
    assert parse_decimal("999999999999999") == 10**15 - 1


@pytest.mark.parametrize("label", ["phát sinh", "PHAT SINH", "Nhiệm vụ phát sinh", "arising"])
def test_the_short_and_full_task_kind_labels_are_accepted(cast: Cast, label: str) -> None:
    index = ChoiceIndex(tasks.kind_choices(cast.agency_a))
    found = index.find(label)
    assert found is not None and found.value == Task.Kind.ARISING


def test_the_command_line_refuses_a_huge_quantity_with_exit_code_two(
    cast: Cast, work: Work, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    row = {
        "external_ref": "NV-1",
        "owner": "P004",
        "assigner": "P002",
        "kind": "phát sinh",
        "title": "Soạn công văn",
        "product_type": "CV",
        "quantity": 1e308,
        "deadline": "20/03/2025",
        "assigned_on": "05/03/2025",
    }
    path = tmp_path / "nhiem-vu.xlsx"
    path.write_bytes(
        book(tasks.TaskKind(), [row, {**row, "external_ref": "NV-2", "quantity": "9" * 40}])
    )
    before = Task.objects.count()
    with pytest.raises(CommandError, match="Tệp có 2 lỗi") as refused:
        call_command("import_excel", "tasks", str(path), "--agency", cast.agency_a.code)
    assert refused.value.returncode == 2
    err = capsys.readouterr().err
    assert "Số lượng" in err and "Số quá lớn" in err and "Traceback" not in err
    assert [line.split()[0] for line in err.splitlines()[1:]] == ["2", "3"]
    assert Task.objects.count() == before
