"""The forms as PDF (fpdf2), A4 portrait, in DejaVu Serif (shipped in `fonts/`, see its
licence): every Vietnamese letter in precomposed form, so no system font is needed.

Drawing only: the functions here take the dataclasses of `forms.py` and never touch the
database. Margins follow the usual layout of Vietnamese administrative documents (Decree
30/2020: left 30 mm, right 15 mm, top and bottom 20 mm).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from fpdf.fonts import FontFace

from thuocdo.reports.forms import (
    NATIONAL_MOTTO,
    NATIONAL_NAME,
    Heading,
    IndividualForm,
    InfoLine,
    Signature,
    UnitSummary,
)
from thuocdo.reports.numbers import vn_number, vn_percent

FONTS_DIR = Path(__file__).resolve().parent / "fonts"
FAMILY = "DejaVuSerif"
FONT_FILES = {
    "": "DejaVuSerif.ttf",
    "B": "DejaVuSerif-Bold.ttf",
    "I": "DejaVuSerif-Italic.ttf",
    "BI": "DejaVuSerif-BoldItalic.ttf",
}
BODY = 10.5
SMALL = 9.5
LINE = 5.2
HEAD_FILL = (232, 236, 242)
GROUP_FILL = (246, 247, 249)


def _num(value: Decimal | None) -> str:
    return vn_number(value) if value is not None else ""


def _pct(value: Fraction | None) -> str:
    return vn_percent(value) if value is not None else ""


class _Document(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.set_margins(30, 20, 15)
        self.set_auto_page_break(True, margin=20)
        for style, name in FONT_FILES.items():
            self.add_font(FAMILY, style, str(FONTS_DIR / name))
        self.set_font(FAMILY, "", BODY)
        self.set_title(title)
        self.set_author("Thước đo")
        self.set_creator("Thước đo")
        self.set_lang("vi-VN")
        self.alias_nb_pages()
        self.add_page()

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(FAMILY, "I", 8.5)
        self.cell(0, 5, f"Trang {self.page_no()}/{{nb}}", align=Align.C)

    # --- building blocks -------------------------------------------------------------------

    def font(self, style: str = "", size: float = BODY) -> None:
        self.set_font(FAMILY, style, size)

    def line_text(
        self, text: str, *, style: str = "", size: float = BODY, align: str = "L"
    ) -> None:
        self.font(style, size)
        self.multi_cell(0, LINE, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def gap(self, height: float = 2.5) -> None:
        self.ln(height)

    def need(self, height: float) -> None:
        """Start a new page unless `height` mm fit on this one."""
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()

    def heading(self, heading: Heading) -> None:
        left_w = 68.0
        right_w = self.epw - left_w
        top = self.get_y()
        x = self.l_margin
        # left: the agency, then the unit in bold with a short rule under it
        self.set_xy(x, top)
        if heading.agency:
            self.font("", 10.5)
            self.multi_cell(left_w, 5, heading.agency, align=Align.C, new_x=XPos.LEFT)
        self.font("B", 10.5)
        self.multi_cell(left_w, 5, heading.unit, align=Align.C, new_x=XPos.LEFT)
        rule_y = self.get_y() + 0.8
        self.line(x + left_w / 2 - 12, rule_y, x + left_w / 2 + 12, rule_y)
        left_bottom = rule_y
        # right: the national name and motto, the motto underlined by a rule of its width
        self.set_xy(x + left_w, top)
        self.font("B", 10.5)
        self.multi_cell(right_w, 5, NATIONAL_NAME, align=Align.C, new_x=XPos.LEFT)
        self.font("B", 11.5)
        self.multi_cell(right_w, 5.6, NATIONAL_MOTTO, align=Align.C, new_x=XPos.LEFT)
        width = self.get_string_width(NATIONAL_MOTTO)
        centre = x + left_w + right_w / 2
        rule_y = self.get_y() + 0.8
        self.line(centre - width / 2, rule_y, centre + width / 2, rule_y)
        self.set_xy(self.l_margin, max(left_bottom, rule_y) + 8)
        self.line_text(heading.title, style="B", size=12.5, align="C")
        self.line_text(heading.subtitle, style="B", size=11, align="C")
        self.gap(4)

    def info(self, lines: Sequence[InfoLine], label_w: float = 38) -> None:
        for line in lines:
            self.font("", BODY)
            self.cell(label_w, LINE, f"{line.label}:")
            self.font("B", BODY)
            self.multi_cell(
                0, LINE, line.value or "—", align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT
            )

    def section(self, title: str, room: float = 18) -> None:
        """A section title, on the next page unless `room` mm fit after it."""
        self.need(room)
        self.gap(2)
        self.line_text(title, style="B", size=BODY + 0.5)
        self.gap(1)

    def grid(
        self,
        headings: Sequence[str],
        rows: Sequence[tuple[Sequence[str], str]],
        widths: Sequence[float],
        aligns: Sequence[str],
        *,
        keep: bool = False,
    ) -> None:
        """`rows` are (cells, kind): kind "group" or "total" prints bold on a light fill.
        `keep` moves a short table to the next page rather than splitting it."""
        if keep:
            self.need(10 + 7 * len(rows))
        self.font("", SMALL)
        with self.table(
            col_widths=tuple(widths),
            width=sum(widths),
            align=Align.L,
            text_align=tuple(aligns),
            line_height=4.6,
            padding=(1.0, 1.2),
            headings_style=FontFace(emphasis="BOLD", fill_color=HEAD_FILL),
            v_align="MIDDLE",
        ) as table:
            head = table.row()
            for text in headings:
                head.cell(text, align=Align.C)
            for cells, kind in rows:
                style = (
                    FontFace(emphasis="BOLD", fill_color=GROUP_FILL)
                    if kind in ("group", "total")
                    else None
                )
                row = table.row(style=style)
                for text in cells:
                    row.cell(text)
        self.gap(1.5)

    def signatures(self, blocks: Sequence[Signature]) -> None:
        self.need(44)
        self.gap(5)
        width = self.epw / len(blocks)
        top = self.get_y()
        for i, block in enumerate(blocks):
            x = self.l_margin + i * width
            self.set_xy(x, top)
            self.font("I", 9.5)
            self.multi_cell(width, 4.8, block.place_date, align=Align.C, new_x=XPos.LEFT)
            self.font("B", 10)
            self.multi_cell(width, 5, block.title, align=Align.C, new_x=XPos.LEFT)
            self.font("I", 9)
            self.multi_cell(width, 4.6, block.hint, align=Align.C, new_x=XPos.LEFT)
            self.set_xy(x, top + 36)
            self.font("B", 10)
            self.multi_cell(width, 5, block.name, align=Align.C, new_x=XPos.LEFT)
        self.set_xy(self.l_margin, top + 44)


# --- the individual form ----------------------------------------------------------------------


def individual_pdf(form: IndividualForm) -> bytes:
    pdf = _Document(f"Phiếu đánh giá — {form.person_name} — {form.period_label}")
    pdf.heading(form.heading)
    pdf.info(form.info)
    if form.status:
        pdf.gap(1.5)
        pdf.line_text(form.status, style="I", size=SMALL)

    pdf.section(form.general_title)
    rows = [
        (
            (
                r.number,
                r.label,
                vn_number(r.max_points, trim=True) if r.max_points is not None else "",
                _num(r.self_score),
                _num(r.reviewer_score),
                _num(r.final),
            ),
            r.kind,
        )
        for r in form.general
    ]
    pdf.grid(
        ("TT", "Tiêu chí", "Điểm tối đa", "Tự đánh giá", "Cấp trên đánh giá", "Điểm kết quả"),
        rows,
        (10, 71, 19, 20, 24, 21),
        ("C", "L", "C", "R", "R", "R"),
    )
    reasons = [r for r in form.general if r.reason]
    for r in reasons:
        pdf.line_text(f"Lý do điều chỉnh “{r.label}”: {r.reason}", style="I", size=SMALL)

    pdf.section(form.tasks_title, room=24 + 8 * len(form.tasks))
    task_rows = [((t.label, _pct(t.ratio), t.detail or t.note), "item") for t in form.tasks]
    top = vn_number(form.task_max, trim=True) if form.task_max is not None else ""
    task_rows += [
        (("Tỷ lệ kết quả thực hiện nhiệm vụ", _pct(form.task_ratio), form.task_formula), "total"),
        (
            (
                "Điểm kết quả thực hiện nhiệm vụ",
                _num(form.task_points),
                f"Tỷ lệ × {top}, tối đa {top} điểm" if top else "",
            ),
            "total",
        ),
    ]
    pdf.grid(
        ("Tiêu chí", "Tỷ lệ, điểm", "Cách tính"),
        task_rows,
        (55, 24, 86),
        ("L", "R", "L"),
        keep=True,
    )
    for t in form.tasks:
        if t.note and t.detail:
            pdf.line_text(f"{t.label}: {t.note}", style="I", size=SMALL)
    if form.not_scored:
        pdf.line_text(form.not_scored, style="I", size=SMALL)

    pdf.section("III. TỔNG ĐIỂM VÀ XẾP LOẠI")
    top = vn_number(form.total_max, trim=True) if form.total_max is not None else ""
    pdf.info(
        [
            InfoLine("Tổng điểm", (_num(form.total_points) or "—") + (f" / {top}" if top else "")),
            InfoLine("Xếp loại theo điểm", form.rating_by_points or "—"),
            InfoLine("Xếp loại", form.rating or "—"),
        ],
        label_w=45,
    )
    for change in form.rating_changes:
        pdf.line_text(f"– {change}", size=SMALL)
    if form.overrides:
        pdf.gap(1)
        pdf.grid(
            ("Căn cứ", "Nội dung", "Văn bản", "Lý do"),
            [((o.kind, o.what, o.document_ref, o.reason), "item") for o in form.overrides],
            (24, 50, 49, 42),
            ("L", "L", "L", "L"),
        )

    pdf.section("IV. NHẬN XÉT, Ý KIẾN")
    for line in form.comments:
        pdf.need(12)
        pdf.line_text(f"{line.label}:", style="B", size=BODY)
        pdf.line_text(line.value or "—", size=BODY)
        pdf.gap(1)
    pdf.line_text(f"Lấy ý kiến tập thể: {form.minutes}", size=BODY)
    pdf.gap(1)
    pdf.line_text(form.framework, style="I", size=8.5)

    pdf.signatures(form.signatures)
    return bytes(pdf.output())


# --- the unit's summary -----------------------------------------------------------------------


def unit_pdf(summary: UnitSummary) -> bytes:
    pdf = _Document(f"Bảng tổng hợp — {summary.unit_name} — {summary.period_label}")
    pdf.heading(summary.heading)
    pdf.info(summary.info, label_w=48)

    pdf.section("I. KẾT QUẢ ĐÁNH GIÁ, XẾP LOẠI TỪNG NGƯỜI")
    rows = [
        (
            (
                str(m.number),
                m.name + (f"\n{m.job_position}" if m.job_position else ""),
                m.role,
                _num(m.general),
                _num(m.task_points),
                _num(m.points),
                f"{m.rating}\n({m.note})" if m.rating and m.note else m.rating or m.note,
            ),
            "item",
        )
        for m in summary.members
    ]
    if not rows:
        rows = [(("", "Không có người được đánh giá trong kỳ.", "", "", "", "", ""), "item")]
    pdf.grid(
        (
            "TT",
            "Họ và tên, vị trí việc làm",
            "Chức vụ",
            "Tiêu chí chung",
            "Kết quả nhiệm vụ",
            "Tổng điểm",
            "Xếp loại",
        ),
        rows,
        (9, 44, 24, 17, 19, 17, 35),
        ("C", "L", "L", "R", "R", "R", "L"),
    )

    pdf.section("II. TỔNG HỢP XẾP LOẠI VÀ TỶ LỆ", room=60)
    pdf.grid(
        ("Xếp loại", "Số người", "Tỷ lệ"),
        [
            ((d.label, str(d.count), _pct(d.share)), "total" if d.label == "Tổng số" else "item")
            for d in summary.distribution
        ],
        (85, 40, 40),
        ("L", "R", "R"),
        keep=True,
    )
    if summary.quota is not None:
        pdf.line_text(f"Tỷ lệ (Điều 20 khoản 5): {summary.quota.text}", size=BODY)
        if summary.quota.basis:
            pdf.line_text(f"Căn cứ tỷ lệ ngoại lệ: {summary.quota.basis}", style="I", size=SMALL)
    else:
        pdf.line_text("Chưa lập nhóm áp tỷ lệ cho đơn vị trong kỳ này.", style="I", size=SMALL)

    pdf.section("III. KẾT QUẢ CỦA ĐƠN VỊ")
    part = summary.unit
    if part is None:
        pdf.line_text("Chưa có đánh giá của đơn vị trong kỳ này.", style="I", size=SMALL)
    else:
        if part.kpis:
            pdf.grid(
                ("Nhóm", "Chỉ tiêu", "Nguồn số liệu", "Kế hoạch", "Thực hiện", "Minh chứng"),
                [
                    (
                        (
                            k.group,
                            k.label,
                            k.source,
                            _num(k.target),
                            _num(k.actual),
                            k.evidence,
                        ),
                        "item",
                    )
                    for k in part.kpis
                ],
                (24, 42, 25, 17, 17, 40),
                ("L", "L", "L", "R", "R", "L"),
            )
        pdf.info(
            [
                InfoLine("Trạng thái", part.state),
                *([InfoLine("Điểm của đơn vị", _num(part.points))] if part.points else []),
                InfoLine("Xếp loại của đơn vị", part.rating or "—"),
                *([InfoLine("Căn cứ", part.basis)] if part.basis else []),
            ],
            label_w=48,
        )

    pdf.signatures(summary.signatures)
    return bytes(pdf.output())
