"""The registry API filters by the list page's own declaration (projects.filters.ProjectFilterSet): the same
parameters give the same projects in the same order, and a value the page would refuse answers 400, naming it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from keyprojects.accounts import services as account_services
from keyprojects.accounts.models import User
from keyprojects.projects.models import Project

pytestmark = pytest.mark.django_db

LIST = "/api/v1/projects"
TOTALS = "/api/v1/projects/totals"


@pytest.fixture
def api_client(persona):
    """api_client("office.julu") → a client that sends that user's bearer token with every request."""

    def make(username: str) -> Client:
        _token, secret = account_services.api_token_create(user=persona(username), name="filters test")
        return Client(headers={"Authorization": f"Bearer {secret}"})

    return make


def leader_id() -> str:
    return str(User.objects.get(username="leader.julu.2").pk)


# Each is a query string of the list page, filters and order together.
QUERIES = [
    pytest.param({"level": "municipal", "stage": "construction", "zone": "julu-edz"}, id="level-stage-zone"),
    pytest.param({"leader": "<leader.julu.2>", "sort": "-investment"}, id="leader-sorted"),
    pytest.param({"department": "julu-bank", "category": "industry"}, id="department-category"),
    pytest.param({"late_milestone": "on", "sort": "-health"}, id="late-milestone"),
    pytest.param({"health": "amber", "search": "园"}, id="health-search"),
    pytest.param({"paused": "on"}, id="paused"),
    pytest.param({"sort": "-stage"}, id="order-only"),
]


def _query(params: dict) -> dict:
    return {k: leader_id() if v == "<leader.julu.2>" else v for k, v in params.items()}


@pytest.mark.parametrize("params", QUERIES)
def test_it_filters_and_orders_by_the_same_declaration_as_the_list_page(api_client, client, login, params):
    query = _query(params)
    login("office.julu")
    page = client.get(reverse("projects:list"), query)
    assert page.status_code == 200 and not page.context["form"].errors
    expected = [p.code for p in page.context["page"].paginator.object_list]

    api = api_client("office.julu")
    # The API takes a ticked box as true, as the page takes the browser's "on".
    api_query = {k: "true" if v == "on" else v for k, v in query.items()}
    body = api.get(LIST, api_query | {"limit": 1000}).json()
    totals = api.get(TOTALS, api_query).json()

    assert [p["code"] for p in body["items"]] == expected
    assert body["count"] == totals["count"] == page.context["totals"].count
    assert expected, "the demo should give each query something to find"


def test_it_takes_a_county_office_s_own_county_though_the_page_offers_no_choice(api_client):
    body = api_client("office.julu").get(LIST, {"county": "julu", "limit": 1}).json()

    assert body["count"] == Project.objects.filter(county__slug="julu").count()


def test_it_lets_the_city_office_pick_a_county_as_the_page_does(api_client, client, login):
    login("city.xingtai")
    page = client.get(reverse("projects:list"), {"county": "ningjin"})

    body = api_client("city.xingtai").get(LIST, {"county": "ningjin", "limit": 1000}).json()

    assert {p["county"] for p in body["items"]} == {"ningjin"}
    assert (
        body["count"]
        == page.context["totals"].count
        == Project.objects.filter(county__slug="ningjin").count()
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"level": "national"}, "level"),
        ({"stage": "dreaming"}, "stage"),
        ({"county": "ningjin"}, "county"),  # a county office sees its own county only
        ({"zone": "ningjin-edz"}, "zone"),  # a zone of another county
        ({"department": "ningjin-resources"}, "department"),
        ({"leader": "999999999"}, "leader"),
        ({"health": "purple"}, "health"),
        ({"sort": "colour"}, "sort"),
    ],
)
@pytest.mark.parametrize("url", [LIST, TOTALS])
def test_it_refuses_a_value_the_page_would_refuse_with_400_naming_it(
    api_client, client, login, url, query, field
):
    response = api_client("office.julu").get(url, query)

    assert response.status_code == 400
    assert response.json()["field"] == field
    assert response.json()["detail"].startswith(field)  # "level：…" in the user's language
    # The page shows the same value as an error on its field (or offers no such filter) and lists the rest.
    login("office.julu")
    page = client.get(reverse("projects:list"), query)
    assert field in page.context["form"].errors or field not in page.context["form"].fields
    assert page.context["totals"].count == Project.objects.filter(county__slug="julu").count()
