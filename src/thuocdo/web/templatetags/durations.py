"""A length of time in words, in the page language ("15 phút", "1 giờ"; "15 minutes")."""

from __future__ import annotations

import datetime as dt
import math

from django import template
from django.utils.translation import ngettext

register = template.Library()


def duration_words(value: dt.timedelta | None) -> str:
    """Days, hours and minutes, largest first; seconds round up to the next minute."""
    if value is None:
        return ""
    minutes = max(0, math.ceil(value.total_seconds() / 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(ngettext("%(n)d ngày", "%(n)d ngày", days) % {"n": days})
    if hours:
        parts.append(ngettext("%(n)d giờ", "%(n)d giờ", hours) % {"n": hours})
    if minutes or not parts:
        parts.append(ngettext("%(n)d phút", "%(n)d phút", minutes) % {"n": minutes})
    return " ".join(parts)


@register.filter
def duration(value: dt.timedelta | None) -> str:
    return duration_words(value)
