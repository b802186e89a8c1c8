"""The report and plan pages in English: their titles name the project and the month by name, and every
amount typed in 万元 says so as "CNY 10,000" — never "10k yuan" or "Month 10"."""

from __future__ import annotations

import calendar  # English month names, independent of the code under test
import re
from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from keyprojects.accounts.services import user_set_language
from keyprojects.core import clock
from keyprojects.investment.models import AnnualPlan, MonthlyReport
from keyprojects.projects.demo import programme_year
from keyprojects.projects.models import Project

YEAR = programme_year(clock.today())
MONTH = 10
NOW = timezone.make_aware(datetime(YEAR, 11, 20, 10))


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: NOW.date())
    monkeypatch.setattr(clock, "now", lambda: NOW)


@pytest.fixture
def project(own_project) -> Project:
    """Liangshan's Julu project with no plan or report of the year yet: the pages show their empty forms."""
    MonthlyReport.objects.filter(project=own_project, year=YEAR).delete()
    AnnualPlan.objects.filter(project=own_project, year=YEAR).delete()
    return own_project


def title(html: str) -> str:
    found = re.search(r"<title>(.*?)</title>", html, re.S)
    assert found, html
    return " ".join(found[1].split())


def in_english(login, username: str) -> None:
    user = login(username)
    user_set_language(user=user, language="en")


def test_the_report_page_is_titled_with_the_project_and_the_month_name(client, login, project):
    in_english(login, "ent.liangshan")
    url = reverse("investment:report", args=[project.county.slug, project.code, YEAR, MONTH])

    html = client.get(url).content.decode()

    assert title(html).startswith(f"Project {project.code}: {calendar.month_name[MONTH]} {YEAR} report ·")
    assert "Funding sources (CNY 10,000)" in html
    assert "Investment completed in the month (CNY 10,000)" in html
    assert "10k yuan" not in html


def test_the_plan_page_names_its_months_and_unit_in_english(client, login, project):
    in_english(login, "office.julu")
    url = reverse("investment:plan", args=[project.county.slug, project.code, YEAR])

    html = client.get(url).content.decode()

    assert title(html).startswith(f"Project {project.code}: annual investment plan {YEAR} ·")
    for month in range(1, 13):
        assert f"{calendar.month_name[month]} (CNY 10,000)" in html
    assert "Annual total (CNY 10,000):" in html
    assert "Month " not in html and "10k yuan" not in html
