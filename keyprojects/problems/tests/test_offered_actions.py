"""A page offers an action about problems only to those whose request its view will carry out."""

from __future__ import annotations

import pytest
from django.urls import reverse

from keyprojects.projects.models import Project

REPORT_LINK = 'data-testid="report-problem"'


@pytest.mark.parametrize(
    "username",
    ["admin", "city.xingtai", "office.julu", "leader.julu", "dept.julu.power", "ent.liangshan"],
)
def test_it_offers_report_a_problem_exactly_to_those_the_report_page_lets_in(
    client, login, project, username
):
    login(username)

    page = client.get(reverse("projects:detail", args=[project.county.slug, project.code]))
    report = client.get(reverse("problems:report", args=[project.county.slug, project.code]))

    assert page.status_code == 200
    offered = REPORT_LINK in page.content.decode()
    assert offered == (report.status_code == 200), (username, report.status_code)


def test_it_does_not_offer_the_city_office_to_report_a_problem_on_any_project(client, login):
    login("city.xingtai")
    projects = Project.objects.filter(county__slug__in=["julu", "ningjin"]).select_related("county")[:6]

    for project in projects:
        html = client.get(
            reverse("projects:detail", args=[project.county.slug, project.code])
        ).content.decode()
        assert REPORT_LINK not in html
        assert reverse("problems:report", args=[project.county.slug, project.code]) not in html


def test_it_offers_the_county_office_to_report_a_problem(client, login, project):
    login("office.julu")

    html = client.get(reverse("projects:detail", args=[project.county.slug, project.code])).content.decode()

    assert f'href="{reverse("problems:report", args=[project.county.slug, project.code])}"' in html


def test_a_problem_links_its_project_only_for_those_who_may_open_the_project(client, login):
    """A department supporting a problem may see the problem but not the project: the name, no dead link."""
    from keyprojects.problems import selectors as problem_selectors
    from keyprojects.projects import selectors as project_selectors

    user = login("dept.julu.resources")
    problems = list(problem_selectors.problem_list(user=user).select_related("project__county")[:40])
    visible = set(project_selectors.project_list(user=user).values_list("pk", flat=True))
    assert any(p.project_id not in visible for p in problems), "the demo must hold such a problem"
    assert any(p.project_id in visible for p in problems)

    for problem in problems:
        html = client.get(reverse("problems:detail", args=[problem.pk])).content.decode()
        link = reverse("projects:detail", args=[problem.project.county.slug, problem.project.code])
        assert (f'href="{link}"' in html) == (problem.project_id in visible), problem.pk
        assert problem.project.code in html
