"""The bulletin's three formats, opened with the libraries that read them: Word, Excel, and WeasyPrint's layout."""

from __future__ import annotations

import io
import os
import shutil
import subprocess

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt
from fontTools.ttLib import TTCollection
from openpyxl import load_workbook

from keyprojects.bulletins.excel import bulletin_xlsx
from keyprojects.bulletins.pdf import bulletin_document, bulletin_pdf
from keyprojects.bulletins.word import SONG, bulletin_docx

# The demo's January–September on any day of the year: CI runs these again at a matrix of days.
pytestmark = pytest.mark.calendar


def test_the_word_document_is_a_government_notice_on_a4(city_bulletin):
    document = Document(io.BytesIO(bulletin_docx(city_bulletin)))

    section = document.sections[0]
    # Word stores twips: millimetres come back to within a hundredth.
    sizes = [section.page_width, section.page_height, section.top_margin, section.bottom_margin]
    sizes += [section.left_margin, section.right_margin]
    assert [round(size.mm, 1) for size in sizes] == [210, 297, 37, 35, 28, 26]
    title = next(p for p in document.paragraphs if p.text == city_bulletin.title)
    run = title.runs[0]
    assert run.font.size == Pt(22)
    assert run._element.rPr.rFonts.get(qn("w:eastAsia")) == SONG
    body = next(p for p in document.paragraphs if p.text == city_bulletin.section("overview").paragraphs[0])
    assert body.runs[0].font.size == Pt(16)
    footer = section.footer._element.xml
    assert "PAGE" in footer and "— " in footer and " —" in footer


def test_the_word_tables_repeat_their_header_and_hold_julu_s_figures(city_bulletin):
    document = Document(io.BytesIO(bulletin_docx(city_bulletin)))

    tables = document.tables
    assert len(tables) == len([t for t in city_bulletin.tables if t.rows])
    for table in tables:
        header = table.rows[0]._tr.trPr
        assert header is not None and header.find(qn("w:tblHeader")) is not None
    ranking = tables[0]
    assert [c.text for c in ranking.rows[0].cells][:3] == ["名次", "县（市、区）", "较上月"]
    julu = next(row for row in ranking.rows if row.cells[1].text == "巨鹿县")
    texts = [c.text for c in julu.cells]
    assert (texts[0], texts[4], texts[6]) == ("3", "77,000.00", "95.53")
    assert ranking.rows[-1].cells[0].text == "合计"


def test_the_workbook_has_a_sheet_per_table_with_frozen_filtered_headers_and_formats(city_bulletin):
    workbook = load_workbook(io.BytesIO(bulletin_xlsx(city_bulletin)))

    assert len(workbook.sheetnames) == len(city_bulletin.tables)
    ws = workbook.worksheets[0]
    assert ws["A1"].value == "各县（市、区）投资完成率排名"
    assert ws["A2"].value == city_bulletin.title
    header_row = next(r for r in range(1, 6) if ws.cell(r, 1).value == "名次")
    assert ws.freeze_panes == f"A{header_row + 1}"
    assert ws.auto_filter.ref.startswith(f"A{header_row}:")
    julu = next(r for r in ws.iter_rows(min_row=header_row + 1) if r[1].value == "巨鹿县")
    assert (julu[0].value, julu[4].value, julu[6].value) == (3, 77000, 95.53)
    assert julu[4].number_format == "#,##0.00"
    assert julu[0].number_format == "0"
    last = ws.max_row
    assert ws.cell(last, 1).value == "合计"
    assert ws.cell(last, 7).value is None, "a rate is not summed"


def test_the_county_workbook_holds_its_zones_departments_and_leaders(county_bulletin):
    workbook = load_workbook(io.BytesIO(bulletin_xlsx(county_bulletin)))
    assert workbook.sheetnames[:3] == [
        "各开发区投资完成率排名",
        "各责任单位投资完成率排名",
        "各包联领导投资完成率排名",
    ]


def _laid_out_text(document) -> str:
    def walk(box):
        if getattr(box, "text", None):
            yield box.text
        for child in getattr(box, "children", None) or []:
            yield from walk(child)

    return "".join(text for page in document.pages for text in walk(page._page_box))


def test_the_pdf_lays_out_the_title_julu_and_its_figures(city_bulletin):
    document = bulletin_document(city_bulletin)
    text = _laid_out_text(document)

    assert len(document.pages) >= 1
    for expected in (city_bulletin.title, "巨鹿县", "77,000.00", "95.53", "二、排名", "— 1 —"):
        assert expected in text, expected
    assert bulletin_pdf(city_bulletin).startswith(b"%PDF")


@pytest.mark.parametrize("family", ["Noto Serif CJK SC", "Noto Sans CJK SC"])
def test_every_character_of_the_bulletin_has_a_glyph_in_the_noto_cjk_faces(
    city_bulletin, county_bulletin, family
):
    path = subprocess.run(  # noqa: S603
        ["/usr/bin/fc-match", "-f", "%{file}", family], capture_output=True, text=True, check=True
    ).stdout
    fonts = TTCollection(path).fonts
    cmap = set().union(*(font.getBestCmap().keys() for font in fonts[:1]))
    characters = {ch for b in (city_bulletin, county_bulletin) for text in b.texts() for ch in text}
    characters |= set("—0123456789.,%↑↓")

    missing = sorted(ch for ch in characters if not ch.isspace() and ord(ch) not in cmap)
    assert not missing, f"no glyph in {family} for {missing}"


def test_the_pdf_s_text_extracts_and_its_first_page_renders(city_bulletin, artifacts_dir, tmp_path):
    """What a reader's PDF tool finds in the file (pdftotext), and page 1 as a picture kept for review."""
    data = bulletin_pdf(city_bulletin)
    text = subprocess.run(
        ["/usr/bin/pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    for expected in ("巨鹿县", "宁晋县", "77,000.00", "95.53", "五、下步要求"):
        assert expected in text, expected
    prefix = tmp_path / "bulletin-xingtai-page1"
    subprocess.run(  # noqa: S603
        ["/usr/bin/pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", "-", str(prefix)],
        input=data,
        check=True,
    )
    picture = prefix.with_suffix(".png")
    assert picture.read_bytes().startswith(b"\x89PNG") and picture.stat().st_size > 10_000
    # Kept for review; CI runs two days of the calendar matrix at once, so the copy lands whole or not at all.
    kept = artifacts_dir / f".{picture.name}.{os.getpid()}"
    shutil.copyfile(picture, kept)
    os.replace(kept, artifacts_dir / picture.name)
