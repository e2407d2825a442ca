"""Every operation reads only the query parameters it declares, each once (unless a list).

An integration that misspells a filter (`?owner=CB01` for `owner_code`) would otherwise get
every task back and believe it had filtered; one that repeats a filter would silently get
the last value. Both are answered 422 naming the parameter, after authentication (a caller
without a valid token learns nothing about the parameters).

Each operation notes on the request the parameters django-ninja built from its signature
(`declare_query`); the token check (thuocdo.api.auth) refuses the rest once the caller is
known.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from ninja.errors import ValidationError


def _declared(operation: Any) -> tuple[frozenset[str], frozenset[str]]:
    """The query parameter names of an operation, and those that may repeat (lists)."""
    names: set[str] = set()
    lists: set[str] = set()
    for model in operation.models:
        if model.__ninja_param_source__ != "query":
            continue
        flatten = getattr(model, "__ninja_flatten_map__", None)
        if flatten:
            names.update(flatten)
        else:
            names.update(field.alias or name for name, field in model.model_fields.items())
        lists.update(getattr(model, "__ninja_collection_fields__", []) or [])
    return frozenset(names), frozenset(lists)


def query_problems(
    request: HttpRequest, names: frozenset[str], lists: frozenset[str]
) -> list[dict[str, Any]]:
    problems: list[dict[str, Any]] = []
    for key, values in request.GET.lists():
        if key not in names:
            problems.append(
                {
                    "loc": ["query", key],
                    "msg": "Tham số không có trong API này (xem /api/v1/docs)"
                    if not request.LANGUAGE_CODE.startswith("en")
                    else "Unknown parameter for this operation (see /api/v1/docs)",
                }
            )
        elif len(values) > 1 and key not in lists:
            problems.append(
                {
                    "loc": ["query", key],
                    "msg": "Tham số chỉ được gửi một lần"
                    if not request.LANGUAGE_CODE.startswith("en")
                    else "The parameter may be sent only once",
                }
            )
    return problems


def declare_query(run: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A django-ninja "view" decorator: note on each request what its operation declares.

    Installed with `api.add_decorator(declare_query, mode="view")`; ninja applies it to the
    bound copy of every operation, whose parameters it reads once here.
    """
    names, lists = _declared(run.__self__)  # type: ignore[attr-defined]

    @functools.wraps(run)
    def noted(request: HttpRequest, **kw: Any) -> HttpResponseBase:
        request.declared_query = (names, lists)  # type: ignore[attr-defined]
        return run(request, **kw)

    return noted


def refuse_undeclared(request: HttpRequest) -> None:
    """Called once the caller is authenticated: 422 for an undeclared or repeated parameter."""
    declared = getattr(request, "declared_query", None)
    if declared is None:
        return
    problems = query_problems(request, *declared)
    if problems:
        raise ValidationError(problems)
