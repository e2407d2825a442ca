"""The data rows of a workbook written as sheet XML straight into the saved file.

openpyxl spends a third of a millisecond per cell; an agency's 100,000-task export took
minutes. So the workbook (headers, styles, column formats, validations, the other
sheets) is still made by openpyxl, with one probe row holding a date in the date
format, and `splice_rows` then rewrites the data sheet inside the zip: the probe row is
replaced by every data row, streamed into the archive. Linear in the rows, a few
seconds for 100,000.

Cells are inline strings, numbers and dates (day serials in the probe's style). A
string is never a formula: a task titled "=HYPERLINK(…)" is exported as that text.
Cells the workbook writes through openpyxl (the allowed-values sheet) go through
`core.xlsx.text_cell`, which keeps the same promise for every workbook we write.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from openpyxl.utils import get_column_letter

from thuocdo.core.xlsx import ILLEGAL_XML

DATA_PART = "xl/worksheets/sheet1.xml"  # openpyxl numbers sheets in order: data first
PROBE_ROW = 2
_EPOCH = dt.date(1899, 12, 30)  # Excel's day 0 (its 1900 leap-year bug included)
_PROBE = re.compile(r'<row r="2"[^>]*>.*?</row>', re.S)
_STYLE = re.compile(r'<c r="A2" s="(\d+)"')
_DIMENSION = re.compile(r'<dimension ref="[^"]*"\s*/>')
# Characters XML 1.0 cannot hold (control characters other than tab and line breaks).


def splice_rows(workbook: bytes, rows: Iterable[Sequence[Any]], *, width: int) -> bytes:
    """`workbook` with its probe row replaced by `rows` (values, left to right).

    The sheet's `<dimension>` (optional, and read before the rows) is left out rather
    than guessed: readers that trust it would otherwise stop early."""
    source = zipfile.ZipFile(io.BytesIO(workbook))
    sheet = _DIMENSION.sub("", source.read(DATA_PART).decode("utf-8"), count=1)
    probe = _PROBE.search(sheet)
    style = _STYLE.search(sheet)
    if probe is None or style is None:
        raise RuntimeError("the data sheet has no probe row to replace")
    letters = [get_column_letter(n) for n in range(1, width + 1)]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename != DATA_PART:
                target.writestr(item, source.read(item.filename))
                continue
            with target.open(DATA_PART, "w", force_zip64=True) as part:
                part.write(sheet[: probe.start()].encode("utf-8"))
                _write_rows(part, rows, letters, style.group(1))
                part.write(sheet[probe.end() :].encode("utf-8"))
    return out.getvalue()


def _write_rows(part: Any, rows: Iterable[Sequence[Any]], letters: list[str], style: str) -> None:
    number = PROBE_ROW - 1
    buffer: list[str] = []
    for values in rows:
        number += 1
        cells = [f'<row r="{number}">']
        for letter, value in zip(letters, values, strict=False):
            if value is not None and value != "":
                cells.append(_cell(f"{letter}{number}", value, style))
        cells.append("</row>")
        buffer.append("".join(cells))
        if len(buffer) >= 2000:
            part.write("".join(buffer).encode("utf-8"))
            buffer.clear()
    part.write("".join(buffer).encode("utf-8"))


def _cell(ref: str, value: Any, date_style: str) -> str:
    if isinstance(value, str):
        return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{_text(value)}</t></is></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return f'<c r="{ref}"><v>{int(value)}</v></c>'
    if isinstance(value, float):
        return f'<c r="{ref}"><v>{float(value)!r}</v></c>'
    if isinstance(value, Decimal):
        return f'<c r="{ref}"><v>{value:f}</v></c>'
    if isinstance(value, dt.datetime):
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        serial = (value.date() - _EPOCH).days + seconds / 86400
        return f'<c r="{ref}" s="{date_style}"><v>{serial!r}</v></c>'
    if isinstance(value, dt.date):
        return f'<c r="{ref}" s="{date_style}"><v>{(value - _EPOCH).days}</v></c>'
    return _cell(ref, str(value), date_style)


def _text(value: str) -> str:
    text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text if text.isprintable() else text.translate(ILLEGAL_XML)
