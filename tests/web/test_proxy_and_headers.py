"""Behind a proxy, lockouts and the audit see the real client; every response carries
the security headers; the lockout page says how long the lock lasts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.conftest import PASSWORD, Cast
from thuocdo.audit.models import AuditEntry
from thuocdo.web.templatetags.durations import duration_words

PROXY = "10.0.0.5"
WRONG = "sai-mật-khẩu"


def fail_until_locked(client: Client, username: str, **meta: str) -> None:
    url = reverse("web:login")
    for _ in range(5):
        client.post(url, {"username": username, "password": WRONG}, **meta)  # type: ignore[arg-type]
    locked = client.post(url, {"username": username, "password": PASSWORD}, **meta)  # type: ignore[arg-type]
    assert locked.status_code == 429


def test_behind_a_trusted_proxy_users_at_different_addresses_do_not_lock_each_other_out(
    client: Client, cast: Cast, settings: Any
) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    attacker = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "198.51.100.66"}
    fail_until_locked(client, "staff_x", **attacker)
    # The owner of the account signs in from their own desk, through the same proxy.
    owner = Client()
    signed_in = owner.post(
        reverse("web:login"),
        {"username": "staff_x", "password": PASSWORD},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="198.51.100.10",
    )
    assert signed_in.status_code == 302
    # The audit names the owner's address, not the proxy's.
    entry = AuditEntry.objects.filter(action="auth.login").latest("pk")
    assert entry.ip == "198.51.100.10"


def test_from_an_untrusted_peer_a_forged_forwarded_for_is_ignored(
    client: Client, cast: Cast, settings: Any
) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    # Changing the forged header on each try does not dodge the lock ...
    url = reverse("web:login")
    for n in range(5):
        client.post(
            url,
            {"username": "staff_x", "password": WRONG},
            REMOTE_ADDR="203.0.113.7",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )
    locked = client.post(
        url,
        {"username": "staff_x", "password": PASSWORD},
        REMOTE_ADDR="203.0.113.7",
        HTTP_X_FORWARDED_FOR="198.51.100.200",
    )
    assert locked.status_code == 429
    # ... and the audit records the peer, not the forged address.
    entry = AuditEntry.objects.filter(action="auth.login_failed").latest("pk")
    assert entry.ip == "203.0.113.7"


@pytest.mark.parametrize(
    ("hours", "vi", "en"),
    [
        (0.25, "15 phút", "15 minutes"),
        (1, "1 giờ", "1 hour"),
        (1.5, "1 giờ 30 phút", "1 hour 30 minutes"),
        (24, "1 ngày", "1 day"),
    ],
)
def test_the_lockout_page_says_how_long_the_lock_lasts(
    client: Client, cast: Cast, settings: Any, hours: float, vi: str, en: str
) -> None:
    settings.AXES_COOLOFF_TIME = hours
    fail_until_locked(client, "staff_x")
    page = client.post(reverse("web:login"), {"username": "staff_x", "password": PASSWORD})
    assert f"thử lại sau {vi} hoặc" in page.content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.post(reverse("web:login"), {"username": "staff_x", "password": PASSWORD})
    assert f"try again in {en} or" in page.content.decode()


def test_durations_read_in_both_languages() -> None:
    with translation.override("vi"):
        assert duration_words(dt.timedelta(minutes=2)) == "2 phút"
        assert duration_words(dt.timedelta(hours=2, minutes=1)) == "2 giờ 1 phút"
        assert duration_words(dt.timedelta(seconds=30)) == "1 phút"
    with translation.override("en"):
        assert duration_words(dt.timedelta(minutes=1)) == "1 minute"
        assert duration_words(dt.timedelta(days=2, hours=3)) == "2 days 3 hours"


def assert_security_headers(response: Any) -> None:
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "style-src 'self'" in csp and "object-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    policy = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()"):
        assert feature in policy
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_anonymous_login_page_carries_the_headers(client: Client, db: None) -> None:
    page = client.get(reverse("web:login"))
    assert page.status_code == 200
    assert_security_headers(page)


def test_pages_for_a_signed_in_user_are_never_stored(client: Client, cast: Cast) -> None:
    client.force_login(cast.users["staff_x"])
    for url in (reverse("web:home"), reverse("web:work_mine"), reverse("web:ev_index")):
        page = client.get(url)
        assert page.status_code == 200, url
        assert_security_headers(page)
        assert page["Cache-Control"] == "no-store"
        assert "Cookie" in page["Vary"]


def test_a_static_file_keeps_its_caching_and_carries_the_headers(cast: Cast, settings: Any) -> None:
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    client = Client()  # the middleware, WhiteNoise's included, is built on its first request
    client.force_login(cast.users["staff_x"])
    response = client.get("/static/thuocdo/site.css")
    assert response.status_code == 200
    assert_security_headers(response)
    assert "no-store" not in response.get("Cache-Control", "")


def test_templates_carry_no_inline_script_or_style() -> None:
    import re
    from pathlib import Path

    import thuocdo

    root = Path(thuocdo.__file__).parent
    inline = re.compile(
        r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|\sstyle\s*=|<style\b|javascript:", re.I
    )
    offenders = [
        f"{path.relative_to(root)}: {match.group(0)}"
        for path in root.rglob("templates/**/*.html")
        for match in inline.finditer(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, offenders
