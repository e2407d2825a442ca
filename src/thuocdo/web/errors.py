from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import get_language

from thuocdo.core.errors import ThuocDoError


class ThuocDoErrorMiddleware:
    """Turns a refused or bad request into a page (or JSON) that names what was wrong."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, ThuocDoError):
            return None
        message = exception.message(get_language())
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": message, "field": exception.field}, status=exception.status
            )
        return render(
            request,
            "web/error.html",
            {"message": message, "status": exception.status},
            status=exception.status,
        )
