from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from thuocdo.api.models import IntegrationClient
from thuocdo.api.services import client_for_token
from thuocdo.api.strict_query import refuse_undeclared
from thuocdo.api.throttle import refuse_if_guessing
from thuocdo.core.errors import AccessDenied


class ClientToken(HttpBearer):
    """`Authorization: Bearer td_<prefix>_<secret>` → the integration client."""

    def authenticate(self, request: HttpRequest, token: str) -> IntegrationClient | None:
        refuse_if_guessing(request)
        client = client_for_token(token)
        if client is not None:
            refuse_undeclared(request)
        return client


def client_of(request: HttpRequest, scope: str) -> IntegrationClient:
    """The calling client, refused unless it holds `scope`."""
    client = request.auth  # type: ignore[attr-defined]
    assert isinstance(client, IntegrationClient)
    if scope not in client.scopes:
        raise AccessDenied(
            f"Ứng dụng “{client.name}” chưa được cấp phạm vi “{scope}”.",
            f"Client {client.name!r} lacks the scope {scope!r}.",
        )
    return client
