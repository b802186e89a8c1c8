"""Reading uploads into rows of values: .xlsx, .xlsm, .xls and CSV (GBK, UTF-8 with or without its mark,
comma, semicolon or tab) to the exact values; formulas with the values stored with them; every worksheet in
order; the row limit; and what is not a spreadsheet we read, refused with a message saying what to do."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.worksheet.formula import ArrayFormula

from keyprojects.imports import reading
from keyprojects.imports.reading import Formula, ImportRefused, RawSheet
from keyprojects.imports.tests.workbooks import (
    as_saved_by_excel,
    csv_bytes,
    ole_bytes,
    password_protected_xls,
    password_protected_xlsx,
    with_cached_values,
    xls_bytes,
    xlsm_bytes,
    xlsx_bytes,
)

TITLE = ["巨鹿县2025年重点项目台账"]
HEADER = ["项目编号", "项目名称", "总投资（万元）", "计划开工日期", "是否纳统"]
ROWS = [
    TITLE,
    HEADER,
    ["JL-2025-001", "巨鹿县污水处理厂提标改造工程", 12000.5, date(2025, 3, 1), True],
    [],  # a blank row between projects: left out, and the next keeps its number
    ["JL-2025-002", "经济开发区标准化厂房（二期）", 3000, date(2025, 4, 15), False],
]


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


def read(name: str, content: bytes, max_rows: int = 100) -> list[RawSheet]:
    """The upload checked and read, as the import does."""
    upload = SimpleUploadedFile(name, content)
    file_format = reading.check_upload(upload)
    return reading.read_workbook(upload, file_format=file_format, max_rows=max_rows)


def refusal(name: str, content: bytes, max_rows: int = 100) -> str:
    with pytest.raises(ImportRefused) as refused:
        read(name, content, max_rows)
    assert refused.value.field == "file"
    return refused.value.message


# ---- each format, to the exact values -----------------------------------------------------------------


def test_it_reads_an_xlsx_workbook_to_the_exact_values():
    [sheet] = read("台账.xlsx", xlsx_bytes(ROWS, merges=["A1:E1"], title="项目台账"))

    assert sheet == RawSheet(
        "项目台账",
        [
            (1, TITLE),
            (2, HEADER),
            (3, ["JL-2025-001", "巨鹿县污水处理厂提标改造工程", 12000.5, datetime(2025, 3, 1), True]),
            (5, ["JL-2025-002", "经济开发区标准化厂房（二期）", 3000, datetime(2025, 4, 15), False]),
        ],
    )


def test_it_reads_an_xlsx_saved_by_excel_with_shared_texts_alike():
    assert read("台账.xlsx", as_saved_by_excel(xlsx_bytes(ROWS))) == read("台账.xlsx", xlsx_bytes(ROWS))


def test_it_reads_a_macro_workbook_as_xlsx_and_leaves_its_macros_alone():
    content = xlsm_bytes(ROWS)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:  # what Excel saves as .xlsm
        assert b"sheet.macroEnabled.main+xml" in archive.read("[Content_Types].xml")
        assert "xl/vbaProject.bin" in archive.namelist()

    assert reading.check_upload(SimpleUploadedFile("台账.xlsm", content)) == "xlsx"
    [sheet] = read("台账.xlsm", content)
    assert sheet.rows[2] == (
        3,
        ["JL-2025-001", "巨鹿县污水处理厂提标改造工程", 12000.5, datetime(2025, 3, 1), True],
    )


@pytest.mark.parametrize("name", ["台账.xls", "台账.et"])
def test_it_reads_an_old_format_workbook_numbers_as_floats_and_dates_as_datetimes(name):
    assert reading.check_upload(SimpleUploadedFile(name, xls_bytes(ROWS))) == "xls"

    [sheet] = read(name, xls_bytes(ROWS, title="项目台账"))

    assert sheet == RawSheet(
        "项目台账",
        [
            (1, TITLE),
            (2, HEADER),
            (3, ["JL-2025-001", "巨鹿县污水处理厂提标改造工程", 12000.5, datetime(2025, 3, 1), True]),
            (5, ["JL-2025-002", "经济开发区标准化厂房（二期）", 3000.0, datetime(2025, 4, 15), False]),
        ],
    )
    assert isinstance(sheet.rows[3][1][2], float)


@pytest.mark.parametrize(
    "encoding, delimiter",
    [
        pytest.param("gbk", ",", id="GBK, as Excel saves CSV on Chinese Windows"),
        pytest.param("utf-8-sig", ",", id="UTF-8 with its byte order mark: Excel's CSV UTF-8"),
        pytest.param("utf-8", ",", id="UTF-8 without it"),
        pytest.param("gb18030", ";", id="semicolons"),
        pytest.param("utf-16", "\t", id="UTF-16 with tabs: Excel's Unicode text"),
    ],
)
def test_it_reads_a_csv_file_in_its_encoding_and_with_its_delimiter(encoding, delimiter):
    rows = [*ROWS, ["JL-2025-003", "堤村乡“美丽乡村”建设, 含道路; 及绿化", "1,250.75", "2025/5/1", "是"]]

    [sheet] = read("巨鹿县台账.csv", csv_bytes(rows, encoding=encoding, delimiter=delimiter))

    assert sheet == RawSheet(
        "巨鹿县台账",
        [
            (1, TITLE),
            (2, HEADER),
            (3, ["JL-2025-001", "巨鹿县污水处理厂提标改造工程", "12000.5", "2025-03-01", "True"]),
            (5, ["JL-2025-002", "经济开发区标准化厂房（二期）", "3000", "2025-04-15", "False"]),
            (6, ["JL-2025-003", "堤村乡“美丽乡村”建设, 含道路; 及绿化", "1,250.75", "2025/5/1", "是"]),
        ],
    )


def test_it_tells_semicolons_from_decimal_commas():
    rows = [["项目编号", "总投资", "完成投资"], ["JL-1", "1,5", "0,75"], ["JL-2", "12", "3,25"]]

    [sheet] = read("台账.txt", csv_bytes(rows, encoding="utf-8", delimiter=";"))

    assert [values for _number, values in sheet.rows] == rows


def test_it_reads_a_tab_separated_export_named_xls_as_text():
    rows = [["项目编号", "项目名称"], ["JL-1", "巨鹿县医院"]]
    content = csv_bytes(rows, encoding="gbk", delimiter="\t")

    assert reading.check_upload(SimpleUploadedFile("导出.xls", content)) == "csv"
    assert read("导出.xls", content)[0].rows == [(1, rows[0]), (2, rows[1])]


@pytest.mark.parametrize(
    "name, build",
    [
        ("台账.xlsx", lambda rows: xlsx_bytes(rows)),
        ("台账.xls", lambda rows: xls_bytes(rows)),
        ("台账.csv", lambda rows: csv_bytes(rows)),
    ],
)
def test_it_reads_a_text_starting_with_equals_as_a_formula_in_every_format(name, build):
    rows = [["项目编号", "备注"], ["JL-1", ' \t=HYPERLINK("http://evil.example","点击")']]

    [sheet] = read(name, build(rows))

    assert sheet.rows[1] == (2, ["JL-1", Formula(' \t=HYPERLINK("http://evil.example","点击")')])


def test_it_keeps_at_most_100_columns_and_drops_trailing_empty_cells():
    [sheet] = read(
        "台账.xlsx", xlsx_bytes([[f"列{n}" for n in range(130)], ["JL-1", None, "巨鹿", None, None]])
    )

    assert len(sheet.rows[0][1]) == 100
    assert sheet.rows[1] == (2, ["JL-1", None, "巨鹿"])


# ---- worksheets ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, build", [("台账.xlsx", xlsx_bytes), ("台账.xls", xls_bytes)])
def test_it_returns_every_worksheet_in_the_workbooks_order(name, build):
    sheets = read(
        name, build([HEADER], title="2025年", sheets={"2024年": [["JL-2024-001"]], "说明": [["填表说明"]]})
    )

    assert [(s.name, s.rows) for s in sheets] == [
        ("2025年", [(1, HEADER)]),
        ("2024年", [(1, ["JL-2024-001"])]),
        ("说明", [(1, ["填表说明"])]),
    ]


def test_it_leaves_out_chart_sheets_and_returns_empty_worksheets_empty():
    workbook = Workbook()
    workbook.active.title = "项目台账"
    workbook.active.append(["项目", "总投资"])
    workbook.active.append(["JL-1", 100])
    chart = BarChart()
    chart.add_data(Reference(workbook.active, min_col=2, min_row=1, max_row=2), titles_from_data=True)
    workbook.create_chartsheet("投资图").add_chart(chart)
    workbook.create_sheet("空表")
    content = io.BytesIO()
    workbook.save(content)

    sheets = read("台账.xlsx", content.getvalue())

    assert [(s.name, len(s.rows)) for s in sheets] == [("项目台账", 2), ("空表", 0)]


@pytest.mark.parametrize(
    "name, build",
    [
        ("台账.xlsx", lambda rows: xlsx_bytes([["说明"]], sheets={"明细表": rows})),
        ("台账.xls", lambda rows: xls_bytes([["说明"]], sheets={"明细表": rows})),
        ("明细表.csv", lambda rows: csv_bytes(rows)),
    ],
)
def test_it_refuses_a_worksheet_beyond_the_row_limit_naming_it(name, build):
    # Blank rows do not count: 10 projects among blank rows pass a limit of 10.
    spaced = [row for n in range(10) for row in ([f"JL-{n}"], [], [None, "  "])]
    assert read(name, build(spaced), max_rows=10)

    message = refusal(name, build([[f"JL-{n}"] for n in range(11)]), max_rows=10)

    assert "明细表" in message and "10" in message


# ---- formulas -----------------------------------------------------------------------------------------

FORMULAS = [
    ["项目编号", "总投资", "年度计划", "完成投资", "完成率"],
    ["JL-1", 1000, 400, 100, "=D2/C2"],
    ["JL-2", 2000, 600, 300, "=D3/C3"],
    ["合计", "=SUM(B2:B3)", "=SUM(C2:C3)", "=SUM(D2:D3)", None],
    [None, None, None, None, '=IF(A2="","",A2)'],  # a row of formulas only, stored nothing
]


def test_it_reads_a_formula_as_its_text_with_the_value_excel_stored():
    content = with_cached_values(
        xlsx_bytes(FORMULAS, title="汇总"),
        {("汇总", "E2"): 0.25, ("汇总", "E3"): 0.5, ("汇总", "B4"): 3000, ("汇总", "C4"): 1000},
    )

    [sheet] = read("台账.xlsx", content)

    assert sheet.rows[1:] == [
        (2, ["JL-1", 1000, 400, 100, Formula("=D2/C2", 0.25)]),
        (3, ["JL-2", 2000, 600, 300, Formula("=D3/C3", 0.5)]),
        (4, ["合计", Formula("=SUM(B2:B3)", 3000), Formula("=SUM(C2:C3)", 1000), Formula("=SUM(D2:D3)")]),
        (5, [None, None, None, None, Formula('=IF(A2="","",A2)')]),
    ]


def test_it_reads_stored_texts_and_truths_and_array_formulas():
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.append(["JL-1", 2, 3, '=A1&"号"', "=B1>C1"])
    worksheet["F1"] = ArrayFormula("F1", "=SUM(B1:C1*2)")
    content = io.BytesIO()
    workbook.save(content)
    content = with_cached_values(content.getvalue(), {("Sheet", "D1"): "JL-1号", ("Sheet", "E1"): False})

    [sheet] = read("台账.xlsx", content)

    assert sheet.rows == [
        (1, ["JL-1", 2, 3, Formula('=A1&"号"', "JL-1号"), Formula("=B1>C1", False), Formula("=SUM(B1:C1*2)")])
    ]


@pytest.fixture
def passes(monkeypatch) -> list[bool]:
    """How openpyxl was asked to open each workbook: data_only, for each pass."""
    opened: list[bool] = []
    load_workbook = reading.load_workbook

    def counting(*args, **kwargs):
        opened.append(kwargs["data_only"])
        return load_workbook(*args, **kwargs)

    monkeypatch.setattr(reading, "load_workbook", counting)
    return opened


def test_it_reads_a_workbook_without_formulas_once(passes):
    read("台账.xlsx", xlsx_bytes(ROWS, sheets={"说明": [["总投资=各项之和"]]}))

    assert passes == [True]


def test_it_reads_a_workbook_with_formulas_twice_for_their_texts(passes):
    read("台账.xlsx", xlsx_bytes(ROWS, sheets={"汇总": FORMULAS}))

    assert passes == [True, False]


def test_it_does_not_take_a_charts_cell_references_for_formulas(passes):
    workbook = Workbook()
    workbook.active.append(["JL-1", 100])
    chart = BarChart()
    chart.add_data(Reference(workbook.active, min_col=2, min_row=1, max_row=1))
    workbook.active.add_chart(chart, "D2")
    content = io.BytesIO()
    workbook.save(content)
    assert any(n.startswith("xl/charts/") for n in zipfile.ZipFile(content).namelist())

    read("台账.xlsx", content.getvalue())

    assert passes == [True]


# ---- what is not a spreadsheet we read ----------------------------------------------------------------


def zip_of(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


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
        reading.check_upload(SimpleUploadedFile(name, content))

    assert expected in refused.value.message
    assert refused.value.field == "file"


@pytest.mark.parametrize(
    "name, content, expected",
    [
        pytest.param(
            "台账.xls",
            ole_bytes({"Workbook": b"\x09\x08\x10\x00" + b"\x00" * 16 + b"\xff" * 100}),
            "could not be read as an old-format Excel workbook (.xls)",
            id="xls",
        ),
        pytest.param(
            "台账.xlsx",
            zip_of({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}),
            "could not be read as an Excel workbook",
            id="xlsx",
        ),
    ],
)
def test_it_refuses_a_workbook_it_cannot_read_saying_to_save_it_again(name, content, expected):
    assert expected in refusal(name, content)


def test_it_refuses_a_csv_file_it_cannot_parse_naming_the_line(settings):
    content = csv_bytes([["项目编号", "备注"], ["JL-1", "长" * 200_000]], encoding="utf-8")

    assert "line 2" in refusal("台账.csv", content)


# ---- speed --------------------------------------------------------------------------------------------


def test_it_reads_20000_rows_of_20_columns_in_seconds():
    rows = [
        [f"JL-{n:05d}", f"巨鹿县第{n}号重点项目", 1000.5 + n, date(2025, 1 + n % 12, 1 + n % 28)]
        + [f"文本{n % 97}-{c}" for c in range(12)]
        + [n, n * 0.5, n % 2 == 0, None]
        for n in range(20_000)
    ]
    content = as_saved_by_excel(xlsx_bytes([[f"列{c}" for c in range(20)], *rows]))

    started = time.perf_counter()
    [sheet] = read("台账.xlsx", content, max_rows=20_010)
    elapsed = time.perf_counter() - started

    print(f"\n20,000 rows × 20 columns read in {elapsed:.2f} s: {20_000 / elapsed:,.0f} rows/s")
    assert len(sheet.rows) == 20_001
    assert sheet.rows[-1][1][:4] == ["JL-19999", "巨鹿县第19999号重点项目", 20999.5, datetime(2025, 8, 8)]
    assert elapsed < 15


def test_it_reads_a_number_shown_as_a_percentage_as_the_percentage_it_shows():
    """85% is stored as 0.85: read as the number alone it would be 0.85%. A % written in quotes is only text
    around the number (0.5 shown as “0.5%”) and stays the number."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["形象进度", "总投资", "其他"])
    sheet.append([0.85, 1200, 0.5])
    sheet["A2"].number_format = "0%"
    sheet["C2"].number_format = '0.0"%"'
    buffer = io.BytesIO()
    workbook.save(buffer)
    (read,) = reading.read_workbook(io.BytesIO(buffer.getvalue()), file_format="xlsx", max_rows=10)
    assert read.rows[1] == (2, ["85.00%", 1200, 0.5])
