"""Every list that offers a `sort` answers each of its orders, and its pages, read one after the other, are
the whole list in that order: no row repeated or skipped at a page's edge (each order ends on a unique key)."""

from __future__ import annotations

import pytest

from keyprojects.api.api import api

PAGE = 3


def _sorted_lists() -> list[tuple[str, str]]:
    """(path, sort) for every paged GET operation (it takes `limit`) without path parameters whose `sort` is
    an enumeration."""
    found = []
    schema = api.get_openapi_schema()
    for path, operations in schema["paths"].items():
        operation = operations.get("get")
        if operation is None or "{" in path:
            continue
        parameters = operation.get("parameters", [])
        if not any(parameter["name"] == "limit" for parameter in parameters):
            continue
        for parameter in parameters:
            if parameter["name"] == "sort":
                for value in parameter["schema"].get("enum", []):
                    found.append((path, value))
    return found


SORTED = _sorted_lists()


def test_the_lists_offer_their_orders():
    paths = {path for path, _sort in SORTED}
    assert {"/api/v1/projects", "/api/v1/problems", "/api/v1/reports", "/api/v1/plans"} <= paths
    assert {"/api/v1/daily/reports", "/api/v1/dispatch/tasks", "/api/v1/meetings/decisions"} <= paths
    assert "/api/v1/bulletins" in paths


@pytest.mark.django_db
@pytest.mark.parametrize("path, sort", SORTED, ids=[f"{p}?sort={s}" for p, s in SORTED])
def test_the_pages_of_a_sorted_list_are_the_whole_list(api_client, path, sort):
    client = api_client("office.julu")
    whole = client.get(path, {"sort": sort, "limit": 60})
    assert whole.status_code == 200, whole.content
    rows = whole.json()["items"]
    paged = [
        row
        for offset in range(0, len(rows), PAGE)
        for row in client.get(path, {"sort": sort, "limit": PAGE, "offset": offset}).json()["items"]
    ]

    assert paged == rows
