"""Each request's origin (channel, address, request id) for the audit trail and the logs;
its request id goes back to the client in `X-Request-ID` and into one log line per request."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from thuocdo.core.client_ip import client_ip
from thuocdo.core.origin import Origin, origin_scope

log = logging.getLogger("thuocdo.request")
HEADER = "X-Request-ID"
# A proxy's id is kept when it has the form nginx's $request_id has (32 hex digits, the
# audit column's size); anything else is replaced, so a client cannot write into the logs.
_WELL_FORMED = re.compile(r"[0-9a-f]{32}")


def request_id(request: HttpRequest) -> str:
    given = request.META.get("HTTP_X_REQUEST_ID", "").strip().lower()
    return given if _WELL_FORMED.fullmatch(given) else uuid.uuid4().hex


class RequestOriginMiddleware:
    """Records each request's origin so audited writes, jobs and log lines can name it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        channel = "api" if request.path.startswith("/api/") else "web"
        origin = Origin(
            channel=channel,
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
            path=request.path[:300],
            request_id=request_id(request),
        )
        started = time.perf_counter()
        with origin_scope(origin):
            response = self.get_response(request)
            response[HEADER] = origin.request_id
            user = getattr(request, "user", None)
            log.info(
                "%s %s %s",
                request.method,
                origin.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": origin.path,
                    "status": response.status_code,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                    "user": getattr(user, "username", "") or "",
                    "ip": origin.ip,
                },
            )
        return response
