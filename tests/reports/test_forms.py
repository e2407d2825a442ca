"""The individual form and the unit's summary as PDF and Excel: content, layout, numbers."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import subprocess
import unicodedata
import zlib
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from django.test import Client
from fontTools.ttLib import TTFont
from openpyxl import load_workbook

from tests.conftest import Cast
from tests.evaluations.conftest import COLLECTIVE, DECISION, REVIEW, Flow, make_flow
from tests.work.test_aggregation import worked_example
from thuocdo.evaluations import services
from thuocdo.evaluations.models import Evaluation, Period, UnitEvaluation
from thuocdo.org.models import Unit
from thuocdo.reports.forms import (
    DOCUMENT_DATE,
    NATIONAL_MOTTO,
    NATIONAL_NAME,
    PLACE_DATE,
    abbreviation,
    date_line,
    individual_form,
    unit_summary,
)
from thuocdo.reports.numbers import vn_number, vn_percent
from thuocdo.reports.pdf import BODY, FONT_FILES, FONTS_DIR, TABLE, individual_pdf, unit_pdf
from thuocdo.reports.xlsx import unit_xlsx

from .conftest import ARTIFACTS, LONG_JOB, LONG_NAME, pdf_png, pdf_text

GOOD = "Hoàn thành tốt nhiệm vụ"


def pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", data))


def get(flow: Flow, who: str, url: str) -> bytes:
    client = Client()
    client.force_login(flow.user(who))
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return response.content


def ordered(text: str, *parts: str) -> bool:
    at = [text.index(p) for p in parts]
    return at == sorted(at)


def line_with(text: str, part: str) -> str:
    return next(line for line in text.splitlines() if part in line)


def test_vietnamese_numbers() -> None:
    assert vn_number(Decimal("76.1")) == "76,10"
    assert vn_number("5479/72") == "76,10"  # rounded half-up once, from the exact value
    assert vn_number(Decimal("1250.5")) == "1.250,50"
    assert vn_number(Decimal("2.50"), trim=True) == "2,5"
    assert vn_percent(Fraction(11, 16)) == "68,75%"
    assert vn_percent(Fraction(2, 3)) == "66,67%"
    assert vn_percent(1) == "100%"


def font_sizes(data: bytes) -> set[float]:
    """Every font size the PDF's pages set (`/F1 13.00 Tf`), from its deflated streams."""
    sizes: set[float] = set()
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.DOTALL):
        try:
            content = zlib.decompress(raw)
        except zlib.error:
            continue  # an embedded font, not a page
        sizes |= {float(m) for m in re.findall(rb"/F\d+ ([0-9.]+) Tf", content)}
    return sizes


def embedded_fonts(data: bytes, name: str) -> list[tuple[str, str]]:
    """(font name, embedded yes/no) as poppler's `pdffonts` lists them."""
    tool = shutil.which("pdffonts")
    if tool is None:
        reason = "pdffonts (poppler-utils) is not installed"
        if os.environ.get("CI"):  # CI installs poppler-utils: a missing tool is a failure
            pytest.fail(f"cannot list the PDF's fonts in CI: {reason}")
        pytest.skip(reason)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.pdf"
    path.write_bytes(data)
    out = subprocess.run([tool, str(path)], check=True, capture_output=True, text=True).stdout
    rows = out.splitlines()[2:]  # under the heading and its rule
    return [(row.split()[0], row.split()[-5]) for row in rows if row.strip()]


def test_the_shipped_font_covers_vietnamese_and_has_its_licence() -> None:
    letters = set("ĂÂĐÊÔƠƯăâđêôơư…–“”") | {chr(c) for c in range(0x1EA0, 0x1EFA)}
    for name in FONT_FILES.values():
        font = TTFont(FONTS_DIR / name)
        cmap = font.getBestCmap()
        assert not [c for c in letters if ord(c) not in cmap], name
        assert font["name"].getDebugName(1) == "Liberation Serif", name
    licence = (FONTS_DIR / "LICENSE-LiberationSerif.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence and "Red Hat" in licence
    assert sorted(p.name for p in FONTS_DIR.iterdir()) == sorted(
        [*FONT_FILES.values(), "LICENSE-LiberationSerif.txt"]
    )


def test_sizes_follow_decree_30() -> None:
    assert 13 <= BODY <= 14 and 12 <= TABLE <= 13


def test_the_date_line_and_the_issuers_abbreviation() -> None:
    assert date_line(None) == DOCUMENT_DATE == "……, ngày … tháng … năm 20…"
    # a day below 10 and months 1 and 2 take a leading zero; March does not
    assert date_line(dt.date(2026, 2, 5)) == "……, ngày 05 tháng 02 năm 2026"
    assert date_line(dt.date(2026, 3, 15)) == "……, ngày 15 tháng 3 năm 2026"
    # 23:30 UTC on 31 January is 1 February in Hà Nội
    moment = dt.datetime(2026, 1, 31, 23, 30, tzinfo=dt.UTC)
    assert date_line(moment) == "……, ngày 01 tháng 02 năm 2026"
    assert abbreviation(Unit(name="Vụ Xây dựng")) == "VXD"
    assert abbreviation(Unit(name="Ban Chính sách", short_name="Ban CS,CL TW")) == "BCSCLTW"


def test_the_individual_pdf(decided: Flow) -> None:
    ev = decided.ev("staff_x")
    data = get(decided, "staff_x", f"/reports/evaluations/{ev.pk}.pdf")
    assert data.startswith(b"%PDF")
    assert b"/FontFile2" in data  # the font is embedded: no system font needed
    fonts = embedded_fonts(data, "individual")
    assert fonts and all(name.split("+")[-1].startswith("LiberationSerif") for name, _ in fonts)
    assert all(emb == "yes" for _, emb in fonts), fonts
    sizes = font_sizes(data)
    assert BODY in sizes and min(sizes) >= 11 and max(sizes) <= 14, sizes
    assert pages(data) == 2
    text = pdf_text(data, "individual")
    # Decree 30's heading: số/ký hiệu left blank for the clerk; the decision's date, local
    assert re.search(r"Số:\s+/PĐG-BTNA-VXD", text)
    assert "……, ngày 06 tháng 02 năm 2026" in text
    assert unicodedata.is_normalized("NFC", text)
    for part in ("Tôn Nữ Nguyễn Hoàng Phương Đông", "Độ", "Vụ Xây dựng", "Ban Thử nghiệm A"):
        assert part in text
    assert "Chuyên viên chính về tổng hợp" in text
    assert NATIONAL_NAME in text and NATIONAL_MOTTO in text
    assert "PHIẾU ĐÁNH GIÁ, XẾP LOẠI CHẤT LƯỢNG CÔNG CHỨC" in text
    assert "Tháng 1 năm 2026" in text
    # general criteria: self, reviewer and final columns; total 27
    assert re.search(r"Cộng\s+30\s+27,00\s+27,00\s+27,00", text)
    # a, b (quality), c (timeliness) in this order with their own values; no d, đ, e
    assert ordered(text, "a. Số lượng", "b. Chất lượng", "c. Tiến độ")
    assert "75%" in line_with(text, "a. Số lượng")
    assert "68,75%" in line_with(text, "b. Chất lượng")
    assert "66,67%" in line_with(text, "c. Tiến độ")
    assert "d. Kết quả của đơn vị" not in text
    assert "49,10" in text and "70,14%" in text
    assert "76,10 / 100" in text
    assert GOOD in line_with(text, "Xếp loại:")
    assert "Biên bản họp lấy ý kiến tập thể Vụ Xây dựng ngày 05/02/2026" in text
    assert "Đồng ý với kết quả tự đánh giá" in text
    assert ordered(text, "NGƯỜI TỰ ĐÁNH GIÁ", "THỦ TRƯỞNG TRỰC TIẾP", "CẤP CÓ THẨM QUYỀN")
    assert text.count(PLACE_DATE) == 3
    assert "Nguyễn Văn Head X" in text and "Nguyễn Văn Leader A" in text
    assert "Trang 1/2" in text and "Trang 2/2" in text
    assert "76.10" not in text  # decimal comma everywhere
    assert re.search(r"Tổng điểm:\s+76,10", text)  # a label never runs into its value
    # the framework by its name and version, never its internal id (issue 13)
    flat = " ".join(text.split())  # a wrapped line joined back
    assert "decree-335-2025" not in text and "(phiên bản 2025.2)" in flat
    shots = pdf_png("individual")
    assert not shots or shots[0].name == "individual-1.png"


def test_a_leaders_form_has_d_dd_e_after_a_b_c(decided: Flow) -> None:
    ev = decided.ev("head_x")
    data = get(decided, "head_x", f"/reports/evaluations/{ev.pk}.pdf")
    text = pdf_text(data, "individual-head")
    assert ordered(
        text,
        "a. Số lượng",
        "b. Chất lượng",
        "c. Tiến độ",
        "d. Kết quả của đơn vị",
        "đ. Năng lực tổ chức triển khai",
        "e. Năng lực tập hợp, đoàn kết",
    )
    assert "50%" in line_with(text, "đ. Năng lực tổ chức triển khai")
    assert "Có hạn chế" in text and "3 người thuộc phạm vi phụ trách" in text
    assert "91,67%" in text and "89,17 / 100" in text
    pdf_png("individual-head")


def test_the_unit_summary_pdf(decided: Flow) -> None:
    unit, period = decided.cast.unit_x, decided.period
    data = get(decided, "head_x", f"/reports/units/{unit.pk}/periods/{period.pk}.pdf")
    assert data.startswith(b"%PDF") and pages(data) == 2
    assert {name.split("+")[-1] for name, _ in embedded_fonts(data, "unit")} >= {
        "LiberationSerif",
        "LiberationSerifBold",
    }
    text = pdf_text(data, "unit")
    assert "BẢNG TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ, XẾP LOẠI CHẤT LƯỢNG" in text
    assert NATIONAL_NAME in text and "CỘNG HÒA" in text
    assert re.search(r"Số:\s+/BC-BTNA-VXD", text)
    assert DOCUMENT_DATE in text  # nothing decided the summary's date: dots to fill
    assert "phiên bản 2025.2" in " ".join(text.split()) and "decree-335-2025" not in text
    assert re.search(r"Số người được đánh giá:\s+3", text)
    # members: leaders first, then by name; the long name wraps but stays whole
    assert ordered(text, "Nguyễn Văn Head X", "Nguyễn Văn Deputy X", "Tôn Nữ Nguyễn")
    assert "Nguyễn Văn Staff X1" not in text  # office X1 has its own summary
    assert "76,10" in line_with(text, "Tôn Nữ Nguyễn") or "76,10" in text
    assert "89,17" in line_with(text, "Nguyễn Văn Head X") or "89,17" in text
    assert re.search(r"Hoàn thành tốt nhiệm vụ\s+3\s+100%", text)
    assert "đạt tỷ lệ" in text and "20% × 3" in text
    assert "Hoàn thành xuất sắc nhiệm vụ" in line_with(text, "Xếp loại của đơn vị")
    assert ordered(text, "NGƯỜI LẬP BIỂU", "THỦ TRƯỞNG ĐƠN VỊ", "CẤP CÓ THẨM QUYỀN")
    pdf_png("unit")


def test_the_individual_xlsx(decided: Flow) -> None:
    ev = decided.ev("staff_x")
    client = Client()
    client.force_login(decided.user("staff_x"))
    response = client.get(f"/reports/evaluations/{ev.pk}.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response["Content-Disposition"].endswith('-month-2026-01.xlsx"')
    ws = load_workbook(io.BytesIO(response.content)).active
    assert ws is not None and ws.title == "Phiếu đánh giá"
    assert (ws["A1"].value, ws["C1"].value) == ("BAN THỬ NGHIỆM A", NATIONAL_NAME)
    assert (ws["A2"].value, ws["C2"].value) == ("VỤ XÂY DỰNG", NATIONAL_MOTTO)
    assert ws["A3"].value.startswith("Số:") and ws["A3"].value.endswith("/PĐG-BTNA-VXD")
    assert ws["C3"].value == "……, ngày 06 tháng 02 năm 2026" and ws["C3"].font.i
    assert ws["A5"].value == "PHIẾU ĐÁNH GIÁ, XẾP LOẠI CHẤT LƯỢNG CÔNG CHỨC"
    assert ws["A2"].font.b and ws["C1"].font.b
    rows = {row[0].value: row for row in ws.iter_rows(min_row=1, max_row=ws.max_row)}
    assert rows["Họ và tên:"][2].value == LONG_NAME
    assert rows["Vị trí việc làm:"][2].value == LONG_JOB
    header = next(r for r in ws.iter_rows() if r[1].value == "Tiêu chí")
    assert [c.value for c in header] == [
        "TT",
        "Tiêu chí",
        "Điểm tối đa",
        "Tự đánh giá",
        "Cấp trên đánh giá",
        "Điểm kết quả",
    ]
    assert all(c.font.b and c.border.left.style == "thin" for c in header)
    assert ws.freeze_panes == f"A{header[0].row + 1}"
    assert ws.print_title_rows == f"${header[0].row}:${header[0].row}"
    total = next(r for r in ws.iter_rows() if r[1].value == "Cộng")
    assert [c.value for c in total[2:]] == [30, 27, 27, 27]
    # numbers are numbers with a format, so Excel shows the reader's separators
    assert all(c.data_type == "n" for c in total[2:])
    assert total[5].number_format == "#,##0.00"
    daring = next(
        r for r in ws.iter_rows() if r[1].value == "Dám nghĩ, dám làm, dám chịu trách nhiệm"
    )
    assert [c.value for c in daring[2:]] == [2.5, 0, 0, 0]  # an entered 0 stays 0
    labels = [r[0].value for r in ws.iter_rows()]
    a, b, c = (labels.index(x) + 1 for x in ("a. Số lượng", "b. Chất lượng", "c. Tiến độ"))
    assert a < b < c
    assert (ws[f"C{a}"].value, ws[f"C{b}"].value) == (0.75, 0.6875)
    assert ws[f"C{c}"].value == pytest.approx(2 / 3)
    assert ws[f"C{b}"].number_format == "0.00%" and ws[f"C{b}"].data_type == "n"
    assert ws[f"D{b}"].value == "4,125 ÷ 6 = 68,75%"
    assert "d. Kết quả của đơn vị" not in labels
    total_row = labels.index("Tổng điểm:") + 1
    assert ws[f"C{total_row}"].value == 76.1
    assert ws[f"C{total_row}"].number_format == "#,##0.00"
    assert (ws[f"D{total_row}"].value, ws[f"D{total_row}"].number_format) == (100, '"/ "0')
    assert "Tỷ lệ × 70, tối đa 70 điểm" in [r[3].value for r in ws.iter_rows()]
    assert rows["Xếp loại:"][2].value == GOOD
    assert PLACE_DATE in labels and "NGƯỜI TỰ ĐÁNH GIÁ" in [r[0].value for r in ws.iter_rows()]
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws.page_setup.orientation == "portrait"
    assert ws.column_dimensions["B"].width >= 40


def test_the_unit_summary_xlsx(decided: Flow) -> None:
    unit, period = decided.cast.unit_x, decided.period
    data = get(decided, "personnel_a", f"/reports/units/{unit.pk}/periods/{period.pk}.xlsx")
    ws = load_workbook(io.BytesIO(data)).active
    assert ws is not None and ws.title == "Tổng hợp đơn vị"
    header = next(r for r in ws.iter_rows() if r[1].value == "Họ và tên")
    first = header[0].row + 1
    assert ws.freeze_panes == f"A{first}"
    members = [[c.value for c in row] for row in ws.iter_rows(min_row=first, max_row=first + 2)]
    assert [m[1] for m in members] == ["Nguyễn Văn Head X", "Nguyễn Văn Deputy X", LONG_NAME]
    assert members[2][2:8] == [LONG_JOB, "Không giữ chức vụ lãnh đạo", 27, 49.1, 76.1, GOOD]
    assert members[0][6] == 89.17
    assert ws.cell(row=first, column=7).number_format == "#,##0.00"
    assert ws.cell(row=first, column=7).data_type == "n"
    labels = {r[0].value: r for r in ws.iter_rows()}
    assert labels["Hoàn thành tốt nhiệm vụ"][3].value == 3
    assert labels["Hoàn thành tốt nhiệm vụ"][3].number_format == "#,##0"
    assert labels["Tổng số"][3].value == 3 and labels["Tổng số"][4].value == 1
    assert labels["Tổng số"][4].number_format == "0.00%"
    assert labels["Tổng số"][4].data_type == "n"
    count = labels["Số người được đánh giá:"][3]
    assert (count.value, count.data_type, count.number_format) == (3, "n", "#,##0")
    assert "phiên bản 2025.2" in labels["Khung đánh giá:"][3].value
    assert labels["Xếp loại của đơn vị:"][3].value == "Hoàn thành xuất sắc nhiệm vụ"
    assert int(ws.page_setup.paperSize) == 9  # A4


def test_a_form_before_the_decision_says_its_figures_are_provisional(flow: Flow) -> None:
    flow.task("staff_x")
    flow.step("start_self_assessment")
    flow.self_assess("staff_x", 20)
    form = individual_form(flow.ev("staff_x"))
    assert "Chưa tính" in form.status
    total = form.general[-1]
    assert (total.self_score, total.reviewer_score, total.final) == (Decimal(20), None, None)
    assert form.total_points is None and form.rating == ""
    assert individual_pdf(form).startswith(b"%PDF")


def test_overrides_reviewer_reasons_and_rating_changes_are_printed(flow: Flow) -> None:
    for name in ("head_x", "deputy_x", "staff_x", "staff_x1", "staff_y", "personnel_a"):
        flow.task(name)
    flow.task("auditor_a")
    flow.step("start_self_assessment")
    for name in ("head_x", "deputy_x", "staff_x", "staff_x1", "head_y", "staff_y"):
        flow.self_assess(name)
    flow.self_assess("personnel_a")
    flow.self_assess("auditor_a")
    flow.step("start_review", on=REVIEW)
    for name in ("head_x", "deputy_x", "staff_x", "staff_x1", "head_y", "personnel_a"):
        flow.review(name)
    flow.review("auditor_a")
    flow.review(
        "staff_y",
        scores={"g1_politics": "3.5"},
        reasons={"g1_politics": "Chưa tham gia đầy đủ sinh hoạt chuyên đề"},
    )
    flow.step("start_collective", on=COLLECTIVE)
    flow.minutes()
    flow.step("start_decision", on=DECISION)
    services.override_add(
        actor=flow.user("personnel_a"),
        evaluation=flow.ev("staff_y"),
        kind="discipline",
        value="reprimand",
        document_ref="Quyết định số 12/QĐ-BA",
        reason="Vi phạm quy chế làm việc",
    )
    services.period_compile(actor=flow.user("personnel_a"), period=flow.refresh())
    flow.rate_units()
    flow.decide_all()
    ev = flow.ev("staff_y")
    assert ev.state == Evaluation.State.DECIDED and ev.rating == "not_completed"
    data = get(flow, "auditor_a", f"/reports/evaluations/{ev.pk}.pdf")
    text = pdf_text(data, "individual-override")
    assert "12/QĐ-BA" in text and "Kỷ luật khiển trách" in text
    assert "Chưa tham gia đầy đủ sinh hoạt chuyên đề" in text
    assert "3,50" in line_with(text, "Phẩm chất chính trị, tư tưởng")
    assert "Không hoàn thành nhiệm vụ" in line_with(text, "Xếp loại:")
    pdf_png("individual-override")
    book = load_workbook(
        io.BytesIO(get(flow, "auditor_a", f"/reports/evaluations/{ev.pk}.xlsx"))
    ).active
    assert book is not None
    cells = [c.value for row in book.iter_rows() for c in row if c.value]
    assert "Quyết định số 12/QĐ-BA" in cells


def test_artifacts_dir_is_under_test_artifacts() -> None:
    from .conftest import ARTIFACTS

    assert ARTIFACTS.parts[-2:] == ("test-artifacts", "reports")
    assert isinstance(ARTIFACTS, Path)


def test_a_unit_summary_with_kpis(cast: Cast, presets: None) -> None:
    flow = make_flow(
        cast,
        unit_framework_key="ban-cscl-2025",
        unit_kpi_sources={"f_digital": "plan_completion", "fn_appraisal": "on_time"},
    )
    worked_example(flow.work)
    flow.step("start_self_assessment")
    ue = UnitEvaluation.objects.get(period=flow.period, unit=cast.unit_x)
    head = flow.user("head_x")
    services.unit_kpi_set(
        actor=head, unit_evaluation=ue, key="f_discipline", actual=0, evidence="Sổ theo dõi"
    )
    services.unit_kpi_set(
        actor=head,
        unit_evaluation=ue,
        key="fn_policy_advice",
        target=10,
        actual=9,
        evidence="Báo cáo tổng kết số 15/BC-VXD",
    )
    services.unit_kpi_set(actor=head, unit_evaluation=ue, key="f_digital", target=100)
    services.unit_kpi_set(actor=head, unit_evaluation=ue, key="fn_appraisal", target=100)
    Period.objects.filter(pk=flow.period.pk).update(state=Period.State.DECISION)
    services.unit_evaluation_decide(actor=flow.user("leader_a"), unit_evaluation=ue)
    period = Period.objects.get(pk=flow.period.pk)
    summary = unit_summary(
        period, cast.unit_x, Evaluation.objects.filter(period=period, unit=cast.unit_x)
    )
    part = summary.unit
    assert part is not None and part.rating and part.points is not None
    assert len(part.kpis) == 4
    text = pdf_text(unit_pdf(summary), "unit-kpis")
    assert "15/BC-VXD" in text and "Sổ theo dõi" in text
    assert vn_number(part.points) in text
    assert "Chưa quyết định" not in text
    pdf_png("unit-kpis")
    ws = load_workbook(io.BytesIO(unit_xlsx(summary))).active
    assert ws is not None
    labels = {r[0].value: r for r in ws.iter_rows()}
    assert labels["Điểm của đơn vị:"][3].value == float(part.points)
    evidence = [r[6].value for r in ws.iter_rows() if r[6].value]
    assert "Báo cáo tổng kết số 15/BC-VXD" in evidence
