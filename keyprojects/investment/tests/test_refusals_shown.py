"""Issue 15: a write to an approved month was refused, but the page said nothing: the refusal went to the form,
and the form is not shown for a month no longer open to changes. The refusal is now a message on the page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from keyprojects.core import clock
from keyprojects.core.workflow import SYSTEM
from keyprojects.investment import services
from keyprojects.investment.models import MonthlyReport, ReportStatus
from keyprojects.projects.demo import programme_year

YEAR = programme_year(clock.today())
MONTH = 10
FIGURES = {"completed_investment": "12.34", "physical_progress": "20", "description": "基础施工", "save": ""}


@pytest.fixture
def approved(own_project) -> MonthlyReport:
    MonthlyReport.objects.filter(project=own_project, year=YEAR, month=MONTH).delete()
    report = services.report_save(
        actor=SYSTEM, project=own_project, year=YEAR, month=MONTH, completed_investment=Decimal(1),
        physical_progress=Decimal(1),
    )  # fmt: skip
    report = services.report_verify(actor=SYSTEM, report=services.report_submit(actor=SYSTEM, report=report))
    return services.report_approve(actor=SYSTEM, report=report)


def _in_english(login, username: str) -> None:
    user = login(username)
    user.language = "en"
    user.save(update_fields=["language"])


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"] if m.level_tag == "error"]


@pytest.mark.parametrize("username", ["ent.liangshan", "office.julu"])
def test_it_says_on_the_page_that_an_approved_month_cannot_be_changed(client, login, approved, username):
    _in_english(login, username)
    url = reverse(
        "investment:report", args=[approved.project.county.slug, approved.project.code, YEAR, MONTH]
    )

    response = client.post(url, FIGURES)

    assert response.status_code == 200
    assert _messages(response) == ["This month's report is approved and cannot be changed."]
    assert "This month&#x27;s report is approved and cannot be changed." in response.content.decode()
    approved.refresh_from_db()
    assert (approved.status, approved.completed_investment) == (ReportStatus.APPROVED, Decimal(1))


def test_it_says_on_the_page_why_a_reader_cannot_fill_in_a_report(client, login, own_project):
    """The leader reads the report but does not fill it in: the form is not shown, the refusal is."""
    MonthlyReport.objects.filter(project=own_project, year=YEAR, month=MONTH).delete()
    _in_english(login, "leader.julu")
    url = reverse("investment:report", args=[own_project.county.slug, own_project.code, YEAR, MONTH])

    response = client.post(url, FIGURES)

    assert response.status_code == 200
    assert _messages(response) == [
        "Only the enterprise or the county project office can fill in this report."
    ]
    assert not MonthlyReport.objects.filter(project=own_project, year=YEAR, month=MONTH).exists()


def test_it_keeps_the_refusal_on_the_form_while_the_form_is_shown(client, login, own_project):
    """An open month shows its form: the refusal stays there, not twice."""
    MonthlyReport.objects.filter(project=own_project, year=YEAR, month=MONTH).delete()
    _in_english(login, "ent.liangshan")
    url = reverse("investment:report", args=[own_project.county.slug, own_project.code, YEAR, MONTH])

    response = client.post(url, {**FIGURES, "own_funds": "10"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not _messages(response)
