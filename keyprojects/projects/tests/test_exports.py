"""Exports open in a spreadsheet program: a project named like a formula must arrive there as its text,
never as a live formula (=HYPERLINK(…) phoning out, +1 computed), in .xlsx and in CSV alike."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from keyprojects.projects.tests.conftest import build_project

NAMES = ['=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1"]


@pytest.fixture
def formula_named_projects(julu):
    return {
        f"CSV-INJ-{n}": build_project(julu, code=f"CSV-INJ-{n}", name_zh=name, name_en=name)
        for n, name in enumerate(NAMES)
    }


def test_it_exports_names_that_look_like_formulas_as_text_in_xlsx(client, login, formula_named_projects):
    login("office.julu")

    response = client.get(reverse("projects:export", args=["xlsx"]), {"search": "CSV-INJ"})

    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    code_column, name_column = 0, 2
    rows = {row[code_column].value: row for row in sheet.iter_rows(min_row=2)}
    assert set(rows) == set(formula_named_projects)
    for code, project in formula_named_projects.items():
        name = rows[code][name_column]
        assert name.data_type == "s", (code, name.value)  # a string, never a formula ("f")
        assert name.value == "'" + project.name_zh
    investment = rows["CSV-INJ-0"][header.index(next(h for h in header if "(" in h))]
    assert investment.data_type == "n"  # numbers stay numbers


def test_it_exports_names_that_look_like_formulas_with_a_leading_apostrophe_in_csv(
    client, login, formula_named_projects
):
    login("office.julu")

    response = client.get(reverse("projects:export", args=["csv"]), {"search": "CSV-INJ"})

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))[1:]
    names = {row[0]: row[2] for row in rows}
    assert names == {code: "'" + p.name_zh for code, p in formula_named_projects.items()}
    assert all(float(row[8]) > 0 for row in rows)  # the amounts are plain numbers, unprefixed
