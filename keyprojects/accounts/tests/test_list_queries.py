"""The directory pages run a fixed number of queries, however many rows they show."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from keyprojects.accounts import services
from keyprojects.accounts.models import Region
from keyprojects.core.workflow import SYSTEM

EXTRA_ROWS = 30
# A ceiling with some room: today session, user, scope, the count and the page (5 queries).
MAX_QUERIES = 10


def add_departments(region_slug: str, n: int = EXTRA_ROWS) -> None:
    region = Region.objects.get(slug=region_slug)
    for i in range(n):
        services.department_create(
            actor=SYSTEM,
            region=region,
            slug=f"{region_slug}-extra-{i}",
            name_zh=f"部门{i}",
            name_en=f"D{i}",
            kind="other",
        )


def add_enterprises(region_slug: str, n: int = EXTRA_ROWS) -> None:
    region = Region.objects.get(slug=region_slug)
    for i in range(n):
        services.enterprise_create(
            actor=SYSTEM, region=region, slug=f"{region_slug}-co-{i}", name_zh=f"公司{i}", name_en=f"Co {i}"
        )


def add_zones(parent_slug: str, n: int = EXTRA_ROWS) -> None:
    parent = Region.objects.get(slug=parent_slug)
    for i in range(n):
        zone = services.region_create(
            actor=SYSTEM,
            slug=f"{parent_slug}-zone-{i}",
            name_zh=f"园区{i}",
            name_en=f"Zone {i}",
            kind="zone",
            parent=parent,
        )
        # Each new zone brings its own department and enterprise, so the per-row counts have work to do.
        services.department_create(
            actor=SYSTEM,
            region=zone,
            slug=f"{zone.slug}-admin",
            name_zh="管委会",
            name_en="Admin",
            kind="zone_admin",
        )
        services.enterprise_create(
            actor=SYSTEM, region=zone, slug=f"{zone.slug}-co", name_zh="公司", name_en="Co"
        )


def queries_for(client, url: str, rows: int | None = None) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    if rows is not None:
        assert len(response.context["page"].object_list) == rows
    return len(context.captured_queries)


@pytest.mark.parametrize("username", ["office.julu", "leader.julu", "dept.julu.power"])
def test_it_lists_departments_in_a_fixed_number_of_queries(
    client, login, username, django_assert_max_num_queries
):
    login(username)
    url = reverse("accounts:department_list")
    client.get(url)  # the first request of a session may do one-off work

    few = queries_for(client, url, rows=10)
    add_departments("julu")
    many = queries_for(client, url, rows=10 + EXTRA_ROWS)

    assert many == few
    with django_assert_max_num_queries(MAX_QUERIES):
        client.get(url)


@pytest.mark.parametrize("username", ["office.julu", "leader.julu", "dept.julu.power"])
def test_it_lists_enterprises_in_a_fixed_number_of_queries(
    client, login, username, django_assert_max_num_queries
):
    login(username)
    url = reverse("accounts:enterprise_list")
    client.get(url)

    few = queries_for(client, url, rows=11)
    add_enterprises("julu")
    many = queries_for(client, url, rows=11 + EXTRA_ROWS)

    assert many == few
    with django_assert_max_num_queries(MAX_QUERIES):
        client.get(url)


def test_it_fills_a_page_of_the_city_list_in_a_fixed_number_of_queries(client, login):
    # The city sees 180 departments; a page holds 50, so the rows of other counties must cost nothing.
    login("city.xingtai")
    url = reverse("accounts:department_list")
    client.get(url)

    first_page = queries_for(client, url, rows=50)
    last_page = queries_for(client, url + "?page=4", rows=30)

    assert first_page == last_page


def test_it_shows_the_region_list_in_a_fixed_number_of_queries(client, login):
    login("office.julu")
    url = reverse("accounts:region_list")
    client.get(url)

    few = queries_for(client, url)
    add_zones("julu")
    many = queries_for(client, url)

    assert many == few


def test_it_shows_a_region_with_its_units_in_a_fixed_number_of_queries(client, login):
    login("office.julu")
    url = reverse("accounts:region_detail", args=["julu"])
    client.get(url)

    few = queries_for(client, url)
    add_zones("julu")
    add_departments("julu")
    response = client.get(url)
    many = queries_for(client, url)

    assert many == few
    assert len(response.context["children"]) == 2 + EXTRA_ROWS
    assert all(child.department_count == 1 for child in response.context["children"] if "zone" in child.slug)
