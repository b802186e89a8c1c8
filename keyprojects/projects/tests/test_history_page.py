"""The project's history page: every version of the project, its milestones and guarantees, field by field, with
who, when and from which address; readable in the project's scope only, in a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from keyprojects.core.audit import acting_from
from keyprojects.projects.models import GuaranteeStatus, Milestone, Project
from keyprojects.projects.services import milestone_update

pytestmark = pytest.mark.django_db


def history_url(project: Project) -> str:
    return reverse("projects:history", args=[project.county.slug, project.code])


@pytest.fixture
def project(db) -> Project:
    return (
        Project.objects.filter(county__slug="julu", milestones__isnull=False).select_related("county").first()
    )


@pytest.fixture
def office(persona):
    user = persona("office.julu")
    user.language = "en"
    user.save(update_fields=["language"])
    return user


def test_it_shows_a_guarantee_edited_on_the_page_field_by_field_with_the_address(client, office, project):
    client.force_login(office)
    guarantee = project.guarantees.order_by("kind").first()
    status = (
        GuaranteeStatus.IN_PROGRESS
        if guarantee.status != GuaranteeStatus.IN_PROGRESS
        else GuaranteeStatus.NEEDED
    )
    response = client.post(
        reverse("projects:guarantee_edit", args=[guarantee.pk]),
        {"status": status, "needed_by": "2026-09-30", "delivered_on": ""},
        REMOTE_ADDR="198.51.100.23",
    )
    assert response.status_code == 302
    page = client.get(history_url(project))
    assert page.status_code == 200
    html = page.content.decode()
    assert "198.51.100.23" in html
    assert str(status.label) in html  # the choice by its label, not its stored value
    assert "2026-09-30" in html
    newest = page.context["page"][0]
    assert (newest.who, newest.address) == (office, "198.51.100.23")
    assert {c.label for c in newest.changes} >= {"status", "needed by"}


def test_it_is_linked_from_the_project_page(client, office, project):
    client.force_login(office)
    page = client.get(reverse("projects:detail", args=[project.county.slug, project.code]))
    assert history_url(project) in page.content.decode()


def test_it_answers_404_outside_the_scope(client, persona, project):
    client.force_login(persona("office.ningjin"))
    assert client.get(history_url(project)).status_code == 404


def test_it_answers_404_for_an_enterprise_of_another_project(client, persona, project):
    other = Project.objects.filter(county__slug="julu").exclude(enterprise__slug="liangshan").first()
    client.force_login(persona("ent.liangshan"))
    assert client.get(history_url(other)).status_code == 404


@pytest.mark.parametrize("saves", [5, 50])
def test_it_reads_in_a_fixed_number_of_queries(client, office, project, saves, django_assert_max_num_queries):
    milestone = Milestone.objects.filter(project=project).order_by("order").first()
    with acting_from("192.0.2.1"):
        for n in range(saves):
            milestone_update(
                actor=office,
                milestone=milestone,
                planned_date=milestone.planned_date + timedelta(days=1),
                actual_date=milestone.actual_date,
                reason=f"slip {n}",
            )
    client.force_login(office)
    with django_assert_max_num_queries(25):
        page = client.get(history_url(project))
    assert page.status_code == 200
    assert f"slip {saves - 1}" in page.content.decode()
