"""Reading .xlsx and .xlsm workbooks to the exact values: shared texts, macros left alone, chart sheets left out,
formulas with the values stored with them (read twice only when there are formulas), percentages as shown."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.worksheet.formula import ArrayFormula

from keyprojects.imports import formats, reading, xlsx
from keyprojects.imports.sheets import Formula, RawSheet
from keyprojects.imports.tests.reads import HEADER, ROWS, TITLE, read
from keyprojects.imports.tests.workbooks import as_saved_by_excel, with_cached_values, xlsm_bytes, xlsx_bytes


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


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

    assert formats.check_upload(SimpleUploadedFile("台账.xlsm", content)) == "xlsx"
    [sheet] = read("台账.xlsm", content)
    assert sheet.rows[2] == (
        3,
        ["JL-2025-001", "巨鹿县污水处理厂提标改造工程", 12000.5, datetime(2025, 3, 1), True],
    )


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
    load_workbook = xlsx.load_workbook

    def counting(*args, **kwargs):
        opened.append(kwargs["data_only"])
        return load_workbook(*args, **kwargs)

    monkeypatch.setattr(xlsx, "load_workbook", counting)
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
