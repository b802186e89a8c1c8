"""The one writer behind every export: text that a spreadsheet would run as a formula is written as text."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from keyprojects.core.spreadsheets import neutralised, table_response

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
