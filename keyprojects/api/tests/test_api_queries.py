"""The API lists run a fixed number of queries, however many rows they return."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from keyprojects.accounts import services
from keyprojects.accounts.models import Region
from keyprojects.core.workflow import SYSTEM

EXTRA_ROWS = 30
# Today: the token (with its user), the scope and the list itself; a little room above that.
MAX_QUERIES = 6


def add_rows(collection: str) -> None:
    julu = Region.objects.get(slug="julu")
    for i in range(EXTRA_ROWS):
        if collection == "departments":
            services.department_create(
                actor=SYSTEM,
                region=julu,
                slug=f"julu-extra-{i}",
                name_zh=f"部门{i}",
                name_en=f"D{i}",
                kind="other",
            )
        elif collection == "enterprises":
            services.enterprise_create(
                actor=SYSTEM, region=julu, slug=f"julu-co-{i}", name_zh=f"公司{i}", name_en=f"Co {i}"
            )
        else:
            services.region_create(
                actor=SYSTEM,
                slug=f"julu-zone-{i}",
                name_zh=f"园区{i}",
                name_en=f"Zone {i}",
                kind="zone",
                parent=julu,
            )


def queries_for(client: Client, path: str) -> tuple[int, int]:
    """(number of queries, number of rows) of one GET."""
    with CaptureQueriesContext(connection) as context:
        response = client.get(path)
    assert response.status_code == 200
    body = response.json()
    return len(context.captured_queries), len(
        body["items"] if isinstance(body, dict) and "items" in body else body
    )


@pytest.mark.parametrize("collection", ["regions", "departments", "enterprises"])
@pytest.mark.parametrize("username", ["office.julu", "dept.julu.power", "city.xingtai", "admin"])
def test_it_lists_in_a_fixed_number_of_queries(
    api_client, username, collection, django_assert_max_num_queries
):
    client = api_client(username)
    path = f"/api/v1/{collection}?limit=10000"

    few, rows_before = queries_for(client, path)
    add_rows(collection)
    many, rows_after = queries_for(client, path)

    assert rows_after == rows_before + EXTRA_ROWS
    assert many == few
    with django_assert_max_num_queries(MAX_QUERIES):
        client.get(path)


def test_it_answers_me_in_a_fixed_number_of_queries(api_client, persona, django_assert_max_num_queries):
    client = api_client("office.julu")
    few, _ = queries_for(client, "/api/v1/me")
    user = persona("office.julu")
    for slug in ("ningjin", "xindu", "shahe"):
        services.membership_grant(
            actor=SYSTEM, user=user, role="leader", region=Region.objects.get(slug=slug)
        )
    many, _ = queries_for(client, "/api/v1/me")
    assert many == few
    with django_assert_max_num_queries(MAX_QUERIES):
        client.get("/api/v1/me")


def test_it_lists_tokens_in_a_fixed_number_of_queries(api_client, persona):
    client = api_client("office.julu")
    few, rows_before = queries_for(client, "/api/v1/auth/tokens")
    for i in range(EXTRA_ROWS):
        services.api_token_create(user=persona("office.julu"), name=f"script {i}")
    many, rows_after = queries_for(client, "/api/v1/auth/tokens")
    assert rows_after == rows_before + EXTRA_ROWS
    assert many == few
