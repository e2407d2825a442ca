"""Exact numbers for the rules: parsing, rounding once, display.

Every quantity of the rules is a :class:`fractions.Fraction`. Inputs arrive as
``int``, :class:`decimal.Decimal` or decimal strings; floats are refused, because
``0.1 + 0.2`` is not ``0.3`` and the decree's points must be reproducible.
"""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

__all__ = [
    "ONE",
    "ZERO",
    "NumberError",
    "fmt_decimal",
    "fmt_fraction",
    "fmt_percent",
    "fmt_points",
    "parse_exact",
    "round_half_up",
]

ZERO = Fraction(0)
ONE = Fraction(1)
_DECIMAL_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


class NumberError(ValueError):
    """A value that is not an exact number."""


def parse_exact(value: object) -> Fraction:
    """Turn ``int``, ``Decimal``, ``Fraction`` or a decimal string into an exact Fraction.

    ``bool`` and ``float`` are refused: a float has already lost the exact value.
    """
    if isinstance(value, bool):
        raise NumberError("a boolean is not a number")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise NumberError("not a finite number")
        return Fraction(value)
    if isinstance(value, str):
        text = value.strip()
        if _DECIMAL_RE.match(text):
            return Fraction(text)
        raise NumberError(f"not a decimal number: {value!r}")
    if isinstance(value, float):
        raise NumberError("a float is not exact; write the number as a string or a decimal")
    raise NumberError(f"not a number: {type(value).__name__}")


def round_half_up(value: Fraction, places: int = 2) -> Decimal:
    """Round an exact value half-up (away from zero at .5) to ``places`` decimals."""
    scale = 10**places
    scaled = value * scale
    num, den = scaled.numerator, scaled.denominator
    q = (2 * num + den) // (2 * den) if num >= 0 else -((-2 * num + den) // (2 * den))
    return Decimal(q).scaleb(-places).quantize(Decimal(1).scaleb(-places))


def fmt_fraction(value: Fraction) -> str:
    """The exact value: ``"3/4"``, ``"27"``."""
    if value.denominator == 1:
        return str(value.numerator)
    return f"{value.numerator}/{value.denominator}"


def fmt_points(value: Fraction, places: int = 2) -> str:
    """Points as a decimal string rounded half-up (display only)."""
    return str(round_half_up(value, places))


def fmt_percent(value: Fraction, places: int = 2) -> str:
    """A ratio as a percentage, trailing zeros removed: ``3/4 -> "75%"``."""
    text = str(round_half_up(value * 100, places))
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def fmt_decimal(value: Fraction, places: int = 6) -> str:
    """A compact decimal for formulas: exact when it terminates, else rounded to ``places``."""
    d = value.denominator
    while d % 2 == 0:
        d //= 2
    while d % 5 == 0:
        d //= 5
    if d == 1:
        text = str(Decimal(value.numerator) / Decimal(value.denominator))
        if "E" in text or "e" in text:
            text = format(Decimal(value.numerator) / Decimal(value.denominator), "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text
    return str(round_half_up(value, places)) + "…"
