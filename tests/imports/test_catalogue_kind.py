"""Product catalogues: written into the latest editable version; a decided one is never
touched — changes go into one new proposed version; the same file twice changes nothing."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from tests.conftest import Cast
from tests.work.conftest import Work, build_work
from thuocdo.audit.models import AuditEntry
from thuocdo.imports.catalogue import COLUMNS, CatalogueKind
from thuocdo.imports.errors import ImportRefused
from thuocdo.imports.framework import Plan, apply, plan
from thuocdo.imports.workbook import VALUES_SHEET, write_workbook
from thuocdo.work import services
from thuocdo.work.models import CatalogueVersion, ProductType

KIND = CatalogueKind()
NAME = "Danh mục sản phẩm Ban A"


@pytest.fixture
def work(cast: Cast) -> Work:
    return build_work(cast)


def book(rows: Iterable[dict[str, Any]]) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Sản phẩm"
    sheet.append([c.template_header for c in COLUMNS])
    for row in rows:
        sheet.append([row.get(c.key) for c in COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def product(code: str = "CV", **values: Any) -> dict[str, Any]:
    return {
        "catalogue": NAME,
        "code": code,
        "name": "Công văn",
        "unit_of_measure": "văn bản",
        "coefficient": "0,5",
        "complexity_group": 1,
        **values,
    }


def plan_of(buffer: io.BytesIO, cast: Cast) -> Plan:
    buffer.seek(0)
    return plan(KIND, buffer, cast.agency_a, file_name="dm.xlsx")


def errors_of(result: Plan) -> list[tuple[int | None, str, str, str]]:
    return [(e.row, e.column, e.value, e.rule_vi) for e in result.errors]


def test_the_template_has_headers_and_lists_the_catalogues(cast: Cast, work: Work) -> None:
    book_ = load_workbook(io.BytesIO(write_workbook(KIND, cast.agency_a)))
    assert [c.value for c in book_["Sản phẩm"][1]] == [
        "Danh mục*",
        "Phiên bản",
        "Mã sản phẩm*",
        "Tên sản phẩm*",
        "Đơn vị tính*",
        "Hệ số quy đổi*",
        "Nhóm mức độ phức tạp*",
        "Thứ tự",
    ]
    values = book_[VALUES_SHEET]
    assert (values["A1"].value, values["A2"].value, values["B2"].value) == (
        "Danh mục",
        NAME,
        "Toàn cơ quan",
    )


def test_changes_to_a_decided_catalogue_go_into_one_new_proposed_version(
    cast: Cast, work: Work
) -> None:
    rows = [
        product("CV", coefficient="0,75"),  # changed
        product("TD", name="Thẩm định văn bản", coefficient=1, complexity_group=2),  # same
        product(
            "HD",
            name="Hướng dẫn nghiệp vụ",
            unit_of_measure="tài liệu",
            coefficient=3,
            complexity_group=5,
            sort_order=9,
        ),  # new
    ]
    result = plan_of(book(rows), cast)
    assert result.ok, errors_of(result)
    assert result.counts == {"create": 1, "update": 1, "start": 0, "move": 0, "unchanged": 1}
    changes = {(c.column, c.before, c.after) for c in result.rows[0].steps[0].changes}
    assert ("Phiên bản", "1", "2") in changes and ("Hệ số quy đổi", "0.5000", "0.75") in changes
    apply(result, actor=cast.user("head_x"))
    v1, v2 = CatalogueVersion.objects.filter(catalogue=work.version.catalogue).order_by("number")
    assert (v1.status, v2.status, v2.number) == ("decided", "proposed", 2)
    assert ProductType.objects.get(version=v1, code="CV").coefficient == Decimal("0.5")
    assert ProductType.objects.get(version=v2, code="CV").coefficient == Decimal("0.75")
    assert ProductType.objects.get(version=v2, code="HD").sort_order == 9
    assert v2.product_types.count() == 5
    # The same file again: the proposed version already says all this.
    audit = AuditEntry.objects.count()
    again = plan_of(book(rows), cast)
    assert again.ok and not again.has_changes
    assert again.counts["unchanged"] == 3
    apply(again, actor=cast.user("head_x"))
    assert AuditEntry.objects.count() == audit
    assert CatalogueVersion.objects.filter(catalogue=work.version.catalogue).count() == 2


def test_an_editable_version_is_written_in_place(cast: Cast, work: Work) -> None:
    version = services.catalogue_version_propose(
        actor=cast.user("head_x"), catalogue=work.version.catalogue
    )
    result = plan_of(
        book([product("CV", name="Công văn hành chính"), product("MO", name="Mới")]), cast
    )
    assert result.ok, errors_of(result)
    apply(result, actor=cast.user("personnel_a"))  # the personnel office edits a version
    assert CatalogueVersion.objects.filter(catalogue=version.catalogue).count() == 2
    assert version.product_types.get(code="CV").name == "Công văn hành chính"
    assert version.product_types.filter(code="MO").exists()
    entry = AuditEntry.objects.filter(action="work.product_type.update").latest("id")
    assert entry.reason == "Nhập Excel: dm.xlsx"


def test_a_row_naming_a_decided_version_cannot_change_it(cast: Cast, work: Work) -> None:
    result = plan_of(
        book(
            [
                product("CV", version=1),
                product("CV2", version=1, coefficient=2),
                product("X", version=7),
            ]
        ),
        cast,
    )
    assert errors_of(result) == [
        (
            3,
            "Phiên bản",
            "1",
            "Phiên bản 1 đã được quyết định nên không sửa được; để trống cột “Phiên bản” để "
            "ghi vào một phiên bản đề xuất mới.",
        ),
        (
            4,
            "Phiên bản",
            "7",
            "Chỉ ghi vào phiên bản mới nhất của danh mục (1); để trống cột này để ghi vào "
            "phiên bản đang đề xuất.",
        ),
    ]


def test_export_then_import_changes_nothing(cast: Cast, work: Work) -> None:
    exported = write_workbook(KIND, cast.agency_a, KIND.export_rows(cast.agency_a))
    result = plan_of(io.BytesIO(exported), cast)
    assert result.ok, errors_of(result)
    assert result.counts["unchanged"] == 4 and not result.has_changes


def test_nfd_and_spaces_match_the_catalogue_and_are_stored_nfc(cast: Cast, work: Work) -> None:
    nfd = unicodedata.normalize
    row = product(
        " MO ",
        catalogue=nfd("NFD", "  danh muc  SAN PHAM ban a "),
        name=nfd("NFD", "  Báo   cáo  nhanh "),
        unit_of_measure=nfd("NFD", "báo cáo"),
    )
    result = plan_of(book([row]), cast)
    assert result.ok, errors_of(result)
    apply(result, actor=cast.user("head_x"))
    stored = ProductType.objects.get(code="MO")
    assert stored.name == "Báo cáo nhanh" and unicodedata.is_normalized("NFC", stored.name)
    assert not plan_of(book([row]), cast).has_changes


def test_every_broken_rule_is_reported(cast: Cast, work: Work) -> None:
    rows = [
        product("A", coefficient=0),
        product("B", coefficient="0,12345"),
        product("C", complexity_group=6),
        product("D", catalogue="Danh mục không có"),
        product("E", name=""),
        product("F", coefficient="nhiều"),
        product("A"),
    ]
    got = errors_of(plan_of(book(rows), cast))
    expected = [
        (2, "Hệ số quy đổi", "0", "Hệ số quy đổi phải lớn hơn 0."),
        (3, "Hệ số quy đổi", "0,12345", "Hệ số quy đổi có nhiều nhất 4 chữ số thập phân."),
        (4, "Nhóm mức độ phức tạp", "6", "Nhóm mức độ phức tạp phải từ 1 đến 5."),
        (5, "Danh mục", "Danh mục không có", "Không có trong danh sách giá trị hợp lệ"),
        (6, "Tên sản phẩm", "", "Cột bắt buộc, không được để trống."),
        (7, "Hệ số quy đổi", "nhiều", "Không phải số hợp lệ."),
        (8, "Danh mục", NAME, "Trùng với dòng 2"),
    ]
    assert [g[:3] for g in got] == [e[:3] for e in expected]
    for (*_, rule), error in zip(expected, got, strict=True):
        assert error[3].startswith(rule)


def test_all_or_nothing_and_the_command_line_cannot_act_for_anyone(cast: Cast, work: Work) -> None:
    rows = [product("N1", name="Một"), product("N2", name="Hai")]
    before = (
        CatalogueVersion.objects.count(),
        ProductType.objects.count(),
        AuditEntry.objects.count(),
    )
    result = plan_of(book(rows), cast)
    with pytest.raises(ImportRefused) as refused:
        apply(result, actor=None)
    assert refused.value.errors[0].row == 2
    assert "dòng lệnh không thay mặt ai được" in refused.value.errors[0].rule_vi
    # The personnel office may edit but not propose a version: refused, nothing kept.
    with pytest.raises(ImportRefused) as refused:
        apply(plan_of(book(rows), cast), actor=cast.user("personnel_a"))
    assert "Chỉ lãnh đạo đơn vị mới đề xuất" in refused.value.errors[0].rule_vi
    after = (
        CatalogueVersion.objects.count(),
        ProductType.objects.count(),
        AuditEntry.objects.count(),
    )
    assert after == before
