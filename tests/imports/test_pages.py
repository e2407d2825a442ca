"""The import pages: only the agency's personnel office; upload, preview, confirm, progress."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from tests.conftest import Cast
from tests.jobs.kinds import running_job
from thuocdo.audit.models import AuditEntry
from thuocdo.jobs.models import Job, Upload
from thuocdo.jobs.progress import Progress
from thuocdo.org.models import Person

from .conftest import person_row, xlsx

REFUSAL = "Trang này dành cho bộ phận tổ chức cán bộ của cơ quan."


def signed_in(client: Client, cast: Cast, name: str) -> Client:
    client.force_login(cast.user(name))
    return client


def upload(client: Client, cast: Cast, rows: list[list[Any]], name: str = "can-bo.xlsx") -> Any:
    content = xlsx(rows).getvalue()
    return client.post(
        "/imports/",
        {"kind": "people", "agency": cast.agency_a.pk, "file": SimpleUploadedFile(name, content)},
    )


def uploads() -> list[str]:
    """The tokens of the uploaded files kept (in the database, for every worker)."""
    return list(Upload.objects.order_by("id").values_list("token", flat=True))


def running_import(cast: Cast) -> Job:
    return running_job(cast.agency_a, params={"kind": "people", "file_name": "x.xlsx"})


def business_entries() -> int:
    """Audit entries of the data an import writes (a job's own start is audited too)."""
    return AuditEntry.objects.exclude(action__startswith="jobs.").count()


@pytest.mark.parametrize("name", ["staff_x", "head_x", "leader_a", "auditor_a", "nobody", "head_z"])
def test_only_the_personnel_office_gets_the_import_pages(
    client: Client, cast: Cast, name: str
) -> None:
    signed_in(client, cast, name)
    for url in (
        "/imports/",
        f"/imports/people/template/?agency={cast.agency_a.pk}",
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert REFUSAL in response.content.decode()
    response = client.post("/imports/people/export/", {"agency": cast.agency_a.pk})
    assert response.status_code == 403
    assert REFUSAL in response.content.decode()
    assert not Job.objects.exists()


def test_the_personnel_office_of_one_agency_cannot_reach_another(
    client: Client, cast: Cast
) -> None:
    signed_in(client, cast, "personnel_a")
    response = client.post("/imports/people/export/", {"agency": cast.agency_b.pk})
    assert response.status_code == 403
    response = client.post(
        "/imports/",
        {"kind": "people", "agency": cast.agency_b.pk, "file": SimpleUploadedFile("a.xlsx", b"x")},
    )
    assert response.status_code == 200  # the form refuses an agency it does not offer
    assert "agency" in response.context["form"].errors


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, cast: Cast) -> None:
    assert client.get("/imports/").status_code == 302


def test_the_index_offers_downloads_and_the_upload_form(client: Client, cast: Cast) -> None:
    signed_in(client, cast, "personnel_a")
    page = client.get("/imports/").content.decode()
    assert "Cán bộ và phân công công tác" in page
    assert "Tải mẫu trống" in page and "Tải dữ liệu hiện có" in page
    assert 'type="file"' in page
    home = client.get("/").content.decode()
    assert 'href="/imports/"' in home


def test_template_and_export_download_as_xlsx(client: Client, cast: Cast) -> None:
    signed_in(client, cast, "personnel_a")
    response = client.get("/imports/people/template/")  # the only agency is implied
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="mau-people-BA.xlsx"' in response["Content-Disposition"]
    assert client.get("/imports/nothing/template/").status_code == 404


def test_the_export_is_made_by_a_job_and_downloaded_by_whoever_asked(
    client: Client, cast: Cast
) -> None:
    signed_in(client, cast, "personnel_a")
    assert client.get(f"/imports/people/export/?agency={cast.agency_a.pk}").status_code == 405
    response = client.post("/imports/people/export/", {"agency": cast.agency_a.pk})
    job = Job.objects.get(kind="imports.export")
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert job.state == Job.State.DONE and job.done == 9  # the queue ran it (tests: at once)
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert f'href="/jobs/{job.pk}/file/"' in page and "Đã xuất 9 dòng." in page
    response = client.get(f"/jobs/{job.pk}/file/")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert f"people-BA-{job.created_at:%Y}" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book["Cán bộ"].max_row == 10
    # The file is the asker's: the agency's auditor may follow the job, not take the file.
    signed_in(client, cast, "auditor_a")
    assert client.get(f"/jobs/{job.pk}/").status_code == 200
    response = client.get(f"/jobs/{job.pk}/file/")
    assert response.status_code == 403
    assert "Chỉ người đã yêu cầu xuất tệp" in response.content.decode()
    signed_in(client, cast, "head_z")  # another agency: not even the job
    assert client.get(f"/jobs/{job.pk}/file/").status_code == 403
    assert client.get("/jobs/999999/file/").status_code == 404


def test_upload_preview_and_confirm_write_everything(client: Client, cast: Cast) -> None:
    signed_in(client, cast, "personnel_a")
    response = upload(client, cast, [person_row("W1", "Đỗ Văn Web"), person_row("W2", unit="Y")])
    assert response.status_code == 302 and response["Location"] == "/imports/preview/"
    token = client.session["imports_upload"]["token"]
    assert uploads() == [token] and "/" not in token
    preview = client.get("/imports/preview/")
    page = preview.content.decode()
    assert preview.context["counts"]["create"] == 2
    assert "Đỗ Văn Web" in page and "Xác nhận nhập" in page
    assert not Person.objects.filter(code="W1").exists()  # the preview writes nothing

    response = client.post("/imports/confirm/")
    job = Job.objects.get()
    assert response["Location"] == f"/imports/jobs/{job.pk}/"
    assert (job.state, job.total, job.done) == ("done", 4, 4)
    counts = job.result["counts"]
    assert counts == {"create": 2, "update": 0, "start": 2, "move": 0, "unchanged": 0}
    assert job.created_by_id == cast.users["personnel_a"].pk
    assert job.params["file_name"] == "can-bo.xlsx"
    assert Person.objects.filter(code__in=["W1", "W2"]).count() == 2
    assert uploads() == []  # deleted with the writes
    assert "imports_upload" not in client.session
    entry = AuditEntry.objects.get(action="org.person.create", object_repr="Đỗ Văn Web")
    assert entry.channel == "web" and entry.reason == ""
    page = client.get(f"/imports/jobs/{job.pk}/").content.decode()
    assert "Đã nhập xong" in page

    state = client.get(f"/imports/jobs/{job.pk}/status/").json()
    assert state["status"] == "done" and state["finished"] and state["percent"] == 100


def test_a_file_with_errors_shows_the_error_table_and_no_confirm(
    client: Client, cast: Cast
) -> None:
    signed_in(client, cast, "personnel_a")
    upload(client, cast, [person_row("E1", category="Bộ đội")])
    page = client.get("/imports/preview/").content.decode()
    assert "Tệp có 1 lỗi; chưa ghi dữ liệu nào." in page
    assert "Bộ đội" in page and "Đối tượng" in page and '<td class="num">2</td>' in page
    assert "Xác nhận nhập" not in page
    client.post("/imports/cancel/")
    assert uploads() == []
    assert client.get("/imports/preview/").status_code == 302


def test_a_malformed_upload_is_a_clear_message_not_a_crash(client: Client, cast: Cast) -> None:
    signed_in(client, cast, "personnel_a")
    client.post(
        "/imports/",
        {
            "kind": "people",
            "agency": cast.agency_a.pk,
            "file": SimpleUploadedFile("bang.csv", b"a,b\n1,2\n"),
        },
    )
    response = client.get("/imports/preview/")
    assert response.status_code == 200
    assert "Tệp không đọc được như một bảng tính Excel (.xlsx)" in response.content.decode()


def test_an_oversized_upload_is_refused_before_it_is_kept(
    client: Client, cast: Cast, settings: Any
) -> None:
    settings.IMPORTS_MAX_UPLOAD_BYTES = 1024 * 1024
    signed_in(client, cast, "personnel_a")
    response = client.post(
        "/imports/",
        {
            "kind": "people",
            "agency": cast.agency_a.pk,
            "file": SimpleUploadedFile("lon.xlsx", b"0" * (1024 * 1024 + 1)),
        },
    )
    assert "Tệp lớn hơn 1 MB" in response.content.decode()
    assert uploads() == []


def test_a_file_already_imported_previews_as_unchanged(client: Client, cast: Cast) -> None:
    signed_in(client, cast, "personnel_a")
    rows = [person_row("I1")]
    upload(client, cast, rows)
    client.post("/imports/confirm/")
    entries = AuditEntry.objects.count()
    upload(client, cast, rows)
    page = client.get("/imports/preview/").content.decode()
    assert "không có gì để ghi" in page and "Xác nhận nhập" not in page
    assert AuditEntry.objects.count() == entries  # a preview writes nothing


def test_a_tampered_session_token_never_reaches_the_file_system(client: Client, cast: Cast) -> None:
    signed_in(client, cast, "personnel_a")
    session = client.session
    session["imports_upload"] = {
        "token": "../../secret_key",
        "kind": "people",
        "agency": cast.agency_a.pk,
        "name": "x.xlsx",
    }
    session.save()
    response = client.get("/imports/preview/", follow=True)
    assert "Không tìm thấy tệp đã tải lên." in response.content.decode()


def test_a_job_page_and_status_are_for_its_agency_personnel_only(
    client: Client, cast: Cast
) -> None:
    job = running_import(cast)
    Progress(str(job.uid), job.attempt).set(0, 0, "check")
    signed_in(client, cast, "staff_x")
    assert client.get(f"/imports/jobs/{job.pk}/status/").status_code == 403
    signed_in(client, cast, "personnel_a")
    page = client.get(f"/imports/jobs/{job.pk}/").content.decode()
    assert "data-progress-url" in page and "thuocdo/progress.js" in page
    state = client.get(f"/imports/jobs/{job.pk}/status/").json()
    assert (state["status"], state["finished"], state["phase"]) == ("running", False, "check")
    assert client.get("/imports/jobs/999999/").status_code == 404


def test_a_running_job_reports_the_progress_its_worker_keeps(client: Client, cast: Cast) -> None:
    job = running_import(cast)
    Progress(str(job.uid), job.attempt).set(1200, 10_000, "write")
    signed_in(client, cast, "personnel_a")
    state = client.get(f"/imports/jobs/{job.pk}/status/").json()
    assert (state["done"], state["total"], state["percent"]) == (1200, 10_000, 12)
    assert state["text"] == "Đã ghi 1.200/10.000 thay đổi"


def test_the_operator_chooses_the_agency(client: Client, cast: Cast) -> None:
    signed_in(client, cast, "operator")
    assert client.get("/imports/people/template/").status_code == 404  # which agency?
    response = client.get(f"/imports/people/template/?agency={cast.agency_b.pk}")
    assert response.status_code == 200
    assert "<select" in client.get("/imports/").content.decode()


def test_confirming_a_file_with_errors_records_a_failed_job_and_writes_nothing(
    client: Client, cast: Cast
) -> None:
    signed_in(client, cast, "personnel_a")
    upload(client, cast, [person_row("F1"), person_row("F2", birth="30/02/1990")])
    audit = business_entries()
    client.post("/imports/confirm/")  # the page hides the button; a hand-made POST still fails
    job = Job.objects.get()
    assert job.state == "failed"
    assert job.errors[0]["row"] == 3 and job.errors[0]["column"] == "Ngày sinh"
    assert not Person.objects.filter(code="F1").exists()
    assert business_entries() == audit
    assert uploads() == []  # a refused file is let go: a retry could not use it
    page = client.get(f"/imports/jobs/{job.pk}/").content.decode()
    assert "Không nhập được" in page and "30/02/1990" in page
    client.cookies.load({"thuocdo_language": "en"})
    page = client.get(f"/imports/jobs/{job.pk}/").content.decode()
    assert "Date of birth" in page and "Not a valid date (dd/mm/yyyy)." in page
