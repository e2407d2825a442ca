"""Single sign-on in a real browser: the button on the login page, the round trip through
the test provider (tests/oidc_provider.py), a refusal shown on the login page, then a
sign-in that lands on the home page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from tests.conftest import Cast
from tests.e2e.conftest import shoot
from tests.oidc_provider import OIDCProvider, reload_urls

pytestmark = pytest.mark.browser


@pytest.fixture
def provider(cast_committed: Cast) -> Iterator[OIDCProvider]:
    running = OIDCProvider()
    with override_settings(**running.settings()):
        reload_urls()
        try:
            yield running
        finally:
            running.stop()
    reload_urls()


def test_an_official_signs_in_with_the_sso_button(
    page: Any, live_server: Any, provider: OIDCProvider
) -> None:
    base = live_server.url
    button = page.get_by_role("link", name="Đăng nhập bằng tài khoản một lần (SSO)")

    provider.login_as(preferred_username="zz999")
    page.goto(f"{base}/login/")
    button.click()
    page.wait_for_url(f"{base}/login/")
    expect(page.get_by_role("alert")).to_contain_text(
        "Tài khoản SSO “zz999” không khớp với cán bộ nào trong hệ thống (mã cán bộ zz999)."
    )
    shoot(page, "sso-refused")

    provider.login_as(preferred_username="p004")
    button.click()
    page.wait_for_url(f"{base}/")
    expect(page.get_by_role("main")).to_contain_text("Nguyễn Văn Staff X")
    shoot(page, "sso-signed-in")
