"""Reading ids from query strings without surprises.

`str.isdigit()` is true for "²" and "٣" (which `int()` refuses or reads as another
number) and for 40 nines (which overflows the database's 64-bit integers): both ended
in a 500. `id_param` accepts only ASCII digits naming a possible row id.
"""

from __future__ import annotations

import re

MAX_ID = 2**63 - 1  # BigAutoField
_DIGITS = re.compile(r"[0-9]{1,19}")


def id_param(raw: str | None) -> int | None:
    """The id a query parameter names, or None when it names none."""
    if raw is None or not _DIGITS.fullmatch(raw):
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_ID else None
