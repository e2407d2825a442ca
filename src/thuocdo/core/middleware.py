from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from thuocdo.core.client_ip import client_ip
from thuocdo.core.origin import Origin, origin_scope


class RequestOriginMiddleware:
    """Records each request's origin so audited writes can name it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        channel = "api" if request.path.startswith("/api/") else "web"
        origin = Origin(
            channel=channel,
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
            path=request.path[:300],
        )
        with origin_scope(origin):
            return self.get_response(request)
