"""A project's start and planned completion lie within the years the system handles (clock.MIN_YEAR to
clock.MAX_YEAR): 9999-12-31 used to pass the form and fail with a 500 when the milestones were planned from it."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from keyprojects.core import clock
from keyprojects.core.workflow import SYSTEM
from keyprojects.projects import services
from keyprojects.projects.models import Milestone, Project
from keyprojects.projects.tests.conftest import build_project, project_data
from keyprojects.projects.tests.test_views import in_english, project_post


@pytest.fixture(autouse=True)
def english():
    """The refusals are read in English here."""
    with translation.override("en"):
        yield


pytestmark = pytest.mark.django_db

REASON = f"Give a date from {clock.MIN_YEAR}-01-01 to {clock.MAX_YEAR}-12-31."
# (field, a date beyond the years, the other date kept in order with it)
OUT_OF_RANGE = [
    pytest.param("start_date", "9999-12-31", {"planned_completion_date": ""}, id="start-9999"),
    pytest.param("start_date", f"{clock.MIN_YEAR - 1}-12-31", {}, id="start-before"),
    pytest.param("planned_completion_date", "9999-12-31", {}, id="completion-9999"),
    pytest.param("planned_completion_date", f"{clock.MAX_YEAR + 1}-01-01", {}, id="completion-after"),
]


def counts() -> tuple[int, int]:
    return Project.objects.count(), Milestone.objects.count()


@pytest.mark.parametrize("field, value, others", OUT_OF_RANGE)
def test_it_refuses_a_date_beyond_the_years_on_the_create_form(client, login, field, value, others):
    in_english(login("office.julu"))
    before = counts()

    response = client.post(
        reverse("projects:create", args=["julu"]), project_post(**{field: value, **others})
    )

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [REASON]
    assert counts() == before


@pytest.mark.parametrize("field, value, others", OUT_OF_RANGE)
def test_it_refuses_a_date_beyond_the_years_on_the_edit_form(
    client, login, own_project, field, value, others
):
    in_english(login("office.julu"))
    post = project_post(
        code=own_project.code, enterprise=str(own_project.enterprise_id), **{field: value, **others}
    )

    response = client.post(reverse("projects:edit", args=["julu", own_project.code]), post)

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [REASON]
    stored = Project.objects.get(pk=own_project.pk)
    assert (stored.start_date, stored.planned_completion_date, stored.version) == (
        own_project.start_date,
        own_project.planned_completion_date,
        own_project.version,
    )


def test_it_accepts_the_first_and_the_last_day_of_the_years(client, login):
    login("office.julu")
    first, last = date(clock.MIN_YEAR, 1, 1), date(clock.MAX_YEAR, 12, 31)

    response = client.post(
        reverse("projects:create", args=["julu"]),
        project_post(start_date=first.isoformat(), planned_completion_date=last.isoformat()),
    )

    project = Project.objects.get(county__slug="julu", code="JL-NEW-001")
    assert response.status_code == 302
    assert (project.start_date, project.planned_completion_date) == (first, last)


def test_it_refuses_a_date_beyond_the_years_in_the_services(julu, own_project):
    before, planned = counts(), own_project.planned_completion_date

    with translation.override("en"), pytest.raises(ValidationError) as created:
        build_project(julu, start_date=date(9999, 12, 31))
    with translation.override("en"), pytest.raises(ValidationError) as updated:
        services.project_update(
            actor=SYSTEM,
            project=own_project,
            data=project_data(
                code=own_project.code,
                enterprise=own_project.enterprise,
                planned_completion_date=date(9999, 12, 31),
            ),
        )

    assert created.value.message_dict["start_date"] == [REASON]
    assert updated.value.message_dict["planned_completion_date"] == [REASON]
    assert counts() == before
    assert Project.objects.get(pk=own_project.pk).planned_completion_date == planned
