"""Display helpers for templates: audit entries in words, unit names in the page language."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

from thuocdo.core.decimal_input import shown
from thuocdo.web import audit_words

register = template.Library()


@register.filter
def action_label(code: str) -> str:
    """The action in words (thuocdo.web.audit_words)."""
    return audit_words.action_label(code)


@register.filter
def typed_decimal(value: Any) -> str:
    """A decimal for a text input, in the page's format (2,5 / 2.5)."""
    return shown(value)


@register.filter
def channel_label(channel: str) -> str:
    """Where an audited action came from, in words."""
    return audit_words.channel_label(channel)


@register.filter
def audit_before(entry: Any) -> list[tuple[str, str]]:
    """The entry's `before` as (field, value) in words."""
    return audit_words.changes(entry.object_type, entry.before)


@register.filter
def audit_after(entry: Any) -> list[tuple[str, str]]:
    """The entry's `after` as (field, value) in words."""
    return audit_words.changes(entry.object_type, entry.after)


@register.filter
def unit_name(unit: Any) -> str:
    language = get_language() or "vi"
    return str(unit.display_name(language)) if hasattr(unit, "display_name") else str(unit)


@register.filter
def field_named(form: Any, name: str) -> Any:
    """A form's bound field by a name computed in the template (``form|field_named:n``)."""
    return form[name]
