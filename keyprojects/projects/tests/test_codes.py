"""Project codes: one rule for every way a code is written (the form, the services, the import), and pages
that never fail on a code stored before the rule (a legacy row with a slash, written straight into the table)."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from django.core.exceptions import ValidationError
from django.urls import resolve, reverse
from django.utils import translation

from keyprojects.core.workflow import SYSTEM
from keyprojects.imports.tests.registry_files import new_row
from keyprojects.imports.tests.test_registry_rows import check_rows
from keyprojects.projects import services
from keyprojects.projects.models import Project, validate_project_code
from keyprojects.projects.tests.conftest import build_project, project_data
from keyprojects.projects.tests.test_views import in_english, project_post


@pytest.fixture(autouse=True)
def english():
    """The refusals are read in English here."""
    with translation.override("en"):
        yield


pytestmark = pytest.mark.django_db

# (code, the reason in English): each one an address could not carry, or would carry somewhere else.
REFUSED = [
    pytest.param("JL/2026/001", "not “/”", id="slash"),
    pytest.param("JL 2026", "not “space”", id="space"),
    pytest.param("JL\t2026", "not “space”", id="tab"),
    pytest.param("JL?1#2", "not “#” “?”", id="query-and-fragment"),
    pytest.param("JL%2F1", "not “%”", id="percent"),
    pytest.param("JL／1", "not “／”", id="full-width-slash"),
    pytest.param("..", "A code begins with a letter or a digit.", id="dots"),
    pytest.param("-JL-1", "A code begins with a letter or a digit.", id="leading-dash"),
    pytest.param("new", "is part of the registry's page addresses", id="reserved"),
]
ACCEPTED = ["JL-2099-001", "巨鹿-2026_01", "JL.2026.1", "2026001"]
# Codes a row may hold from before the rule (or from SQL): every page must still answer.
LEGACY = ["JL/2019/007", "JL 2019?#%25", "..", "../x"]


@pytest.mark.parametrize("code, reason", REFUSED)
def test_it_refuses_a_code_an_address_could_not_carry_on_the_form(client, login, code, reason):
    in_english(login("office.julu"))
    count = Project.objects.count()

    response = client.post(reverse("projects:create", args=["julu"]), project_post(code=code))

    assert response.status_code == 200
    assert reason in " ".join(response.context["form"].errors["code"])
    assert Project.objects.count() == count


@pytest.mark.parametrize("code", ACCEPTED)
def test_it_accepts_letters_of_any_script_digits_dashes_underscores_and_dots(client, login, code):
    login("office.julu")

    response = client.post(reverse("projects:create", args=["julu"]), project_post(code=code))

    project = Project.objects.get(county__slug="julu", code=code)
    assert response["Location"] == reverse("projects:detail", args=["julu", code])
    assert client.get(response["Location"]).context["project"] == project


@pytest.mark.parametrize("code, reason", REFUSED)
def test_it_refuses_such_a_code_in_the_services_too(julu, own_project, code, reason):
    count, stored = Project.objects.count(), own_project.code

    with translation.override("en"), pytest.raises(ValidationError) as created:
        build_project(julu, code=code)
    with translation.override("en"), pytest.raises(ValidationError) as updated:
        services.project_update(
            actor=SYSTEM,
            project=own_project,
            data=project_data(code=code, enterprise=own_project.enterprise),
        )

    assert reason in " ".join(created.value.message_dict["code"])
    assert reason in " ".join(updated.value.message_dict["code"])
    assert Project.objects.count() == count
    assert Project.objects.get(pk=own_project.pk).code == stored


@pytest.mark.parametrize("code, reason", REFUSED)
def test_it_refuses_such_a_code_in_an_import_once_with_the_same_reason(julu, code, reason):
    with translation.override("en"):
        _queries, plan = check_rows(julu, [new_row("JL-2099-801"), new_row(code)])

    assert len(plan.errors) == 1
    assert reason in plan.errors[0].reason
    assert [row.data.code for row in plan.rows] == ["JL-2099-801"]


def test_it_holds_every_code_of_the_demo_to_the_rule(db):
    codes = list(Project.objects.values_list("code", flat=True))

    for code in codes:
        validate_project_code(code)
    assert len(codes) > 30


@pytest.mark.parametrize("code", LEGACY + ACCEPTED)
def test_it_gives_every_stored_code_an_address_that_leads_back_to_it(code):
    url = reverse("projects:edit", args=["julu", code])

    # The server decodes the address once before resolving it.
    assert resolve(unquote(url)).kwargs == {"county": "julu", "code": code}
    assert "/../" not in url and "/./" not in url


def legacy(project: Project, code: str) -> Project:
    """The project as a row written before the code rule: straight into the table, no validation."""
    Project.objects.filter(pk=project.pk).update(code=code)
    project.refresh_from_db()
    return project


@pytest.mark.parametrize("code", LEGACY)
@pytest.mark.parametrize(
    "url",
    [
        reverse("projects:list"),
        reverse("dashboards:home"),
        reverse("projects:geojson"),
        reverse("problems:list"),
    ],
)
def test_it_keeps_every_list_page_up_with_a_legacy_code(client, login, own_project, code, url):
    legacy(own_project, code)
    login("office.julu")

    response = client.get(url)

    assert response.status_code == 200


@pytest.mark.parametrize("code", LEGACY)
def test_it_links_a_legacy_code_from_the_list_to_its_page(client, login, own_project, code):
    project = legacy(own_project, code)
    login("office.julu")

    listed = client.get(reverse("projects:list"), {"search": project.name_zh})
    page = client.get(reverse("projects:detail", args=["julu", code]))

    assert project in listed.context["page"].object_list
    assert reverse("projects:detail", args=["julu", code]) in listed.content.decode()
    assert page.status_code == 200
    assert page.context["project"] == project


@pytest.mark.parametrize("code", LEGACY)
def test_the_map_links_a_legacy_code_to_its_page(client, login, own_project, code):
    project = legacy(own_project, code)
    Project.objects.filter(pk=project.pk).update(lat=37.2, lng=115.0)
    login("office.julu")

    features = client.get(reverse("projects:geojson")).json()["features"]
    url = next(f["properties"]["url"] for f in features if f["properties"]["code"] == code)

    assert client.get(url).status_code == 200
