"""Personal access tokens: issued for a password, used as a bearer token, listed and revoked by their owner."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from keyprojects.accounts import services
from keyprojects.accounts.models import ApiToken
from keyprojects.core.models import AuditEntry

PASSWORD = "keyprojects-demo"
TOKEN_URL = "/api/v1/auth/token"
TOKENS_URL = "/api/v1/auth/tokens"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_throttle():
    """The token endpoint is rate-limited per address in the cache; each test starts with a clean slate."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def token_for(persona):
    """token_for("office.julu") → (ApiToken, secret), issued through the service."""

    def issue(username: str, name: str = "test") -> tuple[ApiToken, str]:
        return services.api_token_create(user=persona(username), name=name)

    return issue


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def issue(client: Client, username: str, password: str, name: str = ""):
    return client.post(
        TOKEN_URL,
        {"username": username, "password": password, "name": name},
        content_type="application/json",
    )


# ---- issuing -------------------------------------------------------------------------------------


def test_it_issues_a_token_for_a_good_password(client, persona):
    response = issue(client, "office.julu", PASSWORD, name="monthly export")

    assert response.status_code == 201
    body = response.json()
    assert body["token"].startswith("kp_")
    token = ApiToken.objects.get(pk=body["id"])
    assert token.user == persona("office.julu")
    assert token.name == "monthly export"
    assert token.is_usable
    assert token.expires_at > timezone.now() + timedelta(days=80)
    assert AuditEntry.objects.filter(action="api_token.create", target_id=str(token.pk)).exists()


def test_it_issues_a_token_that_works_at_once(client):
    secret = issue(client, "office.julu", PASSWORD).json()["token"]
    response = Client().get("/api/v1/me", headers=bearer(secret))
    assert response.status_code == 200
    assert response.json()["username"] == "office.julu"


def test_it_stores_only_a_hash_of_the_secret(client):
    secret = issue(client, "office.julu", PASSWORD).json()["token"]
    token = ApiToken.objects.get()

    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.startswith(token.prefix)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiToken._meta.db_table}")  # noqa: S608 - a fixed table name
        stored = [str(value) for row in cursor.fetchall() for value in row]
    assert not [value for value in stored if secret in value]
    logged = AuditEntry.objects.values_list("target_repr", "data")
    assert not [entry for entry in logged if secret in str(entry)]


@pytest.mark.parametrize(
    "username, password",
    [
        ("office.julu", "wrong-password"),
        ("office.julu", ""),
        ("nobody.here", PASSWORD),
        ("OFFICE.JULU", "wrong-password"),
    ],
)
def test_it_refuses_a_token_for_bad_credentials(client, username, password):
    response = issue(client, username, password)

    assert response.status_code == 401
    assert response.json()["detail"]
    assert "token" not in response.json()
    assert not ApiToken.objects.exists()


def test_it_refuses_a_token_to_a_deactivated_user(client, persona):
    user = persona("office.julu")
    user.is_active = False
    user.save()

    response = issue(client, "office.julu", PASSWORD)

    assert response.status_code == 401
    assert not ApiToken.objects.exists()


def test_it_gives_the_same_answer_for_an_unknown_user_and_a_wrong_password(client):
    # Nothing tells an attacker which user names exist.
    unknown = issue(client, "nobody.here", PASSWORD)
    wrong = issue(client, "office.julu", "wrong-password")
    assert (unknown.status_code, unknown.json()) == (wrong.status_code, wrong.json())


def test_it_rejects_a_request_without_a_password(client):
    response = client.post(TOKEN_URL, {"username": "office.julu"}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["field"] == "password"
    assert not ApiToken.objects.exists()


def test_it_throttles_password_guessing(client):
    # Twenty tries a minute from one address, whatever the user names (one user is locked out sooner).
    statuses = [issue(client, f"user-{n}", f"guess-{n}").status_code for n in range(21)]
    assert statuses[:20] == [401] * 20
    assert statuses[20] == 429


# ---- using a token -------------------------------------------------------------------------------


def test_it_answers_me_for_a_bearer_token(client, token_for):
    _token, secret = token_for("office.julu")

    response = client.get("/api/v1/me", headers=bearer(secret))

    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "office.julu"
    assert body["roles"] == [
        {"role": "county_office", "region": "julu", "department": None, "enterprise": None}
    ]


def test_it_answers_the_directory_for_a_bearer_token(client, token_for):
    _token, secret = token_for("dept.julu.power")

    departments = client.get("/api/v1/departments", headers=bearer(secret))
    regions = client.get("/api/v1/regions", headers=bearer(secret))
    enterprise = client.get("/api/v1/enterprises/liangshan", headers=bearer(secret))

    assert departments.status_code == 200
    assert departments.json()["count"] == 10
    assert {d["region"] for d in departments.json()["items"]} == {"julu"}
    assert {r["slug"] for r in regions.json()["items"]} == {"julu", "julu-edz", "julu-agri"}
    assert enterprise.json()["region"] == "julu"


def test_it_records_when_a_token_was_last_used_at_most_once_a_minute(client, token_for):
    token, secret = token_for("office.julu")
    assert token.last_used_at is None

    client.get("/api/v1/me", headers=bearer(secret))
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None

    client.get("/api/v1/me", headers=bearer(secret))
    token.refresh_from_db()
    assert token.last_used_at == first_use


@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/regions", "/api/v1/departments", TOKENS_URL])
def test_it_refuses_a_request_without_credentials(client, path):
    response = client.get(path)
    assert response.status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        "Bearer kp_not-a-real-token",
        "Bearer not-even-a-token",
        "Bearer ",
        "Token {secret}",
        "Bearer {secret}x",
        "Basic b2ZmaWNlLmp1bHU6a2V5cHJvamVjdHMtZGVtbw==",  # office.julu:keyprojects-demo
    ],
)
def test_it_refuses_a_malformed_or_unknown_token(client, token_for, header):
    _token, secret = token_for("office.julu")
    response = client.get("/api/v1/me", headers={"Authorization": header.format(secret=secret)})
    assert response.status_code == 401


def test_it_refuses_a_revoked_token(client, token_for, persona):
    token, secret = token_for("office.julu")
    services.api_token_revoke(actor=persona("office.julu"), token=token)

    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401


def test_it_refuses_an_expired_token(client, token_for):
    token, secret = token_for("office.julu")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401


def test_it_refuses_the_token_of_a_deactivated_user(client, token_for, persona):
    _token, secret = token_for("office.julu")
    user = persona("office.julu")
    user.is_active = False
    user.save()

    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401


# ---- listing and revoking ------------------------------------------------------------------------


def test_it_lists_only_the_callers_own_tokens(client, token_for):
    mine, secret = token_for("office.julu", name="mine")
    second, _secret = token_for("office.julu", name="second")
    token_for("office.ningjin", name="theirs")

    response = client.get(TOKENS_URL, headers=bearer(secret))

    assert response.status_code == 200
    assert {t["id"] for t in response.json()} == {mine.pk, second.pk}
    assert all("key_hash" not in t and "token" not in t for t in response.json())


def test_it_does_not_list_other_peoples_tokens_even_to_the_administrator(client, token_for):
    _mine, secret = token_for("admin")
    theirs, _secret = token_for("office.julu")

    ids = {t["id"] for t in client.get(TOKENS_URL, headers=bearer(secret)).json()}

    assert theirs.pk not in ids


def test_it_revokes_the_callers_own_token(client, token_for):
    _keeper, secret = token_for("office.julu")
    doomed, doomed_secret = token_for("office.julu")

    response = client.delete(f"{TOKENS_URL}/{doomed.pk}", headers=bearer(secret))

    assert response.status_code == 200
    assert response.json()["revoked_at"] is not None
    doomed.refresh_from_db()
    assert doomed.revoked_at is not None
    assert AuditEntry.objects.filter(action="api_token.revoke", target_id=str(doomed.pk)).exists()
    assert client.get("/api/v1/me", headers=bearer(doomed_secret)).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200


def test_it_lets_a_token_revoke_itself(client, token_for):
    token, secret = token_for("office.julu")

    assert client.delete(f"{TOKENS_URL}/{token.pk}", headers=bearer(secret)).status_code == 200
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401


@pytest.mark.parametrize("username", ["office.ningjin", "admin", "city.xingtai"])
def test_it_answers_404_to_someone_revoking_another_users_token(client, token_for, username):
    theirs, their_secret = token_for("office.julu")
    _mine, secret = token_for(username)

    response = client.delete(f"{TOKENS_URL}/{theirs.pk}", headers=bearer(secret))

    assert response.status_code == 404
    assert theirs.prefix not in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert client.get("/api/v1/me", headers=bearer(their_secret)).status_code == 200


def test_it_answers_404_for_a_token_that_does_not_exist(client, token_for):
    token, secret = token_for("office.julu")
    assert client.delete(f"{TOKENS_URL}/{token.pk + 1000}", headers=bearer(secret)).status_code == 404


def test_it_shows_a_new_tokens_secret_once_on_the_tokens_page(client, login):
    login("office.julu")

    created = client.post(reverse("accounts:tokens"), {"name": "page token"})
    secret = created.context["new_secret"]
    again = client.get(reverse("accounts:tokens"))

    assert created.status_code == 200
    assert secret in created.content.decode()
    assert secret not in again.content.decode()
    assert ApiToken.objects.get().prefix in again.content.decode()
    assert Client().get("/api/v1/me", headers=bearer(secret)).json()["username"] == "office.julu"


# ---- OpenAPI -------------------------------------------------------------------------------------


def test_it_publishes_the_openapi_schema(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Keyprojects API"
    for path in ("/api/v1/auth/token", "/api/v1/auth/tokens/{token_id}", "/api/v1/me", "/api/v1/departments"):
        assert path in schema["paths"], path
    schemes = schema["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())


def test_it_serves_the_api_docs(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert "openapi.json" in response.content.decode()


# ---- the browser session, and CSRF ---------------------------------------------------------------


def test_it_accepts_the_browser_session(client, login):
    login("leader.julu")

    me = client.get("/api/v1/me")
    departments = client.get("/api/v1/departments")

    assert me.status_code == 200
    assert me.json()["username"] == "leader.julu"
    assert departments.json()["count"] == 10


@pytest.fixture
def csrf_client(persona) -> Client:
    """A browser-like client: logged in by session, with Django's CSRF check enforced."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(persona("office.julu"))
    return client


def test_it_refuses_a_session_write_without_a_csrf_token(csrf_client, token_for):
    token, _secret = token_for("office.julu")

    response = csrf_client.delete(f"{TOKENS_URL}/{token.pk}")

    assert response.status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None


def test_it_accepts_a_session_write_with_a_csrf_token(csrf_client, token_for):
    token, _secret = token_for("office.julu")
    csrf_client.get(reverse("accounts:tokens"))  # the page sets the CSRF cookie, as in a browser
    csrf_token = csrf_client.cookies["csrftoken"].value

    response = csrf_client.delete(f"{TOKENS_URL}/{token.pk}", headers={"X-CSRFToken": csrf_token})

    assert response.status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_it_does_not_ask_a_bearer_token_for_a_csrf_token(token_for):
    token, secret = token_for("office.julu")
    client = Client(enforce_csrf_checks=True)

    response = client.delete(f"{TOKENS_URL}/{token.pk}", headers=bearer(secret))

    assert response.status_code == 200


def test_it_still_checks_csrf_for_a_session_when_the_bearer_token_is_bad(csrf_client, token_for):
    # A broken Authorization header must not switch a cookie-authenticated write to "no CSRF needed".
    token, _secret = token_for("office.julu")

    response = csrf_client.delete(f"{TOKENS_URL}/{token.pk}", headers=bearer("kp_forged"))

    assert response.status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None


def test_it_refuses_the_session_of_a_deactivated_user(client, login, persona):
    login("office.julu")
    user = persona("office.julu")
    user.is_active = False
    user.save()

    assert client.get("/api/v1/me").status_code == 401
