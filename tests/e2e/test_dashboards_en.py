"""The dashboards in English (issue 6 item 10): the same official, unit head and leadership
as in test_dashboards_vi.py switch to English with the header's EN button, or arrive with
the language cookie in an en-US browser, and see English headings on every dashboard.
Screenshots are kept as `dashboard-*-en`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shoot
from tests.e2e.test_dashboards_vi import history  # noqa: F401 (fixture)
from tests.e2e.test_work_flow import as_user, demo_with_catalogue  # noqa: F401 (fixture)
from thuocdo.demo.data import DEMO_PASSWORD
from thuocdo.org.models import Person

pytestmark = pytest.mark.browser


def to_english(page: Any) -> None:
    """The header's EN button: sets the language cookie and comes back to the same page."""
    path = page.url
    page.locator('form.lang-form button[name="language"][value="en"]').click()
    page.wait_for_url(path)
    assert page.locator("html").get_attribute("lang") == "en"


@pytest.fixture
def page_en(browser: Any, live_server: Any) -> Iterator[Any]:
    """An en-US browser that already carries `thuocdo_language=en`."""
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "thuocdo_language", "value": "en", "url": live_server.url}])
    page = context.new_page()
    yield page
    context.close()


def test_dashboards_in_english(page: Any, live_server: Any, history: dict[str, Any]) -> None:  # noqa: F811
    base = live_server.url
    official: Person = history["official"]
    unit = history["unit"]

    # 1. The official switches to English on the home page: My dashboard.
    as_user(page, base, "chuyenvien")
    to_english(page)
    page.get_by_role("link", name="Dashboard", exact=True).first.click()
    page.wait_for_url("**/dashboard/")
    expect(page.get_by_role("heading", name="My dashboard")).to_be_visible()
    expect(page.get_by_role("heading", name="Tasks due and overdue")).to_be_visible()
    expect(page.get_by_text("Tổng hợp ý kiến góp ý dự thảo Nghị quyết").first).to_be_visible()
    expect(page.locator("svg.chart").first).to_be_visible()
    shoot(page, "dashboard-mine-en")
    page.get_by_role("button", name="Show as a table").first.click()
    expect(page.locator("#trend-table")).to_be_visible()

    # 2. The unit head: members, leaders' points left to the evaluation; drill down.
    as_user(page, base, "truongvu")
    page.goto(f"{base}/dashboard/unit/{unit.pk}/")
    to_english(page)
    expect(page.get_by_role("heading", name="Members: live points and ratings")).to_be_visible()
    expect(page.get_by_text("scored at evaluation").first).to_be_visible()
    expect(page.locator('[data-legend="letters"]')).to_contain_text("How to read a, b, c")
    heat = page.locator('table[data-table="heatmap"] tbody td').all_inner_texts()
    assert heat and all("," not in text and "%" not in text for text in heat), heat
    shoot(page, "dashboard-unit-en")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, "dashboard-unit-phone-en")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator(f'tr[data-person="{official.pk}"] th a').click()
    page.wait_for_url(f"**/dashboard/?person={official.pk}")
    expect(page.get_by_role("heading", name=f"{official.full_name}'s dashboard")).to_be_visible()
    shoot(page, "dashboard-person-from-unit-en")

    # 3. Back to Vietnamese with the VI button: the choice is the user's, both ways.
    page.locator('form.lang-form button[name="language"][value="vi"]').click()
    page.wait_for_url(f"**/dashboard/?person={official.pk}")
    assert page.locator("html").get_attribute("lang") == "vi"


def test_agency_dashboard_in_an_english_browser(
    page_en: Any,
    live_server: Any,
    history: dict[str, Any],  # noqa: F811
) -> None:
    base = live_server.url
    page = page_en
    page.goto(f"{base}/login/")
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_label("Username").fill("lanhdao")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")
    page.get_by_role("link", name="Whole agency", exact=True).first.click()
    page.wait_for_url("**/dashboard/agency/")
    expect(page.get_by_role("heading", name="Unit ranking")).to_be_visible()
    expect(page.locator("[data-rank-period]")).to_contain_text("Ranking period:")
    expect(page.get_by_role("heading", name="Not enough data to rank")).to_be_visible()
    shoot(page, "dashboard-agency-en")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, "dashboard-agency-phone-en")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.emulate_media(media="print")
    shoot(page, "dashboard-agency-print-en")
    page.emulate_media(media="screen")
    page.locator(f'tr[data-unit] a[href="/dashboard/unit/{history["unit"].pk}/"]').first.click()
    page.wait_for_url(f"**/dashboard/unit/{history['unit'].pk}/")
    expect(page.locator('table[data-table="heatmap"]')).to_be_visible()
    expect(page.get_by_role("heading", name="Members: live points and ratings")).to_be_visible()
