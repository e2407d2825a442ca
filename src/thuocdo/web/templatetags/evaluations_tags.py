"""Menu helper of the evaluation pages: the viewer's unread notifications."""

from __future__ import annotations

from typing import Any

from django import template

from thuocdo.access.evaluations import visible_notifications

register = template.Library()


@register.simple_tag
def unread_notifications(user: Any) -> int:
    """One count query; notifications are personal (`visible_notifications`)."""
    if user is None or not user.is_authenticated:
        return 0
    return visible_notifications(user).filter(read_at__isnull=True).count()


@register.filter
def get_item_safe(mapping: Any, key: Any) -> Any:
    """`mapping[key]`, or "" when absent (labels of codes kept in results)."""
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""
