"""Exports open in a spreadsheet program: a project named like a formula must arrive there as its text,
never as a live formula (=HYPERLINK(…) phoning out, +1 computed), in .xlsx and in CSV alike."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.utils import range_boundaries

from keyprojects.accounts.models import Region
from keyprojects.core.money import yuan_in
from keyprojects.projects.models import Project
from keyprojects.projects.tests.conftest import build_project


def table_rows(sheet) -> tuple[int, int]:
    """(header row, last data row) of an exported sheet: what its auto-filter covers."""
    _first_col, header_row, _last_col, last_row = range_boundaries(sheet.auto_filter.ref)
    return header_row, last_row


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
    header_row, last_row = table_rows(sheet)
    header = [c.value for c in sheet[header_row]]
    code_column, name_column = 0, 2
    rows = {row[code_column].value: row for row in sheet.iter_rows(min_row=header_row + 1, max_row=last_row)}
    assert set(rows) == set(formula_named_projects)
    for code, project in formula_named_projects.items():
        name = rows[code][name_column]
        assert name.data_type == "s", (code, name.value)  # a string, never a formula ("f")
        assert name.value == "'" + project.name_zh
    investment = rows["CSV-INJ-0"][
        header.index(next(h for h in header if h.startswith(("Total investment", "总投资"))))
    ]
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


# ---- an export an office can hand over as it is -------------------------------------------------------

EXPORT_XLSX, EXPORT_CSV = reverse("projects:export", args=["xlsx"]), reverse("projects:export", args=["csv"])
INVESTMENT, LAND, START = 8, 9, 11  # columns of the registry export


def julu_projects():
    return list(Project.objects.filter(county__slug="julu").order_by("county__path", "code"))


def in_english(user):
    user.language = "en"
    user.save(update_fields=["language"])
    return user


def test_it_writes_amounts_in_csv_as_the_list_shows_them_never_as_floats(client, login):
    login("office.julu")

    response = client.get(EXPORT_CSV)

    assert response.content.startswith(b"\xef\xbb\xbf")  # a BOM: Excel opens the Chinese as UTF-8
    _header, *rows = csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline=""))
    expected = {p.code: p for p in julu_projects()}
    assert [row[0] for row in rows] == list(expected)
    for row in rows:
        project = expected[row[0]]
        assert row[INVESTMENT] == format(yuan_in(project.total_investment, "wan"), "f"), row
        assert re.fullmatch(r"\d+\.\d\d", row[INVESTMENT]), row  # 51000.00, never 51000.0
        assert row[START] == (project.start_date.isoformat() if project.start_date else "")
        if project.land_area_mu is not None:
            assert row[LAND] == f"{project.land_area_mu:.2f}"


def test_it_titles_the_workbook_with_whose_projects_the_clock_s_date_and_the_filters(client, login, today):
    in_english(login("office.julu"))

    sheet = load_workbook(io.BytesIO(client.get(EXPORT_XLSX, {"stage": "construction"}).content)).active

    assert sheet["A1"].value == "Key projects of Julu County"
    assert sheet["A1"].font.b
    assert sheet["A2"].value == "As of June 15, 2026"  # the pinned clock, not the machine's date
    assert sheet["A3"].value == "Filters: Stage: under construction"
    header_row, _last = table_rows(sheet)
    assert header_row == 4
    assert sheet.freeze_panes == "A5"
    assert all(c.font.b for c in sheet[header_row])


def test_it_says_so_when_no_filter_is_applied_and_names_every_filter_that_is(client, login, today):
    in_english(login("office.julu"))

    plain = load_workbook(io.BytesIO(client.get(EXPORT_XLSX).content)).active
    filtered = load_workbook(
        io.BytesIO(
            client.get(EXPORT_XLSX, {"search": "园", "level": "provincial", "late_milestone": "on"}).content
        )
    ).active

    assert plain["A3"].value == "Filters: none"
    assert filtered["A3"].value == (
        "Filters: Search: 园 · Level: provincial key project · With a late milestone"
    )


def test_it_names_the_city_or_the_county_asked_for_in_the_title(client, login, today):
    in_english(login("city.xingtai"))

    whole_city = load_workbook(io.BytesIO(client.get(EXPORT_XLSX).content)).active
    one_county = load_workbook(io.BytesIO(client.get(EXPORT_XLSX, {"county": "julu"}).content)).active

    assert whole_city["A1"].value == f"Key projects of {Region.objects.get(slug='xingtai').name_en}"
    assert one_county["A1"].value == "Key projects of Julu County"
    assert one_county["A3"].value == "Filters: County-level unit: Julu County"


def test_it_names_whose_projects_in_the_user_s_chinese_too(client, login, today):
    login("office.julu")  # Chinese

    sheet = load_workbook(io.BytesIO(client.get(EXPORT_XLSX).content)).active

    assert "巨鹿县" in sheet["A1"].value
    assert sheet["A2"].value.endswith("2026年6月15日")


def test_it_writes_real_numbers_and_dates_and_totals_the_investment_as_the_list_does(client, login):
    in_english(login("office.julu"))

    sheet = load_workbook(io.BytesIO(client.get(EXPORT_XLSX).content)).active

    header_row, last_row = table_rows(sheet)
    assert sheet[header_row][INVESTMENT].value == "Total investment (CNY million)"
    assert sheet.auto_filter.ref == f"A{header_row}:O{last_row}"
    rows = list(sheet.iter_rows(min_row=header_row + 1, max_row=last_row))
    assert len(rows) == 53
    assert all(r[INVESTMENT].data_type == "n" and r[INVESTMENT].number_format == "#,##0.00" for r in rows)
    started = [r[START] for r in rows if r[START].value is not None]
    assert started and all(c.is_date and c.number_format == "yyyy-mm-dd" for c in started)
    totals = sheet[last_row + 1]
    assert totals[0].value == "Total"
    # The list page's total of Julu: 17.97 billion yuan, CNY 17,970.00 million in English.
    assert totals[INVESTMENT].value == 17_970
    assert totals[INVESTMENT].value == pytest.approx(sum(r[INVESTMENT].value for r in rows))
    assert totals[LAND].value is None  # areas are not money: not summed


def test_it_writes_amounts_in_the_user_s_unit_and_names_it_in_the_header(client, login):
    # In Chinese, the user's unit (亿元); in English both units are millions of yuan.
    user = login("office.julu")
    user.money_unit = "yi"
    user.save(update_fields=["money_unit"])

    sheet = load_workbook(io.BytesIO(client.get(EXPORT_XLSX).content)).active
    csv_header, *csv_rows = csv.reader(
        io.StringIO(client.get(EXPORT_CSV).content.decode("utf-8-sig"), newline="")
    )

    header_row, last_row = table_rows(sheet)
    assert sheet[header_row][INVESTMENT].value == csv_header[INVESTMENT] == "总投资（亿元）"
    assert sheet[last_row + 1][INVESTMENT].value == pytest.approx(179.70)
    expected = [format(yuan_in(p.total_investment, "yi"), "f") for p in julu_projects()]
    assert [row[INVESTMENT] for row in csv_rows] == expected
