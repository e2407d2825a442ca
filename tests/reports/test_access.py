"""Who may download which form: the official their own, a unit leader their subtree, the
agency's leadership, personnel office and auditors the agency; others 403 (Vietnamese
message), unknown ids 404, anonymous users to the login page."""

from __future__ import annotations

from django.test import Client

from tests.evaluations.conftest import Flow


def status(flow: Flow, who: str | None, url: str) -> tuple[int, str]:
    client = Client(HTTP_ACCEPT_LANGUAGE="vi")
    if who is not None:
        client.force_login(flow.user(who))
    response = client.get(url)
    return response.status_code, response.content.decode("utf-8", "replace")


EVALUATION_CASES = [
    ("staff_x", "staff_x", 200),  # one's own
    ("staff_x1", "staff_x", 403),  # a colleague's
    ("head_x", "staff_x1", 200),  # the unit's subtree
    ("head_y", "staff_x", 403),  # another unit's head
    ("personnel_a", "staff_x", 200),
    ("auditor_a", "staff_x", 200),
    ("leader_a", "head_x", 200),
    ("head_z", "staff_x", 403),  # another agency
    ("nobody", "staff_x", 403),
]
UNIT_CASES = [
    ("head_x", "unit_x", 200),
    ("head_x", "office_x1", 200),  # a unit below the one they lead
    ("deputy_x", "unit_x", 200),
    ("staff_x", "unit_x", 403),  # staff see their own form, not colleagues' points
    ("head_y", "unit_x", 403),
    ("head_x", "unit_y", 403),
    ("personnel_a", "unit_y", 200),
    ("auditor_a", "unit_x", 200),
    ("leader_a", "unit_x", 200),
    ("nobody", "unit_x", 403),
]


def test_the_individual_form(decided: Flow) -> None:
    for who, owner, code in EVALUATION_CASES:
        ev = decided.ev(owner)
        for fmt in ("pdf", "xlsx"):
            got, body = status(decided, who, f"/reports/evaluations/{ev.pk}.{fmt}")
            assert got == code, (who, owner, fmt)
            if code == 403:
                assert "Bạn không có quyền xem phiếu đánh giá này." in body


def test_the_unit_summary(decided: Flow) -> None:
    for who, unit, code in UNIT_CASES:
        target = getattr(decided.cast, unit)
        for fmt in ("pdf", "xlsx"):
            url = f"/reports/units/{target.pk}/periods/{decided.period.pk}.{fmt}"
            got, body = status(decided, who, url)
            assert got == code, (who, unit, fmt)
            if code == 403:  # outside the agency the period itself is refused
                message = "kỳ đánh giá" if who == "nobody" else "bảng tổng hợp kết quả"
                assert f"Bạn không có quyền xem {message}" in body


def test_another_agency_unknown_ids_bad_formats_and_anonymous(decided: Flow) -> None:
    cast, period = decided.cast, decided.period
    ev = decided.ev("staff_x")
    got, body = status(
        decided, "head_z", f"/reports/units/{cast.unit_z.pk}/periods/{period.pk}.pdf"
    )
    assert got == 403 and "Bạn không có quyền xem kỳ đánh giá này." in body
    got, body = status(
        decided, "personnel_a", f"/reports/units/{cast.unit_z.pk}/periods/{period.pk}.pdf"
    )
    assert got == 404 and "Không tìm thấy đơn vị" in body  # not a unit of this period's agency
    assert status(decided, "personnel_a", "/reports/evaluations/999999.pdf")[0] == 404
    assert (
        status(decided, "personnel_a", f"/reports/units/999999/periods/{period.pk}.pdf")[0] == 404
    )
    assert (
        status(decided, "personnel_a", f"/reports/units/{cast.unit_x.pk}/periods/999999.xlsx")[0]
        == 404
    )
    assert status(decided, "personnel_a", f"/reports/evaluations/{ev.pk}.docx")[0] == 404
    got, _ = status(decided, None, f"/reports/evaluations/{ev.pk}.pdf")
    assert got == 302
    client = Client()
    client.force_login(decided.user("staff_x"))
    assert client.post(f"/reports/evaluations/{ev.pk}.pdf").status_code == 405


def test_a_summary_lists_only_the_units_own_members(decided: Flow) -> None:
    client = Client()
    client.force_login(decided.user("head_x"))
    office = decided.cast.office_x1
    response = client.get(f"/reports/units/{office.pk}/periods/{decided.period.pk}.xlsx")
    assert response.status_code == 200
    assert (
        response["Content-Disposition"] == 'attachment; filename="tong-hop-x1-month-2026-01.xlsx"'
    )


def test_the_evaluation_page_links_to_its_forms(decided: Flow) -> None:
    """The downloads are reachable from the page, not only by URL."""
    from django.urls import reverse

    evaluation = decided.ev("staff_x")
    _, html = status(decided, "staff_x", reverse("web:ev_detail", args=[evaluation.pk]))
    assert reverse("reports:evaluation", args=[evaluation.pk, "pdf"]) in html
    assert reverse("reports:evaluation", args=[evaluation.pk, "xlsx"]) in html
