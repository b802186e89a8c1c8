"""The dashboards' downloads as an office forwards them: a titled workbook with the period, numbers in
万元 and a totals row computed from the rows; a CSV of exact decimals."""

from __future__ import annotations

import csv
import io
import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.utils import range_boundaries

from keyprojects.accounts.models import Region
from keyprojects.core import clock
from keyprojects.core.money import yuan_in
from keyprojects.investment import selectors
from keyprojects.projects.demo import programme_year

YEAR = programme_year(clock.today())
MONTH, MONTH_NAME = 9, "September"
PERIOD = {"year": YEAR, "month": MONTH}


def sheet_of(response):
    return load_workbook(io.BytesIO(response.content)).active


def table_rows(sheet) -> tuple[int, int]:
    """(header row, last data row): what the auto-filter covers."""
    _first_col, header_row, _last_col, last_row = range_boundaries(sheet.auto_filter.ref)
    return header_row, last_row


def in_millions(yuan) -> Decimal:
    """What an English sheet shows for an amount: millions of yuan, 2 places."""
    return (Decimal(yuan) / 1_000_000).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def in_english(user):
    user.language = "en"
    user.save(update_fields=["language"])
    return user


@pytest.fixture
def julu_series(db):
    julu = Region.objects.get(slug="julu")
    return selectors.monthly_series(projects=selectors.region_key_projects(julu), year=YEAR)


def test_it_titles_the_monthly_series_with_the_county_the_year_and_what_it_counts(client, login):
    in_english(login("office.julu"))

    sheet = sheet_of(client.get(reverse("investment:series_download", args=["julu", "xlsx"]), PERIOD))

    assert sheet["A1"].value == f"Monthly investment in Julu County, {YEAR}"
    assert [sheet[f"A{r}"].value for r in (2, 3)] == [
        "Provincial and municipal key projects",
        "Approved reports only",
    ]
    assert sheet["A4"].value.startswith("As of ")
    header_row, last_row = table_rows(sheet)
    assert [c.value for c in sheet[header_row]][:3] == [
        "Month",
        "Planned (CNY million)",
        "Completed (CNY million)",
    ]
    assert sheet.freeze_panes == f"A{header_row + 1}"
    assert last_row - header_row == 12


def test_it_totals_the_months_planned_and_completed_but_not_the_running_sums(client, login, julu_series):
    in_english(login("office.julu"))

    sheet = sheet_of(client.get(reverse("investment:series_download", args=["julu", "xlsx"]), PERIOD))

    _header_row, last_row = table_rows(sheet)
    total, december = sheet[last_row + 1], sheet[last_row]
    assert total[0].value == "Total"
    planned = sum(in_millions(m["planned"]) for m in julu_series)  # English counts in millions of yuan
    completed = sum(in_millions(m["completed"]) for m in julu_series)
    assert planned > 0 and completed > 0  # the demo plans and reports Julu's year
    assert Decimal(str(total[1].value)) == planned
    assert Decimal(str(total[2].value)) == completed
    assert (total[3].value, total[4].value) == (None, None)
    assert december[3].value == pytest.approx(float(planned))  # the running sum ends at the total
    assert total[1].number_format == "#,##0.00"


def test_it_writes_the_monthly_series_as_exact_decimals_in_csv(client, login, julu_series):
    login("office.julu")

    response = client.get(reverse("investment:series_download", args=["julu", "csv"]), PERIOD)

    assert response.content.startswith(b"\xef\xbb\xbf")
    _header, *rows = csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline=""))
    assert [row[0] for row in rows] == [str(m) for m in range(1, 13)]
    for row, month in zip(rows, julu_series, strict=True):
        assert row[1:] == [
            format(yuan_in(month[k], "wan"), "f")
            for k in ("planned", "completed", "planned_cum", "completed_cum")
        ]
        assert all(re.fullmatch(r"\d+\.\d\d", v) for v in row[1:]), row


def test_it_titles_the_ranking_with_the_city_and_the_months_and_totals_its_units(client, login):
    in_english(login("city.xingtai"))
    city = Region.objects.get(slug="xingtai")
    ranking = selectors.unit_ranking(city=city, year=YEAR, through_month=MONTH)

    sheet = sheet_of(
        client.get(
            reverse("investment:ranking_download", args=["xingtai", "xlsx"]), {**PERIOD, "unverified": "on"}
        )
    )
    unverified = selectors.unit_ranking(city=city, year=YEAR, through_month=MONTH, include_unverified=True)

    assert (
        sheet["A1"].value
        == f"Ranking of the county-level units of {city.name_en}, January–{MONTH_NAME} {YEAR}"
    )
    assert sheet["A3"].value == "Including unverified reports"
    header_row, last_row = table_rows(sheet)
    rows = list(sheet.iter_rows(min_row=header_row + 1, max_row=last_row, values_only=True))
    assert [r[1] for r in rows] == [r.region.name_en for r in unverified]
    assert len(rows) == len(ranking)
    rates = [r[4] for r in rows if r[4] is not None]
    assert rates and all(isinstance(rate, float) for rate in rates)  # a number: 85.2 for 85.20 %
    total = sheet[last_row + 1]
    assert total[0].value == "Total"
    assert Decimal(str(total[2].value)) == sum(in_millions(r.figures.planned) for r in unverified)
    assert Decimal(str(total[3].value)) == sum(in_millions(r.figures.completed) for r in unverified)
    assert total[4].value is None  # a rate is not summed
