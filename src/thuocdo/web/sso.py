"""Single sign-on through the agency's OpenID Connect provider (docs/sso.md).

The provider says who someone is; Thước đo decides whether they may come in. One claim of
the identity (OIDC_PERSON_CLAIM) names the official, matched without regard to case against
one field of the official (OIDC_PERSON_FIELD: the official's code, or e-mail). Only an active
official with an active login is let in, as that login. SSO never creates or changes
accounts: the personnel office gives and takes logins, as for local accounts.

A refusal names what was wrong; it is kept in the session and shown on the login page.
Everything here is active only when OIDC_ENABLED is on (settings.py).
"""

from __future__ import annotations

import logging
from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView

from thuocdo.core.models import User
from thuocdo.org.models import Person

log = logging.getLogger(__name__)

# The session key under which a refusal waits for the login page.
REFUSAL_KEY = "sso_refusal"
# Which fields of an official a claim may be matched against.
PERSON_FIELDS = ("code", "email")
SHOWN_VALUE_LENGTH = 80


class SSORefused(Exception):
    """The identity is genuine but does not let anyone in; `message` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def refuse(request: HttpRequest, message: str) -> None:
    """Keeps the reason for the login page (the first reason of one attempt wins)."""
    if REFUSAL_KEY not in request.session:
        request.session[REFUSAL_KEY] = message


def take_refusal(request: HttpRequest) -> str:
    """The reason the last SSO attempt was refused, once; "" if none."""
    return str(request.session.pop(REFUSAL_KEY, ""))


def _field_label(field: str) -> str:
    return _("e-mail") if field == "email" else _("mã cán bộ")


def _unverifiable() -> str:
    return _(
        "Không xác minh được thông tin đăng nhập do máy chủ định danh gửi về (chữ ký, mã "
        "dùng một lần hoặc thời hạn không hợp lệ). Vui lòng thử lại; nếu vẫn lỗi, liên hệ "
        "Văn phòng."
    )


def login_for_claims(claims: dict[str, Any]) -> User:
    """The login of the official the identity names, or SSORefused saying why not."""
    claim = settings.OIDC_PERSON_CLAIM
    field = settings.OIDC_PERSON_FIELD
    value = str(claims.get(claim) or "").strip()
    if not value:
        raise SSORefused(
            _(
                "Máy chủ định danh không gửi thông tin “%(claim)s”, nên không xác định được "
                "tài khoản SSO này là cán bộ nào. Liên hệ Văn phòng."
            )
            % {"claim": claim}
        )
    words = {"value": value[:SHOWN_VALUE_LENGTH], "field": _field_label(field)}
    people = list(Person.objects.filter(**{f"{field}__iexact": value}).select_related("user")[:10])
    active = [person for person in people if person.is_active]
    if not people:
        raise SSORefused(
            _(
                "Tài khoản SSO “%(value)s” không khớp với cán bộ nào trong hệ thống "
                "(%(field)s %(value)s). Liên hệ Văn phòng."
            )
            % words
        )
    if not active:
        raise SSORefused(
            _(
                "Cán bộ có %(field)s %(value)s không còn hoạt động trong hệ thống, nên không "
                "đăng nhập được. Liên hệ Văn phòng."
            )
            % words
        )
    if len(active) > 1:
        raise SSORefused(
            _(
                "Tài khoản SSO “%(value)s” khớp với nhiều cán bộ cùng %(field)s %(value)s, "
                "nên không xác định được là ai. Liên hệ Văn phòng."
            )
            % words
        )
    user = active[0].user
    if user is None:
        raise SSORefused(
            _(
                "Cán bộ có %(field)s %(value)s chưa được cấp tài khoản đăng nhập. Liên hệ "
                "Văn phòng để được cấp."
            )
            % words
        )
    if not user.is_active:
        raise SSORefused(
            _(
                "Tài khoản đăng nhập của cán bộ có %(field)s %(value)s đã bị khoá. Liên hệ "
                "Văn phòng."
            )
            % words
        )
    return user


class PersonOIDCBackend(OIDCAuthenticationBackend):
    """Logs an official in by the identity the agency's provider vouches for."""

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> User | None:
        # Only the SSO callback (which passes the nonce) comes here; a password form never.
        if request is None or "nonce" not in kwargs or "password" in kwargs:
            return None
        try:
            user: User | None = super().authenticate(request, **kwargs)
        except SSORefused as refusal:
            log.info("sso refused: %s", refusal.message)
            refuse(request, refusal.message)
            return None
        except requests.HTTPError as error:
            status = error.response.status_code if error.response is not None else 0
            log.warning("sso: the identity provider answered %s", status)
            refuse(
                request,
                _(
                    "Máy chủ định danh không chấp nhận yêu cầu đăng nhập (mã lỗi %(status)s). "
                    "Vui lòng thử lại; nếu vẫn lỗi, liên hệ Văn phòng."
                )
                % {"status": status},
            )
            return None
        except requests.RequestException as error:
            log.warning("sso: the identity provider cannot be reached: %s", type(error).__name__)
            refuse(
                request,
                _(
                    "Không liên lạc được với máy chủ định danh. Vui lòng thử lại sau, hoặc "
                    "đăng nhập bằng tên đăng nhập và mật khẩu."
                ),
            )
            return None
        except (SuspiciousOperation, jwt.PyJWTError, KeyError, ValueError) as error:
            log.warning("sso: unverifiable answer from the identity provider: %s", error)
            refuse(request, _unverifiable())
            return None
        return user

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> User:
        """Checks what the library leaves out (audience, issuer, expiry), reads the claims
        and finds the official's login. Never creates one."""
        audience = payload.get("aud")
        audiences = [audience] if isinstance(audience, str) else list(audience or [])
        issuer = settings.OIDC_OP_ISSUER
        if (
            self.OIDC_RP_CLIENT_ID not in audiences
            or (issuer and payload.get("iss") != issuer)
            or "exp" not in payload
        ):
            log.warning("sso: id_token for another audience or issuer, or without expiry")
            raise SSORefused(_unverifiable())
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT:
            info = self.get_userinfo(access_token, id_token, payload)
            if not isinstance(info, dict) or info.get("sub") != payload.get("sub"):
                log.warning("sso: userinfo is about another subject than the id_token")
                raise SSORefused(_unverifiable())
            claims.update(info)
        return login_for_claims(claims)

    def get_user(self, user_id: int) -> AbstractBaseUser | None:
        # The library's own keeps a blocked login signed in; Django's rule applies instead.
        user = super().get_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class SSOCallbackView(OIDCAuthenticationCallbackView):
    """Where the provider sends people back. Any failure lands on the login page with its
    reason; a request that does not fit the session (replayed, expired) is not a 400."""

    @property
    def failure_url(self) -> str:
        return resolve_url(settings.LOGIN_URL)

    def get(self, request: HttpRequest) -> HttpResponse:
        request.session.pop(REFUSAL_KEY, None)  # a reason left from an earlier attempt
        error = request.GET.get("error")
        if error:
            refuse(
                request,
                _("Máy chủ định danh không cho đăng nhập (%(error)s). Liên hệ Văn phòng.")
                % {"error": error[:SHOWN_VALUE_LENGTH]},
            )
        try:
            response: HttpResponse = super().get(request)
        except SuspiciousOperation:
            response = self.login_failure()
        return response

    def login_failure(self) -> HttpResponse:
        refuse(
            self.request,
            _(
                "Đăng nhập SSO không thành công: phiên đăng nhập không hợp lệ hoặc đã hết hạn. "
                "Vui lòng bấm lại nút đăng nhập SSO."
            ),
        )
        return HttpResponseRedirect(self.failure_url)


def axes_leaves_sso_alone(request: HttpRequest, credentials: dict[str, Any] | None) -> bool:
    """django-axes counts failed passwords per username and address. An SSO callback has no
    username and no password to guess (the provider checked those), so counting its
    refusals would lock out a whole office behind one address; they are audited instead.
    """
    if not credentials:
        return False
    return (
        "nonce" in credentials
        and credentials.get("username") is None
        and credentials.get("password") is None
        and request.path == reverse("oidc_authentication_callback")
    )
