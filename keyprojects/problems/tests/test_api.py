"""The problem API: the report's figures for the demo ("helped 40 projects, solved more than 60 problems"), the
list under the pages' scope, and query counts that do not grow with the list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from keyprojects.accounts import services as account_services
from keyprojects.core import clock
from keyprojects.problems.models import Category, Problem, Status
from keyprojects.problems.tests.conftest import add_julu_problems
from keyprojects.projects.demo import programme_year

# Depends on the day it runs: CI runs it again at a matrix of days (see .ci/run).
pytestmark = pytest.mark.calendar

YEAR = programme_year(clock.today())
SUMMARY = "/api/v1/problems/summary"
LIST = "/api/v1/problems"


@pytest.fixture
def api_client(persona):
    """api_client("office.julu") → a client that sends that user's bearer token with every request."""

    def make(username: str) -> Client:
        _token, secret = account_services.api_token_create(user=persona(username), name="problems test")
        client = Client(headers={"Authorization": f"Bearer {secret}"})
        client.get("/api/v1/me")  # the first use records last_used_at; later calls within a minute do not
        return client

    return make


def test_it_gives_julu_s_assistance_figures_of_the_report(api_client):
    response = api_client("office.julu").get(SUMMARY, {"region": "julu", "year": YEAR})

    assert response.status_code == 200
    body = response.json()
    assert (body["region"], body["year"]) == ("julu", YEAR)
    assert (body["projects_helped"], body["problems_solved"]) == (40, 63)
    assert body["problems_raised"] >= body["problems_solved"] + body["open"]  # the rest were declined
    assert body["median_days_to_solve"] > 0
    assert set(body["by_category"]) == set(Category.values)
    for column, total in (("raised", "problems_raised"), ("solved", "problems_solved"), ("open", "open")):
        assert sum(row[column] for row in body["by_category"].values()) == body[total]
    assert sum(d["solved"] for d in body["by_department"]) == 63
    assert "julu-bank" in {d["department"] for d in body["by_department"]}


def test_it_counts_the_demo_s_open_and_overdue_problems_in_the_years_they_were_raised(api_client):
    # The demo's open problems were raised 25–40 days ago: in the demo year or, later, in this one.
    client = api_client("office.julu")
    years = {(clock.today() - timedelta(days=days)).year for days in (25, 40)}

    bodies = [client.get(SUMMARY, {"region": "julu", "year": year}).json() for year in years]

    assert sum(body["open"] for body in bodies) > 0
    assert sum(body["overdue"] for body in bodies) > 0


def test_it_answers_the_default_year_without_one(api_client):
    body = api_client("office.julu").get(SUMMARY, {"region": "julu"}).json()

    assert body["year"] == clock.default_year()


def test_it_counts_the_statuses_as_the_problem_list_does(api_client):
    body = api_client("office.julu").get(SUMMARY, {"region": "julu", "year": YEAR}).json()
    julu = Problem.objects.filter(project__county__slug="julu", raised_at__year=YEAR)

    assert body["problems_raised"] == julu.count()
    assert body["problems_solved"] == julu.filter(status=Status.CLOSED).count()
    assert body["open"] == julu.exclude(status__in=[Status.CLOSED, Status.DECLINED]).count()
    helped = julu.filter(accepted_at__isnull=False).values("project").distinct().count()
    assert body["projects_helped"] == helped


def test_it_adds_up_the_counties_for_the_city(api_client):
    client = api_client("city.xingtai")

    city = client.get(SUMMARY, {"region": "xingtai", "year": YEAR}).json()
    julu = client.get(SUMMARY, {"region": "julu", "year": YEAR}).json()

    assert city["problems_solved"] > julu["problems_solved"]
    assert (
        city["problems_raised"]
        == Problem.objects.filter(
            project__county__path__startswith="/hebei/xingtai/", raised_at__year=YEAR
        ).count()
    )


@pytest.mark.parametrize(
    ("username", "region", "expected"),
    [
        ("office.julu", "julu", 200),
        ("leader.julu", "julu", 200),
        ("city.xingtai", "julu", 200),
        # The city's statistics list every county's departments: a county reads its own unit's only.
        ("office.julu", "xingtai", 404),
        ("leader.julu", "xingtai", 404),
        ("city.xingtai", "xingtai", 200),
        ("office.julu", "hebei", 404),
        ("office.ningjin", "hebei", 404),
        ("city.xingtai", "hebei", 404),
        ("admin", "hebei", 200),
        ("office.ningjin", "ningjin", 200),
        ("office.ningjin", "julu", 404),
        ("ent.liangshan", "julu", 404),
        ("dept.julu.bank", "julu", 404),
        ("office.julu", "atlantis", 404),
    ],
)
def test_it_gives_the_figures_only_to_those_who_read_them(api_client, username, region, expected):
    assert api_client(username).get(SUMMARY, {"region": region, "year": YEAR}).status_code == expected


def test_it_asks_who_is_calling(client):
    assert client.get(SUMMARY, {"region": "julu", "year": YEAR}).status_code == 401
    assert client.get(LIST).status_code == 401


def test_it_lists_problems_filtered(api_client):
    response = api_client("office.julu").get(
        LIST, {"county": "julu", "category": Category.FINANCING, "limit": 100}
    )

    assert response.status_code == 200
    body = response.json()
    expected = Problem.objects.filter(project__county__slug="julu", category=Category.FINANCING)
    assert body["count"] == expected.count() > 0
    assert {item["id"] for item in body["items"]} == set(expected.values_list("pk", flat=True))
    item = body["items"][0]
    assert set(item) >= {"id", "project", "county", "title", "status", "lead_department", "deadline"}
    assert (item["county"], item["category"]) == ("julu", "financing")


@pytest.mark.parametrize(
    ("username", "enterprise"), [("ent.newera", "newera"), ("ent.liangshan", "liangshan")]
)
def test_it_lists_an_enterprise_only_its_own_problems(api_client, username, enterprise):
    items = api_client(username).get(LIST, {"limit": 100}).json()["items"]

    own = Problem.objects.filter(project__enterprise__slug=enterprise)
    assert {i["id"] for i in items} == set(own.values_list("pk", flat=True))


def test_it_answers_404_for_a_problem_out_of_scope(api_client, at):
    problem = at(Status.ACCEPTED)

    assert api_client("dept.julu.power").get(f"{LIST}/{problem.pk}").json()["lead_department"] == "julu-power"
    assert api_client("office.ningjin").get(f"{LIST}/{problem.pk}").status_code == 404
    assert api_client("ent.newera").get(f"{LIST}/{problem.pk}").status_code == 404


# add_julu_problems raises its problems five days ago: on 1 January, in the year before.
ADDED_YEAR = (clock.today() - timedelta(days=5)).year


@pytest.mark.parametrize(
    ("username", "path"),
    [
        ("office.julu", f"{LIST}?county=julu&limit=100"),
        ("dept.julu.bank", f"{LIST}?limit=100"),
        ("office.julu", f"{SUMMARY}?region=julu&year={ADDED_YEAR}"),
        ("city.xingtai", f"{SUMMARY}?region=xingtai&year={ADDED_YEAR}"),
    ],
)
def test_it_answers_in_the_same_number_of_queries_however_many_problems(api_client, username, path):
    client = api_client(username)

    def count() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as context:
            response = client.get(path)
        assert response.status_code == 200
        return len(context), response.content

    before, content_before = count()
    add_julu_problems(30)
    after, content_after = count()

    assert after == before
    assert content_after != content_before


def test_it_filters_by_the_same_declaration_as_the_list_page(api_client, client, login):
    """The page's FilterSet is the API's: the same parameters give the same problems, zone and month too."""
    zone = "julu-edz"
    # The year of the zone's latest closed-out problem, in the county's calendar: on any day there is one.
    latest = Problem.objects.filter(project__zone__slug=zone, status=Status.CLOSED).latest("raised_at")
    raised = timezone.localtime(latest.raised_at)
    query = {"zone": zone, "status": "closed", "year": str(raised.year), "month": str(raised.month)}
    login("office.julu")
    page = client.get(reverse("problems:list"), query)

    body = api_client("office.julu").get(LIST, query | {"limit": 1000}).json()

    assert {i["id"] for i in body["items"]} == {p.pk for p in page.context["page"].paginator.object_list}
    assert body["count"] > 0


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"month": "13", "year": str(clock.today().year)}, "month"),
        ({"month": "3"}, "month"),  # a month needs its year, as on the page
        ({"county": "ningjin"}, "county"),  # a county's office sees its own county only
        ({"leader": "999999999"}, "leader"),
        ({"category": "weather"}, "category"),
    ],
)
def test_it_refuses_a_filter_value_the_page_would_refuse_naming_it(api_client, query, field):
    response = api_client("office.julu").get(LIST, query)

    assert response.status_code == 400
    assert response.json()["field"] == field
    assert response.json()["detail"].startswith(field)  # "month：…" in the user's language


def test_it_takes_a_county_office_s_own_county_though_the_page_offers_no_choice(api_client):
    own = api_client("office.julu").get(LIST, {"county": "julu", "limit": 1})
    assert (
        own.status_code == 200
        and own.json()["count"] == Problem.objects.filter(project__county__slug="julu").count()
    )
