"""Issue 15: monthly reports could be created for year 0 or 1 and then waited in the verification queue. A year
outside clock.MIN_YEAR–MAX_YEAR is refused by the services that write reports, and the report page's URL does
not match it (404)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from keyprojects.core.errors import DomainError
from keyprojects.core.workflow import SYSTEM
from keyprojects.investment import services
from keyprojects.investment.models import MonthlyReport, ReportStatus


@pytest.fixture(autouse=True)
def english():
    """The refusals are read in English here."""
    with translation.override("en"):
        yield


YEARS = [0, 1, 1999, 2101]


@pytest.mark.parametrize("year", YEARS)
def test_it_refuses_to_save_a_report_of_a_year_outside_the_programme(own_project, year):
    with pytest.raises(DomainError) as refused:
        services.report_save(
            actor=SYSTEM, project=own_project, year=year, month=1, completed_investment=Decimal(1),
            physical_progress=Decimal(1),
        )  # fmt: skip

    assert (refused.value.field, refused.value.message) == ("year", "The year must be between 2000 and 2100.")
    assert not MonthlyReport.objects.filter(year=year).exists()


@pytest.mark.parametrize("year", YEARS)
def test_it_refuses_to_import_a_month_of_a_year_outside_the_programme(own_project, year):
    given = services.MonthFigures(
        project=own_project, completed_investment=Decimal(1), physical_progress=Decimal(1)
    )

    with pytest.raises(DomainError) as refused:
        services.reports_bulk_set(
            actor=SYSTEM, year=year, month=1, status=ReportStatus.SUBMITTED, figures=[given], reason="test"
        )

    assert refused.value.field == "year"
    assert not MonthlyReport.objects.filter(year=year).exists()


@pytest.mark.parametrize("year", ["0000", "0001", "1999", "2101", "9999"])
def test_it_answers_404_to_the_report_page_of_a_year_outside_the_programme(client, login, own_project, year):
    login("ent.liangshan")
    url = f"/investment/reports/{own_project.county.slug}/{own_project.code}/{year}/1/"

    assert client.get(url).status_code == 404
    assert (
        client.post(url, {"completed_investment": "1", "physical_progress": "1", "submit": ""}).status_code
        == 404
    )
    assert not MonthlyReport.objects.filter(project=own_project, year=int(year)).exists()
