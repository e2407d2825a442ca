"""Issue 13, point 4: on a phone, stacked tables keep their column labels.

Every `table.table` stacks its rows into cards under 640 px and hides its header row; each
cell then shows its column's name (tables.js copies it from the header, site.css shows it).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from tests.conftest import Cast
from tests.e2e.conftest import shoot
from tests.e2e.test_evaluation_flow import sign_in
from thuocdo.audit.services import record

pytestmark = pytest.mark.browser


def _before(page: Any, selector: str) -> str:
    return str(
        page.evaluate(
            "(s) => getComputedStyle(document.querySelector(s), '::before').content", selector
        )
    )


def test_a_stacked_table_keeps_its_column_labels_on_a_phone(
    browser: Any, live_server: Any, cast_committed: Cast
) -> None:
    cast = cast_committed
    with transaction.atomic():
        record(actor=None, action="org.unit.update", agency_id=cast.agency_a.pk, reason="Đổi tên")
    context = browser.new_context(locale="vi-VN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        sign_in(page, live_server.url, cast.user("auditor_a").username)
        page.goto(f"{live_server.url}/audit/")
        first = "table.audit tbody tr td:nth-child(1)"
        page.wait_for_function(
            "(s) => document.querySelector(s).hasAttribute('data-label')", arg=first
        )
        assert _before(page, first) == '"Thời điểm: "'
        assert _before(page, "table.audit tbody tr td:nth-child(3)") == '"Thao tác: "'
        assert page.locator("table.audit thead").is_hidden()
        page.locator("table.audit").scroll_into_view_if_needed()
        shoot(page, "phone-audit-table", full_page=False)
        # A wide screen shows the header row and no labels in the cells.
        page.set_viewport_size({"width": 1280, "height": 900})
        assert page.locator("table.audit thead").is_visible()
        assert _before(page, first) in ("none", "normal")
    finally:
        context.close()
