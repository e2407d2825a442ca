"""Running a write from a form: the one place where a refusal becomes a form error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest

from thuocdo.core.errors import ThuocDoError

T = TypeVar("T")


def language(request: HttpRequest) -> str:
    return getattr(request, "LANGUAGE_CODE", "vi") or "vi"


def attempt(
    request: HttpRequest,
    form: Any,
    call: Callable[[], T],
    *,
    field_of: Callable[[str], str] = lambda name: name,
) -> tuple[T | None, int]:
    """Runs a write. A refusal becomes a form error (nothing changed) and its HTTP status.

    `field_of` maps a service's field name to the form's, where the two differ.
    """
    try:
        return call(), 200
    except ThuocDoError as error:
        name = field_of(error.field or "")
        form.add_error(name if name in form.fields else None, error.message(language(request)))
        return None, error.status
