"""The agency's summary for a period and a person's history, as PDF and Excel: access,
Vietnamese text intact in the PDF, values in the workbook's cells."""

from __future__ import annotations

import datetime as dt
import io
import re

from django.test import Client
from openpyxl import load_workbook

from tests.evaluations.conftest import Flow
from tests.reports.conftest import LONG_NAME, exported, pdf_text


def get(flow: Flow, who: str, url: str):  # type: ignore[no-untyped-def]
    client = Client(HTTP_ACCEPT_LANGUAGE="vi")
    client.force_login(flow.user(who))
    return client.get(url)


def cells(content: bytes) -> list[object]:
    ws = load_workbook(io.BytesIO(content)).active
    return [cell for row in ws.iter_rows(values_only=True) for cell in row if cell is not None]


def test_who_may_download_the_agency_summary(decided: Flow) -> None:
    url = f"/reports/agency/periods/{decided.period.pk}.pdf"
    for who, code in (
        ("personnel_a", 200),
        ("leader_a", 200),
        ("auditor_a", 200),
        ("head_x", 403),
        ("staff_x", 403),
        ("head_z", 403),
    ):
        response = exported(decided, who, url)
        assert response.status_code == code, who
        if who in ("head_x", "staff_x"):
            assert "Bạn không có quyền xem bảng tổng hợp kết quả của cơ quan này." in (
                response.content.decode()
            )
    assert exported(decided, "personnel_a", "/reports/agency/periods/999999.pdf").status_code == 404


def test_the_agency_summary_pdf_and_workbook(decided: Flow) -> None:
    url = f"/reports/agency/periods/{decided.period.pk}"
    response = exported(decided, "personnel_a", f"{url}.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert "tong-hop-co-quan-" in response["Content-Disposition"]
    text = pdf_text(response.content, "agency-summary")
    assert "TOÀN CƠ QUAN" in text
    assert "Vụ Xây dựng" in text and "Phòng Một" in text
    assert "Toàn cơ quan" in text
    values = cells(exported(decided, "personnel_a", f"{url}.xlsx").content)
    assert "Toàn cơ quan" in values and "Hoàn thành xuất sắc" in values
    assert 8 in values  # every official of agency A, as a number


def test_who_may_download_a_persons_history(decided: Flow) -> None:
    person = decided.cast.person("staff_x")
    url = f"/reports/people/{person.pk}/history.xlsx"
    for who, code in (
        ("staff_x", 200),  # one's own
        ("head_x", 200),  # the unit's head
        ("personnel_a", 200),
        ("auditor_a", 200),
        ("staff_x1", 403),
        ("head_y", 403),
        ("head_z", 403),
    ):
        response = get(decided, who, url)
        assert response.status_code == code, who
        if code == 403:
            assert "Bạn không có quyền xem hồ sơ cán bộ này." in response.content.decode()
    assert get(decided, "personnel_a", "/reports/people/999999/history.pdf").status_code == 404


def test_a_persons_history_pdf_and_workbook(decided: Flow) -> None:
    person = decided.cast.person("staff_x")
    url = f"/reports/people/{person.pk}/history"
    response = get(decided, "staff_x", f"{url}.pdf")
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content, "person-history")
    assert "QUÁ TRÌNH ĐÁNH GIÁ, XẾP LOẠI CHẤT LƯỢNG" in text
    assert "Tháng 1 năm" in text and "76,10" in text
    assert "Hoàn thành" in text and "tốt nhiệm vụ" in text  # the rating wraps in its column
    assert "06/02/2026" in text  # the decision's date, by the agency's calendar
    assert re.search(r"Điểm bình quân:\s+76,10", text)
    assert "Linh Độ" in text and "Tôn Nữ" in text  # the long name, its diacritics intact
    content = get(decided, "staff_x", f"{url}.xlsx").content
    values = cells(content)
    assert LONG_NAME in values
    assert 76.1 in values and "Hoàn thành tốt nhiệm vụ" in values
    ws = load_workbook(io.BytesIO(content)).active
    row = next(r for r in ws.iter_rows() if r[1].value == "Tháng 1 năm 2026")
    points, decided_on = row[5], row[7]
    assert (points.value, points.data_type, points.number_format) == (76.1, "n", "#,##0.00")
    # a date cell holding the local date, shown dd/mm/yyyy
    assert decided_on.value == dt.datetime(2026, 2, 6) and decided_on.is_date
    assert decided_on.number_format == "dd/mm/yyyy"
    mean = next(r for r in ws.iter_rows() if r[0].value == "Điểm bình quân:")
    assert next(c for c in mean[1:] if c.value is not None).value == 76.1
