"""An auditor sees a forged audit entry flagged, checks the whole chain and reads the result
(issue 16, point 5), in Chromium."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction

from tests.conftest import Cast
from tests.e2e.conftest import shoot
from tests.e2e.test_evaluation_flow import sign_in
from thuocdo.audit.services import record
from thuocdo.audit.triggers import disabled

pytestmark = pytest.mark.browser


def test_an_auditor_finds_a_forged_entry(page: Any, live_server: Any, cast_committed: Cast) -> None:
    cast = cast_committed
    with transaction.atomic():
        entries = [
            record(actor=None, action="org.unit.update", agency_id=cast.agency_a.pk, reason=f"#{i}")
            for i in range(3)
        ]
    with transaction.atomic(), disabled(connection), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditentry SET actor_name = %s WHERE id = %s",
            ["Kẻ giả mạo", entries[1].pk],
        )
    base = live_server.url
    sign_in(page, base, cast.user("auditor_a").username)
    page.goto(f"{base}/audit/")
    alert = page.get_by_role("alert").first
    assert "không còn khớp với mã băm" in alert.inner_text()
    forged = page.locator("tr.altered")
    assert forged.count() == 1 and "Kẻ giả mạo" in forged.inner_text()
    page.get_by_role("button", name="Kiểm tra toàn chuỗi").first.click()
    page.wait_for_url(f"{base}/jobs/*/")
    page.wait_for_function("document.body.innerText.includes('Nhật ký đã bị can thiệp')")
    shoot(page, "audit-chain-job")
    page.goto(f"{base}/audit/")
    broken = page.locator(".chain-broken")
    assert f"mục #{entries[1].pk}" in broken.inner_text()
    shoot(page, "audit-chain-broken", full_page=False)
