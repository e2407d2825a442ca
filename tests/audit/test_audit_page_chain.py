"""Issue 16, point 5: a row forged with the triggers off was shown on the auditor's page
under the forged actor, with no warning. The page now re-hashes what it shows and lets the
auditor walk the agency's whole chain as a job."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from tests.conftest import Cast
from thuocdo.audit.models import AuditEntry
from thuocdo.audit.services import record
from thuocdo.audit.triggers import disabled
from thuocdo.jobs.models import Job


def _login(client: Client, cast: Cast, name: str) -> Client:
    client.force_login(cast.user(name))
    return client


def _forge(entry_id: int, **changes: str) -> None:
    sets = ", ".join(f"{column} = %s" for column in changes)
    with transaction.atomic(), disabled(connection), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE audit_auditentry SET {sets} WHERE id = %s", [*changes.values(), entry_id]
        )


@pytest.fixture
def entries(cast: Cast) -> list[AuditEntry]:
    return [
        record(actor=None, action="org.unit.update", agency_id=cast.agency_a.pk, reason=f"#{i}")
        for i in range(3)
    ]


def test_an_intact_log_shows_no_warning_and_a_check_says_intact(
    client: Client, cast: Cast, entries: list[AuditEntry]
) -> None:
    _login(client, cast, "auditor_a")
    page = client.get(reverse("web:audit_log")).content.decode()
    assert "không còn khớp với mã băm" not in page
    assert "Chưa kiểm tra lần nào." in page
    answer = client.post(reverse("web:audit_check"), {"agency": cast.agency_a.pk})
    job = Job.objects.get(kind="audit.verify")
    assert answer.status_code == 302 and answer["Location"] == reverse("web:job", args=[job.pk])
    assert job.state == Job.State.DONE and job.result["intact"] is True
    assert job.result["entries"] == AuditEntry.objects.filter(agency_id=cast.agency_a.pk).count()
    page = client.get(reverse("web:audit_log")).content.decode()
    assert "Nguyên vẹn" in page and "Đã bị can thiệp" not in page


def test_a_forged_actor_is_flagged_on_the_page_and_by_the_check(
    client: Client, cast: Cast, entries: list[AuditEntry]
) -> None:
    _forge(entries[1].pk, actor_name="Kẻ giả mạo")
    _login(client, cast, "auditor_a")
    page = client.get(reverse("web:audit_log")).content.decode()
    assert "1 mục trên trang này không còn khớp với mã băm" in page
    assert page.count('class="altered"') == 1
    assert "Đã bị sửa ngoài ứng dụng" in page
    client.post(reverse("web:audit_check"), {"agency": cast.agency_a.pk})
    job = Job.objects.get(kind="audit.verify")
    assert job.result["intact"] is False and job.result["entry_id"] == entries[1].pk
    page = client.get(reverse("web:audit_log")).content.decode()
    assert "Đã bị can thiệp" in page
    assert f"mục #{entries[1].pk}" in page and "nội dung đã bị sửa" in page


def test_a_deleted_entry_is_not_on_the_page_but_the_check_finds_the_gap(
    client: Client, cast: Cast, entries: list[AuditEntry]
) -> None:
    with transaction.atomic(), disabled(connection), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE id = %s", [entries[1].pk])
    _login(client, cast, "auditor_a")
    client.post(reverse("web:audit_check"), {"agency": cast.agency_a.pk})
    job = Job.objects.get(kind="audit.verify")
    assert job.result["intact"] is False and job.result["entry_id"] == entries[2].pk
    assert "liên kết với mục đứng trước bị đứt" in job.result["broken"]


def test_the_check_walks_only_the_agencys_chain(
    client: Client, cast: Cast, entries: list[AuditEntry]
) -> None:
    other = record(actor=None, action="org.unit.update", agency_id=cast.agency_b.pk)
    _forge(other.pk, reason="sửa ở cơ quan khác")
    _login(client, cast, "auditor_a")
    client.post(reverse("web:audit_check"), {"agency": cast.agency_a.pk})
    assert Job.objects.get(kind="audit.verify").result["intact"] is True


@pytest.mark.parametrize(("who", "agency"), [("auditor_a", "agency_b"), ("head_x", "agency_a")])
def test_only_the_agencys_auditors_may_start_a_check(
    client: Client, cast: Cast, who: str, agency: str
) -> None:
    _login(client, cast, who)
    answer = client.post(reverse("web:audit_check"), {"agency": getattr(cast, agency).pk})
    assert answer.status_code == 403
    assert not Job.objects.filter(kind="audit.verify").exists()


def test_an_unknown_agency_is_named(client: Client, cast: Cast) -> None:
    _login(client, cast, "auditor_a")
    answer = client.post(reverse("web:audit_check"), {"agency": "999999"})
    assert answer.status_code == 404
    assert "Không tìm thấy cơ quan #999999" in answer.content.decode()
