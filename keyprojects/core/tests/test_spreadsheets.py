"""The one writer behind every export: text that a spreadsheet would run as a formula is written as text;
a titled table comes out as an office forwards it (title, period, frozen header, numbers, totals)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.utils.translation import gettext
from openpyxl import load_workbook

from keyprojects.core import clock
from keyprojects.core.spreadsheets import (
    DATE,
    DATETIME,
    DECIMAL,
    INTEGER,
    MONEY,
    Column,
    Table,
    export_response,
    neutralised,
    table_csv,
    table_response,
    table_xlsx,
)

ROW = ['=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1", "plain", -2, -2.5, 0, None]


@pytest.mark.parametrize(
    "value, written",
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("a=b", "a=b"),
        ("巨鹿县-项目", "巨鹿县-项目"),
        ("", ""),
        (-2, -2),
        (-2.5, -2.5),
        (date(2026, 3, 1), date(2026, 3, 1)),
        (None, None),
    ],
)
def test_it_neutralises_only_text_that_starts_like_a_formula(value, written):
    assert neutralised(value) == written


def test_it_writes_every_text_cell_of_an_xlsx_as_a_string_and_numbers_as_numbers():
    response = table_response(fmt="xlsx", filename="t", title="t", headers=["=h", *"bcdefghijk"], rows=[ROW])

    sheet = load_workbook(io.BytesIO(response.content)).active
    header, cells = sheet[1], sheet[2]
    assert (header[0].value, header[0].data_type) == ("'=h", "s")
    assert [c.data_type for c in cells[:7]] == ["s"] * 7
    assert [c.value for c in cells[:7]] == [neutralised(v) for v in ROW[:7]]
    assert [(c.value, c.data_type) for c in cells[7:10]] == [(-2, "n"), (-2.5, "n"), (0, "n")]


def test_it_prefixes_text_that_starts_like_a_formula_in_csv_and_leaves_numbers_alone():
    response = table_response(fmt="csv", filename="t", title="t", headers=["=h", *"bcdefghijk"], rows=[ROW])

    header, row = csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline=""))
    assert header[0] == "'=h"
    assert row == ["'" + v for v in ROW[:6]] + ["plain", "-2", "-2.5", "0", ""]


# ---- a titled table, as every export an office forwards is written ------------------------------------

COLUMNS = [
    Column("项目编号"),
    Column("总投资（万元）", MONEY),
    Column("占地面积（亩）", DECIMAL),
    Column("开工日期", DATE),
    Column("逾期节点", INTEGER),
    Column("最后更新", DATETIME),
]
ROWS = [
    [
        "JL-001",
        Decimal("51000.00"),
        Decimal("120.5"),
        date(2026, 3, 1),
        2,
        datetime(2026, 6, 1, 2, 30, tzinfo=UTC),
    ],
    ["JL-002", Decimal("1234.56"), None, None, 0, None],
    ["JL-003", 0.1, Decimal("3"), date(2025, 12, 31), 1, None],
]


def titled_table(rows=ROWS) -> Table:
    return Table(
        title="巨鹿县重点项目",
        subtitle=["截至2026年6月15日", "筛选条件：无"],
        columns=COLUMNS,
        rows=iter(rows),  # a generator, as the exports give: read once
    )


def workbook_of(table: Table):
    return load_workbook(io.BytesIO(table_xlsx(table)))


def test_it_writes_amounts_in_csv_as_the_decimals_they_are_never_as_floats():
    text = table_csv(titled_table())

    header, *rows = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    assert header == [c.header for c in COLUMNS]
    assert [row[1] for row in rows] == ["51000.00", "1234.56", "0.10"]
    assert [row[2] for row in rows] == ["120.50", "", "3.00"]
    assert [row[3] for row in rows] == ["2026-03-01", "", "2025-12-31"]
    assert [row[4] for row in rows] == ["2", "0", "1"]
    assert rows[0][5] == "2026-06-01 10:30:00"  # in the county's time zone (Asia/Shanghai)


def test_it_starts_the_csv_with_a_bom_and_writes_utf_8_so_that_excel_reads_chinese():
    response = export_response(fmt="csv", filename="t", table=titled_table())

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf" + "项目编号".encode())
    assert 'filename="t.csv"' in response["Content-Disposition"]


def test_it_writes_the_title_and_the_subtitle_lines_above_a_bold_frozen_header():
    sheet = workbook_of(titled_table()).active

    assert [sheet.cell(row=r, column=1).value for r in (1, 2, 3)] == [
        "巨鹿县重点项目",
        "截至2026年6月15日",
        "筛选条件：无",
    ]
    assert sheet["A1"].font.b
    assert [c.value for c in sheet[4]] == [c.header for c in COLUMNS]
    assert all(c.font.b for c in sheet[4])
    assert sheet.freeze_panes == "A5"
    assert sheet.print_title_rows == "$4:$4"


def test_it_puts_the_auto_filter_over_the_header_and_the_rows_but_not_the_totals():
    sheet = workbook_of(titled_table()).active

    assert sheet.auto_filter.ref == "A4:F7"
    assert sheet.max_row == 8  # the totals row


def test_it_writes_numbers_and_dates_as_cells_of_their_kind_with_a_number_format():
    sheet = workbook_of(titled_table()).active
    first = {c.column_letter: c for c in sheet[5]}

    assert (first["B"].data_type, first["B"].value, first["B"].number_format) == ("n", 51000, "#,##0.00")
    assert (first["C"].value, first["C"].number_format) == (120.5, "#,##0.00")
    assert first["D"].is_date and first["D"].value.date() == date(2026, 3, 1)
    assert first["D"].number_format == "yyyy-mm-dd"
    assert (first["E"].data_type, first["E"].value) == ("n", 2)
    assert first["F"].is_date and first["F"].value == datetime(2026, 6, 1, 10, 30)
    assert sheet["B7"].value == 0.1  # a float amount to 2 places, not 0.1000000000000000055


def test_it_totals_the_money_columns_from_the_rows_written():
    sheet = workbook_of(titled_table()).active
    totals = {c.column_letter: c for c in sheet[8]}

    assert totals["A"].value == gettext("Total")  # 合计 in Chinese
    assert totals["B"].value == float(Decimal("51000.00") + Decimal("1234.56") + Decimal("0.10"))
    assert totals["B"].number_format == "#,##0.00" and totals["B"].font.b
    # Only money is summed by default: areas, dates and counts are not.
    assert [totals[k].value for k in "CDEF"] == [None, None, None, None]


def test_it_totals_a_column_asked_for_and_leaves_out_a_money_column_asked_not_to():
    table = Table(
        title="t",
        columns=[Column("月份", INTEGER), Column("当月", MONEY), Column("累计", MONEY, total=False)],
        rows=[[1, Decimal("1.00"), Decimal("1.00")], [2, Decimal("2.50"), Decimal("3.50")]],
    )

    sheet = workbook_of(table).active

    assert [c.value for c in sheet[sheet.max_row]] == [gettext("Total"), 3.5, None]


def test_it_writes_a_totals_row_of_zero_for_no_rows():
    sheet = workbook_of(titled_table(rows=[])).active

    assert sheet.auto_filter.ref == "A4:F4"
    assert [c.value for c in sheet[5]][:2] == [gettext("Total"), 0]


def test_it_sizes_the_columns_to_what_they_hold_chinese_counting_double():
    sheet = workbook_of(titled_table()).active

    assert sheet.column_dimensions["A"].width >= len("项目编号") * 2
    assert sheet.column_dimensions["B"].width >= len("51,000.00")
    assert sheet.column_dimensions["B"].width >= len("总投资（万元）") * 2


def test_it_dates_the_workbook_by_the_clock_never_by_the_machine():
    moment = datetime(2031, 3, 11, 2, 0, tzinfo=UTC)

    with clock.frozen_at(moment):
        properties = workbook_of(titled_table()).properties

    assert properties.created == properties.modified == datetime(2031, 3, 11, 2, 0)
    assert properties.title == "巨鹿县重点项目"


def test_it_names_the_sheet_without_the_characters_excel_refuses():
    table = Table(title="Key projects: a/b [x]*?", columns=[Column("a")], rows=[["x"]])

    sheet = workbook_of(table).active

    assert sheet.title == "Key projects- a-b -x---"
    assert sheet["A1"].value == "Key projects: a/b [x]*?"


def test_it_neutralises_title_subtitle_and_headers_like_every_text():
    table = Table(title="=1+1", subtitle=["+2"], columns=[Column("=A1")], rows=[["@x"]])

    sheet = workbook_of(table).active

    assert [sheet.cell(row=r, column=1).value for r in (1, 2, 3, 4)] == ["'=1+1", "'+2", "'=A1", "'@x"]
    assert {sheet.cell(row=r, column=1).data_type for r in (1, 2, 3, 4)} == {"s"}


def test_it_refuses_a_row_that_does_not_fit_the_columns():
    table = Table(title="t", columns=[Column("a"), Column("b")], rows=[["only one"]])

    with pytest.raises(ValueError, match="1 values for 2 columns"):
        table_xlsx(table)


def test_it_answers_404_to_an_unknown_format():
    response = export_response(fmt="pdf", filename="t", table=titled_table())

    assert response.status_code == 404
