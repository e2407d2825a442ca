"""Running a write from a form: the one place where a refusal becomes a form error, and
the one shape of a page's form post (`submit`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.http import HttpRequest, HttpResponse

from thuocdo.core.errors import ThuocDoError
from thuocdo.frameworks.refusals import DraftRefused, FieldError

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


def submit(
    request: HttpRequest,
    form: Any,
    write: Callable[[dict[str, Any]], T],
    *,
    again: Callable[[int], HttpResponse],
    then: Callable[[T], HttpResponse],
    said: Callable[[T], str] | None = None,
    field_of: Callable[[str], str] = lambda name: name,
) -> HttpResponse:
    """A page's form post in one shape. An invalid form or a refused write shows the page
    `again` with the form's errors and the status (nothing changed); a done write is said
    (`said`: the success message) and the page moves on (`then`: a redirect)."""
    if not form.is_valid():
        return again(400)
    saved, status = attempt(request, form, lambda: write(form.cleaned_data), field_of=field_of)
    if saved is None:
        return again(status)
    if said is not None:
        messages.success(request, said(saved))
    return then(saved)


def show_refusal(request: HttpRequest, form: Any, error: ThuocDoError) -> None:
    """A service's refusal on the form: each message next to the field it names (every
    one of a framework edit's `DraftRefused`), else over the form."""
    lang = language(request)
    errors = (
        error.errors
        if isinstance(error, DraftRefused)
        else [FieldError(error.field or "", error.message_vi, error.message_en)]
    )
    for each in errors:
        name = each.field if each.field in form.fields and each.field != "revision" else None
        form.add_error(name, each.message(lang))
