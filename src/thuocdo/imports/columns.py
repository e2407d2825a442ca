"""Column specs and cell parsing, shared by every kind of import.

Cells arrive as whatever Excel (or LibreOffice, or a script) stored: dates as dates,
serial numbers or text; codes as numbers; Vietnamese text in NFD with stray spaces.
Parsing turns each into one clean Python value or a rule broken, never an exception.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Literal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from thuocdo.core.text import clean_text, fold

if TYPE_CHECKING:
    from thuocdo.org.models import Unit

ColumnType = Literal["text", "date", "choice", "integer", "decimal", "email"]

FIRST_YEAR = 1900
LAST_YEAR = 2100


@dataclass(frozen=True)
class Choice:
    """An allowed value: `label` is what the cell holds, `value` what is stored.

    `aliases` are other spellings that match too (the English label, a unit's name);
    `note` is shown beside the label in the allowed-values sheet.
    """

    label: str
    value: Any
    aliases: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Column:
    key: str
    header_vi: str
    header_en: str
    type: ColumnType = "text"
    required: bool = False
    choices: Callable[[Unit], Sequence[Choice]] | None = None
    multiple: bool = False  # several values separated by ";"
    width: int = 18
    note_vi: str = ""  # one line in the instructions sheet

    @property
    def template_header(self) -> str:
        return f"{self.header_vi}*" if self.required else self.header_vi


def header_key(text: Any) -> str:
    """How headers are compared: accent-free, case-free, spaces collapsed, no trailing '*'."""
    if text is None:
        return ""
    return fold(str(text)).rstrip("*").strip()


@dataclass
class ChoiceIndex:
    """Looks cell text up among the allowed values: exact label first, then folded
    label, then a folded alias when it names exactly one value."""

    choices: Sequence[Choice]
    _exact: dict[str, Choice] = field(default_factory=dict, init=False)
    _folded: dict[str, Choice] = field(default_factory=dict, init=False)
    _alias: dict[str, Choice | None] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        for choice in self.choices:
            self._exact.setdefault(choice.label, choice)
            self._folded.setdefault(fold(choice.label), choice)
        for choice in self.choices:
            for alias in choice.aliases:
                key = fold(alias)
                if not key or key in self._folded:
                    continue
                seen = self._alias.get(key, choice)
                self._alias[key] = choice if seen is choice else None  # None: ambiguous

    def find(self, text: str) -> Choice | None:
        return self._exact.get(text) or self._folded.get(fold(text)) or self._alias.get(fold(text))

    def labels(self, limit: int = 8) -> str:
        shown = [choice.label for choice in self.choices[:limit]]
        more = "…" if len(self.choices) > limit else ""
        return ", ".join(shown) + more


class CellError(Exception):
    def __init__(self, rule_vi: str, rule_en: str) -> None:
        super().__init__(rule_vi)
        self.rule_vi = rule_vi
        self.rule_en = rule_en


def display(value: Any) -> str:
    """A cell's value as the user would recognise it, for error reports."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date() if value.time() == dt.time() else value
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return clean_text(str(value))


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not clean_text(value))


def parse_text(value: Any) -> str:
    # Codes typed into a number cell come back as 12.0; keep them as "12".
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return display(value)
    return clean_text(str(value))


_DATE_TEXT = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_ISO_TEXT = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 = 1900-01-01 given Excel's 1900 leap bug


def parse_date(value: Any) -> dt.date:
    bad = CellError("Không phải ngày hợp lệ (dd/mm/yyyy).", "Not a valid date (dd/mm/yyyy).")
    day: dt.date
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        # A date cell without a date format reads as its serial number.
        if not 1 <= value < 2958466:
            raise bad
        day = _EXCEL_EPOCH + dt.timedelta(days=int(value))
    else:
        text = clean_text(str(value)).replace(" ", "")
        text = text.split("T")[0] if _ISO_TEXT.match(text.split("T")[0]) else text
        try:
            if match := _DATE_TEXT.match(text):
                d, m, y = (int(part) for part in match.groups())
                day = dt.date(y, m, d)
            elif match := _ISO_TEXT.match(text):
                y, m, d = (int(part) for part in match.groups())
                day = dt.date(y, m, d)
            else:
                raise bad
        except ValueError as error:
            raise bad from error
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise CellError(
            f"Năm phải trong khoảng {FIRST_YEAR}–{LAST_YEAR}.",
            f"The year must be within {FIRST_YEAR}–{LAST_YEAR}.",
        )
    return day


def parse_decimal(value: Any) -> Decimal:
    bad = CellError("Không phải số hợp lệ.", "Not a valid number.")
    if isinstance(value, bool):
        raise bad
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    text = clean_text(str(value)).replace(" ", "")
    # Vietnamese writes 1.234,5; English 1,234.5. The last separator is the decimal one.
    if "," in text and "." in text:
        thousands, decimal = (".", ",") if text.rfind(",") > text.rfind(".") else (",", ".")
        text = text.replace(thousands, "").replace(decimal, ".")
    else:
        text = text.replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation as error:
        raise bad from error
    if not number.is_finite():
        raise bad
    return number


def parse_integer(value: Any) -> int:
    number = parse_decimal(value)
    if number != number.to_integral_value():
        raise CellError("Phải là số nguyên.", "Must be a whole number.")
    return int(number)


def parse_email(value: Any) -> str:
    text = clean_text(str(value)).replace(" ", "")
    try:
        validate_email(text)
    except ValidationError as error:
        raise CellError(
            "Địa chỉ thư điện tử không hợp lệ.", "Not a valid email address."
        ) from error
    return text


def parse_choice(value: Any, index: ChoiceIndex) -> Any:
    text = parse_text(value)
    choice = index.find(text)
    if choice is None:
        raise CellError(
            f"Không có trong danh sách giá trị hợp lệ ({index.labels()}).",
            f"Not one of the allowed values ({index.labels()}).",
        )
    return choice.value


def parse_cell(column: Column, value: Any, index: ChoiceIndex | None = None) -> Any:
    """The clean value of a non-blank cell, or CellError naming the rule it broke."""
    if column.multiple:
        parts = [part for part in (clean_text(p) for p in parse_text(value).split(";")) if part]
        single = Column(column.key, column.header_vi, column.header_en, column.type)
        return [parse_cell(single, part, index) for part in parts]
    if column.type == "date":
        return parse_date(value)
    if column.type == "integer":
        return parse_integer(value)
    if column.type == "decimal":
        return parse_decimal(value)
    if column.type == "email":
        return parse_email(value)
    if column.type == "choice":
        assert index is not None, f"column {column.key} has no allowed values"
        return parse_choice(value, index)
    return parse_text(value)
