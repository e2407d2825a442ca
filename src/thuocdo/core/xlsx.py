"""One promise for every workbook the product writes: text is always text."""

from __future__ import annotations

from typing import Any

__all__ = ["ILLEGAL_XML", "text_cell"]

# characters an XML 1.0 document cannot hold (openpyxl refuses them): dropped, not failed
ILLEGAL_XML = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF])


def text_cell(sheet: Any, row: int, column: int, value: Any) -> Any:
    """`sheet.cell(row, column, value)`, except that text is always stored as text.

    openpyxl takes any string starting with "=" for a formula: a person named
    `=HYPERLINK(…)` would become a live link. Text starting with "=", "+", "-", "@", a tab
    or a carriage return (what a spreadsheet would evaluate when typed) is written as a
    plain string, character for character; characters XML cannot hold are dropped."""
    if isinstance(value, str) and not value.isprintable():
        value = value.translate(ILLEGAL_XML)
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str) and cell.data_type != "s":
        cell.data_type = "s"
    return cell
