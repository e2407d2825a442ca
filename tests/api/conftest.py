from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.conftest import Cast
from thuocdo.api.services import client_create


class Api:
    """A test client that sends the bearer token of an integration client."""

    def __init__(self, token: str) -> None:
        self.client = Client()
        self.token = token

    def get(self, path: str, **headers: Any) -> Any:
        return self.client.get(
            f"/api/v1{path}", HTTP_AUTHORIZATION=f"Bearer {self.token}", **headers
        )

    def post(self, path: str, body: Any, **headers: Any) -> Any:
        return self.client.post(
            f"/api/v1{path}",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {self.token}",
            **headers,
        )

    def post_raw(self, path: str, raw: str, **headers: Any) -> Any:
        """A body sent exactly as written (escapes a JSON encoder would never produce)."""
        return self.client.post(
            f"/api/v1{path}",
            raw,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {self.token}",
            **headers,
        )

    def patch(self, path: str, body: Any, **headers: Any) -> Any:
        return self.client.patch(
            f"/api/v1{path}",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {self.token}",
            **headers,
        )


@pytest.fixture
def api_a(cast: Cast) -> Api:
    _, token = client_create(
        actor=None,
        agency=cast.agency_a,
        name="Hệ thống văn bản A",
        scopes=["org:read", "catalogue:read", "tasks:read", "tasks:write"],
        act_for_units=["BA"],
    )
    return Api(token)
