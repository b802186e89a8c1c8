"""The investment API: the report's figures for the demo through September, its scope, its refusals and its
query counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from keyprojects.accounts import services as account_services
from keyprojects.core import clock
from keyprojects.core.workflow import SYSTEM
from keyprojects.investment import services
from keyprojects.investment.models import MonthlyReport, ReportStatus
from keyprojects.investment.tests.conftest import grow_julu
from keyprojects.projects.demo import programme_year
from keyprojects.projects.models import Project
from keyprojects.projects.selectors import KEY_LEVELS

# Depends on the day it runs: CI runs it again at a matrix of days (see .ci/run).
pytestmark = pytest.mark.calendar

YEAR = programme_year(clock.today())
SUMMARY = "/api/v1/investment/summary"
RANKING = "/api/v1/investment/ranking"


@pytest.fixture
def api_client(persona):
    """api_client("office.julu") → a client that sends that user's bearer token with every request."""

    def make(username: str) -> Client:
        _token, secret = account_services.api_token_create(user=persona(username), name="investment test")
        client = Client(headers={"Authorization": f"Bearer {secret}"})
        client.get("/api/v1/me")  # the first use records last_used_at; later calls within a minute do not
        return client

    return make


def test_it_gives_julu_s_figures_of_the_report_through_september(api_client):
    response = api_client("office.julu").get(SUMMARY, {"region": "julu", "year": YEAR, "through_month": 9})

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "region": "julu",
        "name": "巨鹿县",
        "year": YEAR,
        "through_month": 9,
        "projects": 53,
        "provincial": 10,
        "municipal": 43,
        "county_level": 0,
        "early_stage_provincial": body["early_stage_provincial"],  # "first in the city": see the ranking
        "total_investment": "17970000000.00",
        "planned": "806030000.00",
        "completed": "770000000.00",
        "completion_rate": "0.9553",
        "gap": "36030000.00",
        "rank_in_city": 3,
        "units_in_city": 18,
        "include_unverified": False,
    }


def test_it_ranks_the_eighteen_units_of_xingtai_with_julu_third(api_client):
    response = api_client("city.xingtai").get(
        RANKING, {"region": "xingtai", "year": YEAR, "through_month": 9}
    )

    assert response.status_code == 200
    rows = response.json()
    assert len(rows) == 18
    assert [row["rank"] for row in rows] == list(range(1, 19))
    assert rows[2]["region"] == "julu"
    assert (rows[2]["completed"], rows[2]["completion_rate"], rows[2]["rank_in_city"]) == (
        "770000000.00",
        "0.9553",
        3,
    )
    rates = [Decimal(row["completion_rate"]) for row in rows]
    assert rates == sorted(rates, reverse=True)
    assert all(row["units_in_city"] == 18 for row in rows)
    assert all(row["change"] == row["previous_rank"] - row["rank"] for row in rows)
    # "The number of provincial key early-stage projects ranks first in the city."
    most_early = max(rows, key=lambda row: row["early_stage_provincial"])
    assert most_early["region"] == "julu"


def a_month_in_the_queues() -> tuple[int, int]:
    """A year and month in which a Julu key project has a submitted or verified report: the demo's last
    due month, after September; before any such month is due, a report submitted here for October."""
    queued = (
        MonthlyReport.objects.filter(
            project__county__slug="julu",
            project__level__in=KEY_LEVELS,
            status__in=(ReportStatus.SUBMITTED, ReportStatus.VERIFIED),
            completed_investment__gt=0,
        )
        .order_by("-year", "-month")
        .first()
    )
    if queued is not None:
        return queued.year, queued.month
    project = Project.objects.filter(
        county__slug="julu", level__in=KEY_LEVELS, annual_plans__year=YEAR
    ).first()
    MonthlyReport.objects.filter(project=project, year=YEAR, month=10).delete()
    report = services.report_save(
        actor=SYSTEM, project=project, year=YEAR, month=10, completed_investment=Decimal(1_000_000),
        physical_progress=Decimal(50),
    )  # fmt: skip
    services.report_submit(actor=SYSTEM, report=report)
    return YEAR, 10


def test_it_counts_unverified_reports_when_asked(api_client):
    client = api_client("office.julu")
    year, month = a_month_in_the_queues()
    query = {"region": "julu", "year": year, "through_month": month}

    approved = client.get(SUMMARY, query).json()
    everything = client.get(SUMMARY, {**query, "include_unverified": "true"}).json()

    # The month's submitted and verified reports are in the queues: they count only in the second view.
    assert Decimal(everything["completed"]) > Decimal(approved["completed"])
    assert everything["planned"] == approved["planned"]
    assert everything["include_unverified"] is True


# ---- scope -----------------------------------------------------------------------------------------

PERSONAS = (
    "admin",
    "city.xingtai",
    "office.julu",
    "leader.julu",
    "dept.julu.power",
    "ent.liangshan",
    "office.ningjin",
)

# fmt: off
SCOPE = [
    # endpoint, region,     admin city office leader dept  ent  ningjin
    (SUMMARY,   "julu",     200,  200, 200,   200,   404,  404, 404),
    (SUMMARY,   "julu-edz", 200,  200, 200,   200,   404,  404, 404),
    (SUMMARY,   "ningjin",  200,  200, 404,   404,   404,  404, 200),
    # A county office reads the totals of its city, which it is ranked in, and nothing else above it:
    # no province ranking is published, so the province is the admin's only.
    (SUMMARY,   "xingtai",  200,  200, 200,   200,   404,  404, 200),
    (SUMMARY,   "hebei",    200,  404, 404,   404,   404,  404, 404),
    (SUMMARY,   "nowhere",  404,  404, 404,   404,   404,  404, 404),
    (RANKING,   "xingtai",  200,  200, 200,   200,   404,  404, 200),
    (RANKING,   "julu",     400,  400, 400,   400,   404,  404, 404),  # not a city; outside the scope first
    (RANKING,   "ningjin",  400,  400, 404,   404,   404,  404, 400),
    (RANKING,   "hebei",    400,  404, 404,   404,   404,  404, 404),
]
# fmt: on


@pytest.mark.parametrize(
    "username, endpoint, region, expected",
    [
        pytest.param(username, endpoint, region, statuses[i], id=f"{username}-{endpoint[-7:]}-{region}")
        for endpoint, region, *statuses in SCOPE
        for i, username in enumerate(PERSONAS)
    ],
)
def test_it_answers_each_persona_as_the_scope_rules_say(api_client, username, endpoint, region, expected):
    response = api_client(username).get(endpoint, {"region": region, "year": YEAR, "through_month": 9})

    assert response.status_code == expected
    if expected == 404:
        assert "completed" not in response.content.decode()


@pytest.mark.parametrize("username", PERSONAS)
@pytest.mark.parametrize("region", ["julu", "ningjin", "xingtai", "hebei"])
def test_it_answers_like_the_dashboard_does(client, login, api_client, username, region):
    login(username)
    page = client.get(reverse("investment:dashboard", args=[region]), {"year": YEAR, "month": 9})
    api = api_client(username).get(SUMMARY, {"region": region, "year": YEAR, "through_month": 9})

    assert api.status_code == page.status_code


def test_it_asks_who_is_calling(client):
    response = client.get(SUMMARY, {"region": "julu", "year": YEAR, "through_month": 9})

    assert response.status_code == 401


# ---- bad parameters --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "endpoint, params, field",
    [
        (SUMMARY, {"region": "julu", "year": YEAR, "through_month": 13}, "through_month"),
        (SUMMARY, {"region": "julu", "year": YEAR, "through_month": 0}, "through_month"),
        (SUMMARY, {"region": "julu", "year": 1999, "through_month": 9}, "year"),
        (RANKING, {"region": "xingtai", "year": 2101, "through_month": 9}, "year"),
        (RANKING, {"region": "julu", "year": YEAR, "through_month": 9}, "region"),
    ],
)
def test_it_refuses_a_bad_period_or_region_with_a_message(api_client, endpoint, params, field):
    response = api_client("office.julu").get(endpoint, params)

    assert response.status_code == 400
    assert response.json()["field"] == field
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"region": "julu", "year": "twenty", "through_month": 9}, "year"),
        ({"year": YEAR, "through_month": 9}, "region"),
    ],
)
def test_it_refuses_missing_or_malformed_parameters_with_400_naming_them(api_client, params, field):
    response = api_client("office.julu").get(SUMMARY, params)

    assert response.status_code == 400
    assert response.json()["field"] == field
    assert response.json()["detail"].startswith(field)


def test_it_answers_the_dashboard_s_default_period_without_a_year_or_month(api_client, client, login):
    login("office.julu")
    page = client.get(reverse("investment:dashboard", args=["julu"]))

    body = api_client("office.julu").get(SUMMARY, {"region": "julu"}).json()
    ranking = api_client("office.julu").get(RANKING, {"region": "xingtai"}).json()

    assert (body["year"], body["through_month"]) == (page.context["year"], page.context["month"])
    assert body["completed"] == str(page.context["summary"].figures.completed)
    assert ranking[0]["year"] == clock.default_year()


def test_it_shows_another_year_whole_when_only_the_year_is_given(api_client):
    body = api_client("office.julu").get(SUMMARY, {"region": "julu", "year": YEAR - 1}).json()

    assert (body["year"], body["through_month"]) == (YEAR - 1, 12)


# ---- query counts ----------------------------------------------------------------------------------

CALLS = [
    ("office.julu", SUMMARY, {"region": "julu", "year": YEAR, "through_month": 9}),
    ("city.xingtai", SUMMARY, {"region": "xingtai", "year": YEAR, "through_month": 9}),
    ("office.julu", RANKING, {"region": "xingtai", "year": YEAR, "through_month": 9}),
    (
        "city.xingtai",
        RANKING,
        {"region": "xingtai", "year": YEAR, "through_month": 10, "include_unverified": "true"},
    ),
]


def _queries(clients) -> dict:
    counts = {}
    for username, endpoint, params in CALLS:
        with CaptureQueriesContext(connection) as captured:
            response = clients[username].get(endpoint, params)
        assert response.status_code == 200
        counts[(username, endpoint, tuple(params.values()))] = len(captured)
    return counts


def test_it_runs_as_many_queries_whatever_the_number_of_projects(api_client):
    clients = {username: api_client(username) for username in {call[0] for call in CALLS}}
    before = _queries(clients)

    grow_julu(YEAR, 40)
    after = _queries(clients)

    assert after == before
