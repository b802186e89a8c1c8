"""What an upload is, by its first bytes and its name; and what is not a spreadsheet we read, refused with a
message saying what to do."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from keyprojects.imports import formats
from keyprojects.imports.sheets import ImportRefused
from keyprojects.imports.tests.reads import ROWS, zip_of
from keyprojects.imports.tests.workbooks import (
    ole_bytes,
    password_protected_xls,
    password_protected_xlsx,
    xlsx_bytes,
)


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


ODS = zip_of({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<office/>"})
NUMBERS = zip_of({"Index/Document.iwa": b"\x00" * 40, "Metadata/Properties.plist": b"<plist/>"})
XLSB = zip_of({"[Content_Types].xml": b"<Types/>", "xl/workbook.bin": b"\x83\x01\x00"})
DOCX = zip_of({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
HTML = (
    '<html><head><meta charset="utf-8"></head><body><table><tr><td>项目编号</td></tr></table></body></html>'
)
XML_2003 = '<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n<Workbook/>'


@pytest.mark.parametrize(
    "name, content, expected",
    [
        pytest.param("台账.xlsx", password_protected_xlsx(), "protected by a password", id="encrypted xlsx"),
        pytest.param(
            "台账.xls", password_protected_xls([["项目编号"]]), "protected by a password", id="encrypted xls"
        ),
        pytest.param("台账.xlsb", XLSB, "Excel binary workbook (.xlsb)", id="xlsb"),
        pytest.param("台账.ods", ODS, "OpenDocument spreadsheet (.ods)", id="ods"),
        pytest.param("台账.xlsx", ODS, "OpenDocument spreadsheet (.ods)", id="ods named xlsx"),
        pytest.param("台账.numbers", NUMBERS, "Apple Numbers", id="numbers"),
        pytest.param("台账.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF document", id="pdf"),
        pytest.param("台账.xls", HTML.encode(), "web page or an XML file", id="web page named xls"),
        pytest.param(
            "台账.xls", b"\xef\xbb\xbf" + XML_2003.encode(), "web page or an XML file", id="xml 2003"
        ),
        pytest.param("台账.docx", DOCX, "台账.docx is not an Excel workbook (.xlsx)", id="docx"),
        pytest.param("台账.xlsx", xlsx_bytes(ROWS)[:2000], "damaged", id="truncated xlsx"),
        pytest.param(
            "照片.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "照片.png is not a spreadsheet that", id="png"
        ),
        pytest.param("台账.json", b'{"projects": []}', "台账.json is not a spreadsheet that", id="json"),
        pytest.param(
            "台账.doc", ole_bytes({"WordDocument": b"\xec\xa5"}), "台账.doc is not a spreadsheet", id="doc"
        ),
        pytest.param("台账.xlsx", b"", "The file is empty.", id="empty"),
    ],
)
def test_it_refuses_what_is_not_a_spreadsheet_it_reads_saying_what_to_do(name, content, expected):
    with pytest.raises(ImportRefused) as refused:
        formats.check_upload(SimpleUploadedFile(name, content))

    assert expected in refused.value.message
    assert refused.value.field == "file"
