"""The bulletin as a Word document laid out as a Chinese government notice (GB/T 9704-2012).

A4; margins 37 mm top, 35 mm bottom, 28 mm left, 26 mm right; the issuing office in red over the number, the
title in a Song face at 22 pt (二号), the body at 16 pt (三号), level-one headings in a Hei face; tables with
their header row repeated on every page; the page number as "— 1 —" at the foot of each page. The Chinese faces
are named as East Asian fonts (w:eastAsia): Word picks a CJK text's face from that attribute, not from the
Latin name.
"""

from __future__ import annotations

import io

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from keyprojects.bulletins.cells import text_rows, totals
from keyprojects.bulletins.charts import bulletin_charts
from keyprojects.bulletins.content import TEXT, Bulletin, BulletinTable
from keyprojects.core import clock

SONG = "Noto Serif CJK SC"  # the installed Song-style (明朝) face: fonts-noto-cjk
HEI = "Noto Sans CJK SC"  # the installed Hei-style (黑体) face
TITLE_SIZE = Pt(22)  # 二号
BODY_SIZE = Pt(16)  # 三号
TABLE_SIZE = Pt(10.5)  # 五号: a ranking of 18 units fits the width
RED = RGBColor(0xC0, 0x00, 0x00)
CHART_WIDTH = Mm(150)  # of the 156 mm between the margins


def set_font(run, face: str, size: Pt, bold: bool = False) -> None:
    run.font.name = face
    run.font.size = size
    run.font.bold = bold
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), face)


def _paragraph(
    document, text: str, *, face=SONG, size=BODY_SIZE, bold=False, align=None, indent=True, color=None
):
    paragraph = document.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(size.pt * 2)  # two characters
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.line_spacing = Pt(28) if size == BODY_SIZE else None
    run = paragraph.add_run(text)
    set_font(run, face, size, bold)
    if color is not None:
        run.font.color.rgb = color
    return paragraph


def _cell_text(cell, text: str, *, bold=False, align=WD_ALIGN_PARAGRAPH.CENTER) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.alignment = align
    set_font(paragraph.add_run(text), SONG, TABLE_SIZE, bold)


def _repeat_header(row) -> None:
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(header)


def _table(document, bulletin: Bulletin, table: BulletinTable) -> None:
    _paragraph(document, table.title, face=HEI, size=Pt(12), align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    if not table.rows:
        _paragraph(document, "—", size=TABLE_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
        return
    rows = text_rows(bulletin, table)
    total = totals(bulletin, table)
    grid = document.add_table(rows=1, cols=len(table.columns))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, column in zip(grid.rows[0].cells, table.columns, strict=True):
        _cell_text(cell, column.header, bold=True)
    _repeat_header(grid.rows[0])
    for values in [*rows, *([total] if total else [])]:
        cells = grid.add_row().cells
        for cell, value, column in zip(cells, values, table.columns, strict=True):
            _cell_text(
                cell,
                value,
                align=WD_ALIGN_PARAGRAPH.LEFT if column.kind == TEXT else WD_ALIGN_PARAGRAPH.RIGHT,
            )


def _chart(document, caption: str, png: bytes) -> None:
    """The picture centred, its caption under it as a table's title is over the table."""
    document.add_picture(io.BytesIO(png), width=CHART_WIDTH)
    document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    _paragraph(document, caption, face=HEI, size=Pt(12), align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)


def _page_number_footer(section) -> None:
    """ "— 1 —" centred: the dashes as text around a PAGE field."""
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER

    def run(text=None):
        r = paragraph.add_run(text)
        set_font(r, SONG, Pt(14))
        return r

    run("— ")
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        r = run()
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            r._r.append(char)
        else:
            instruction = OxmlElement("w:instrText")
            instruction.set(qn("xml:space"), "preserve")
            instruction.text = text
            r._r.append(instruction)
    run(" —")


def bulletin_docx(bulletin: Bulletin) -> bytes:
    document = Document()
    document.core_properties.title = bulletin.title
    document.core_properties.author = bulletin.office
    # Dated by the system's clock, as everything else (python-docx would stamp the machine's date).
    document.core_properties.created = document.core_properties.modified = clock.now()
    section = document.sections[0]
    section.start_type = WD_SECTION.NEW_PAGE
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    _page_number_footer(section)
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = SONG, BODY_SIZE
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), SONG)

    center = WD_ALIGN_PARAGRAPH.CENTER
    _paragraph(
        document, bulletin.office, face=SONG, size=Pt(26), bold=True, align=center, indent=False, color=RED
    )
    _paragraph(document, bulletin.number, align=center, indent=False)
    _paragraph(document, "", indent=False)
    _paragraph(document, bulletin.title, face=SONG, size=TITLE_SIZE, bold=True, align=center, indent=False)
    _paragraph(document, "", indent=False)
    _paragraph(document, bulletin.addressee, indent=False)
    _paragraph(document, bulletin.preamble)
    for part in bulletin.sections:
        _paragraph(document, part.heading, face=HEI, size=BODY_SIZE)
        texts = part.paragraphs
        if part.key == "requirements":
            texts = tuple(line for line in bulletin.requirements.splitlines() if line.strip())
        for text in texts:
            _paragraph(document, text)
        for table in part.tables:
            _table(document, bulletin, table)
        if part.key == "ranking":
            for caption, png in bulletin_charts(bulletin):
                _chart(document, caption, png)
    _paragraph(document, "", indent=False)
    right = WD_ALIGN_PARAGRAPH.RIGHT
    _paragraph(document, bulletin.office, align=right, indent=False)
    _paragraph(document, bulletin.issued, align=right, indent=False)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
