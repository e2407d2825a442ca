"""Single sign-on through OpenID Connect (docs/sso.md), against a small provider started
inside the test (tests/oidc_provider.py): no outside network.

The official P004 (staff_x in the cast) has an active login; the provider vouches for
"p004" as `preferred_username`, which names the official by code (case aside).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.conf import settings
from django.test import Client, override_settings
from django.utils import translation
from django.utils.translation import gettext

from tests.conftest import PASSWORD, Cast
from tests.oidc_provider import OIDCProvider, reload_urls
from thuocdo.audit.models import AuditEntry
from thuocdo.org import services
from thuocdo.org.models import Person

BUTTON = "Đăng nhập bằng tài khoản một lần (SSO)"


@pytest.fixture(scope="module")
def provider() -> Iterator[OIDCProvider]:
    running = OIDCProvider()
    yield running
    running.stop()


@pytest.fixture
def sso(provider: OIDCProvider, cast: Cast) -> Iterator[OIDCProvider]:
    """SSO on against the test provider, for one test."""
    provider.reset()
    with override_settings(**provider.settings()):
        reload_urls()
        try:
            yield provider
        finally:
            provider.reset()
    reload_urls()


def sign_in_by_sso(client: Client, start: str = "/oidc/authenticate/") -> str:
    """Button → provider (approves at once) → back to the callback. Returns where the
    callback sent the browser."""
    response = client.get(start)
    assert response.status_code == 302
    at_provider = requests.get(response["Location"], allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302, at_provider.text
    back = urlsplit(at_provider.headers["Location"])
    assert back.netloc == "testserver"
    response = client.get(f"{back.path}?{back.query}")
    assert response.status_code == 302
    return str(response["Location"])


def signed_in_username(client: Client) -> str | None:
    response = client.get("/")
    user = response.wsgi_request.user
    return user.get_username() if user.is_authenticated else None


def refusal_shown(client: Client, landed: str) -> str:
    assert landed == "/login/"
    page = client.get(landed).content.decode()
    assert 'id="sso-refusal"' in page
    start = page.index('id="sso-refusal"')
    return page[page.index("<p>", start) + 3 : page.index("</p>", start)]


def test_an_official_signs_in_by_sso_as_their_own_login(sso: OIDCProvider, cast: Cast) -> None:
    sso.login_as(preferred_username="p004", email="staff.x@example.vn")
    client = Client()

    landed = sign_in_by_sso(client)

    assert landed == "/"
    assert client.get(landed).status_code == 200
    assert signed_in_username(client) == "staff_x"
    assert client.session["_auth_user_backend"] == "thuocdo.web.sso.PersonOIDCBackend"
    # PKCE and the client's secret went to the token endpoint
    assert sso.token_requests[-1]["code_verifier"]
    assert sso.token_requests[-1]["client_secret"]
    # the sign-in is audited like a local one
    assert AuditEntry.objects.filter(
        action="auth.login", object_id=str(cast.users["staff_x"].pk)
    ).exists()


def test_sso_keeps_the_page_asked_for(sso: OIDCProvider) -> None:
    sso.login_as(preferred_username="P004")
    client = Client()
    assert client.get("/work/").status_code == 302  # to the login page

    landed = sign_in_by_sso(client, "/oidc/authenticate/?next=/work/")

    assert landed == "/work/"
    assert client.get(landed).status_code == 200


def test_an_unknown_identity_is_refused_with_what_was_wrong(sso: OIDCProvider) -> None:
    sso.login_as(preferred_username="zz999")
    client = Client()

    landed = sign_in_by_sso(client)

    assert refusal_shown(client, landed) == (
        "Tài khoản SSO “zz999” không khớp với cán bộ nào trong hệ thống (mã cán bộ zz999). "
        "Liên hệ Văn phòng."
    )
    assert "_auth_user_id" not in client.session
    assert signed_in_username(client) is None
    # shown once
    assert 'id="sso-refusal"' not in client.get("/login/").content.decode()


def test_the_refusal_is_in_english_for_an_english_page(sso: OIDCProvider) -> None:
    sso.login_as(preferred_username="zz999")
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    shown = refusal_shown(client, sign_in_by_sso(client))

    with translation.override("en"):
        expected = gettext(
            "Tài khoản SSO “%(value)s” không khớp với cán bộ nào trong hệ thống "
            "(%(field)s %(value)s). Liên hệ Văn phòng."
        ) % {"value": "zz999", "field": gettext("mã cán bộ")}
        button = gettext(BUTTON)
    assert shown == expected
    assert button in client.get("/login/").content.decode()


def test_an_identity_without_the_claim_is_refused(sso: OIDCProvider) -> None:
    sso.login_as(email="someone@example.vn")
    client = Client()

    shown = refusal_shown(client, sign_in_by_sso(client))

    assert "không gửi thông tin “preferred_username”" in shown
    assert signed_in_username(client) is None


def test_an_official_without_a_login_is_refused(sso: OIDCProvider, cast: Cast) -> None:
    services.person_create(
        actor=None,
        agency=cast.agency_a,
        code="N900",
        full_name="Trần Thị Chưa Có",
        category=Person.Category.CIVIL_SERVANT,
    )
    sso.login_as(preferred_username="n900")
    client = Client()

    shown = refusal_shown(client, sign_in_by_sso(client))

    assert shown == (
        "Cán bộ có mã cán bộ n900 chưa được cấp tài khoản đăng nhập. Liên hệ Văn phòng để được cấp."
    )
    assert signed_in_username(client) is None


def test_an_official_whose_login_is_blocked_is_refused(sso: OIDCProvider, cast: Cast) -> None:
    user = cast.user("staff_y")
    user.is_active = False
    user.save(update_fields=["is_active"])
    sso.login_as(preferred_username=cast.person("staff_y").code)
    client = Client()

    shown = refusal_shown(client, sign_in_by_sso(client))

    assert "đã bị khoá" in shown
    assert signed_in_username(client) is None


def test_an_official_no_longer_active_is_refused(sso: OIDCProvider, cast: Cast) -> None:
    Person.objects.filter(pk=cast.person("staff_z").pk).update(is_active=False)
    sso.login_as(preferred_username=cast.person("staff_z").code)
    client = Client()

    shown = refusal_shown(client, sign_in_by_sso(client))

    assert "không còn hoạt động" in shown
    assert signed_in_username(client) is None


def test_one_code_in_two_agencies_is_refused_rather_than_guessed(
    sso: OIDCProvider, cast: Cast
) -> None:
    for agency in (cast.agency_a, cast.agency_b):
        services.person_create(
            actor=None,
            agency=agency,
            code="T777",
            full_name="Lê Văn Trùng",
            category=Person.Category.CIVIL_SERVANT,
        )
    sso.login_as(preferred_username="t777")
    client = Client()

    shown = refusal_shown(client, sign_in_by_sso(client))

    assert "khớp với nhiều cán bộ" in shown
    assert signed_in_username(client) is None


def test_the_identity_can_name_the_official_by_e_mail(sso: OIDCProvider, cast: Cast) -> None:
    Person.objects.filter(pk=cast.person("head_y").pk).update(email="Head.Y@Example.vn")
    sso.login_as(preferred_username="whatever", email="head.y@example.vn")
    client = Client()

    with override_settings(OIDC_PERSON_CLAIM="email", OIDC_PERSON_FIELD="email"):
        landed = sign_in_by_sso(client)

    assert landed == "/"
    assert signed_in_username(client) == "head_y"


@pytest.mark.parametrize(
    ("tamper", "why"),
    [
        ("signature", "a key that is not the provider's"),
        ("nonce", "the nonce of another sign-in"),
        ("audience", "a token for another client"),
        ("issuer", "a token from another issuer"),
        ("userinfo-subject", "userinfo about someone else"),
    ],
)
def test_an_unverifiable_answer_is_refused(sso: OIDCProvider, tamper: str, why: str) -> None:
    sso.login_as(preferred_username="p004")
    sso.tamper = tamper
    client = Client()

    shown = refusal_shown(client, sign_in_by_sso(client))

    assert shown.startswith("Không xác minh được thông tin đăng nhập"), why
    assert signed_in_username(client) is None, why


def test_a_callback_that_fits_no_sign_in_is_refused_not_an_error(sso: OIDCProvider) -> None:
    sso.login_as(preferred_username="p004")
    client = Client()
    client.get("/oidc/authenticate/")

    response = client.get("/oidc/callback/?code=forged&state=not-ours")

    assert response.status_code == 302
    assert "phiên đăng nhập không hợp lệ" in refusal_shown(client, response["Location"])
    assert signed_in_username(client) is None


def test_a_provider_that_denies_is_shown(sso: OIDCProvider) -> None:
    client = Client()  # nobody approved at the provider: it answers access_denied

    shown = refusal_shown(client, sign_in_by_sso(client))

    assert "không cho đăng nhập (access_denied)" in shown


def test_a_provider_out_of_reach_is_shown(sso: OIDCProvider) -> None:
    sso.login_as(preferred_username="p004")
    client = Client()
    response = client.get("/oidc/authenticate/")
    back = urlsplit(
        requests.get(response["Location"], allow_redirects=False, timeout=10).headers["Location"]
    )

    with override_settings(OIDC_OP_TOKEN_ENDPOINT="http://127.0.0.1:9/token"):
        response = client.get(f"{back.path}?{back.query}")

    assert "Không liên lạc được với máy chủ định danh" in refusal_shown(
        client, response["Location"]
    )


def test_sso_refusals_do_not_lock_out_but_wrong_passwords_still_do(sso: OIDCProvider) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        sso.login_as(preferred_username="zz999")
        assert sign_in_by_sso(client) == "/login/"
    sso.login_as(preferred_username="p004")
    assert sign_in_by_sso(client) == "/"
    assert signed_in_username(client) == "staff_x"

    other = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        other.post("/login/", {"username": "head_x", "password": "sai-mật-khẩu"})
    locked = other.post("/login/", {"username": "head_x", "password": PASSWORD})
    assert locked.status_code == 429
    assert signed_in_username(other) is None


def test_local_accounts_work_beside_sso_and_logout_ends_an_sso_session(
    sso: OIDCProvider,
) -> None:
    local = Client()
    response = local.post("/login/", {"username": "head_x", "password": PASSWORD})
    assert response.status_code == 302
    assert signed_in_username(local) == "head_x"

    sso.login_as(preferred_username="p004")
    client = Client()
    sign_in_by_sso(client)
    assert signed_in_username(client) == "staff_x"

    response = client.post("/logout/")

    assert response["Location"] == "/login/"
    assert signed_in_username(client) is None


def test_the_login_page_offers_sso_when_it_is_on(sso: OIDCProvider) -> None:
    page = Client().get("/login/?next=/work/").content.decode()

    assert BUTTON in page
    assert 'href="/oidc/authenticate/?next=/work/"' in page
    assert 'name="password"' in page  # the local form stays


def test_with_sso_off_there_is_no_button_and_no_oidc_urls(cast: Cast) -> None:
    assert settings.OIDC_ENABLED is False
    assert not any("oidc" in backend.lower() for backend in settings.AUTHENTICATION_BACKENDS)
    client = Client()

    page = client.get("/login/").content.decode()

    assert BUTTON not in page
    assert 'name="password"' in page
    for path in ("/oidc/authenticate/", "/oidc/callback/?code=x&state=y", "/oidc/logout/"):
        assert client.get(path).status_code == 404, path
    response = client.post("/login/", {"username": "staff_x", "password": PASSWORD})
    assert response.status_code == 302
    assert signed_in_username(client) == "staff_x"


def _settings_in_a_fresh_process(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.OIDC_ENABLED); print(','.join(s.AUTHENTICATION_BACKENDS)); "
        "print('mozilla_django_oidc' in s.INSTALLED_APPS)"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OIDC_")}
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "DJANGO_SETTINGS_MODULE": "thuocdo.config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_environment_turns_sso_on_with_axes_still_first() -> None:
    off = _settings_in_a_fresh_process({})
    assert off.returncode == 0, off.stderr
    assert off.stdout.split() == [
        "False",
        "axes.backends.AxesStandaloneBackend,django.contrib.auth.backends.ModelBackend",
        "False",
    ]

    idp = "https://id.example.vn/realms/bo"
    on = _settings_in_a_fresh_process(
        {
            "OIDC_RP_CLIENT_ID": "thuocdo",
            "OIDC_OP_AUTHORIZATION_ENDPOINT": f"{idp}/protocol/openid-connect/auth",
            "OIDC_OP_TOKEN_ENDPOINT": f"{idp}/protocol/openid-connect/token",
            "OIDC_OP_JWKS_ENDPOINT": f"{idp}/protocol/openid-connect/certs",
        }
    )
    assert on.returncode == 0, on.stderr
    enabled, backends, app = on.stdout.split()
    assert enabled == "True"
    assert backends.split(",") == [
        "axes.backends.AxesStandaloneBackend",
        "django.contrib.auth.backends.ModelBackend",
        "thuocdo.web.sso.PersonOIDCBackend",
    ]
    assert app == "True"

    half = _settings_in_a_fresh_process({"OIDC_ENABLED": "1", "OIDC_RP_CLIENT_ID": "thuocdo"})
    assert half.returncode != 0
    assert "OIDC_ENABLED needs OIDC_OP_AUTHORIZATION_ENDPOINT" in half.stderr


def test_the_authorize_request_carries_state_nonce_and_pkce(sso: OIDCProvider) -> None:
    response = Client().get("/oidc/authenticate/")

    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["client_id"] == ["thuocdo-test"]
    assert query["redirect_uri"] == ["http://testserver/oidc/callback/"]
    assert query["scope"] == [settings.OIDC_RP_SCOPES]
    assert query["state"] and query["nonce"]
    assert query["code_challenge_method"] == ["S256"]
