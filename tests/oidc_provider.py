"""A small OpenID Connect provider for tests: a real HTTP server on 127.0.0.1 (a random
port, in a thread), nothing from outside.

It approves whoever `login_as` names without asking (authorize → redirect back with code
and state), and answers the token request with an RS256 id_token carrying the nonce it was
given, the userinfo request with the same claims, and the JWKS with its public key. `tamper`
makes it misbehave in one way, to see the client refuse.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.urls import clear_url_caches
from jwt.algorithms import RSAAlgorithm

CLIENT_ID = "thuocdo-test"
CLIENT_SECRET = "bí-mật-của-máy-khách"
KEY_ID = "test-key-1"


class OIDCProvider:
    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.claims: dict[str, Any] = {}
        self.tamper = ""  # "", "signature", "nonce", "audience", "issuer", "userinfo-subject"
        self.grants: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, dict[str, Any]] = {}
        self.token_requests: list[dict[str, str]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def login_as(self, **claims: Any) -> None:
        """The next sign-in at the provider is this identity (a `sub` is made up if absent)."""
        self.claims = {"sub": f"sub-{claims.get('preferred_username', 'x')}", **claims}
        self.tamper = ""

    def reset(self) -> None:
        self.claims, self.tamper = {}, ""
        self.grants.clear()
        self.tokens.clear()
        self.token_requests.clear()

    def settings(self, **extra: Any) -> dict[str, Any]:
        """The settings that turn SSO on against this provider (what settings.py derives
        from the OIDC_* environment variables)."""
        return {
            "OIDC_ENABLED": True,
            "OIDC_RP_CLIENT_ID": CLIENT_ID,
            "OIDC_RP_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_OP_AUTHORIZATION_ENDPOINT": f"{self.url}/authorize",
            "OIDC_OP_TOKEN_ENDPOINT": f"{self.url}/token",
            "OIDC_OP_USER_ENDPOINT": f"{self.url}/userinfo",
            "OIDC_OP_JWKS_ENDPOINT": f"{self.url}/jwks",
            "OIDC_OP_ISSUER": self.url,
            "OIDC_RP_SIGN_ALGO": "RS256",
            "OIDC_USE_PKCE": True,
            "OIDC_PROXY": {"http": "", "https": ""},
            "AUTHENTICATION_BACKENDS": [
                "axes.backends.AxesStandaloneBackend",
                "django.contrib.auth.backends.ModelBackend",
                "thuocdo.web.sso.PersonOIDCBackend",
            ],
            "AXES_WHITELIST_CALLABLE": "thuocdo.web.sso.axes_leaves_sso_alone",
            **extra,
        }

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    # what the endpoints do

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
            return 400, {}, b"unknown client"
        if not self.claims:
            target = f"{query['redirect_uri']}?" + urlencode(
                {"error": "access_denied", "state": query.get("state", "")}
            )
            return 302, {"Location": target}, b""
        code = secrets.token_urlsafe(16)
        self.grants[code] = {
            "nonce": query.get("nonce"),
            "redirect_uri": query["redirect_uri"],
            "challenge": query.get("code_challenge"),
            "claims": dict(self.claims),
        }
        target = f"{query['redirect_uri']}?" + urlencode({"code": code, "state": query["state"]})
        return 302, {"Location": target}, b""

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        self.token_requests.append(form)
        grant = self.grants.pop(form.get("code", ""), None)
        if (
            grant is None
            or form.get("client_id") != CLIENT_ID
            or form.get("client_secret") != CLIENT_SECRET
            or form.get("redirect_uri") != grant["redirect_uri"]
        ):
            return _json(400, {"error": "invalid_grant"})
        if grant["challenge"]:
            verifier = form.get("code_verifier", "").encode()
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
            if digest.decode() != grant["challenge"]:
                return _json(400, {"error": "invalid_grant", "error_description": "PKCE"})
        # The provider's own clock, as a real one: PyJWT checks "exp" against the machine's.
        now = int(time.time())  # noqa: TID251
        claims = grant["claims"]
        body = {
            **claims,
            "iss": self.url if self.tamper != "issuer" else "http://elsewhere.example",
            "aud": CLIENT_ID if self.tamper != "audience" else "another-client",
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"] if self.tamper != "nonce" else "not-the-nonce",
        }
        key = self.other_key if self.tamper == "signature" else self.key
        id_token = jwt.encode(body, key, algorithm="RS256", headers={"kid": KEY_ID})
        access_token = secrets.token_urlsafe(16)
        info = dict(claims)
        if self.tamper == "userinfo-subject":
            info["sub"] = "someone-else"
        self.tokens[access_token] = info
        return _json(
            200,
            {
                "access_token": access_token,
                "id_token": id_token,
                "token_type": "Bearer",
                "expires_in": 300,
            },
        )

    def userinfo(self, authorization: str) -> tuple[int, dict[str, str], bytes]:
        token = authorization.removeprefix("Bearer ").strip()
        if token not in self.tokens:
            return _json(401, {"error": "invalid_token"})
        return _json(200, self.tokens[token])

    def jwks(self) -> tuple[int, dict[str, str], bytes]:
        jwk = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return _json(200, {"keys": [{**jwk, "kid": KEY_ID, "alg": "RS256", "use": "sig"}]})


def reload_urls() -> None:
    """The URLs are decided when the URLconf is imported; load it again under the
    settings of the moment."""
    module = sys.modules.get(settings.ROOT_URLCONF)
    if module is None:
        importlib.import_module(settings.ROOT_URLCONF)
    else:
        importlib.reload(module)
    clear_url_caches()


def _json(status: int, body: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


def _handler_for(provider: OIDCProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {key: values[0] for key, values in parse_qs(parts.query).items()}
            if parts.path == "/authorize":
                self._answer(*provider.authorize(query))
            elif parts.path == "/userinfo":
                self._answer(*provider.userinfo(self.headers.get("Authorization", "")))
            elif parts.path == "/jwks":
                self._answer(*provider.jwks())
            else:
                self._answer(404, {}, b"")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if urlsplit(self.path).path == "/token":
                self._answer(*provider.token(form))
            else:
                self._answer(404, {}, b"")

        def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet

    return Handler
