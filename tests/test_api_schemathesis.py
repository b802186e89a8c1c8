"""Every API operation answers what its OpenAPI schema says: schemathesis generates requests from
/api/v1/openapi.json and sends them as the Julu county office, checking that no answer is a 500, that
each status is one the operation documents, and that each body matches the documented schema.

The requests go through Django's WSGI application in the test's own thread rather than to a live server:
a live server needs a transactional database, whose flush after the test would empty the demo that the
tests after it read, and reloading the demo for each operation would take minutes. The WSGI call runs the
same stack (middleware, authentication, routers), and every write is rolled back with the test.

Bounded and repeatable: a fixed seed, derandomized, a fixed number of examples per operation."""

from __future__ import annotations

import time
from collections import Counter

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from keyprojects.accounts.demo import DEMO_PASSWORD
from keyprojects.core import clock

PERSONA = "office.julu"
EXAMPLES = 25  # per operation
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]

# Random slugs, codes and ids mostly miss (404): half the time a path or query parameter takes one of the demo's
# own, so that the operations also go past the lookup to their work.
YEAR = clock.programme_year(clock.today())
DICTIONARIES = {
    "unit": ["julu", "xingtai", "julu-edz"],
    "slug": ["julu", "xingtai", "newera", "binhao"],
    "code": [f"JL-{YEAR}-{number:03d}" for number in range(1, 6)],
    "year": [YEAR - 1, YEAR, YEAR + 1],
    "id": list(range(1, 31)),
}
BOUND = {
    "path.county": "unit",
    "query.region": "unit",
    "path.slug": "slug",
    "path.code": "code",
    "path.year": "year",
    **dict.fromkeys(
        (f"path.{name}_id" for name in ("problem", "report", "job", "notification", "attachment", "token")),
        "id",
    ),
}

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 17,
        "dictionaries": {name: {"values": values} for name, values in DICTIONARIES.items()},
        "parameters": {key: {"dictionary": name, "probability": 0.5} for key, name in BOUND.items()},
        "generation": {"max-examples": EXAMPLES, "deterministic": True, "database": "none"},
        # The boundary values of the coverage phase multiply the cases many times over.
        "phases": {"stateful": {"enabled": False}},
    }
)

# Built when the module is collected; the schema itself needs no database.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application(), config=CONFIG)
# The token endpoint is fuzzed too: django-axes locks a user name at one address, and the generated names are
# no demo user's, so no account is locked; its rate limit answers a documented 429.

COUNTS = {"operations": 0, "cases": 0, "seconds": 0.0}
STATUSES: Counter[int] = Counter()  # the answers seen: not all 401s or 404s


@pytest.fixture(scope="module", autouse=True)
def counts_told(request):
    """The number of operations and cases and the time taken, printed at the end of the module."""
    yield
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if COUNTS["operations"]:
        with capture.global_and_fixture_disabled():
            print(
                f"\nschemathesis: {COUNTS['operations']} operations, {COUNTS['cases']} cases, "
                f"{COUNTS['seconds']:.0f} s; statuses "
                + ", ".join(f"{status}: {count}" for status, count in sorted(STATUSES.items()))
            )


@pytest.fixture
def connection_kept(office_token):
    """Django closes the database connection when a request starts and ends; its test client stops that for
    its own requests (and connects it again after each, so this comes after the token's), and these WSGI
    calls must too: on PostgreSQL the test's transaction would go with the connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="module", autouse=True)
def requests_went_through():
    """A run whose requests all stop at the door (every answer 401, 404 or 405) checks nothing: it fails."""
    yield
    if COUNTS["operations"] == sum(1 for _ in schema.get_all_operations()):  # the whole module ran
        assert STATUSES[200] > 0 and STATUSES[404] > 0, f"only these answers came back: {dict(STATUSES)}"


@pytest.fixture
def office_token(db) -> str:
    """A personal access token of the Julu county office, issued by the API for the demo password."""
    cache.clear()  # the token endpoint's rate limit counts in the cache
    response = Client().post(
        "/api/v1/auth/token",
        {"username": PERSONA, "password": DEMO_PASSWORD, "name": "schemathesis"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return response.json()["token"]


@pytest.fixture
def operation_timed():
    COUNTS["operations"] += 1
    started = time.monotonic()
    yield
    COUNTS["seconds"] += time.monotonic() - started


@schema.parametrize()
# The token and the database transaction are the operation's, shared by its cases on purpose.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_it_answers_as_the_schema_says(case, office_token, connection_kept, operation_timed):
    COUNTS["cases"] += 1
    response = case.call_and_validate(headers={"Authorization": f"Bearer {office_token}"}, checks=CHECKS)
    STATUSES[response.status_code] += 1
