"""The province office (its development and reform commission) reads every city and unit of its province and
changes nothing; its dashboard ranks the province's cities, then all of their county-level units."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from keyprojects.accounts.models import Membership, Region, User
from keyprojects.accounts.permissions import scope_for
from keyprojects.investment import selectors
from keyprojects.investment.models import MonthlyReport, ReportStatus
from keyprojects.problems.models import Problem
from keyprojects.projects import selectors as project_selectors
from keyprojects.projects.models import Project

YEAR, MONTH = 2026, 9


@pytest.fixture
def province_office(db) -> User:
    user = User.objects.get(username="province.hebei")
    assert user.memberships.get().role == Membership.Role.PROVINCE_OFFICE
    return user


def test_it_reads_every_project_of_its_province_and_manages_none(province_office):
    scope = scope_for(province_office)
    hebei = Region.objects.get(slug="hebei")
    assert (
        project_selectors.project_list(user=province_office).count()
        == Project.objects.filter(county__path__startswith=hebei.path).count()
    )
    julu = Region.objects.get(slug="julu")
    assert scope.reads_region(julu) and not scope.manages_region(julu)
    assert selectors.reads_figures(province_office, hebei)


def test_its_dashboard_ranks_the_cities_then_the_units(client, province_office):
    client.force_login(province_office)
    response = client.get(reverse("investment:home"))
    assert response.status_code == 302 and response["Location"].endswith("/hebei/")
    response = client.get(reverse("investment:dashboard", args=["hebei"]), {"year": YEAR, "month": MONTH})
    assert response.status_code == 200
    cities = response.context["city_ranking"]
    assert [row.region.slug for row in cities] == ["xingtai"]
    city_row = selectors.unit_ranking(city=Region.objects.get(slug="xingtai"), year=YEAR, through_month=MONTH)
    units = response.context["ranking"]
    # The province's units are the city's units: the same figures, the same order.
    assert [(row.region.slug, row.figures) for row, _s, _r in units] == [
        (row.region.slug, row.figures) for row in city_row
    ]
    planned = sum(row.figures.planned for row in city_row)
    completed = sum(row.figures.completed for row in city_row)
    assert (cities[0].figures.planned, cities[0].figures.completed) == (planned, completed)
    assert b'data-testid="city-rank-xingtai"' in response.content


def test_the_province_ranking_runs_a_fixed_number_of_queries(client, province_office):
    client.force_login(province_office)
    url = reverse("investment:dashboard", args=["hebei"])
    client.get(url, {"year": YEAR, "month": MONTH})
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, {"year": YEAR, "month": MONTH}).status_code == 200
    assert len(queries) <= 20, [q["sql"][:120] for q in queries]


def test_it_changes_nothing(client, province_office):
    client.force_login(province_office)
    report = MonthlyReport.objects.filter(project__county__slug="julu", status=ReportStatus.SUBMITTED).first()
    problem = Problem.objects.filter(project__county__slug="julu").first()
    project = Project.objects.filter(county__slug="julu").first()
    assert report and problem and project
    attempts = [
        reverse("investment:report_action",
                args=[project.county.slug, report.project.code, report.year, report.month, "verify"]),
        reverse("problems:action", args=[problem.pk, "assign"]),
        reverse("projects:edit", args=[project.county.slug, project.code]),
    ]  # fmt: skip
    for url in attempts:
        response = client.post(url, {"reason": "x", "name_zh": "改名"})
        assert response.status_code in (302, 403, 404), url
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    assert Problem.objects.get(pk=problem.pk).status == problem.status
    assert Project.objects.get(pk=project.pk).name_zh == project.name_zh
