"""Pieces every access module shares: the refusal message and the led-subtree filter."""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import Q

from thuocdo.access.scope import Scope
from thuocdo.core.errors import AccessDenied

VERBS: Mapping[str, tuple[str, str]] = {"view": ("xem", "view"), "change": ("thay đổi", "change")}


def denied(
    action: str, what_vi: str, what_en: str, verbs: Mapping[str, tuple[str, str]] = VERBS
) -> AccessDenied:
    """ "Bạn không có quyền <verb> <what> này." — the verb in the caller's words."""
    verb_vi, verb_en = verbs.get(action, ("thay đổi", "change"))
    return AccessDenied(
        f"Bạn không có quyền {verb_vi} {what_vi} này.", f"You may not {verb_en} this {what_en}."
    )


def under_led(scope: Scope, field: str) -> Q:
    """Rows whose `field` (a unit path) lies inside a unit the user leads."""
    query = Q(pk__in=[])
    for path in scope.led_paths:
        query |= Q(**{f"{field}__startswith": path})
    return query
