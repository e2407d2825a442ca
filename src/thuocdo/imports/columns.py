"""Column specs and cell parsing, shared by every kind of import.

Cells arrive as whatever Excel (or LibreOffice, or a script) stored: dates as dates,
serial numbers or text; codes as numbers; Vietnamese text in NFD with stray spaces.
Parsing turns each into one clean Python value or a rule broken, never an exception.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
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
    max_length: int | None = None  # text: the model field's max_length

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


@dataclass(frozen=True)
class BrokenCell:
    """A cell that holds no usable value although it is not empty: an Excel error
    (`#N/A`, `#DIV/0!`…) or a formula whose result was never calculated. Never blank;
    parsing it always fails with `rule_vi`."""

    shown: str
    rule_vi: str
    rule_en: str

    def __str__(self) -> str:
        return self.shown


def error_cell(code: str) -> BrokenCell:
    return BrokenCell(
        code,
        f"Ô có giá trị lỗi của Excel ({code}); hãy sửa công thức hoặc nhập giá trị.",
        f"The cell holds an Excel error ({code}); fix the formula or type the value.",
    )


def uncalculated_cell(formula: str) -> BrokenCell:
    return BrokenCell(
        f"={formula}" if formula else "=…",
        "Ô có công thức chưa được tính — mở và lưu tệp bằng Excel rồi tải lên lại.",
        "The cell has a formula that was never calculated — open and save the file in Excel, "
        "then upload it again.",
    )


# Excel's error values; typed as text they are refused too (a copy of a broken sheet).
EXCEL_ERRORS = frozenset(
    {
        "#NULL!",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#N/A",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#CONNECT!",
        "#BUSY!",
        "#UNKNOWN!",
    }
)
# Control, format (bidi overrides such as U+202E, zero-width characters), surrogate and
# private-use characters: invisible or misleading in a name, refused in text cells.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co"})


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
    # str.strip() drops the white space clean_text drops (both Unicode), without the NFC
    # check and the join: it runs for every cell of every row
    return value is None or (isinstance(value, str) and not value.strip())


def parse_text(value: Any) -> str:
    if isinstance(value, BrokenCell):
        raise CellError(value.rule_vi, value.rule_en)
    if isinstance(value, bool):
        raise CellError(
            "Ô chứa giá trị đúng/sai (TRUE/FALSE), không phải chữ.",
            "The cell holds a TRUE/FALSE value, not text.",
        )
    # Codes typed into a number cell come back as 12.0; keep them as "12".
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return display(value)
    text = clean_text(str(value))
    if text.upper() in EXCEL_ERRORS:
        raise CellError(error_cell(text.upper()).rule_vi, error_cell(text.upper()).rule_en)
    if not text.isprintable():  # fast path: printable text has none of the refused ones
        for char in text:
            if unicodedata.category(char) in _REFUSED_CATEGORIES:
                raise CellError(
                    f"Có ký tự điều khiển hoặc ký tự ẩn (U+{ord(char):04X}); hãy gõ lại ô này.",
                    f"Contains a control or invisible character (U+{ord(char):04X}); retype "
                    "the cell.",
                )
    return text


def check_length(text: str, limit: int | None) -> str:
    if limit is not None and len(text) > limit:
        raise CellError(
            f"Dài quá {limit} ký tự (ô có {len(text)} ký tự).",
            f"Longer than {limit} characters (the cell has {len(text)}).",
        )
    return text


_DATE_TEXT = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_ISO_TEXT = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 = 1900-01-01 given Excel's 1900 leap bug


def parse_date(value: Any) -> dt.date:
    bad = CellError("Không phải ngày hợp lệ (dd/mm/yyyy).", "Not a valid date (dd/mm/yyyy).")
    if isinstance(value, BrokenCell):
        raise CellError(value.rule_vi, value.rule_en)
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


# Every number cell goes through `parse_decimal`: no column stores more than 15 digits
# before the point or 10 after it (Excel itself keeps 15 significant digits), so larger or
# finer numbers are refused here, before any arithmetic could overflow the context.
MAX_WHOLE_DIGITS = 15
MAX_PLACES = 10


def parse_decimal(value: Any) -> Decimal:
    bad = CellError("Không phải số hợp lệ.", "Not a valid number.")
    if isinstance(value, BrokenCell):
        raise CellError(value.rule_vi, value.rule_en)
    if isinstance(value, bool):
        raise bad
    if isinstance(value, int):
        return _in_range(Decimal(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise bad
        # Excel keeps 15 significant digits: 0.1 + 0.2 is 0.3 there, and here.
        return _in_range(Decimal(f"{value:.15g}"))
    text = clean_text(str(value)).replace(" ", "")
    if len(text) > 64:  # not parsed: a long run of digits is too large, anything else no number
        digits = text.lstrip("+-").replace(".", "").replace(",", "")
        raise _too_large() if digits.isdigit() else bad
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
    return _in_range(number)


def _too_large() -> CellError:
    return CellError(
        f"Số quá lớn (tối đa {MAX_WHOLE_DIGITS} chữ số phần nguyên).",
        f"The number is too large (at most {MAX_WHOLE_DIGITS} digits before the point).",
    )


def _in_range(number: Decimal) -> Decimal:
    """`number` when it has at most MAX_WHOLE_DIGITS whole digits and MAX_PLACES places."""
    if number.is_zero():
        return Decimal(0)
    if number.adjusted() >= MAX_WHOLE_DIGITS:
        raise _too_large()
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    if exponent < -MAX_PLACES and number != round(number, MAX_PLACES):
        raise CellError(
            f"Số có quá nhiều chữ số thập phân (tối đa {MAX_PLACES}).",
            f"Too many decimal places (at most {MAX_PLACES}).",
        )
    return number


def parse_integer(value: Any) -> int:
    number = parse_decimal(value)
    if number != number.to_integral_value():
        raise CellError("Phải là số nguyên.", "Must be a whole number.")
    return int(number)


def parse_email(value: Any) -> str:
    text = parse_text(value).replace(" ", "")
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
        single = Column(
            column.key, column.header_vi, column.header_en, column.type,
            max_length=column.max_length,
        )  # fmt: skip
        return [parse_cell(single, part, index) for part in parts]
    if column.type == "date":
        return parse_date(value)
    if column.type == "integer":
        return parse_integer(value)
    if column.type == "decimal":
        return parse_decimal(value)
    if column.type == "email":
        return check_length(parse_email(value), column.max_length)
    if column.type == "choice":
        assert index is not None, f"column {column.key} has no allowed values"
        return parse_choice(value, index)
    return check_length(parse_text(value), column.max_length)
