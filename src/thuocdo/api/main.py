"""The API object: authentication, error shapes, routers. OpenAPI at /api/v1/openapi.json."""

from __future__ import annotations

import math
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from thuocdo.api import catalogue, org, results, tasks
from thuocdo.api.auth import ClientToken
from thuocdo.api.openapi import DocumentedAPI
from thuocdo.api.strict_query import declare_query
from thuocdo.api.throttle import ClientThrottle, count_failure
from thuocdo.core.errors import ThuocDoError

api = DocumentedAPI(
    title="Thước đo API",
    version="1",
    description=(
        "API tích hợp của Thước đo cho hệ thống quản lý văn bản, giao việc. Xác thực bằng "
        "`Authorization: Bearer <token>` do Văn phòng cấp cho từng ứng dụng, theo phạm vi. "
        'Lỗi trả về `{"detail": …, "field": …}` bằng tiếng Việt (hoặc tiếng Anh khi '
        "`Accept-Language: en`)."
    ),
    auth=ClientToken(),
    throttle=[ClientThrottle()],
    urls_namespace="api-v1",
)


def _english(request: HttpRequest) -> bool:
    return (getattr(request, "LANGUAGE_CODE", None) or get_language() or "vi").startswith("en")


@api.exception_handler(ThuocDoError)
def on_refusal(request: HttpRequest, error: ThuocDoError) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": error.message(request.LANGUAGE_CODE), "field": error.field},
        status=error.status,
    )


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, error: Exception) -> HttpResponse:
    count_failure(request)
    detail = (
        "Missing or invalid token: send Authorization: Bearer <token>."
        if _english(request)
        else "Thiếu hoặc sai mã truy cập: gửi Authorization: Bearer <token>."
    )
    return api.create_response(request, {"detail": detail, "field": ""}, status=401)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    """Ninja's own 4xx (a body that is not JSON, say) in the API's language and shape."""
    detail = str(error)
    if isinstance(error, Throttled):
        wait = math.ceil(error.wait or 1)
        detail = (
            f"Too many requests: try again in {wait} s."
            if _english(request)
            else f"Quá nhiều yêu cầu: thử lại sau {wait} giây."
        )
        response = api.create_response(request, {"detail": detail, "field": ""}, status=429)
        response["Retry-After"] = str(wait)
        return response
    if error.status_code == 400 and detail.startswith("Cannot parse request body"):
        detail = (
            "The request body is not valid JSON."
            if _english(request)
            else "Nội dung yêu cầu không phải JSON hợp lệ."
        )
    return api.create_response(request, {"detail": detail, "field": ""}, status=error.status_code)


def _field_name(request: HttpRequest, loc: list[Any]) -> str:
    """The name the caller sent: `state`, not `filters.state.0` (a list filter's item is
    reported under the schema object that gathers the query parameters)."""
    parts = list(loc)
    if parts and parts[0] == "query":
        if len(parts) >= 3 and parts[1] not in request.GET:
            parts = [parts[0], *parts[2:]]
        while len(parts) > 2 and isinstance(parts[-1], int):
            parts.pop()
    return ".".join(
        str(part) for part in parts if part not in {"body", "query", "path", "header", "payload"}
    )


@api.exception_handler(ValidationError)
def on_invalid(request: HttpRequest, error: ValidationError) -> HttpResponse:
    problems: list[dict[str, Any]] = [
        {"field": _field_name(request, item.get("loc", [])), "message": item.get("msg", "")}
        for item in error.errors
    ]
    names = ", ".join(p["field"] for p in problems if p["field"]) or "?"
    detail = (
        f"Invalid data in: {names}." if _english(request) else f"Dữ liệu không hợp lệ ở: {names}."
    )
    return api.create_response(
        request,
        {"detail": detail, "field": problems[0]["field"] if problems else "", "errors": problems},
        status=422,
    )


api.add_router("/", org.router)
api.add_router("/", catalogue.router)
api.add_router("/", tasks.router)
api.add_router("/", results.router)
api.add_decorator(declare_query, mode="view")
