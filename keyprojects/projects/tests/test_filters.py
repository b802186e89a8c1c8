"""The registry list's one filter declaration (ProjectFilterSet): drop-downs of what the user's offices cover,
an invalid value dropped alone and shown on its field, and the export naming exactly the filters applied."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from keyprojects.accounts.models import Department, Region, User
from keyprojects.projects.filters import ProjectFilterSet
from keyprojects.projects.models import Project

pytestmark = pytest.mark.django_db

LIST = reverse("projects:list")
EXPORT_XLSX = reverse("projects:export", args=["xlsx"])


def choices(filterset: ProjectFilterSet, name: str) -> set:
    return {value for value, _label in filterset.form.fields[name].choices if value != ""}


def test_it_offers_a_county_office_its_own_zones_leaders_and_departments_and_no_county(persona):
    filterset = ProjectFilterSet(user=persona("office.julu"))

    assert "county" not in filterset.form.fields
    assert filterset.only_choices == {"county": "julu"}
    julu = Region.objects.get(slug="julu")
    assert choices(filterset, "zone") == set(
        Region.objects.filter(parent=julu, kind=Region.Kind.ZONE).values_list("slug", flat=True)
    )
    assert choices(filterset, "department") == set(
        Department.objects.filter(region__path__startswith=julu.path).values_list("slug", flat=True)
    )
    leaders = choices(filterset, "leader")
    assert User.objects.get(username="leader.julu.2").pk in leaders
    assert not User.objects.filter(pk__in=leaders).exclude(memberships__region=julu).exists()


def test_it_offers_the_city_office_its_counties(persona):
    filterset = ProjectFilterSet(user=persona("city.xingtai"))

    assert {"julu", "ningjin"} <= choices(filterset, "county")
    assert "hebei" not in choices(filterset, "county")


def test_it_drops_an_invalid_value_alone_shows_it_on_its_field_and_applies_the_rest(client, login):
    login("office.julu")

    response = client.get(LIST, {"level": "national", "stage": "construction", "sort": "-code"})

    form = response.context["form"]
    assert set(form.errors) == {"level"}
    expected = Project.objects.filter(county__slug="julu", stage="construction").order_by("-code")
    assert [p.code for p in response.context["page"]] == [p.code for p in expected][:25]
    assert response.context["totals"].count == expected.count()


def test_it_keeps_the_filters_and_the_order_in_the_links_without_the_empty_ones(client, login):
    login("office.julu")

    response = client.get(LIST, {"level": "", "zone": "julu-edz", "sort": "-investment", "page": "2"})

    assert response.context["query"] == "zone=julu-edz&sort=-investment"


def test_it_names_the_leader_and_the_department_in_the_export_and_not_a_refused_value(client, login):
    user = login("office.julu")
    user.language = "en"
    user.save(update_fields=["language"])
    leader = User.objects.get(username="leader.julu.2")
    department = Department.objects.get(slug="julu-bank")

    response = client.get(
        EXPORT_XLSX, {"leader": str(leader.pk), "department": "julu-bank", "health": "purple", "sort": "name"}
    )

    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A3"].value == (
        f"Filters: Leader in charge: {leader} · Responsible department: {department.name_en}"
    )


def test_above_a_size_the_department_drop_down_offers_the_chosen_units_only(persona, monkeypatch):
    """A province's ~1,200 departments are not listed at once: the page asks for a unit first, then offers its
    departments; a department of another unit given in the query still filters (a link, the API)."""
    monkeypatch.setattr("keyprojects.projects.filters.OFFERED_AT_MOST", 1)
    city_office = persona("city.xingtai")
    julu = Region.objects.get(slug="julu")
    julu_departments = set(Department.objects.filter(region=julu).values_list("slug", flat=True))
    other = (
        Department.objects.filter(region__parent=julu.parent).exclude(region=julu).order_by("slug").first()
    )

    def offered(data: dict) -> tuple[str, set]:
        field = ProjectFilterSet(data, user=city_office).form.fields["department"]
        empty, *rest = field.widget.choices
        with translation.override("en"):
            return str(empty[1]), {value for value, _label in rest}

    empty, listed = offered({})
    assert listed == set() and "choose a county-level unit" in empty
    assert offered({"county": "julu"})[1] == julu_departments
    assert offered({"county": "julu", "department": other.slug})[1] == julu_departments | {other.slug}

    filterset = ProjectFilterSet({"department": other.slug}, user=city_office)
    assert filterset.is_valid()
    assert set(filterset.qs.values_list("pk", flat=True)) == set(
        Project.objects.filter(responsible_departments=other).values_list("pk", flat=True)
    )
