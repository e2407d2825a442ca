"""Numbers as Vietnamese documents write them: 76,10 · 1.250,5 · 68,75%.

Used by the forms and exports (thuocdo.reports) and by text stored in Vietnamese for
later readers, such as notifications (thuocdo.evaluations).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction


def exact_text(value: Decimal | int) -> str:
    """A number as exact plain text for a framework document: "0.50" → "0.5", no
    exponent (the engine parses it back to the same value)."""
    text = format(value, "f") if isinstance(value, Decimal) else str(value)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def to_decimal(value: object, places: int = 2) -> Decimal | None:
    """A stored number ("76.10", Decimal, Fraction "5479/72") rounded half-up; None stays."""
    if value is None or value == "":
        return None
    if isinstance(value, Fraction):
        number = Decimal(value.numerator) / Decimal(value.denominator)
    elif isinstance(value, str) and "/" in value:
        fraction = Fraction(value)
        number = Decimal(fraction.numerator) / Decimal(fraction.denominator)
    else:
        number = Decimal(str(value))
    return number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def vn_number(value: object, places: int = 2, *, trim: bool = False) -> str:
    """`76.1` → "76,10"; `1250.5` → "1.250,50"; `trim=True` drops trailing zeros ("2,5")."""
    number = to_decimal(value, places)
    if number is None:
        return ""
    text = f"{number:,.{places}f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def vn_percent(ratio: object, places: int = 2) -> str:
    """A ratio (0.6875, "11/16") as "68,75%"; whole percents without decimals ("75%")."""
    number = to_decimal(ratio, 10)
    if number is None:
        return ""
    return vn_number(number * 100, places, trim=True) + "%"


_DECIMAL_POINT = re.compile(r"(?<=\d)\.(?=\d)")


def vn_text(text: str) -> str:
    """A text the scoring engine wrote (a formula, a reason, a note: "4.125 ÷ 6", "95.50
    điểm") with the Vietnamese decimal comma. The engine writes numbers the machine way so
    its results stay comparable; only a point between two digits changes, so words,
    punctuation and ellipses are left as written."""
    return _DECIMAL_POINT.sub(",", text)


def text_for(text: str, lang: str) -> str:
    """An engine text for a page in `lang` ("vi", "en")."""
    return text if lang.startswith("en") else vn_text(text)


def reader_text(text_vi: str, text_en: str = "") -> str:
    """The engine's text in the active language (its English form when the page is
    English and there is one), with that language's decimal mark."""
    from thuocdo.core.text import in_language, is_english

    return text_for(in_language(text_vi, text_en), "en" if is_english() else "vi")
