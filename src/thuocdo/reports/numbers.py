"""Numbers and dates as Vietnamese forms write them: 76,10 · 1.250,5 · 68,75% · 05/02/2026."""

from __future__ import annotations

import datetime as dt

from thuocdo.core import clock
from thuocdo.core.numbers import to_decimal, vn_number, vn_percent, vn_text

__all__ = ["roman", "to_decimal", "vn_date", "vn_number", "vn_percent", "vn_text"]


def vn_date(day: dt.date | dt.datetime | None) -> str:
    """A date as 05/02/2026; a stored moment by the agency's calendar, not UTC's."""
    if day is None:
        return ""
    if isinstance(day, dt.datetime):
        day = clock.local_date(day)
    return day.strftime("%d/%m/%Y")


def roman(number: int) -> str:
    out = ""
    for value, letters in (
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ):
        while number >= value:
            out += letters
            number -= value
    return out
