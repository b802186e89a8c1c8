"""Issue 15: a month's reports could be imported for year 0 or 1 (the command takes any integer) and then sat in
the verification queue. A year outside clock.MIN_YEAR–MAX_YEAR is refused by the service, whoever asks."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from keyprojects.core.errors import DomainError
from keyprojects.imports.tests.monthly_sheets import MONTH, figures, summary_sheet
from keyprojects.investment import services
from keyprojects.investment.models import MonthlyReport


@pytest.fixture(autouse=True)
def english():
    """The refusals are read in English here."""
    with translation.override("en"):
        yield


pytestmark = pytest.mark.usefixtures("march_2031")


@pytest.mark.parametrize("year", [0, 1, 1999, 10000])
def test_it_refuses_to_import_a_month_of_a_year_outside_the_programme(tmp_path, projects, year):
    a, b, _c = projects
    path = tmp_path / "month.xlsx"
    path.write_bytes(summary_sheet({"一、省重点项目": [figures(a, 10), figures(b, 20)]}))
    err = io.StringIO()

    with pytest.raises(CommandError) as refused:
        call_command(
            "import_monthly",
            str(path),
            county="julu",
            year=year,
            month=MONTH,
            stdout=io.StringIO(),
            stderr=err,
        )

    assert refused.value.returncode == 1
    assert "The year must be between 2000 and 2100." in str(refused.value) + err.getvalue()
    assert not MonthlyReport.objects.filter(year=year).exists()


@pytest.mark.parametrize("year", [0, 1, 1999, 2101])
def test_it_refuses_a_month_of_a_year_outside_the_programme_naming_the_year(db, year):
    with pytest.raises(DomainError) as refused:
        services.report_month_check(year=year, month=1)

    assert refused.value.field == "year"
    assert str(refused.value.message) == "The year must be between 2000 and 2100."


def test_it_takes_the_first_and_last_years_of_the_programme(db):
    services.report_month_check(year=2000, month=1)
    services.report_month_check(year=2030, month=12)
