"""A user's notifications over the API: their own only, unread first to filter, marked read one by one or all."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from keyprojects.core import clock
from keyprojects.problems.models import Notification

pytestmark = pytest.mark.django_db

PERSONAS = ("admin", "city.xingtai", "office.julu", "leader.julu", "dept.julu.power", "ent.liangshan")


def notices(persona, username: str, n: int, **fields) -> list[Notification]:
    user = persona(username)
    return Notification.objects.bulk_create(
        [
            Notification(
                user=user, kind=Notification.Kind.BULLETIN_PUBLISHED, created_at=clock.now(), **fields
            )
            for _ in range(n)
        ]
    )


@pytest.mark.parametrize("username", PERSONAS)
def test_it_lists_the_users_own_notifications_only(api_client, persona, username):
    Notification.objects.all().delete()
    own = notices(persona, username, 2, subject_en="Mine", link="/bulletins/")
    notices(persona, "office.ningjin", 3, subject_en="Theirs")

    response = api_client(username, "en").get("/api/v1/notifications")

    assert response.status_code == 200
    assert response.json()["count"] == 2
    assert {n["id"] for n in response.json()["items"]} == {n.pk for n in own}
    first = response.json()["items"][0]
    assert (first["headline"], first["subject"], first["link"], first["read_at"]) == (
        "a bulletin was published",
        "Mine",
        "/bulletins/",
        None,
    )


def test_it_names_the_problem_a_notice_is_about(api_client, persona):
    from keyprojects.problems.models import Problem

    problem = Problem.objects.filter(project__county__slug="julu").order_by("pk").first()
    Notification.objects.create(
        user=persona("office.julu"), problem=problem, kind=Notification.Kind.REPORTED, created_at=clock.now()
    )
    item = api_client("office.julu", "en").get("/api/v1/notifications?limit=1").json()["items"][0]
    assert (item["problem"], item["subject"], item["headline"]) == (
        problem.pk,
        problem.title,
        "a problem was reported",
    )


def test_it_filters_unread_and_pages(api_client, persona):
    Notification.objects.filter(user__username="office.julu").delete()
    made = notices(persona, "office.julu", 5)
    Notification.objects.filter(pk=made[0].pk).update(read_at=clock.now())
    client = api_client("office.julu", "en")

    unread = client.get("/api/v1/notifications?unread=true").json()
    page = client.get("/api/v1/notifications?limit=2&offset=4").json()

    assert unread["count"] == 4
    assert made[0].pk not in [n["id"] for n in unread["items"]]
    assert (page["count"], len(page["items"])) == (5, 1)


@pytest.mark.parametrize(
    "query, field", [("unread=maybe", "unread"), ("limit=0", "limit"), ("offset=-1", "offset")]
)
def test_it_refuses_a_bad_parameter_with_400_naming_it(api_client, query, field):
    response = api_client("office.julu", "en").get(f"/api/v1/notifications?{query}")
    assert (response.status_code, response.json()["field"]) == (400, field)


def test_it_marks_one_of_the_users_notifications_read(api_client, persona):
    own = notices(persona, "office.julu", 2)
    theirs = notices(persona, "office.ningjin", 1)[0]
    client = api_client("office.julu", "en")

    marked = client.post(f"/api/v1/notifications/{own[0].pk}/read")
    again = client.post(f"/api/v1/notifications/{own[0].pk}/read")
    other = client.post(f"/api/v1/notifications/{theirs.pk}/read")

    assert marked.status_code == 200
    assert marked.json()["read_at"] is not None
    assert again.json()["read_at"] == marked.json()["read_at"]  # already read: left as it was
    assert other.status_code == 404
    theirs.refresh_from_db()
    own[1].refresh_from_db()
    assert theirs.read_at is None and own[1].read_at is None


def test_it_marks_all_the_users_notifications_read(api_client, persona):
    Notification.objects.filter(user__username="office.julu").update(read_at=clock.now())
    notices(persona, "office.julu", 3)
    theirs = notices(persona, "office.ningjin", 1)[0]
    client = api_client("office.julu", "en")

    response = client.post("/api/v1/notifications/read-all")

    assert response.json() == {"marked": 3}
    assert client.get("/api/v1/notifications?unread=true").json()["count"] == 0
    assert client.post("/api/v1/notifications/read-all").json() == {"marked": 0}
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_it_answers_401_without_a_token():
    assert Client().get("/api/v1/notifications").status_code == 401
    assert Client().post("/api/v1/notifications/read-all").status_code == 401


def test_it_lists_in_a_fixed_number_of_queries(api_client, persona):
    from keyprojects.problems.models import Problem

    client = api_client("office.julu", "en")
    problems = list(Problem.objects.filter(project__county__slug="julu").order_by("pk")[:10])

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as context:
            body = client.get("/api/v1/notifications?limit=1000").json()
        return len(context.captured_queries), len(body["items"])

    notices(persona, "office.julu", 1, problem=problems[0])
    few = count()
    for problem in problems:
        notices(persona, "office.julu", 1, problem=problem)
    many = count()
    assert many[1] > few[1]
    assert many[0] == few[0]
