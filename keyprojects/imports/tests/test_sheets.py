"""What every format's reader shares: a text starting with = read as a formula, never run; at most 100 columns,
trailing empty cells dropped; empty rows left out, the row limit counted on the rest."""

from __future__ import annotations

import pytest
from django.utils import translation

from keyprojects.imports.sheets import Formula, ImportRefused, RawSheet, sheet_of, text_or_formula
from keyprojects.imports.tests.reads import read
from keyprojects.imports.tests.workbooks import csv_bytes, xls_bytes, xlsx_bytes


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


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


def test_it_leaves_out_empty_rows_keeping_the_numbers_of_the_others_and_counts_only_those_against_the_limit():
    rows = [(1, ["标题"]), (2, [None, "  ", None]), (3, ["JL-1", None]), (4, [])]

    assert sheet_of("台账", rows, max_rows=2) == RawSheet("台账", [(1, ["标题"]), (3, ["JL-1"])])
    with pytest.raises(ImportRefused, match="more than 1 rows"):
        sheet_of("台账", rows, max_rows=1)


def test_it_takes_a_text_for_a_formula_only_when_it_starts_with_an_equals_sign():
    assert text_or_formula("  =A1") == Formula("  =A1")
    assert text_or_formula("A=1") == "A=1"
