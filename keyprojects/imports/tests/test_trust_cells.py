"""Issue 15: a bad cell (NaN, 9999-12-31, an absurd number) must give an error naming its sheet row and column,
as the other row errors do, and nothing is written. A number cell holding NaN or INF (as some programs write it)
made openpyxl refuse the whole workbook, and the import said only that the file could not be read."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl.utils import get_column_letter

from keyprojects.imports import jobs
from keyprojects.imports.columns import COLUMNS
from keyprojects.imports.sheets import ImportRefused
from keyprojects.imports.tests.monthly_sheets import (
    HEADER,
    MONTH,
    TITLE,
    YEAR,
    checked,
    figures,
    summary_sheet,
)
from keyprojects.imports.tests.registry_files import new_row, run_import, template_file
from keyprojects.imports.tests.workbooks import csv_bytes, xls_bytes
from keyprojects.investment.models import MonthlyReport
from keyprojects.projects.models import ImportJob, Project


@pytest.fixture(autouse=True)
def english():
    """The refusals are read in English here."""
    with translation.override("en"):
        yield


pytestmark = pytest.mark.usefixtures("march_2031")

MARK = 424242.125  # a number written in the cell, then replaced in the file by the raw text asked for


def with_raw_number(content: bytes, text: str) -> bytes:
    """The workbook with the stored value of the MARK cell replaced by `text`, as a program that writes NaN or
    INF into a number cell leaves it (openpyxl itself writes such a float as an empty cell)."""
    source, out = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = data.replace(f"<v>{MARK}</v>".encode(), f"<v>{text}</v>".encode())
            target.writestr(item, data)
    return out.getvalue()


# ---- the registry ----------------------------------------------------------------------------------------

BAD_CELLS = [
    ("total_investment", "NaN"),
    ("total_investment", 1e300),
    ("total_investment", "9" * 40),
    ("land_area_mu", 1e30),
    ("expected_annual_output", 1e30),
    ("lng", 1e300),
    ("start_date", date(9999, 12, 31)),
    ("planned_completion_date", date(9999, 12, 31)),
    ("start_date", date(1, 1, 1)),
    ("start_date", "9999-12-31"),
    ("planned_completion_date", 2958465),  # Excel's serial day of 9999-12-31
]


@pytest.mark.parametrize("key, value", BAD_CELLS, ids=[f"{k}={v!r}" for k, v in BAD_CELLS])
def test_it_names_the_row_and_column_of_a_bad_registry_cell_and_imports_nothing(office, julu, key, value):
    rows = [new_row("JL-TRUST-001"), new_row("JL-TRUST-002", **{key: value})]

    job = run_import(office, julu, template_file(rows))

    assert job.status == ImportJob.Status.FAILED
    assert job.error_report
    assert all(e["row"] == 3 and e["column"] for e in job.error_report), job.error_report
    assert not Project.objects.filter(code__startswith="JL-TRUST-").exists()


@pytest.mark.parametrize("key", ["total_investment", "lat", "start_date"])
@pytest.mark.parametrize("text", ["NaN", "INF", "-inf"])
def test_it_names_the_row_and_column_of_a_number_cell_holding_nan(office, julu, key, text):
    rows = [new_row("JL-TRUST-001"), new_row("JL-TRUST-002", **{key: MARK})]
    content = with_raw_number(template_file(rows), text)
    column = get_column_letter([c.key for c in COLUMNS].index(key) + 1)

    with pytest.raises(ImportRefused) as refused:
        run_import(office, julu, content)

    assert refused.value.message == (
        f"Worksheet “Sheet”, row 3, column {column}: the cell holds “{text}”, which is not a number. Type a "
        "number in it or empty it, save the file and upload it again."
    )
    assert not Project.objects.filter(code__startswith="JL-TRUST-").exists()


# ---- the month's figures -------------------------------------------------------------------------------


@pytest.mark.parametrize("key, column", [("completed", "D"), ("cumulative", "E"), ("progress", "F")])
def test_it_names_the_row_of_a_month_s_figure_holding_nan(office, julu, projects, key, column):
    a, b, _c = projects
    row = {**figures(b, 20), key: MARK}
    content = with_raw_number(summary_sheet({"一、省重点项目": [figures(a, 10), row]}, total=30), "NaN")

    with pytest.raises(ImportRefused) as refused:
        checked(office, julu, content)

    assert f"row 6, column {column}: the cell holds “NaN”" in refused.value.message
    assert not MonthlyReport.objects.filter(project__in=projects, year=YEAR, month=MONTH).exists()


@pytest.mark.parametrize(
    "name, build", [("month.csv", csv_bytes), ("month.xls", xls_bytes)], ids=["csv", "xls"]
)
def test_it_names_the_row_and_column_of_nan_and_absurd_figures_in_csv_and_xls(
    office, julu, projects, name, build
):
    a, b, _c = projects
    rows = [
        [TITLE],
        ["单位：万元"],
        HEADER,
        [1, a.name_zh, a.enterprise.name_zh, float("nan"), "NaN", float("nan"), ""],
        [2, b.name_zh, b.enterprise.name_zh, float("inf"), 1e308, "1e999", ""],
    ]
    if name.endswith(".csv"):
        rows = [[str(v) if isinstance(v, float) else v for v in r] for r in rows]
    job = jobs.import_create(
        actor=office, county=julu, upload=SimpleUploadedFile(name, build(rows)), kind="monthly", year=YEAR,
        month=MONTH, report_status="submitted",
    )  # fmt: skip
    job = jobs.import_configure(actor=office, job=job, mapping={int(i): k for i, k in job.mapping.items()})

    assert job.status == ImportJob.Status.FAILED
    assert sorted((e["row"], e["column"]) for e in job.error_report) == [
        (4, "形象进度（%）"), (4, "本月完成投资"), (4, "累计完成投资"),
        (5, "形象进度（%）"), (5, "本月完成投资"), (5, "累计完成投资"),
    ]  # fmt: skip
    assert not MonthlyReport.objects.filter(project__in=projects, year=YEAR, month=MONTH).exists()
