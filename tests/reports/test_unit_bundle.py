"""Every form of a unit in one PDF to print (POST `/reports/units/<u>/periods/<p>/all.pdf`
starts a job; its page offers the file): the summary, then each member's form from a new
page with its own page numbers; the same access as the summary; a fixed number of queries
whatever the unit's size."""

from __future__ import annotations

import re

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.evaluations.conftest import Flow
from thuocdo.evaluations.models import Evaluation
from thuocdo.reports.forms import in_summary_order, individual_form, individual_forms

from .conftest import LONG_NAME, exported, pdf_png, pdf_text


def url(flow: Flow, unit: str = "unit_x") -> str:
    return f"/reports/units/{getattr(flow.cast, unit).pk}/periods/{flow.period.pk}/all.pdf"


def fetch(flow: Flow, who: str | None, address: str):  # type: ignore[no-untyped-def]
    """The bundle as the unit page asks for it (a POST starting a job), then its file."""
    if who is not None:
        return exported(flow, who, address)
    return Client().post(address)


def page(flow: Flow, who: str, address: str) -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE="vi")
    client.force_login(flow.user(who))
    return client.get(address).content.decode()


def test_the_bundle_has_the_summary_then_every_members_form(decided: Flow) -> None:
    response = fetch(decided, "head_x", url(decided))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="phieu-danh-gia-x-month-2026-01.pdf"' in response["Content-Disposition"]
    data = b"".join(response.streaming_content) if response.streaming else response.content
    members = ["Nguyễn Văn Head X", "Nguyễn Văn Deputy X", LONG_NAME]
    pages = len(re.findall(rb"/Type\s*/Page\b", data))
    assert pages >= 1 + len(members)
    text = pdf_text(data, "unit-bundle")
    sheets = text.split("\f")
    # the summary first, then one form per member in the summary's order, each from a
    # new page whose footer starts again at "Trang 1/…"
    assert "BẢNG TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ" in sheets[0]
    firsts = [i for i, page in enumerate(sheets) if re.search(r"Trang 1/\d", page)]
    assert len(firsts) == 1 + len(members)
    for index, name in zip(firsts[1:], members, strict=True):
        page = sheets[index]
        assert "PHIẾU ĐÁNH GIÁ, XẾP LOẠI CHẤT LƯỢNG CÔNG CHỨC" in page
        assert name[:30] in " ".join(page.split()), name
    # every footer counts the pages of its own form, not of the whole file
    totals = [int(m) for m in re.findall(r"Trang \d+/(\d+)", text)]
    assert len(totals) == pages and max(totals) < pages
    assert "Nguyễn Văn Staff X1" not in text  # office X1 is another unit
    assert "decree-335-2025" not in text
    pdf_png("unit-bundle")


def test_who_may_download_the_bundle(decided: Flow) -> None:
    for who, unit, code in (
        ("head_x", "unit_x", 200),
        ("head_x", "office_x1", 200),  # a unit below the one they lead
        ("personnel_a", "unit_y", 200),
        ("auditor_a", "unit_x", 200),
        ("staff_x", "unit_x", 403),  # a member sees their own form, not the colleagues'
        ("head_y", "unit_x", 403),
        ("head_z", "unit_x", 403),  # another agency
        ("nobody", "unit_x", 403),
    ):
        response = fetch(decided, who, url(decided, unit))
        assert response.status_code == code, (who, unit)
        if code == 403:
            assert "Bạn không có quyền xem" in response.content.decode()
    period = decided.period.pk
    for address in (
        f"/reports/units/999999/periods/{period}/all.pdf",
        f"/reports/units/{decided.cast.unit_x.pk}/periods/999999/all.pdf",
        f"/reports/units/{decided.cast.unit_z.pk}/periods/{period}/all.pdf",  # other agency
    ):
        assert fetch(decided, "personnel_a", address).status_code == 404, address
    assert fetch(decided, "personnel_a", url(decided)[: -len(".pdf")] + ".xlsx").status_code == 404
    assert fetch(decided, None, url(decided)).status_code == 302  # to the login page
    client = Client()
    client.force_login(decided.user("head_x"))
    assert client.get(url(decided)).status_code == 405  # a GET builds nothing


def test_the_unit_page_links_to_the_bundle(decided: Flow) -> None:
    ue = decided.cast.unit_x.unit_evaluations.get(period=decided.period)
    html = page(decided, "head_x", reverse("web:ev_unit", args=[ue.pk]))
    bundle = reverse("reports:unit_bundle", args=[decided.cast.unit_x.pk, decided.period.pk])
    assert f'<form method="post" action="{bundle}"' in html
    assert "/all.pdf" not in page(decided, "staff_x", reverse("web:ev_unit", args=[ue.pk]))


def test_bulk_forms_read_the_same_as_one_by_one(decided: Flow) -> None:
    evaluations = in_summary_order(
        Evaluation.objects.filter(period=decided.period, unit=decided.cast.unit_x).select_related(
            "period", "person", "unit", "agency", "job_position", "framework", "reviewer"
        )
    )
    assert individual_forms(evaluations) == [individual_form(ev) for ev in evaluations]


def test_the_bundle_reads_a_fixed_number_of_queries(decided: Flow) -> None:
    """Vụ Yên Bình has four members and Phòng Một one: the same number of queries (the
    request, the job run at once in tests, and the file)."""
    counts = {}
    for unit in ("unit_y", "office_x1"):
        with CaptureQueriesContext(connection) as queries:
            assert fetch(decided, "personnel_a", url(decided, unit)).status_code == 200
        counts[unit] = len(queries)
    members = {
        unit: Evaluation.objects.filter(
            period=decided.period, unit=getattr(decided.cast, unit)
        ).count()
        for unit in counts
    }
    assert members["unit_y"] > members["office_x1"]
    assert counts["unit_y"] == counts["office_x1"], counts
    assert counts["unit_y"] <= 80, counts
