"""The forms as PDF (fpdf2), A4 portrait, laid out as administrative documents under
Decree 30/2020/NĐ-CP (Appendix I): Liberation Serif, the metric twin of Times New Roman
(shipped in `fonts/` with its SIL OFL licence, embedded as subsets, so no system font is
needed and every Vietnamese letter prints precomposed); body text 13 pt, wide tables 12 pt;
margins left 30 mm, right 15 mm, top and bottom 20 mm; the heading of `forms.Heading`.

Drawing only: the functions here take the dataclasses of `forms.py` and never touch the
database; the finished bytes go through `signing.signed`, which signs them when the install
configures the agency's certificate (docs/signing.md), its visible box in the first
form's CẤP CÓ THẨM QUYỀN block. A document may hold several forms (a unit's bundle): each
starts on a new page and numbers its own pages, "Trang x/y".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
from thuocdo.reports.signing import SignatureBox, signed

FONTS_DIR = Path(__file__).resolve().parent / "fonts"
FAMILY = "LiberationSerif"
FONT_FILES = {
    "": "LiberationSerif-Regular.ttf",
    "B": "LiberationSerif-Bold.ttf",
    "I": "LiberationSerif-Italic.ttf",
    "BI": "LiberationSerif-BoldItalic.ttf",
}
# Sizes in points (Decree 30/2020, Appendix I): body 13–14, the national name and the
# issuing body 12–13, the motto 13–14, the document's name 13–14; tables 12 so that the
# widest (nine columns) still fit on A4 portrait.
BODY = 13.0
TABLE = 12.0
HEAD = 12.0
MOTTO = 13.0
TITLE = 14.0
NOTE = 12.0  # italic notes under a table
FOOT = 11.0
LINE = 6.0  # mm: a little over single spacing at 13 pt
TABLE_LINE = 5.2
MARGIN_LEFT, MARGIN_TOP, MARGIN_RIGHT, MARGIN_BOTTOM = 30, 20, 15, 20  # mm
HEAD_FILL = (232, 236, 242)
GROUP_FILL = (246, 247, 249)


def _num(value: Decimal | None) -> str:
    return vn_number(value) if value is not None else ""


def _pct(value: Fraction | None) -> str:
    return vn_percent(value) if value is not None else ""


class _Document(FPDF):
    """An A4 document of one or more forms; `start()` opens each, `finish()` gives the bytes."""

    def __init__(self, title: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.set_margins(MARGIN_LEFT, MARGIN_TOP, MARGIN_RIGHT)
        self.set_auto_page_break(True, margin=MARGIN_BOTTOM)
        for style, name in FONT_FILES.items():
            self.add_font(FAMILY, style, str(FONTS_DIR / name))
        self.set_font(FAMILY, "", BODY)
        self.set_title(title)
        self.set_author("Thước đo")
        self.set_creator("Thước đo")
        self.set_lang("vi-VN")
        self.alias_nb_pages()
        self.starts: list[int] = []  # the first page of each form
        self.seal: SignatureBox | None = None  # room for the signature, in the first form
        self.closed = False

    def start(self, bookmark: str = "") -> None:
        """A new form on a new page; `bookmark` names it in the PDF's outline."""
        self.add_page()
        self.starts.append(self.page)
        if bookmark:
            self.start_section(bookmark)

    def _form_pages(self, page: int) -> tuple[int, int]:
        """(first, last) page of the form that holds `page`."""
        first = max(s for s in self.starts if s <= page)
        later = [s for s in self.starts if s > page]
        return first, (later[0] - 1 if later else self.pages_count)

    def footer(self) -> None:
        if self.closed or not self.starts:
            return
        self.set_y(-13)
        self.font("I", FOOT)
        first = self._form_pages(self.page)[0]
        # "{nb}" is replaced in finish() by the page count of this page's form
        self.cell(0, 5, f"Trang {self.page - first + 1}/{{nb}}", align=Align.C)

    def finish(self) -> bytes:
        """The PDF. fpdf2 would put the whole document's page count in every footer; each
        form gets its own, so the substitution is done here, page by page."""
        self.in_footer = True
        self.footer()  # the last page's footer, which output() would draw
        self.in_footer = False
        self.closed = True
        for number, page in self.pages.items():
            first, last = self._form_pages(number)
            contents = page.contents
            assert isinstance(contents, bytearray)  # pages stay raw until output()
            for item in page.get_text_substitutions():
                placeholder = item.get_placeholder_string().encode("latin-1")
                rendered = item.render_text_substitution(str(last - first + 1))
                contents = contents.replace(placeholder, rendered.encode("latin-1"))
            page.contents = contents
        return bytes(self.output())

    # --- building blocks -------------------------------------------------------------------

    def font(self, style: str = "", size: float = BODY) -> None:
        self.set_font(FAMILY, style, size)

    def line_text(
        self, text: str, *, style: str = "", size: float = BODY, align: str = "L"
    ) -> None:
        self.font(style, size)
        height = LINE if size >= BODY else TABLE_LINE
        self.multi_cell(0, height, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def gap(self, height: float = 2.5) -> None:
        self.ln(height)

    def need(self, height: float) -> None:
        """Start a new page unless `height` mm fit on this one."""
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()

    def heading(self, heading: Heading) -> None:
        """Decree 30/2020's heading: the issuing body (the parent body in regular, the
        issuing unit in bold, both in capitals) with a short rule under it and the số/ký
        hiệu line, beside the national name, the motto with a rule of its length and the
        place-and-date line in italics; then the document's name and summary, centred."""
        left_w = 70.0
        right_w = self.epw - left_w
        top = self.get_y()
        x = self.l_margin
        self.set_xy(x, top)
        if heading.agency:
            self.font("", HEAD)
            self.multi_cell(left_w, 5.4, heading.agency, align=Align.C, new_x=XPos.LEFT)
        self.font("B", HEAD)
        self.multi_cell(left_w, 5.4, heading.unit, align=Align.C, new_x=XPos.LEFT)
        # a rule a third of the name's width (at least 20 mm), centred under it
        half = max(10.0, min(self.get_string_width(heading.unit), left_w) / 6)
        rule_y = self.get_y() + 0.8
        self.line(x + left_w / 2 - half, rule_y, x + left_w / 2 + half, rule_y)
        left_bottom = rule_y
        if heading.number:
            self.set_xy(x, rule_y + 2.5)
            # One line, as the decree writes it: a long ký hiệu is set smaller, not wrapped.
            size = BODY
            self.font("", size)
            while size > 9 and self.get_string_width(heading.number) > left_w - 2:
                size -= 0.5
                self.font("", size)
            self.multi_cell(left_w, LINE, heading.number, align=Align.C, new_x=XPos.LEFT)
            left_bottom = self.get_y()
        right = x + left_w
        self.set_xy(right, top)
        self.font("B", HEAD)
        self.multi_cell(right_w, 5.4, NATIONAL_NAME, align=Align.C, new_x=XPos.LEFT)
        self.font("B", MOTTO)
        self.multi_cell(right_w, 5.8, NATIONAL_MOTTO, align=Align.C, new_x=XPos.LEFT)
        width = self.get_string_width(NATIONAL_MOTTO)
        centre = right + right_w / 2
        rule_y = self.get_y() + 0.8
        self.line(centre - width / 2, rule_y, centre + width / 2, rule_y)
        right_bottom = rule_y
        if heading.place_date:
            self.set_xy(right, rule_y + 2.5)
            self.font("I", BODY)
            self.multi_cell(right_w, LINE, heading.place_date, align=Align.C, new_x=XPos.LEFT)
            right_bottom = self.get_y()
        self.set_xy(self.l_margin, max(left_bottom, right_bottom) + 7)
        self.line_text(heading.title, style="B", size=TITLE, align="C")
        self.line_text(heading.subtitle, style="B", size=BODY, align="C")
        self.gap(4)

    def info(self, lines: Sequence[InfoLine], label_w: float = 42) -> None:
        """Label and value side by side; the label column widens to the longest label
        (up to half the line) and a longer label wraps in it, so a label never runs into
        its value."""
        self.font("", BODY)
        widest = max((self.get_string_width(f"{line.label}: ") for line in lines), default=0)
        label_w = min(max(label_w, widest + 2), self.epw / 2)
        for line in lines:
            self.need(LINE)
            top = self.get_y()
            self.font("", BODY)
            self.multi_cell(label_w, LINE, f"{line.label}:", align=Align.L, new_x=XPos.RIGHT)
            label_bottom = self.get_y() if self.get_y() > top else top + LINE
            self.set_xy(self.l_margin + label_w, top)
            self.font("B", BODY)
            self.multi_cell(
                0, LINE, line.value or "—", align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT
            )
            self.set_xy(self.l_margin, max(self.get_y(), label_bottom))

    def section(self, title: str, room: float = 20) -> None:
        """A section title, on the next page unless `room` mm fit after it."""
        self.need(room)
        self.gap(2)
        self.line_text(title, style="B", size=BODY)
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
            self.need(12 + 8 * len(rows))
        self.font("", TABLE)
        with self.table(
            col_widths=tuple(widths),
            width=sum(widths),
            align=Align.L,
            text_align=tuple(aligns),
            line_height=TABLE_LINE,
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
        """Side by side: the date line, the signer's title in capitals and bold, the hint,
        room for the signature, the name in bold (Decree 30/2020, item 7 of Appendix I)."""
        self.need(50)
        self.gap(5)
        width = self.epw / len(blocks)
        top = self.get_y()
        # three 55 mm columns: a thinner cell margin keeps "THỦ TRƯỞNG TRỰC TIẾP" on one line
        margin, self.c_margin = self.c_margin, 0.4
        for i, block in enumerate(blocks):
            x = self.l_margin + i * width
            self.set_xy(x, top)
            self.font("I", NOTE)
            self.multi_cell(width, 5.2, block.place_date, align=Align.C, new_x=XPos.LEFT)
            self.font("B", NOTE)
            self.multi_cell(width, 5.4, block.title, align=Align.C, new_x=XPos.LEFT)
            self.font("I", NOTE)
            self.multi_cell(width, 5.2, block.hint, align=Align.C, new_x=XPos.LEFT)
            if i == len(blocks) - 1 and self.seal is None:
                self._keep_seal(x + 1.5, self.get_y() + 1, x + width - 1.5, top + 39)
            self.set_xy(x, top + 40)
            self.font("B", NOTE)
            self.multi_cell(width, 5.4, block.name, align=Align.C, new_x=XPos.LEFT)
        self.c_margin = margin
        self.set_xy(self.l_margin, top + 50)

    def _keep_seal(self, left: float, top: float, right: float, bottom: float) -> None:
        """The space for the signature (mm from the top left) as a PDF rectangle."""
        if bottom - top < 12:
            return  # a long title left no room: the signature stays invisible
        k = self.k
        self.seal = SignatureBox(
            page=self.page - 1,
            x1=left * k,
            y1=(self.h - bottom) * k,
            x2=right * k,
            y2=(self.h - top) * k,
        )


# --- the individual form ----------------------------------------------------------------------


def individual_pdf(form: IndividualForm) -> bytes:
    pdf = _Document(f"Phiếu đánh giá — {form.person_name} — {form.period_label}")
    _draw_individual(pdf, form)
    return signed(pdf.finish(), box=pdf.seal)


def _draw_individual(pdf: _Document, form: IndividualForm) -> None:
    pdf.start(form.person_name)
    pdf.heading(form.heading)
    pdf.info(form.info)
    if form.status:
        pdf.gap(1.5)
        pdf.line_text(form.status, style="I", size=NOTE)

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
        (11, 68, 19, 21, 25, 21),
        ("C", "L", "C", "R", "R", "R"),
    )
    reasons = [r for r in form.general if r.reason]
    for r in reasons:
        pdf.line_text(f"Lý do điều chỉnh “{r.label}”: {r.reason}", style="I", size=NOTE)

    pdf.section(form.tasks_title, room=30 + 11 * len(form.tasks))
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
        (55, 25, 85),
        ("L", "R", "L"),
        keep=True,
    )
    for t in form.tasks:
        if t.note and t.detail:
            pdf.line_text(f"{t.label}: {t.note}", style="I", size=NOTE)
    if form.not_scored:
        pdf.line_text(form.not_scored, style="I", size=NOTE)

    pdf.section("III. TỔNG ĐIỂM VÀ XẾP LOẠI")
    top = vn_number(form.total_max, trim=True) if form.total_max is not None else ""
    pdf.info(
        [
            InfoLine("Tổng điểm", (_num(form.total_points) or "—") + (f" / {top}" if top else "")),
            InfoLine("Xếp loại theo điểm", form.rating_by_points or "—"),
            InfoLine("Xếp loại", form.rating or "—"),
        ],
    )
    for change in form.rating_changes:
        pdf.line_text(f"– {change}", size=NOTE)
    if form.overrides:
        pdf.gap(1)
        pdf.grid(
            ("Căn cứ", "Nội dung", "Văn bản", "Lý do"),
            [((o.kind, o.what, o.document_ref, o.reason), "item") for o in form.overrides],
            (26, 49, 48, 42),
            ("L", "L", "L", "L"),
        )

    pdf.section("IV. NHẬN XÉT, Ý KIẾN")
    for line in form.comments:
        pdf.need(2 * LINE)
        pdf.line_text(f"{line.label}:", style="B", size=BODY)
        pdf.line_text(line.value or "—", size=BODY)
        pdf.gap(1)
    pdf.line_text(f"Lấy ý kiến tập thể: {form.minutes}", size=BODY)
    pdf.gap(1)
    pdf.line_text(form.framework, style="I", size=NOTE)

    pdf.signatures(form.signatures)


# --- the unit's summary -----------------------------------------------------------------------


def unit_pdf(summary: UnitSummary) -> bytes:
    pdf = _Document(f"Bảng tổng hợp — {summary.unit_name} — {summary.period_label}")
    _draw_unit(pdf, summary)
    return signed(pdf.finish(), box=pdf.seal)


def unit_bundle_pdf(
    summary: UnitSummary,
    forms: Sequence[IndividualForm],
    progress: Callable[[int], None] | None = None,
) -> bytes:
    """Everything to print for a unit and period in one file: the summary, then every
    member's form in the summary's order, each from a new page with its own page numbers.
    `progress(n)` is told after each form drawn (about 0.2 s a form)."""
    pdf = _Document(f"Phiếu đánh giá của đơn vị — {summary.unit_name} — {summary.period_label}")
    _draw_unit(pdf, summary)
    for done, form in enumerate(forms, start=1):
        _draw_individual(pdf, form)
        if progress is not None:
            progress(done)
    return signed(pdf.finish(), box=pdf.seal)


def _draw_unit(pdf: _Document, summary: UnitSummary) -> None:
    pdf.start("Bảng tổng hợp")
    pdf.heading(summary.heading)
    pdf.info(summary.info)

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
        (10, 50, 22, 18, 20, 17, 28),
        ("C", "L", "L", "R", "R", "R", "L"),
    )

    pdf.section("II. TỔNG HỢP XẾP LOẠI VÀ TỶ LỆ", room=70)
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
            pdf.line_text(f"Căn cứ tỷ lệ ngoại lệ: {summary.quota.basis}", style="I", size=NOTE)
    else:
        pdf.line_text("Chưa lập nhóm áp tỷ lệ cho đơn vị trong kỳ này.", style="I", size=NOTE)

    pdf.section("III. KẾT QUẢ CỦA ĐƠN VỊ")
    part = summary.unit
    if part is None:
        pdf.line_text("Chưa có đánh giá của đơn vị trong kỳ này.", style="I", size=NOTE)
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
                (25, 42, 25, 18, 20, 35),
                ("L", "L", "L", "R", "R", "L"),
            )
        pdf.info(
            [
                InfoLine("Trạng thái", part.state),
                *([InfoLine("Điểm của đơn vị", _num(part.points))] if part.points else []),
                InfoLine("Xếp loại của đơn vị", part.rating or "—"),
                *([InfoLine("Căn cứ", part.basis)] if part.basis else []),
            ],
        )

    pdf.signatures(summary.signatures)
