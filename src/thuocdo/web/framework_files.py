"""A framework as a file (issue 14, point 4): the canonical document as YAML — what
`framework_import` and `load_presets` read back to the same content hash — and a
workbook that reads like the framework page (one sheet per part of the rules).

The workbook stores numbers as numbers and text as text (`core.xlsx.text_cell`), in the
page's language.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

import yaml
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from thuocdo.core.xlsx import text_cell
from thuocdo.scoring import Framework
from thuocdo.web.framework_reading import Reading, RuleRow, say, yes_no
from thuocdo.web.framework_workbook import embed_document

MAX_UPLOAD = 1_000_000  # bytes: the largest framework shipped is ~15 kB


def framework_yaml(fw: Framework) -> str:
    """The canonical document as YAML, with a comment naming what it is."""
    head = (
        "# Thước đo — khung đánh giá / KPI framework (schema thuocdo/framework@1)\n"
        f"# {fw.title_vi}\n"
        f"# {fw.id} {fw.version} {fw.content_hash}\n"
    )
    body = yaml.safe_dump(
        fw.to_data(),
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=100,
    )
    return head + body


def file_name(fw: Framework, extension: str) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in f"{fw.id}-{fw.version}")
    return f"{safe}.{extension}"


# --- the workbook ---------------------------------------------------------------------------

BOLD = Font(bold=True)
HEAD_FILL = PatternFill("solid", fgColor="E8ECF2")
WRAP = Alignment(wrap_text=True, vertical="top")
POINTS = "#,##0.##"


def _sheet(wb: Workbook, title: str, widths: list[float], *, first: bool = False) -> Worksheet:
    ws: Worksheet = wb.active if first else wb.create_sheet()
    ws.title = title[:31]
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    return ws


def _row(ws: Worksheet, row: int, values: list[Any], *, head: bool = False) -> None:
    for column, value in enumerate(values, start=1):
        cell = text_cell(ws, row, column, value)
        cell.alignment = WRAP
        if head:
            cell.font = BOLD
            cell.fill = HEAD_FILL
        elif isinstance(value, float):
            cell.number_format = POINTS


def _rules(ws: Worksheet, start: int, rows: list[RuleRow]) -> int:
    _row(
        ws,
        start,
        [
            say(("Quy định", "Rule")),
            say(("Giá trị", "Value")),
            say(("Căn cứ", "Source")),
            say(("Mặc định theo Nghị định", "The decree's default")),
        ],
        head=True,
    )
    row = start + 1
    for rule in rows:
        _row(ws, row, [rule.label, rule.value, rule.source, rule.decree_value])
        row += 1
    return row


def _nodes(ws: Worksheet, rows: list[Any]) -> None:
    _row(
        ws,
        1,
        [
            say(("Đường dẫn", "Path")),
            say(("Tên (tiếng Việt)", "Label (Vietnamese)")),
            say(("Tên (tiếng Anh)", "Label (English)")),
            say(("Nhóm / tiêu chí", "Group / criterion")),
            say(("Cách tính", "How it is scored")),
            say(("Điểm tối đa", "Maximum points")),
            say(("Thang điểm", "Scale")),
            say(("Trọng số", "Weight")),
            say(("Khoảng trọng số được chọn", "Weight range allowed")),
            say(("Áp dụng cho", "Applies to")),
            say(("Bắt buộc", "Required")),
            say(("Đơn vị được bổ sung tiêu chí", "Units may add criteria")),
        ],
        head=True,
    )
    ws.freeze_panes = "A2"
    for index, (node, vi, en) in enumerate(rows, start=2):
        _row(
            ws,
            index,
            [
                node.path,
                vi,
                en,
                say(("Nhóm", "Group")) if node.is_group else say(("Tiêu chí", "Criterion")),
                node.how,
                float(node.max_value) if node.max_value is not None else None,
                node.scale,
                node.weight,
                node.weight_range,
                node.applies_to,
                yes_no(node.required),
                yes_no(node.allow_additions) if node.is_group else "",
            ],
        )


def _labelled(reading: Reading, part: str) -> list[tuple[Any, str, str]]:
    """Node rows with both labels (the sheet gives Vietnamese and English side by side)."""
    fw = reading.fw
    section = fw.individual if part == "individual" else fw.unit
    rows = reading.individual if part == "individual" else reading.unit
    if section is None:
        return []
    labels = {n.key: (n.label_vi, n.label_en) for n in section.root.walk()}
    return [(row, *labels[row.key]) for row in rows]


def framework_xlsx(reading: Reading, *, status: str = "", owner: str = "") -> bytes:
    fw = reading.fw
    wb = Workbook()
    info = _sheet(wb, say(("Thông tin chung", "General")), [34, 90], first=True)
    lines: list[tuple[str, Any]] = [
        (say(("Tên khung", "Framework")), reading.title),
        (say(("Mã khung", "Key")), fw.id),
        (say(("Phiên bản", "Version")), fw.version),
        (say(("Cơ quan", "Agency")), owner),
        (say(("Trạng thái", "Status")), status),
        (say(("Căn cứ", "Legal basis")), fw.to_data().get("source") or ""),
        (say(("Ghi chú", "Notes")), reading.notes),
        (say(("Loại nhiệm vụ", "Kinds of task")), ", ".join(reading.task_kinds)),
        (say(("Mã băm nội dung", "Content hash")), fw.content_hash),
    ]
    for row, (label, value) in enumerate(lines, start=1):
        _row(info, row, [label, value])
        info.cell(row=row, column=1).font = BOLD
    _rules(info, len(lines) + 2, reading.rules["scoring"])

    individual = _sheet(
        wb,
        say(("Tiêu chí cá nhân", "Individual criteria")),
        [34, 44, 40, 12, 40, 12, 20, 10, 16, 30, 10, 14],
    )
    _nodes(individual, _labelled(reading, "individual"))
    unit = _sheet(
        wb,
        say(("Tiêu chí đơn vị", "Unit criteria")),
        [34, 44, 40, 12, 40, 12, 20, 10, 16, 30, 10, 14],
    )
    if reading.unit:
        _nodes(unit, _labelled(reading, "unit"))
    else:
        _row(unit, 1, [say(("Khung không có phần đánh giá đơn vị.", "No unit part."))])

    ratings = _sheet(wb, say(("Xếp loại", "Rating")), [40, 50, 30, 40])
    _row(
        ratings,
        1,
        [say(("Xếp loại", "Rating")), say(("Điểm", "Points")), say(("Điểm tối thiểu", "Minimum"))],
        head=True,
    )
    row = 2
    for band in reading.bands:
        _row(ratings, row, [band.rating, band.range, float(band.min_value)])
        row += 1
    row += 1
    _row(
        ratings,
        row,
        [
            say(("Trường hợp xếp loại Không hoàn thành nhiệm vụ", "Overrides")),
            say(("Khi", "When")),
            say(("Áp dụng cho", "Applies to")),
            say(("Xếp loại", "Rating")),
        ],
        head=True,
    )
    for override in reading.overrides:
        row += 1
        _row(ratings, row, [override.label, override.when, override.applies_to, override.rating])
    _rules(ratings, row + 2, reading.rules["rating"])

    quota = _sheet(wb, say(("Tỷ lệ", "Quota")), [40, 60, 30, 40])
    _rules(quota, 1, reading.rules["quota"])
    year = _sheet(wb, say(("Tổng hợp năm", "The year")), [40, 60, 30, 40])
    _rules(year, 1, reading.rules["roll_up"])

    embed_document(wb, fw)  # read back by `framework_workbook.read_framework_workbook`
    wb.properties.creator = "Thước đo"
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
