"""A unit's self-assessments and reviews from the period's own template: downloaded with
one row per evaluation, filled, previewed and applied through the services; any bad cell,
wrong file or missing right refuses the file and writes nothing."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from tests.conftest import Cast
from tests.evaluations.conftest import (  # noqa: F401 (fixtures)
    AGENCY_A,
    OPENED,
    REVIEW,
    Flow,
    make_flow,
    presets,
)
from thuocdo.audit.models import AuditEntry
from thuocdo.evaluations import services
from thuocdo.evaluations.models import CriterionScore, Evaluation, Notification, Period
from thuocdo.imports.errors import ImportRefused
from thuocdo.imports.evaluation_sheet import FIRST_ROW, HEADER_ROW, SHEET
from thuocdo.imports.evaluations import EvaluationKind, UnitSheetKind
from thuocdo.imports.framework import Plan, apply, plan
from thuocdo.imports.registry import KINDS
from thuocdo.org.models import Unit

KIND = EvaluationKind()
# Form 01's general criteria (decree-335-2025) with their maximum, in framework order.
MAXIMA = {
    "g1_politics": 5,
    "g1_ethics": 5,
    "g2_culture": 2.5,
    "g2_discipline": 2.5,
    "g2_service": 2.5,
    "g2_coordination": 2.5,
    "g3_competence": 2.5,
    "g3_learning": 2.5,
    "g3_innovation": 2.5,
    "g3_daring": 2.5,
}
FULL: dict[str, Any] = dict(MAXIMA)  # 30 points


@pytest.fixture
def flow(cast: Cast, presets: None) -> Flow:  # noqa: F811
    made = make_flow(cast)
    made.step("start_self_assessment", on=OPENED)
    return made


def sheet(flow: Flow, unit: Unit | None = None) -> UnitSheetKind:
    return KIND.for_sheet(flow.refresh(), unit or flow.cast.unit_x)


def workbook(kind: UnitSheetKind) -> Any:
    return load_workbook(io.BytesIO(kind.template()))


def headers(book: Any) -> list[str]:
    return [c.value for c in book[SHEET][HEADER_ROW] if c.value is not None]


def fill(
    kind: UnitSheetKind,
    rows: dict[str, dict[str, Any]],
    *,
    book: Any = None,
    lines: dict[int, Any] | None = None,
) -> io.BytesIO:
    """The unit's template with cells set: staff code → {column key → value}."""
    book = book or workbook(kind)
    data = book[SHEET]
    position = {column.key: number for number, column in enumerate(kind.columns, start=1)}
    where = {
        data.cell(row=number, column=position["person"]).value: number
        for number in range(FIRST_ROW, data.max_row + 1)
    }
    for code, cells in rows.items():
        number = where.get(code)
        if number is None:  # a row the template does not have
            number = data.max_row + 1
            where[code] = number
            data.cell(row=number, column=position["person"], value=code)
        for key, value in cells.items():
            data.cell(row=number, column=position[key]).value = value
    for line, value in (lines or {}).items():
        data.cell(row=line, column=2).value = value
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


def scored(values: dict[str, Any], prefix: str = "self:") -> dict[str, Any]:
    return {f"{prefix}{key}": value for key, value in values.items()}


def plan_as(flow: Flow, buffer: io.BytesIO, name: str | None, kind: Any = KIND) -> Plan:
    buffer.seek(0)
    actor = flow.user(name) if name else None
    return plan(kind, buffer, flow.cast.agency_a, file_name="danh-gia.xlsx", actor=actor)


def errors_of(result: Plan) -> list[tuple[int | None, str, str, str]]:
    return [(e.row, e.column, e.value, e.rule_vi) for e in result.errors]


def code(flow: Flow, name: str) -> str:
    return flow.cast.person(name).code


def snapshot() -> tuple[list[Any], int]:
    scores = list(CriterionScore.objects.order_by("pk").values_list("self_score", "reviewer_score"))
    return scores, AuditEntry.objects.filter(action__startswith="evaluations.evaluation.").count()


def test_the_kind_is_registered_and_its_template_is_the_period_and_units_own(
    flow: Flow,
) -> None:
    assert isinstance(KINDS["evaluations"], EvaluationKind)
    staff_x = flow.ev("staff_x")
    services.evaluations_exclude(
        actor=flow.user("personnel_a"),
        versions={flow.ev("deputy_x").pk: flow.ev("deputy_x").version},
        reason="sick",
    )
    book = workbook(sheet(flow))
    data = book[SHEET]
    assert [data.cell(row=n, column=1).value for n in (2, 3, 4)] == [
        "Cơ quan:",
        "Kỳ đánh giá:",
        "Đơn vị:",
    ]
    assert [data.cell(row=n, column=2).value for n in (2, 3, 4)] == ["BA", "Tháng 1/2026", "X"]
    found = headers(book)
    assert found[:7] == [
        "Kỳ đánh giá*",
        "Mã đơn vị*",
        "Mã cán bộ*",
        "Họ và tên",
        "Chức vụ",
        "Trạng thái phiếu",
        "Phiên bản phiếu",
    ]
    assert "Tự chấm: Phẩm chất chính trị, tư tưởng (tối đa 5)" in found
    assert sum(h.startswith("Tự chấm:") for h in found) == len(MAXIMA)
    assert sum(h.startswith("Cấp trên chấm:") for h in found) == len(MAXIMA)
    assert any(h.startswith("Tự chấm:") and h.endswith("(tối đa 2,5)") for h in found)
    for header in (
        "Tự nhận xét",
        "Lý do nhập thay",
        "Lý do thay đổi điểm",
        "Nhận xét của cấp trên",
    ):
        assert header in found
    rows = [
        [c.value for c in row][:4]
        for row in data.iter_rows(min_row=FIRST_ROW)
        if row[0].value is not None
    ]
    # head_x and staff_x; deputy_x is left out of the period, staff_x1 is in office X1
    assert rows == [
        ["Tháng 1/2026", "X", code(flow, "head_x"), "Nguyễn Văn Head X"],
        ["Tháng 1/2026", "X", staff_x.person.code, "Nguyễn Văn Staff X"],
    ]
    assert "Hướng dẫn" in book.sheetnames


def test_a_filled_template_previews_and_applies_through_the_service(flow: Flow) -> None:
    kind = sheet(flow)
    values = dict(FULL, g2_culture="2,5", g2_discipline="2.5", g3_daring=2)
    buffer = fill(
        kind,
        {
            code(flow, name): {
                **scored(values),
                "self_comment": "Hoàn thành tốt nhiệm vụ",
                "on_behalf_reason": "Đi công tác dài ngày",
            }
            for name in ("head_x", "deputy_x", "staff_x")
        },
    )
    before = snapshot()
    preview = plan_as(flow, buffer, "personnel_a")
    assert preview.ok, errors_of(preview)
    assert preview.counts["update"] == 3
    row = next(r for r in preview.rows if r.key == code(flow, "staff_x"))
    changes = {c.column: (c.before, c.after) for c in row.steps[0].changes}
    assert changes["Tự chấm: Phẩm chất chính trị, tư tưởng (tối đa 5)"] == ("", "5")
    assert changes["Lý do nhập thay"] == ("", "Đi công tác dài ngày")
    assert snapshot() == before  # the preview writes nothing

    result = plan_as(flow, buffer, "personnel_a")  # the job plans again, then applies
    assert apply(result, actor=flow.user("personnel_a"))["update"] == 3
    ev = flow.ev("staff_x")
    assert ev.state == Evaluation.State.SELF_ASSESSED
    assert ev.self_entered_by == flow.user("personnel_a")
    assert ev.self_on_behalf_reason == "Đi công tác dài ngày"
    assert ev.self_comment == "Hoàn thành tốt nhiệm vụ"
    got = {s.key: s.self_score for s in ev.scores.all()}
    assert got["g2_culture"] == got["g2_discipline"] == Decimal("2.5")  # "2,5" and "2.5"
    assert got["g3_daring"] == 2 and sum(got.values()) == Decimal("29.5")
    entries = AuditEntry.objects.filter(action="evaluations.evaluation.self_assess")
    assert entries.count() == 3
    assert {e.reason for e in entries} == {"Đi công tác dài ngày"}
    assert Notification.objects.filter(recipient=ev.person, text__contains="thay bạn").exists()

    again = plan_as(flow, fill(kind, {}, book=load_workbook(buffer)), "personnel_a")
    assert again.ok and not again.has_changes  # the same file twice writes once
    fresh = plan_as(flow, io.BytesIO(sheet(flow).template()), "personnel_a")
    assert fresh.ok and fresh.counts["unchanged"] == 3  # the prefilled template, too


@pytest.mark.parametrize(
    ("cells", "column", "rule"),
    [
        ({"self:g1_politics": 6}, "Tự chấm: Phẩm chất chính trị, tư tưởng (tối đa 5)", "từ 0"),
        ({"self:g1_politics": "abc"}, "Tự chấm: Phẩm chất chính trị, tư tưởng (tối đa 5)", "số"),
        ({"self:g2_culture": "2,25"}, "Tự chấm: ", "theo bước"),
        ({"self:g1_ethics": None}, "Tự chấm: Đạo đức", "Chưa chấm"),
        ({"period": "Tháng 2/2026"}, "Kỳ đánh giá", "không thuộc kỳ"),
        ({"unit": "Y"}, "Mã đơn vị", "không thuộc đơn vị"),
        ({"name": "Trần Văn Khác"}, "Họ và tên", "không khớp"),
        ({"on_behalf_reason": None}, "Lý do nhập thay", "Thiếu lý do"),
    ],
)
def test_one_bad_cell_refuses_the_file_and_nothing_is_written(
    flow: Flow, cells: dict[str, Any], column: str, rule: str
) -> None:
    kind = sheet(flow)
    good = {**scored(FULL), "on_behalf_reason": "Nghỉ phép"}
    buffer = fill(
        kind,
        {code(flow, "head_x"): good, code(flow, "staff_x"): {**good, **cells}},
    )
    before = snapshot()
    result = plan_as(flow, buffer, "personnel_a")
    assert len(result.errors) == 1, errors_of(result)
    error = result.errors[0]
    assert error.row == FIRST_ROW + 2  # staff_x's row (after Deputy X, Head X), as Excel has it
    assert error.column.startswith(column) and rule in error.rule_vi
    with pytest.raises(ImportRefused):
        apply(result, actor=flow.user("personnel_a"))
    assert snapshot() == before
    assert flow.ev("head_x").state == Evaluation.State.DRAFT


def test_an_unknown_person_or_one_of_another_unit_is_refused_on_its_row(flow: Flow) -> None:
    kind = sheet(flow)
    rows = {
        "P999": {"period": "Tháng 1/2026", "unit": "X", **scored(FULL)},
        code(flow, "staff_y"): {"period": "Tháng 1/2026", "unit": "X", **scored(FULL)},
    }
    result = plan_as(flow, fill(kind, rows), "personnel_a")
    rules = {(e.column, e.rule_vi.split(" ")[0]) for e in result.errors}
    assert ("Mã cán bộ", "Không") in rules  # no evaluation of P999 in the period
    assert any("Vụ Yên Bình" in e.rule_vi for e in result.errors)  # staff_y is in unit Y
    assert not result.rows


def test_a_file_of_another_period_unit_or_agency_is_refused_as_a_whole(flow: Flow) -> None:
    unit_y = sheet(flow, flow.cast.unit_y)
    buffer = fill(unit_y, {code(flow, "staff_y"): scored(FULL)})
    result = plan_as(flow, buffer, "personnel_a", KIND.expecting(flow.period, flow.cast.unit_x))
    assert [e.row for e in result.errors] == [None]
    assert "Vụ Yên Bình — Tháng 1/2026, không phải của Vụ Xây dựng" in result.errors[0].rule_vi

    other_period = fill(unit_y, {}, lines={3: "Tháng 2/2026"})
    result = plan_as(flow, other_period, "personnel_a")
    assert "không có kỳ đánh giá “Tháng 2/2026”" in result.errors[0].rule_vi

    other_agency = fill(unit_y, {}, lines={2: "BB"})
    result = plan_as(flow, other_agency, "personnel_a")
    assert "cơ quan “BB”" in result.errors[0].rule_vi
    buffer.seek(0)
    result = plan(KIND, buffer, flow.cast.agency_b, actor=flow.user("personnel_a"))
    assert "Tệp là mẫu của cơ quan “BA”" in result.errors[0].rule_vi  # imported into B
    nameless = fill(unit_y, {}, lines={2: None})
    result = plan(KIND, nameless, flow.cast.agency_b, actor=flow.user("personnel_a"))
    assert "không có kỳ đánh giá" in result.errors[0].rule_vi  # agency B has no such period

    unnamed = fill(unit_y, {}, lines={3: None, 4: None})
    result = plan_as(flow, unnamed, "personnel_a")
    assert "không cho biết kỳ đánh giá và đơn vị" in result.errors[0].rule_vi


def test_the_official_self_assesses_their_own_row_without_a_reason(flow: Flow) -> None:
    kind = sheet(flow)
    buffer = fill(kind, {code(flow, "staff_x"): scored(FULL)})
    result = plan_as(flow, buffer, "staff_x")
    assert result.ok, errors_of(result)
    apply(result, actor=flow.user("staff_x"))
    ev = flow.ev("staff_x")
    assert ev.state == Evaluation.State.SELF_ASSESSED and ev.self_entered_by is None


def test_an_actor_without_the_right_is_refused_in_the_preview(flow: Flow) -> None:
    kind = sheet(flow)
    entry = {**scored(FULL), "on_behalf_reason": "Nghỉ phép"}
    # staff_x is neither the office nor head_x's manager
    result = plan_as(flow, fill(kind, {code(flow, "head_x"): entry}), "staff_x")
    assert [(e.column, e.rule_vi[:42]) for e in result.errors] == [
        ("Mã cán bộ", "Chỉ người được đánh giá tự đánh giá; bộ ph")
    ]
    # the command line acts for nobody
    result = plan_as(flow, fill(kind, {code(flow, "head_x"): entry}), None)
    assert "dòng lệnh" in result.errors[0].rule_vi
    # head_x manages staff_x: may enter on their behalf
    assert plan_as(flow, fill(kind, {code(flow, "staff_x"): entry}), "head_x").ok


def test_the_direct_manager_imports_reviews_during_review(flow: Flow) -> None:
    for name in AGENCY_A:
        flow.self_assess(name, 25)
    flow.step("start_review", on=REVIEW)
    kind = sheet(flow)
    book = workbook(kind)
    data = book[SHEET]
    first = 1 + [c.key for c in kind.columns].index("self:g1_politics")
    assert data.cell(row=FIRST_ROW, column=first).value == 5  # the self scores are prefilled
    staff_x = flow.ev("staff_x")
    own = {s.key: s.self_score for s in staff_x.scores.all()}
    buffer = fill(
        kind,
        {
            code(flow, "staff_x"): {
                "review:g1_politics": "4,5",
                "review:g1_ethics": own["g1_ethics"],
                "review_reason": "Còn chậm trễ một việc",
                "review_comment": "Hoàn thành tốt",
            },
            code(flow, "deputy_x"): {"review_comment": "Đồng ý với tự đánh giá"},
        },
        book=book,
    )
    before = snapshot()
    preview = plan_as(flow, buffer, "head_x")
    assert preview.ok, errors_of(preview)
    assert preview.counts["update"] == 2 and preview.counts["unchanged"] == 1  # head_x's row
    assert snapshot() == before
    apply(plan_as(flow, buffer, "head_x"), actor=flow.user("head_x"))
    staff_x = flow.ev("staff_x")
    assert staff_x.state == Evaluation.State.REVIEWED
    assert staff_x.reviewer == flow.cast.person("head_x")
    assert staff_x.review_comment == "Hoàn thành tốt"
    rows = {s.key: s for s in staff_x.scores.all()}
    assert rows["g1_politics"].reviewer_score == Decimal("4.5")
    assert rows["g1_politics"].reason == "Còn chậm trễ một việc"
    assert rows["g1_ethics"].reason == ""  # the same score needs no reason
    deputy = flow.ev("deputy_x")
    assert deputy.state == Evaluation.State.REVIEWED
    assert deputy.reviewer == flow.cast.person("head_x")
    assert AuditEntry.objects.filter(action="evaluations.evaluation.review").count() == 2
    # a reviewed row imported again changes nothing
    assert not plan_as(flow, buffer, "head_x").has_changes


def test_review_rules_are_checked_in_the_preview(flow: Flow) -> None:
    for name in AGENCY_A:
        flow.self_assess(name, 25)
    kind = sheet(flow)
    review = {"review:g1_politics": 3, "review_comment": "Chưa đạt"}
    early = plan_as(flow, fill(kind, {code(flow, "staff_x"): review}), "head_x")
    assert "đang ở bước “Tự đánh giá”" in early.errors[0].rule_vi  # not yet at review
    flow.step("start_review", on=REVIEW)
    kind = sheet(flow)
    no_reason = plan_as(flow, fill(kind, {code(flow, "staff_x"): review}), "head_x")
    assert [(e.column, e.rule_vi) for e in no_reason.errors] == [
        (
            "Lý do thay đổi điểm",
            "Thay đổi điểm tự đánh giá tiêu chí “Phẩm chất chính trị, tư tưởng” phải nêu lý do.",
        )
    ]
    office = plan_as(flow, fill(kind, {code(flow, "staff_x"): review}), "personnel_a")
    assert "Chỉ cấp trên trực tiếp" in office.errors[0].rule_vi  # the office does not review
    changed = {"self:g1_politics": 1, "on_behalf_reason": "Nghỉ phép"}
    self_again = plan_as(flow, fill(kind, {code(flow, "staff_x"): changed}), "head_x")
    assert "Không thể tự đánh giá" in self_again.errors[0].rule_vi  # self scores are closed
    assert Evaluation.objects.filter(state=Evaluation.State.REVIEWED).count() == 0


def test_a_year_period_has_no_criteria_columns(cast: Cast, presets: None) -> None:  # noqa: F811
    year = make_flow(cast, kind=Period.Kind.YEAR, number=1)
    year.step("start_self_assessment")
    kind = KIND.for_sheet(year.refresh(), cast.unit_x)
    assert not kind.criteria
    assert not any(column.key.startswith("self:") for column in kind.columns)


def test_a_row_changed_since_the_download_is_refused_not_overwritten(flow: Flow) -> None:
    kind = sheet(flow)
    book = workbook(kind)  # downloaded now: staff_x has not self-assessed yet
    flow.self_assess("staff_x", 20)  # then staff_x self-assesses on the web
    entry = {**scored(FULL), "on_behalf_reason": "Nghỉ phép"}
    result = plan_as(flow, fill(kind, {code(flow, "staff_x"): entry}, book=book), "personnel_a")
    assert [(e.column, e.rule_vi[:40]) for e in result.errors] == [
        ("Phiên bản phiếu", "Phiếu của Nguyễn Văn Staff X đã được sửa")
    ]
    untouched = plan_as(flow, fill(kind, {}, book=workbook(kind)), "personnel_a")
    assert untouched.ok and not untouched.has_changes  # a fresh template changes nothing


def test_planning_reads_a_fixed_number_of_queries_whatever_the_rows(flow: Flow) -> None:
    kind = sheet(flow)
    entry = {**scored(FULL), "self_comment": "Tốt", "on_behalf_reason": "Nghỉ phép"}
    one = fill(kind, {code(flow, "staff_x"): entry})
    book = load_workbook(one)
    book[SHEET].delete_rows(FIRST_ROW, 2)  # only staff_x's row is left
    single = io.BytesIO()
    book.save(single)
    every = fill(kind, {code(flow, n): entry for n in ("head_x", "deputy_x", "staff_x")})
    counts = []
    for buffer in (single, every):
        with CaptureQueriesContext(connection) as queries:
            result = plan_as(flow, buffer, "personnel_a")
        assert result.ok, errors_of(result)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_a_refusal_while_writing_names_the_row_and_rolls_everything_back(flow: Flow) -> None:
    kind = sheet(flow)
    entry = {**scored(FULL), "on_behalf_reason": "Nghỉ phép"}
    buffer = fill(kind, {code(flow, n): entry for n in ("deputy_x", "staff_x")})
    result = plan_as(flow, buffer, "personnel_a")
    assert result.ok
    flow.self_assess("staff_x", 20)  # after the preview, before the job writes
    before = snapshot()
    with pytest.raises(ImportRefused) as refused:
        apply(result, actor=flow.user("personnel_a"))
    assert [(e.row, e.column) for e in refused.value.errors] == [(FIRST_ROW + 2, "Phiên bản phiếu")]
    assert snapshot() == before  # deputy_x's row, written first, was rolled back
    assert flow.ev("deputy_x").state == Evaluation.State.DRAFT
