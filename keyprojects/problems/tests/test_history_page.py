"""The problem's history page: its versions field by field, in the problem's scope only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from keyprojects.accounts.permissions import scope_for
from keyprojects.core.audit import acting_from
from keyprojects.problems import selectors
from keyprojects.problems.models import Problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(persona):
    user = persona("office.julu")
    user.language = "en"
    user.save(update_fields=["language"])
    return user


@pytest.fixture
def problem(office) -> Problem:
    return selectors.problem_list(user=office).filter(project__county__slug="julu").order_by("pk").first()


def test_it_shows_each_change_old_to_new_with_the_address(client, office, problem):
    with acting_from("198.51.100.40"):
        problem.severity = "high" if problem.severity != "high" else "low"
        problem._history_user = office
        problem.save()
    client.force_login(office)
    page = client.get(reverse("problems:history", args=[problem.pk]))
    assert page.status_code == 200
    newest = page.context["page"][0]
    assert newest.address == "198.51.100.40"
    assert "severity" in {c.label for c in newest.changes}
    assert "198.51.100.40" in page.content.decode()


def test_it_is_linked_from_the_problem_page(client, office, problem):
    client.force_login(office)
    page = client.get(reverse("problems:detail", args=[problem.pk]))
    assert reverse("problems:history", args=[problem.pk]) in page.content.decode()


def test_it_answers_404_outside_the_scope(client, persona, problem):
    outsider = persona("office.ningjin")
    assert not scope_for(outsider).manages_region(problem.project.county)
    client.force_login(outsider)
    assert client.get(reverse("problems:history", args=[problem.pk])).status_code == 404
