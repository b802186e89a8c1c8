"""GET /api/v1/audit: one object's log, for the project offices and the administrators, under their scope;
every malformed parameter answers 400 naming it, and the page costs the same queries however long the log."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from keyprojects.core.audit import acting_from, audit_record
from keyprojects.core.workflow import SYSTEM
from keyprojects.problems.models import Problem
from keyprojects.projects.models import Project

pytestmark = pytest.mark.django_db

URL = "/api/v1/audit"
COUNTY_TIME = ZoneInfo(settings.TIME_ZONE)
MAX_QUERIES = 8


@pytest.fixture
def julu_project() -> Project:
    """A Julu project of the enterprise ent.liangshan."""
    return Project.objects.filter(county__slug="julu", enterprise__slug="liangshan").order_by("pk").first()


@pytest.fixture
def ningjin_project() -> Project:
    return Project.objects.filter(county__slug="ningjin").order_by("pk").first()


def record(target, *, actor=SYSTEM, action="test.audit", address="192.0.2.10", **data):
    with acting_from(address):
        return audit_record(actor=actor, action=action, target=target, data=data)


def read(client: Client, **params):
    return client.get(URL, params)


# ---- what an office reads -------------------------------------------------------------------------


def test_it_answers_the_entries_of_an_object_newest_first(api_client, persona, julu_project):
    office = persona("office.julu")
    first = record(julu_project, actor=office, stage="construction")
    second = record(julu_project, address="2001:db8::7")

    response = read(
        api_client("office.julu", "en"), object=f"project:{julu_project.code}", action="test.audit"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 2
    julu_project_repr = first.target_repr  # named in the language active when the action was recorded
    times = [datetime.fromisoformat(item.pop("at")) for item in body["items"]]
    assert [abs(t - e.at).total_seconds() < 0.001 for t, e in zip(times, (second, first), strict=True)] == [
        True
    ] * 2
    assert body["items"] == [
        {
            "id": second.pk,
            "actor": None,
            "actor_username": None,
            "address": "2001:db8::7",
            "action": "test.audit",
            "object_type": "projects.project",
            "object_id": str(julu_project.pk),
            "object_repr": julu_project_repr,
            "data": {},
        },
        {
            "id": first.pk,
            "actor": str(office),
            "actor_username": "office.julu",
            "address": "192.0.2.10",
            "action": "test.audit",
            "object_type": "projects.project",
            "object_id": str(julu_project.pk),
            "object_repr": julu_project_repr,
            "data": {"stage": "construction"},
        },
    ]


def test_it_answers_only_the_named_objects_entries(api_client, julu_project):
    other = Project.objects.filter(county__slug="julu").exclude(pk=julu_project.pk).first()
    record(julu_project)
    record(other)

    items = read(api_client("office.julu", "en"), object=f"project:{julu_project.code}").json()["items"]

    assert items and {(i["object_type"], i["object_id"]) for i in items} == {
        ("projects.project", str(julu_project.pk))
    }


def test_it_finds_a_project_by_county_and_code_and_other_objects_by_number(api_client, julu_project):
    problem = Problem.objects.filter(project__county__slug="julu").first()
    record(julu_project)
    record(problem)
    client = api_client("city.xingtai", "en")

    by_county = read(client, object=f"project:julu/{julu_project.code}", action="test.audit").json()
    by_number = read(client, object=f"problem:{problem.pk}", action="test.audit").json()

    assert [i["object_id"] for i in by_county["items"]] == [str(julu_project.pk)]
    assert [(i["object_type"], i["object_id"]) for i in by_number["items"]] == [
        ("problems.problem", str(problem.pk))
    ]


def test_it_filters_by_the_days_in_county_time(api_client, julu_project):
    for day in (9, 10, 11):
        with time_machine.travel(datetime(2026, 3, day, 0, 30, tzinfo=COUNTY_TIME), tick=False):
            record(julu_project, day=day)
    client = api_client("office.julu", "en")

    def days(**params) -> list[int]:
        found = read(client, object=f"project:{julu_project.code}", action="test.audit", **params)
        assert found.status_code == 200, found.content
        return [item["data"]["day"] for item in found.json()["items"]]

    assert days(since="2026-03-10") == [11, 10]
    assert days(until="2026-03-10") == [10, 9]
    assert days(since="2026-03-10", until="2026-03-10") == [10]


def test_it_pages_with_limit_and_offset(api_client, julu_project):
    for n in range(5):
        record(julu_project, n=n)

    body = read(
        api_client("office.julu", "en"),
        object=f"project:{julu_project.code}",
        action="test.audit",
        limit=2,
        offset=1,
    ).json()

    assert body["count"] == 5
    assert [item["data"]["n"] for item in body["items"]] == [3, 2]


# ---- who reads what -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "username, county, expected",
    [
        ("admin", "julu", 200),
        ("admin", "ningjin", 200),
        ("city.xingtai", "julu", 200),
        ("city.xingtai", "ningjin", 200),
        ("office.julu", "julu", 200),
        ("office.julu", "ningjin", 404),
        ("office.ningjin", "julu", 404),
        ("leader.julu", "julu", 403),
        ("dept.julu.power", "julu", 403),
        ("ent.liangshan", "julu", 403),  # its own project: the log names people and addresses
    ],
)
def test_it_answers_each_role_as_the_audit_scope_says(
    api_client, julu_project, ningjin_project, username, county, expected
):
    project = julu_project if county == "julu" else ningjin_project

    response = read(api_client(username, "en"), object=f"project:{project.code}")

    assert response.status_code == expected, response.content
    if expected == 403:
        assert (
            response.json()["detail"] == "Only the project offices and the administrators read the audit log."
        )


def test_it_answers_404_for_an_object_that_does_not_exist(api_client):
    assert read(api_client("admin", "en"), object="problem:987654321").status_code == 404


def test_it_needs_a_login():
    assert Client().get(URL, {"object": "region:julu"}).status_code == 401


# ---- malformed parameters -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, field, detail",
    [
        ({}, "object", "object: This field is required."),
        (
            {"object": "julu"},
            "object",
            "object: Name the object as kind:id, with one of these kinds: project,",
        ),
        ({"object": "spaceship:1"}, "object", "object: Name the object as kind:id"),
        ({"object": "problem:"}, "object", "object: Name the object as kind:id"),
        ({"object": "problem:abc"}, "object", "object: Enter a whole number."),
        ({"object": "problem:-1"}, "object", "object: Enter a whole number."),
        ({"object": "problem:0"}, "object", "object: Ensure this value is greater than or equal to 1."),
        (
            {"object": f"problem:{2**64}"},
            "object",
            f"object: Ensure this value is less than or equal to {2**63 - 1}.",
        ),
        ({"object": "region:" + "x" * 300}, "object", "object: Enter a valid value."),
        ({"object": "region:julu", "action": "x" * 81}, "action", "action: Enter a valid value."),
        ({"object": "region:ju\x00lu"}, "object", "object: Enter a valid value."),
        ({"object": "region:julu", "since": "2026-02-30"}, "since", "since: Enter a valid date."),
        ({"object": "region:julu", "since": "1900-01-01"}, "since", "since: Give a date from 2000-01-01"),
        ({"object": "region:julu", "until": "9999-12-31"}, "until", "until: Give a date from 2000-01-01"),
        (
            {"object": "region:julu", "since": "2026-03-02", "until": "2026-03-01"},
            "until",
            "until: Give a day on or after the day of “since”.",
        ),
        (
            {"object": "region:julu", "limit": "0"},
            "limit",
            "limit: Ensure this value is greater than or equal",
        ),
        ({"object": "region:julu", "limit": str(2**64)}, "limit", "limit: Ensure this value is less than"),
        ({"object": "region:julu", "offset": "-1"}, "offset", "offset: Ensure this value is greater than"),
        ({"object": "region:julu", "offset": str(2**64)}, "offset", "offset: Ensure this value is less than"),
    ],
)
def test_it_refuses_a_malformed_parameter_naming_it(api_client, params, field, detail):
    response = read(api_client("office.julu", "en"), **params)

    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert response.json()["detail"].startswith(detail)


def test_it_asks_for_the_county_when_a_code_repeats_in_the_scope(api_client, julu_project, ningjin_project):
    Project.objects.filter(pk=ningjin_project.pk).update(code=julu_project.code)

    response = read(api_client("city.xingtai", "en"), object=f"project:{julu_project.code}")

    assert response.status_code == 400
    assert "name its county, project:county/code" in response.json()["detail"]
    assert read(api_client("office.julu", "en"), object=f"project:{julu_project.code}").status_code == 200


# ---- cost -----------------------------------------------------------------------------------------


def queries_for(client: Client, params: dict) -> tuple[int, int]:
    """(number of queries, number of entries) of one GET."""
    with CaptureQueriesContext(connection) as context:
        response = read(client, **params)
    assert response.status_code == 200, response.content
    return len(context.captured_queries), len(response.json()["items"])


@pytest.mark.parametrize("username", ["office.julu", "city.xingtai", "admin"])
def test_it_reads_a_page_in_a_fixed_number_of_queries(
    api_client, persona, julu_project, username, django_assert_max_num_queries
):
    client = api_client(username, "en")
    params = {"object": f"project:{julu_project.code}", "action": "test.audit"}
    record(julu_project, actor=persona("office.julu"))

    read(client, **params)  # the token notes its use (at most once a minute): not part of the count
    few, one = queries_for(client, params)
    for name in ("office.julu", "leader.julu", "admin", "ent.liangshan") * 10:
        record(julu_project, actor=persona(name))
    many, forty_one = queries_for(client, params)

    assert (one, forty_one) == (1, 41)
    assert many == few
    with django_assert_max_num_queries(MAX_QUERIES):
        read(client, **params)
