"""The main pages run under the Content-Security-Policy: no violation in the console, and
the scripted behaviours (text size, contrast, chart tables) still work."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.test_evaluation_flow import evaluation_flow, sign_in  # noqa: F401 (fixture)
from tests.evaluations.conftest import Flow

pytestmark = pytest.mark.browser


def watch_console(page: Any) -> list[str]:
    seen: list[str] = []
    page.on("console", lambda message: seen.append(message.text))
    page.on("pageerror", lambda error: seen.append(f"page error: {error}"))
    return seen


def csp_violations(seen: list[str]) -> list[str]:
    return [text for text in seen if "Content Security Policy" in text or "page error" in text]


def test_main_pages_load_without_a_csp_violation(
    page: Any,
    live_server: Any,
    evaluation_flow: Flow,  # noqa: F811
) -> None:
    flow = evaluation_flow
    base = live_server.url
    seen = watch_console(page)

    response = page.goto(f"{base}/login/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    sign_in(page, base, "staff_x")
    ev = flow.ev("staff_x")
    for path in ("/", "/dashboard/", "/work/", "/evaluations/", f"/evaluations/{ev.pk}/"):
        response = page.goto(f"{base}{path}")
        assert response.status == 200, path
        assert response.headers["cache-control"] == "no-store", path
        page.wait_for_load_state("load")
    assert not csp_violations(seen), seen

    # The scripts still run: text size and contrast on the evaluation page ...
    size_before = page.evaluate("getComputedStyle(document.body).fontSize")
    page.get_by_role("button", name="Tăng cỡ chữ").click()
    assert page.evaluate("getComputedStyle(document.body).fontSize") != size_before
    page.get_by_role("button", name="Độ tương phản cao").click()
    assert page.evaluate("document.documentElement.classList.contains('high-contrast')")
    page.get_by_role("button", name="Độ tương phản cao").click()
    page.get_by_role("button", name="Cỡ chữ mặc định").click()

    # ... and the dashboard's "table view" toggle.
    page.goto(f"{base}/dashboard/")
    toggles = page.locator("button.chart-toggle")
    if toggles.count():
        first = toggles.first
        expect(first).to_be_visible()
        first.click()
        expect(first).to_have_attribute("aria-expanded", "true")

    assert not csp_violations(seen), seen
