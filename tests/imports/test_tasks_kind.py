"""Tasks: new rows become stories replayed like the services; known ids change nothing."""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook, load_workbook

from tests.conftest import Cast
from tests.work.conftest import Work, at, build_work
from thuocdo.audit.models import AuditEntry
from thuocdo.imports.errors import ImportRefused
from thuocdo.imports.framework import Plan, apply, plan
from thuocdo.imports.registry import KINDS
from thuocdo.imports.tasks import COLUMNS, TaskKind, parse_period
from thuocdo.imports.workbook import VALUES_SHEET, write_workbook
from thuocdo.org.models import Person
from thuocdo.work.models import Task, TaskEvent

KIND = TaskKind()
D = dt.date


@pytest.fixture
def work(cast: Cast) -> Work:
    return build_work(cast)


def book(rows: Iterable[dict[str, Any]], *, sheet_name: str = "Nhiệm vụ") -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = sheet_name
    sheet.append([c.template_header for c in COLUMNS])
    for row in rows:
        sheet.append([row.get(c.key) for c in COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def task(ref: str = "NV-1", **values: Any) -> dict[str, Any]:
    return {
        "external_ref": ref,
        "owner": "P004",  # staff_x, in unit X
        "assigner": "P002",  # head_x
        "kind": "Nhiệm vụ phát sinh",
        "title": "Soạn công văn",
        "product_type": "CV",
        "quantity": 2,
        "deadline": "20/03/2025",
        "assigned_on": "05/03/2025",
        **values,
    }


def plan_of(buffer: io.BytesIO, cast: Cast) -> Plan:
    buffer.seek(0)
    return plan(KIND, buffer, cast.agency_a, file_name="nv.xlsx")


def errors_of(result: Plan) -> list[tuple[int | None, str, str, str]]:
    return [(e.row, e.column, e.value, e.rule_vi) for e in result.errors]


def imported(buffer: io.BytesIO, cast: Cast) -> Plan:
    result = plan_of(buffer, cast)
    assert result.ok, errors_of(result)
    apply(result, actor=cast.user("personnel_a"))
    return result


# --- template -----------------------------------------------------------------------------


def test_the_template_has_vietnamese_headers_and_the_allowed_values(cast: Cast, work: Work) -> None:
    book_ = load_workbook(io.BytesIO(write_workbook(KIND, cast.agency_a)))
    headers = [cell.value for cell in book_["Nhiệm vụ"][1]]
    assert headers[:6] == [
        "Mã nhiệm vụ (hệ thống nguồn)*",
        "Mã người thực hiện*",
        "Mã người giao*",
        "Loại nhiệm vụ*",
        "Làm thêm",
        "Tên nhiệm vụ*",
    ]
    assert "Trạng thái" in headers and "Số lần trả lại vì lỗi lớn" in headers
    values = book_[VALUES_SHEET]
    headers_at = {values.cell(row=1, column=c).value: c for c in range(values.max_column, 0, -1)}

    def listed(header: str, offset: int = 0) -> list[Any]:
        column = headers_at[header] + offset
        return [values.cell(row=r, column=column).value for r in range(2, values.max_row + 1)]

    columns = {h: listed(h) for h in headers_at}
    assert "P004" in columns["Mã người thực hiện"]
    assert "Nguyễn Văn Staff X" in listed("Mã người thực hiện", 1)
    assert {"Đã giao", "Đang thực hiện", "Đã nghiệm thu", "Đã huỷ"} <= set(columns["Trạng thái"])
    assert columns["Mã sản phẩm"][:4] == ["BC", "CV", "DX", "TD"]
    assert KINDS["tasks"].max_rows() == 200_000


def test_the_row_limit_is_per_kind(cast: Cast, work: Work, settings: Any) -> None:
    settings.IMPORTS_MAX_ROWS = 1  # the people limit does not bind tasks
    settings.IMPORTS_MAX_ROWS_TASKS = 2
    assert plan_of(book([task("A"), task("B")]), cast).ok
    result = plan_of(book([task("A"), task("B"), task("C")]), cast)
    assert "hơn 2 dòng" in result.errors[0].rule_vi


def test_the_preview_of_a_new_task_names_what_it_creates(cast: Cast, work: Work) -> None:
    result = plan_of(book([task(state="Đang thực hiện")]), cast)
    assert result.ok, errors_of(result)
    (step,) = result.rows[0].steps
    # made when the preview reads them (it shows the first rows only), then kept
    shown = [(c.column, c.before, c.after) for c in step.changes]
    assert shown == [
        ("Mã người thực hiện", "", "P004"),
        ("Loại nhiệm vụ", "", "Nhiệm vụ phát sinh"),
        ("Hạn hoàn thành", "", "20/03/2025"),
        ("Mã sản phẩm", "", "CV"),
        ("Trạng thái", "", "Đang thực hiện"),
    ]
    assert len(step.changes) == 5 and step.changes[-1].after == "Đang thực hiện"


# --- the story of a row is counted as the services count it ---------------------------------


def test_an_accepted_task_with_a_return_counts_like_the_services(cast: Cast, work: Work) -> None:
    by_services = work.assign(kind="arising", on=D(2025, 3, 5), deadline=D(2025, 3, 20), quantity=2)
    work.act(by_services, "submit", on=D(2025, 3, 25))  # late
    work.act(by_services, "return", by="head_x", on=D(2025, 3, 25), reason="Sai số liệu")
    work.act(by_services, "resubmit", on=D(2025, 3, 27))  # late again
    work.act(by_services, "accept", by="head_x", on=D(2025, 3, 28), done_quantity="1.5")
    imported(
        book(
            [
                task(
                    state="Đã nghiệm thu",
                    first_submitted="25/03/2025",
                    returns=1,
                    last_submitted="27/03/2025",
                    done_quantity="1,5",
                    closed_on="28/03/2025",
                )
            ]
        ),
        cast,
    )
    by_excel = Task.objects.get(external_ref="NV-1")
    by_services.refresh_from_db()
    fields = ("state", "failures", "delays", "done_quantity", "completed_on", "coefficient", "unit")
    assert [getattr(by_excel, f) for f in fields] == [getattr(by_services, f) for f in fields]
    assert (by_excel.failures, by_excel.delays, by_excel.version) == (1, 2, 5)

    def story(t: Task) -> list[tuple[str, dt.date, int]]:
        return [
            (e.action, e.at.astimezone(at(D(2025, 1, 1)).tzinfo).date(), e.delays)
            for e in t.events.order_by("at", "id")
        ]

    assert story(by_excel) == story(by_services)
    audit = AuditEntry.objects.filter(object_type="work.task", object_id=str(by_excel.pk))
    assert sorted(e.action for e in audit) == sorted(
        f"work.task.{a}" for a in ("assign", "submit", "return", "resubmit", "accept")
    )
    assert {e.actor_id for e in audit} == {cast.users["head_x"].pk, cast.users["staff_x"].pk}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, ("assigned", 0, 0, ["assign"])),
        ({"state": "Đang thực hiện"}, ("in_progress", 0, 0, ["assign", "start"])),
        (
            {"state": "Đã nộp", "first_submitted": "20/03/2025"},  # on the deadline: on time
            ("submitted", 0, 0, ["assign", "submit"]),
        ),
        (
            {
                "state": "Bị trả lại",
                "first_submitted": "21/03/2025",
                "returns": 2,
                "last_submitted": "24/03/2025",
            },
            ("returned", 2, 2, ["assign", "submit", "return", "resubmit", "return"]),
        ),
        (
            {
                "state": "Đã nộp lại",
                "first_submitted": "10/03/2025",
                "returns": 1,
                "last_submitted": "22/03/2025",
            },
            ("resubmitted", 1, 1, ["assign", "submit", "return", "resubmit"]),
        ),
        (
            {"state": "Đã nghiệm thu", "closed_on": "19/03/2025"},
            ("accepted", 0, 0, ["assign", "submit", "accept"]),
        ),
        (
            {"state": "Trả lại nhiệm vụ", "closed_on": "06/03/2025", "reason": "Ốm dài ngày"},
            ("handed_back", 0, 0, ["assign", "hand_back"]),
        ),
        (
            {"state": "Đã huỷ", "closed_on": "06/03/2025", "reason": "Không còn cần"},
            ("cancelled", 0, 0, ["assign", "cancel"]),
        ),
        (
            {
                "state": "Đã huỷ",
                "first_submitted": "25/03/2025",
                "closed_on": "26/03/2025",
                "reason": "Không còn cần",
            },
            ("cancelled", 0, 1, ["assign", "submit", "cancel"]),
        ),
    ],
)
def test_each_state_reached_maps_to_its_steps(
    cast: Cast, work: Work, values: dict[str, Any], expected: tuple[Any, ...]
) -> None:
    imported(book([task(**values)]), cast)
    t = Task.objects.get(external_ref="NV-1")
    actions = list(t.events.order_by("at", "id").values_list("action", flat=True))
    assert (t.state, t.failures, t.delays, actions) == expected


def test_delays_follow_the_per_days_rule(cast: Cast, work: Work, settings: Any) -> None:
    settings.THUOCDO_WORK_DELAY_RULE = {"mode": "per_days", "days": 2}
    row = task(
        state="Đã nghiệm thu",
        first_submitted="23/03/2025",
        returns=2,
        last_submitted="27/03/2025",
        closed_on="27/03/2025",
    )
    imported(book([row]), cast)
    assert Task.objects.get(external_ref="NV-1").delays == 4  # 7 days late ÷ 2, rounded up


def test_a_planned_task_finds_its_plan_item_and_takes_its_product(cast: Cast, work: Work) -> None:
    row = task(
        kind="Nhiệm vụ theo kế hoạch",
        product_type=None,
        assigned_on="05/01/2026",
        deadline="20/01/2026",
        plan_period=" t1 ",
        plan_item=unicodedata.normalize("NFD", "Văn bản  tham mưu tháng 1"),
    )
    imported(book([row]), cast)
    t = Task.objects.get(external_ref="NV-1")
    assert (t.plan_item, t.product_type, t.coefficient) == (
        work.item,
        work.products["CV"],
        Decimal("0.5"),
    )
    assert parse_period("Quý 4") == ("quarter", 4)
    assert parse_period("Tháng 13") == ("month", 13)  # the range is checked against the plan


# --- idempotent, round trip, normalisation --------------------------------------------------


def test_importing_the_same_file_again_changes_nothing(cast: Cast, work: Work) -> None:
    rows = [task(f"NV-{i}", state="Đã nghiệm thu", closed_on="18/03/2025") for i in range(5)]
    first = imported(book(rows), cast)
    assert first.counts["create"] == 5
    tasks, events, audit = (
        Task.objects.count(),
        TaskEvent.objects.count(),
        AuditEntry.objects.count(),
    )
    again = imported(book(rows), cast)
    assert again.counts == {"create": 0, "update": 0, "start": 0, "move": 0, "unchanged": 5}
    assert not again.has_changes
    assert (Task.objects.count(), TaskEvent.objects.count(), AuditEntry.objects.count()) == (
        tasks,
        events,
        audit,
    )


def test_a_known_task_is_not_changed_through_excel(cast: Cast, work: Work) -> None:
    imported(book([task()]), cast)
    result = plan_of(book([task(title="Tên khác", quantity=3)]), cast)
    assert errors_of(result) == [
        (
            2,
            "Mã nhiệm vụ (hệ thống nguồn)",
            "NV-1",
            "Nhiệm vụ đã có, không sửa qua Excel (Tên nhiệm vụ: Soạn công văn → Tên khác; "
            "Số lượng: 2 → 3).",
        )
    ]


def test_export_then_import_changes_nothing(cast: Cast, work: Work) -> None:
    done = work.assign(on=D(2026, 1, 5), deadline=D(2026, 1, 20))  # planned, by the services
    work.act(done, "submit", on=D(2026, 1, 21))
    work.act(done, "accept", by="head_x", on=D(2026, 1, 22))
    work.assign(kind="other", product=None, on=D(2026, 1, 6), title="Việc khác")
    imported(
        book(
            [
                task("A", state="Bị trả lại", first_submitted="21/03/2025", returns=1),
                task("B", state="Đã huỷ", closed_on="06/03/2025", reason="Thôi"),
            ]
        ),
        cast,
    )
    audit = AuditEntry.objects.count()
    exported = write_workbook(KIND, cast.agency_a, KIND.export_rows(cast.agency_a))
    result = plan_of(io.BytesIO(exported), cast)
    assert result.ok, errors_of(result)
    assert result.counts["unchanged"] == 4 and not result.has_changes
    sheet = load_workbook(io.BytesIO(exported))["Nhiệm vụ"]
    refs = [sheet.cell(row=r, column=1).value for r in range(2, 6)]
    assert {"A", "B", f"#{done.pk}"} <= set(refs)
    apply(result, actor=None)
    assert AuditEntry.objects.count() == audit


def test_nfd_text_and_stray_spaces_are_stored_nfc_and_match(cast: Cast, work: Work) -> None:
    nfd = unicodedata.normalize
    row = task(
        " NV-9 ",
        owner=nfd("NFD", "  nguyễn văn STAFF   x "),  # the owner's name, accents folded
        kind=nfd("NFD", "nhiem vu  phat sinh"),
        title=nfd("NFD", "  Soạn   thảo   công văn "),
        state=nfd("NFD", " đã  nghiệm thu"),
        closed_on="18/03/2025",
    )
    imported(book([row]), cast)
    t = Task.objects.get(external_ref="NV-9")
    assert t.title == "Soạn thảo công văn" and unicodedata.is_normalized("NFC", t.title)
    assert (t.owner, t.state) == (cast.person("staff_x"), "accepted")
    assert not plan_of(book([row]), cast).has_changes


# --- rules ----------------------------------------------------------------------------------


def test_every_broken_rule_is_reported_with_row_column_value_and_rule(
    cast: Cast, work: Work
) -> None:
    rows = [
        task("R2", owner="P999"),
        task("R3", assigner="P007"),  # staff_y leads nothing
        task("R4", deadline="01/03/2025"),
        task("R5", quantity=0),
        task("R6", product_type="ZZ"),
        task("R7", state="Đã nộp"),
        task(
            "R8",
            state="Đã nghiệm thu",
            returns=1,
            first_submitted="10/03/2025",
            closed_on="12/03/2025",
        ),
        task("R9", state="Đã huỷ", closed_on="06/03/2025"),
        task("R10", kind="Nhiệm vụ theo kế hoạch"),
        task("R11", plan_item="Văn bản tham mưu tháng 1"),
        task("R12", state="Đã nộp", first_submitted="01/03/2025"),
        task("R13", done_quantity=1),
        task("R14", assigned_on="01/01/2100", deadline="02/01/2100"),
        task("R15", owner="P010"),  # another agency's person is not a choice
        task("R16", owner="P002"),  # head_x to himself
        task("#999999"),
        task("R18", title=""),
        task("R3"),
    ]
    result = plan_of(book(rows), cast)
    got = errors_of(result)
    expected = [
        (2, "Mã người thực hiện", "P999", "Không có trong danh sách giá trị hợp lệ"),
        (3, "Mã người giao", "P007", "Người giao không phải lãnh đạo của đơn vị X"),
        (4, "Hạn hoàn thành", "01/03/2025", "Hạn hoàn thành trước ngày giao."),
        (5, "Số lượng", "0", "Số lượng phải lớn hơn 0"),
        (6, "Mã sản phẩm", "ZZ", "Không có trong danh sách giá trị hợp lệ"),
        (7, "Ngày nộp lần đầu", "", "Trạng thái “Đã nộp sản phẩm” cần ngày nộp lần đầu."),
        (8, "Ngày nộp lần cuối", "", "Có 2 lần nộp: cần ngày nộp lần cuối."),
        (9, "Lý do", "", "Cần nêu lý do khi nhiệm vụ ở trạng thái “Đã huỷ”."),
        (10, "Kỳ kế hoạch", "", "Nhiệm vụ theo kế hoạch phải ghi kỳ và nội dung kế hoạch."),
        (11, "Nội dung kế hoạch", "Văn bản tham mưu tháng 1", "Chỉ nhiệm vụ theo kế hoạch"),
        (12, "Ngày nộp lần đầu", "01/03/2025", "Ngày nộp trước ngày giao."),
        (13, "Khối lượng hoàn thành", "1", "Trạng thái “Đã giao” chưa kết thúc"),
        (14, "Ngày giao", "01/01/2100", "Ngày giao không được sau hôm nay."),
        (15, "Mã người thực hiện", "P010", "Không có trong danh sách giá trị hợp lệ"),
        (16, "Mã người giao", "P002", "Người giao không phải lãnh đạo"),
        (17, "Mã nhiệm vụ (hệ thống nguồn)", "#999999", "Không có nhiệm vụ này trong Thước đo"),
        (18, "Tên nhiệm vụ", "", "Cột bắt buộc, không được để trống."),
        (19, "Mã nhiệm vụ (hệ thống nguồn)", "R3", "Trùng với dòng 3"),
    ]
    assert len(got) == len(expected), got
    for (row, column, value, rule), error in zip(expected, got, strict=True):
        assert error[:3] == (row, column, value), error
        assert error[3].startswith(rule), error
    assert not Task.objects.filter(external_ref__startswith="R").exists()


def test_owners_with_history_need_a_login(cast: Cast, work: Work) -> None:
    Person.objects.filter(pk=cast.person("staff_x").pk).update(user=None)
    result = plan_of(book([task("A"), task("B", state="Đang thực hiện")]), cast)
    assert [(e.row, e.column) for e in result.errors] == [(3, "Mã người thực hiện")]
    assert "chưa có tài khoản đăng nhập" in result.errors[0].rule_vi


def test_all_or_nothing_when_a_write_is_refused(cast: Cast, work: Work) -> None:
    rows = [task(f"OK-{i}", state="Đang thực hiện") for i in range(3)]
    rows.append(task("LAST", owner="P005", state="Đang thực hiện"))  # staff_x1
    result = plan_of(book(rows), cast)
    assert result.ok
    Person.objects.filter(pk=cast.person("staff_x1").pk).update(is_active=False)
    before = (Task.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ImportRefused) as refused:
        apply(result, actor=None)
    error = refused.value.errors[0]
    assert (error.row, error.value) == (5, "LAST")
    assert error.rule_vi.startswith("Dòng 5: ")
    assert (Task.objects.count(), AuditEntry.objects.count()) == before


# --- the command and scale ------------------------------------------------------------------


def test_the_command_imports_with_progress(
    cast: Cast, work: Work, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "nhiem-vu.xlsx"
    path.write_bytes(book([task(f"C-{i}") for i in range(40)]).getvalue())
    call_command("import_excel", "tasks", str(path), "--agency", "BA")
    out = capsys.readouterr().out
    assert "Thêm mới: 40" in out
    assert "Đã xử lý 2/40 thay đổi" in out and "Đã xử lý 40/40 thay đổi" in out
    assert Task.objects.filter(external_ref__startswith="C-").count() == 40
    entry = AuditEntry.objects.filter(action="work.task.assign").latest("id")
    assert entry.channel == "cli:import_excel"
    call_command("import_excel", "tasks", str(path), "--agency", "BA")
    assert "Không có gì thay đổi." in capsys.readouterr().out


def test_two_thousand_rows_plan_and_apply_in_a_fixed_number_of_queries(
    cast: Cast, work: Work
) -> None:
    owners = ["P004", "P005", "P003"]
    states: list[dict[str, Any]] = [
        {},
        {"state": "Đã nghiệm thu", "closed_on": "19/03/2025"},
        {"state": "Bị trả lại", "first_submitted": "21/03/2025", "returns": 1},
    ]
    rows = [
        task(f"Q-{i}", owner=owners[i % 3], product_type=["CV", "BC", "TD"][i % 3], **states[i % 3])
        for i in range(2000)
    ]
    buffer = book(rows)
    with CaptureQueriesContext(connection) as queries:
        result = plan_of(buffer, cast)
        assert result.ok, errors_of(result)[:3]
        apply(result, actor=None)
    assert Task.objects.filter(external_ref__startswith="Q-").count() == 2000
    inserts = [q for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    reads = len(queries) - len(inserts)
    assert reads <= 30, [q["sql"][:80] for q in queries.captured_queries if q not in inserts]
    if connection.vendor == "postgresql":
        assert len(inserts) <= 10  # tasks, events, audit: one statement per 2,000 rows
    assert (
        TaskEvent.objects.filter(task__external_ref__startswith="Q-").count()
        == 2000 + 667 * 2 + 666 * 2
    )
