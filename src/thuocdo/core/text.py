"""Vietnamese text rules: store NFC with full diacritics, search without them."""

from __future__ import annotations

import unicodedata


def clean_text(value: str) -> str:
    """NFC, trimmed, inner runs of white space collapsed. Diacritics are kept."""
    if not unicodedata.is_normalized("NFC", value):
        value = unicodedata.normalize("NFC", value)
    # str.split() splits on exactly what `\s` matches in a str pattern (Unicode white
    # space), and is several times faster than a regular expression.
    return " ".join(value.split())


def fold(value: str) -> str:
    """Lower-case, accent-free key for search: `Nguyễn Văn Đức` → `nguyen van duc`."""
    decomposed = unicodedata.normalize("NFD", clean_text(value).replace("đ", "d").replace("Đ", "D"))
    stripped = decomposed.translate(_MARKS)  # one C call; the table covers the BMP
    if not stripped.isascii() and max(stripped) > "\uffff":
        stripped = "".join(ch for ch in stripped if unicodedata.category(ch) != "Mn")
    return stripped.lower()


# Non-spacing marks (category Mn) of the Basic Multilingual Plane, deleted by translate.
_MARKS = {code: None for code in range(0x10000) if unicodedata.category(chr(code)) == "Mn"}


def is_english() -> bool:
    """Whether the page (or the command) speaks English; Vietnamese otherwise."""
    from django.utils.translation import get_language

    return (get_language() or "vi").startswith("en")


def in_language(vi: str, en: str | None = None) -> str:
    """The English form on an English page when there is one, else the Vietnamese.

    For labels stored in both languages (framework criteria, workflow steps, unit names):
    the page's language decides, and a missing English form falls back to Vietnamese
    rather than to nothing."""
    return en if en and is_english() else vi
