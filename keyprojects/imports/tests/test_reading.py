"""Reading an upload in whichever format into its worksheets: every worksheet in the workbook's order, the row
limit, a workbook that cannot be read refused saying to save it again, and 20,000 rows in seconds."""

from __future__ import annotations

import time
from datetime import date, datetime

import pytest
from django.utils import translation

from keyprojects.imports.tests.reads import HEADER, read, refusal, zip_of
from keyprojects.imports.tests.workbooks import as_saved_by_excel, csv_bytes, ole_bytes, xls_bytes, xlsx_bytes


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


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
