"""Work plans: a unit's yearly plan is created when missing, items are added once, known
items are never edited through Excel."""

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
from thuocdo.imports.errors import ImportRefused
from thuocdo.imports.framework import Plan, apply, plan
from thuocdo.imports.plans import COLUMNS, PlanKind
from thuocdo.imports.workbook import VALUES_SHEET, write_workbook
from thuocdo.work.models import Plan as WorkPlan
from thuocdo.work.models import PlanItem

KIND = PlanKind()


@pytest.fixture
def work(cast: Cast) -> Work:
    return build_work(cast)


def book(rows: Iterable[dict[str, Any]]) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Kế hoạch"
    sheet.append([c.template_header for c in COLUMNS])
    for row in rows:
        sheet.append([row.get(c.key) for c in COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def item(title: str = "Báo cáo quý", **values: Any) -> dict[str, Any]:
    return {
        "unit": "X",
        "year": 2026,
        "frequency": "Quý",
        "period_number": 1,
        "title": title,
        "product": "BC",
        "target_quantity": 2,
        **values,
    }


def plan_of(buffer: io.BytesIO, cast: Cast) -> Plan:
    buffer.seek(0)
    return plan(KIND, buffer, cast.agency_a, file_name="kh.xlsx")


def errors_of(result: Plan) -> list[tuple[int | None, str, str, str]]:
    return [(e.row, e.column, e.value, e.rule_vi) for e in result.errors]


def test_the_template_has_headers_and_allowed_values(cast: Cast, work: Work) -> None:
    book_ = load_workbook(io.BytesIO(write_workbook(KIND, cast.agency_a)))
    assert [c.value for c in book_["Kế hoạch"][1]] == [
        "Mã đơn vị*",
        "Năm*",
        "Tên kế hoạch",
        "Kỳ*",
        "Số kỳ*",
        "Nội dung*",
        "Mã sản phẩm",
        "Chỉ tiêu",
    ]
    values = book_[VALUES_SHEET]
    listed = [[c.value for c in column] for column in values.iter_cols()]
    assert listed[0][:5] == ["Mã đơn vị", "BA", "X", "X1", "Y"]
    assert [v for v in listed[2] if v] == ["Kỳ", "Tháng", "Quý"]


def test_plans_are_created_items_added_and_known_items_left_alone(cast: Cast, work: Work) -> None:
    rows = [
        item(),  # into X's existing 2026 plan
        item("Văn bản tham mưu tháng 1", frequency="Tháng", product="CV", target_quantity=10),
        item("Rà soát", unit="Y", plan_title="Kế hoạch Vụ Y", product=None, target_quantity=None),
        item("Tổng kết", unit="Y", frequency="Tháng", period_number=12),
    ]
    result = plan_of(book(rows), cast)
    assert result.ok, errors_of(result)
    assert result.counts == {"create": 3, "update": 0, "start": 0, "move": 0, "unchanged": 1}
    apply(result, actor=cast.user("personnel_a"))
    plan_y = WorkPlan.objects.get(unit=cast.unit_y, year=2026)
    assert plan_y.title == "Kế hoạch Vụ Y"
    assert list(plan_y.items.values_list("title", "frequency", "period_number")) == [
        ("Rà soát", "quarter", 1),
        ("Tổng kết", "month", 12),
    ]
    added = work.plan.items.get(title="Báo cáo quý")
    assert (added.product_type, added.target_quantity) == (work.products["BC"], Decimal(2))
    audit = AuditEntry.objects.count()
    again = plan_of(book(rows), cast)
    assert again.ok and not again.has_changes
    apply(again, actor=cast.user("personnel_a"))
    assert AuditEntry.objects.count() == audit


def test_a_known_item_is_not_edited(cast: Cast, work: Work) -> None:
    row = item("Văn bản tham mưu tháng 1", frequency="Tháng", product="CV", target_quantity=12)
    assert errors_of(plan_of(book([row]), cast)) == [
        (
            2,
            "Nội dung",
            "Văn bản tham mưu tháng 1",
            "Nội dung kế hoạch đã có, không sửa qua Excel (Chỉ tiêu: 10 → 12).",
        )
    ]


def test_export_then_import_changes_nothing(cast: Cast, work: Work) -> None:
    exported = write_workbook(KIND, cast.agency_a, KIND.export_rows(cast.agency_a))
    result = plan_of(io.BytesIO(exported), cast)
    assert result.ok, errors_of(result)
    assert result.counts["unchanged"] == 1 and not result.has_changes


def test_nfd_and_spaces_match_existing_items(cast: Cast, work: Work) -> None:
    nfd = unicodedata.normalize
    row = item(
        nfd("NFD", "  Văn  bản tham mưu   tháng 1 "),
        unit=nfd("NFD", " vụ xây dựng "),
        frequency=nfd("NFD", " tháng"),
        product="CV",
        target_quantity="10,00",
    )
    result = plan_of(book([row]), cast)
    assert result.ok, errors_of(result)
    assert result.counts["unchanged"] == 1
    new = item(nfd("NFD", " Báo  cáo   năm "), unit="Y")
    result = plan_of(book([new]), cast)
    apply(result, actor=cast.user("head_y"))
    stored = PlanItem.objects.get(plan__unit=cast.unit_y)
    assert stored.title == "Báo cáo năm" and unicodedata.is_normalized("NFC", stored.title)


def test_every_broken_rule_is_reported(cast: Cast, work: Work) -> None:
    rows = [
        item("A", period_number=5),
        item("B", frequency="Tháng", period_number=13),
        item("C", year=1999),
        item("D", target_quantity=-1),
        item("E", product="ZZ"),
        item("F", unit="Q"),
        item("G", frequency="Tuần"),
        item(" A ", period_number=5),
    ]
    got = errors_of(plan_of(book(rows), cast))
    expected = [
        (2, "Số kỳ", "5", "Quý phải từ 1 đến 4."),
        (3, "Số kỳ", "13", "Tháng phải từ 1 đến 12."),
        (4, "Năm", "1999", "Năm phải từ 2000 đến 2100."),
        (5, "Chỉ tiêu", "-1", "Chỉ tiêu phải lớn hơn 0, tối đa 2 chữ số thập phân."),
        (6, "Mã sản phẩm", "ZZ", "Không có trong danh sách giá trị hợp lệ"),
        (7, "Mã đơn vị", "Q", "Không có trong danh sách giá trị hợp lệ"),
        (8, "Kỳ", "Tuần", "Không có trong danh sách giá trị hợp lệ"),
        (9, "Mã đơn vị", "X", "Trùng với dòng 2"),
        (9, "Số kỳ", "5", "Quý phải từ 1 đến 4."),
    ]
    assert [g[:3] for g in got] == [e[:3] for e in expected]
    for (*_, rule), error in zip(expected, got, strict=True):
        assert error[3].startswith(rule)


def test_all_or_nothing_when_a_service_refuses(cast: Cast, work: Work) -> None:
    rows = [item("Một", unit="X"), item("Hai", unit="Y")]  # head_x does not lead unit Y
    before = (WorkPlan.objects.count(), PlanItem.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ImportRefused) as refused:
        apply(plan_of(book(rows), cast), actor=cast.user("head_x"))
    assert refused.value.errors[0].row == 3
    assert "Chỉ lãnh đạo đơn vị" in refused.value.errors[0].rule_vi
    with pytest.raises(ImportRefused):
        apply(plan_of(book(rows), cast), actor=None)
    assert (
        WorkPlan.objects.count(),
        PlanItem.objects.count(),
        AuditEntry.objects.count(),
    ) == before


def test_the_preview_refuses_a_unit_its_user_may_not_plan_for(cast: Cast, work: Work) -> None:
    """Issue 16: the preview promised "Thêm mới" and the job was then refused. It now asks
    the rule the writes ask (`rules.may_edit_plan`), row by row."""
    content = book([item(), item("Kế hoạch của Vụ Y", unit="Y")]).getvalue()
    head_y = cast.user("head_y")
    refused = plan(KIND, io.BytesIO(content), cast.agency_a, actor=head_y)
    assert [(e.row, e.column) for e in refused.errors] == [(2, "Mã đơn vị")]
    assert refused.errors[0].rule_vi.startswith("Bạn không lập được kế hoạch của “Vụ Xây dựng”")
    assert not WorkPlan.objects.filter(unit=cast.unit_y).exists()
    # The command line acts for nobody; the personnel office plans for every unit.
    nobody = plan(KIND, io.BytesIO(content), cast.agency_a, actor=None)
    assert "dòng lệnh không thay mặt ai được" in nobody.errors[0].rule_vi
    office = cast.user("personnel_a")
    accepted = plan(KIND, io.BytesIO(content), cast.agency_a, actor=office)
    assert accepted.ok and accepted.counts["create"] == 2
    assert apply(accepted, actor=office)["create"] == 2
    assert PlanItem.objects.filter(title="Kế hoạch của Vụ Y").count() == 1
