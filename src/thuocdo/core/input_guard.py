"""Refuses input that no text column can hold, before any view or query sees it.

PostgreSQL refuses a NUL character (U+0000) in text, so a NUL in a query parameter, a
form field, a JSON string, a header or the path would otherwise end in a 500 wherever it
reaches a query. A JSON string may also carry half of a UTF-16 pair (`"\ud800"`), which
no UTF-8 database can store. This middleware answers 400 naming the parameter instead: JSON in the
API's error shape under `/api/`, the error page elsewhere. It also gives the API a JSON
answer (413) for a body over `DATA_UPLOAD_MAX_MEMORY_SIZE` and (400) for too many fields,
where Django would answer with an HTML page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from thuocdo.core.text import is_english

NUL = "\x00"
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
API_PREFIX = "/api/"
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def _unstorable(text: str) -> str | None:
    """Why no text column can hold `text` ("nul", "surrogate"), or None."""
    if NUL in text:
        return "nul"
    if LONE_SURROGATE.search(text) is not None:
        return "surrogate"
    return None


Found = tuple[str, str]  # (parameter name, "nul" | "surrogate")


def _json_path(value: Any, prefix: str = "") -> Found | None:
    """The dotted name of the first key or string in a JSON value no text column can hold."""
    if isinstance(value, str):
        reason = _unstorable(value)
        return (prefix, reason) if reason else None
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            reason = _unstorable(str(key))
            if reason:
                return LONE_SURROGATE.sub("?", name).replace(NUL, "\\0"), reason
            found = _json_path(item, name)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _json_path(item, f"{prefix}.{index}" if prefix else str(index))
            if found is not None:
                return found
    return None


def _first_nul(pairs: Iterable[tuple[str, Iterable[str]]]) -> Found | None:
    for name, values in pairs:
        if NUL in name or any(NUL in value for value in values):
            return name.replace(NUL, "\\0"), "nul"
    return None


def _messages(where: str, reason: str) -> tuple[str, str]:
    if reason == "surrogate":
        return (
            f"Tham số “{where}” chứa một nửa cặp ký tự UTF-16 (\\ud800–\\udfff) đứng lẻ, "
            "không lưu được; hãy sửa chuỗi đó và gửi lại.",
            f"The parameter {where!r} contains half of a UTF-16 pair (\\ud800–\\udfff), "
            "which cannot be stored; correct that string and send again.",
        )
    return (
        f"Tham số “{where}” chứa ký tự NUL (\\0), không được chấp nhận; "
        "hãy bỏ ký tự đó và gửi lại.",
        f"The parameter {where!r} contains a NUL character (\\0), which is not accepted; "
        "remove it and send again.",
    )


class InputGuardMiddleware:
    """400 for a NUL anywhere in the request; JSON 413/400 for oversized API input."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        is_api = request.path.startswith(API_PREFIX)
        try:
            found = self._unstorable_in(request)
        except RequestDataTooBig:
            if not is_api:
                raise
            return self._api_error(
                f"Nội dung yêu cầu quá lớn (tối đa {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} byte).",
                f"The request body is too large (at most {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} "
                "bytes).",
                field="body",
                status=413,
            )
        except TooManyFieldsSent:
            if not is_api:
                raise
            return self._api_error(
                f"Quá nhiều tham số (tối đa {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS}).",
                f"Too many parameters (at most {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS}).",
                field="",
                status=400,
            )
        if found is None:
            return self.get_response(request)
        where, reason = found
        message_vi, message_en = _messages(where, reason)
        if is_api:
            return self._api_error(message_vi, message_en, field=where, status=400)
        return render(
            request,
            "web/error.html",
            {"message": message_en if is_english() else message_vi, "status": 400},
            status=400,
        )

    @staticmethod
    def _api_error(message_vi: str, message_en: str, *, field: str, status: int) -> JsonResponse:
        detail = message_en if is_english() else message_vi
        return JsonResponse({"detail": detail, "field": field}, status=status)

    def _unstorable_in(self, request: HttpRequest) -> Found | None:
        """The first parameter no text column can hold, and why; or None."""
        if NUL in request.path:
            return "path", "nul"
        found = _first_nul(request.GET.lists())
        if found is not None:
            return found
        for key, value in request.META.items():
            if key.startswith("HTTP_") and isinstance(value, str) and NUL in value:
                if key == "HTTP_COOKIE":
                    self._forget_session(request)
                    return "Cookie", "nul"
                return key[5:].replace("_", "-").title(), "nul"
        if request.method in {"GET", "HEAD", "OPTIONS"}:
            return None
        content_type = request.content_type or ""
        if content_type in FORM_TYPES:
            return _first_nul(request.POST.lists())
        body = request.body
        lowered = body.lower()
        if b"\x00" not in body and b"\\u0000" not in body and b"\\ud" not in lowered:
            return None
        try:
            data = json.loads(body)
        except ValueError:
            # Not JSON: a raw NUL byte is refused as the body; anything else is the view's.
            return ("body", "nul") if b"\x00" in body else None
        return _json_path(data)

    @staticmethod
    def _forget_session(request: HttpRequest) -> None:
        """A cookie with a NUL must not reach the session table while the page renders."""
        if hasattr(request, "session"):
            engine = import_module(settings.SESSION_ENGINE)
            request.session = engine.SessionStore(None)
