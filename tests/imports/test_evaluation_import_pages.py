"""The pages of a unit's evaluation import: the links on the unit's progress page, the
template download, upload → preview → confirm for a unit leader, and the refusals."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from tests.conftest import Cast
from tests.evaluations.conftest import OPENED, Flow, make_flow, presets  # noqa: F401 (fixtures)
from tests.imports.test_evaluation_import import FULL, code, fill, scored, sheet
from thuocdo.audit.models import AuditEntry
from thuocdo.evaluations.models import Evaluation, Period
from thuocdo.imports.evaluation_sheet import FIRST_ROW, SHEET
from thuocdo.jobs.models import Job


@pytest.fixture
def flow(cast: Cast, presets: None) -> Flow:  # noqa: F811
    made = make_flow(cast)
    made.step("start_self_assessment", on=OPENED)
    return made


def signed_in(client: Client, flow: Flow, name: str) -> Client:
    client.force_login(flow.user(name))
    return client


def urls(flow: Flow, unit: Any = None) -> tuple[str, str, str]:
    unit = unit or flow.cast.unit_x
    query = f"period={flow.period.pk}&unit={unit.pk}"
    return (
        f"/evaluations/periods/{flow.period.pk}/units/{unit.pk}/progress/",
        f"/imports/evaluations/template/?{query}",
        f"/imports/?kind=evaluations&{query}",
    )


def send(client: Client, flow: Flow, content: bytes, unit: Any = None) -> Any:
    unit = unit or flow.cast.unit_x
    return client.post(
        "/imports/",
        {
            "period": flow.period.pk,
            "unit": unit.pk,
            "file": SimpleUploadedFile("danh-gia.xlsx", content),
        },
    )


def test_the_progress_page_links_the_units_template_and_import(client: Client, flow: Flow) -> None:
    progress, template, importing = urls(flow)
    for name in ("head_x", "personnel_a"):
        page = signed_in(client, flow, name).get(progress).content.decode()
        assert "Tải mẫu Excel của đơn vị" in page and "Nhập từ Excel" in page
        assert template.replace("&", "&amp;") in page and importing.replace("&", "&amp;") in page
    page = signed_in(client, flow, "auditor_a").get(progress).content.decode()
    assert "Nhập từ Excel" not in page  # reads the progress, follows no unit


def test_the_template_downloads_with_the_units_rows(client: Client, flow: Flow) -> None:
    _progress, template, _importing = urls(flow)
    response = signed_in(client, flow, "head_x").get(template)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="danh-gia-ba-thang-1-2026-x.xlsx"' in response["Content-Disposition"]
    data = load_workbook(io.BytesIO(response.content))[SHEET]
    codes = [data.cell(row=n, column=3).value for n in range(FIRST_ROW, data.max_row + 1)]
    assert codes == [code(flow, n) for n in ("deputy_x", "head_x", "staff_x")]
    for name in ("staff_x", "head_y"):  # not a leader of X, nor the office
        assert signed_in(client, flow, name).get(template).status_code == 403
    assert signed_in(client, flow, "personnel_a").get(template).status_code == 200
    no_unit = client.get(f"/imports/evaluations/template/?period={flow.period.pk}")
    assert no_unit.status_code == 404


def test_a_unit_leader_uploads_previews_and_confirms(client: Client, flow: Flow) -> None:
    _progress, _template, importing = urls(flow)
    signed_in(client, flow, "head_x")
    page = client.get(importing)
    assert page.status_code == 200 and "Kiểm tra và xem trước" in page.content.decode()
    entry = {**scored(FULL), "self_comment": "Tốt", "on_behalf_reason": "Đi học dài hạn"}
    content = fill(sheet(flow), {code(flow, "staff_x"): entry}).getvalue()
    response = send(client, flow, content)
    assert response.status_code == 302 and response["Location"] == "/imports/preview/"
    preview = client.get("/imports/preview/")
    assert preview.status_code == 200 and preview.context["counts"]["update"] == 1
    text = preview.content.decode()
    assert "Nguyễn Văn Staff X" in text and "Xác nhận nhập" in text
    assert flow.ev("staff_x").state == Evaluation.State.DRAFT  # the preview writes nothing

    response = client.post("/imports/confirm/")
    job = Job.objects.get(kind="imports.run")
    assert response["Location"] == f"/imports/jobs/{job.pk}/"
    assert job.state == "done" and job.result["counts"]["update"] == 1
    ev = flow.ev("staff_x")
    assert ev.state == Evaluation.State.SELF_ASSESSED
    assert ev.self_on_behalf_reason == "Đi học dài hạn"
    audit = AuditEntry.objects.get(action="evaluations.evaluation.self_assess")
    assert audit.channel == "web"
    page = client.get(f"/imports/jobs/{job.pk}/")  # whoever started the import follows it
    assert page.status_code == 200 and "Đã nhập xong" in page.content.decode()
    # its links lead back to the unit's import page, not to a page the leader cannot use
    unit_page = f"period={flow.period.pk}&amp;unit={flow.cast.unit_x.pk}"
    assert page.content.decode().count(unit_page) >= 2


def test_a_wrong_file_or_a_missing_right_is_refused_in_the_preview(
    client: Client, flow: Flow
) -> None:
    signed_in(client, flow, "personnel_a")
    other_unit = fill(sheet(flow, flow.cast.unit_y), {}).getvalue()
    send(client, flow, other_unit)
    page = client.get("/imports/preview/").content.decode()
    assert "không phải của Vụ Xây dựng — Tháng 1/2026 đang nhập" in page
    assert "Xác nhận nhập" not in page

    signed_in(client, flow, "deputy_x")  # a leader of X, but head_x is not theirs to enter
    entry = {**scored(FULL), "on_behalf_reason": "Nghỉ phép"}
    send(client, flow, fill(sheet(flow), {code(flow, "head_x"): entry}).getvalue())
    page = client.get("/imports/preview/").content.decode()
    assert "Chỉ người được đánh giá tự đánh giá" in page and "Xác nhận nhập" not in page
    assert flow.ev("head_x").state == Evaluation.State.DRAFT

    signed_in(client, flow, "staff_x")
    _progress, _template, importing = urls(flow)
    assert client.get(importing).status_code == 403


def test_the_office_imports_through_the_general_page_too(client: Client, flow: Flow) -> None:
    signed_in(client, flow, "personnel_a")
    page = client.get("/imports/").content.decode()
    assert "Tự đánh giá và đánh giá của đơn vị" in page
    assert f'href="/evaluations/periods/{flow.period.pk}/"' in page
    refused = client.post("/imports/evaluations/export/", {"agency": flow.cast.agency_a.pk})
    assert refused.status_code == 302 and not Job.objects.exists()
    entry = {**scored(FULL), "on_behalf_reason": "Nghỉ phép"}
    content = fill(sheet(flow), {code(flow, "staff_x"): entry}).getvalue()
    response = client.post(
        "/imports/",
        {
            "kind": "evaluations",
            "agency": flow.cast.agency_a.pk,
            "file": SimpleUploadedFile("x.xlsx", content),
        },
    )
    assert response["Location"] == "/imports/preview/"
    assert client.get("/imports/preview/").context["counts"]["update"] == 1


def test_the_links_are_shown_only_at_the_two_steps(client: Client, flow: Flow) -> None:
    progress, _template, _importing = urls(flow)
    signed_in(client, flow, "head_x")
    for state, shown in (("review", True), ("collective_comments", False), ("open", False)):
        Period.objects.filter(pk=flow.period.pk).update(state=state)
        assert ("Nhập từ Excel" in client.get(progress).content.decode()) is shown, state
