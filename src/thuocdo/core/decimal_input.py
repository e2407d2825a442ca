"""Decimal inputs as people in an agency type them (issue 13, point 1).

A browser's `<input type="number">` drops a value it cannot parse in its own locale: a
field prefilled "1,00" showed empty, and "2,5" typed in a score became 25. Every decimal
input of the site is therefore a text input with the decimal keyboard
(`inputmode="decimal"`), shown in the page's format (2,5 in Vietnamese, 2.5 in English),
and read back from either mark.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from thuocdo.core.text import is_english

# Digits with at most one decimal mark (comma or point); thousands marks are not taken,
# so "1.234" is one point two three four and is refused where only cents are allowed.
TYPED = re.compile(r"^\s*[-+]?\d*(?:[.,]\d*)?\s*$")


def shown(value: Any) -> str:
    """A decimal as typed on this page: 2,5 in Vietnamese, 2.5 in English; no exponent."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value  # a value the person typed, shown back as they typed it
    text = format(value if isinstance(value, Decimal) else Decimal(str(value)), "f")
    return text if is_english() else text.replace(".", ",")


class DecimalInput(forms.TextInput):
    """A text box with the decimal keyboard, showing the value in the page's format."""

    input_type = "text"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        base = {"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false"}
        super().__init__({**base, **(attrs or {})})

    def format_value(self, value: Any) -> str | None:
        return shown(value) or None


class DecimalField(forms.DecimalField):
    """A decimal read from "2,5" or "2.5"; shown back in the page's format."""

    widget = DecimalInput
    default_error_messages = {
        "invalid": _("Nhập một số, ví dụ 2,5 hoặc 2.5."),
    }

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            if value.strip() and not TYPED.match(value):
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            value = value.strip().replace(",", ".")
        return super().to_python(value)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        # Django adds min/max/step for number inputs; a text input has no use for them
        # (the range is the server's check, with its message).
        return {}
