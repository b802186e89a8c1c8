"""The token endpoint against abuse (issue 15): oversized and malformed input, a forged X-Forwarded-For,
password guessing (the same lockout as the log-in page)."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.test import Client

from keyprojects.accounts.demo import DEMO_PASSWORD
from keyprojects.accounts.models import ApiToken

TOKEN_URL = "/api/v1/auth/token"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_throttle():
    """The throttle counts in the cache, which outlives a test's transaction."""
    cache.clear()
    yield
    cache.clear()


def post(client: Client, body: str, headers: dict | None = None, **extra):
    headers = {"Accept-Language": "en", **(headers or {})}
    return client.post(TOKEN_URL, body, content_type="application/json", headers=headers, **extra)


def credentials(username: str, password: str) -> str:
    return json.dumps({"username": username, "password": password})


def test_it_refuses_a_ten_megabyte_request_with_400_in_json(client, settings):
    body = credentials("a" * (10 * 1024 * 1024), "x")
    assert len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE  # Django refuses it before anything reads it

    response = post(client, body)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "The request is too large."}
    assert not ApiToken.objects.exists()


def test_an_unknown_api_address_answers_404_in_json(client):
    response = client.get("/api/v1/no-such-resource", headers={"Accept-Language": "en"})

    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


@pytest.mark.parametrize("field, size", [("username", 1024 * 1024), ("username", 151), ("password", 5000)])
def test_it_refuses_an_overlong_user_name_or_password_with_400(client, field, size):
    values = {"username": "office.julu", "password": DEMO_PASSWORD, field: "a" * size}

    response = post(client, json.dumps(values))

    assert response.status_code == 400
    assert response.json()["field"] == field
    assert response.json()["detail"] == f"{field}: Enter a valid value."


@pytest.mark.parametrize("field", ["username", "password", "name"])
def test_it_refuses_a_lone_surrogate_with_400(client, field):
    values = {"username": "office.julu", "password": DEMO_PASSWORD, "name": "x"}
    body = json.dumps(values).replace(f'"{values[field]}"', '"a\\ud800"')
    assert "\\ud800" in body

    response = post(client, body)

    assert response.status_code == 400
    assert response.json()["field"] == field
    assert response.json()["detail"]
    assert not ApiToken.objects.exists()


def test_a_forged_forwarded_for_does_not_escape_the_throttle(client):
    statuses = [
        post(
            client, credentials(f"user-{n}", "guess"), headers={"X-Forwarded-For": f"203.0.113.{n}"}
        ).status_code
        for n in range(21)
    ]
    assert statuses[:20] == [401] * 20
    assert statuses[20] == 429


def test_behind_a_trusted_proxy_each_client_has_its_own_allowance(client, settings):
    settings.KEYPROJECTS_TRUSTED_PROXIES = ["127.0.0.1"]  # the test client's address plays the proxy
    statuses = {
        post(
            client, credentials(f"user-{n}", "guess"), headers={"X-Forwarded-For": f"203.0.113.{n}"}
        ).status_code
        for n in range(25)
    }
    same = [
        post(client, credentials(f"user-{n}", "guess"), headers={"X-Forwarded-For": "203.0.113.99"})
        for n in range(21)
    ]

    assert statuses == {401}
    assert same[-1].status_code == 429


def test_it_locks_out_password_guessing_with_a_message(client):
    statuses = [post(client, credentials("office.julu", f"guess-{n}")).status_code for n in range(5)]
    assert statuses == [401, 401, 401, 401, 429]  # the fifth wrong password already meets the lockout

    response = post(client, credentials("office.julu", DEMO_PASSWORD))

    assert response.status_code == 429
    assert response.json()["detail"].startswith("Too many wrong passwords for this user from this computer.")
    assert not ApiToken.objects.exists()
    # The same user at another address, and another user here, still get their tokens.
    assert (
        post(Client(), credentials("office.julu", DEMO_PASSWORD), REMOTE_ADDR="10.0.0.2").status_code == 201
    )
    assert post(client, credentials("leader.julu", DEMO_PASSWORD)).status_code == 201
