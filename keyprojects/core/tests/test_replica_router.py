"""The replica router (keyprojects.core.routers) against two real PostgreSQL databases.

The test makes its own "replica": a copy of the session's test database (the demo county) under another
name, added as the alias replica1 while the tests of this module run. It is a snapshot, never updated, as a
replica far behind would be: whatever the tests write exists on the primary only, so a read that wrongly
went to the replica would not find it. Runs on PostgreSQL (e.g.
DATABASE_URL=postgres://postgres@127.0.0.1:5432/kp_router_test); skipped on SQLite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from keyprojects.accounts.models import Department
from keyprojects.core import clock
from keyprojects.core.replicas import PIN_COOKIE, reads_from
from keyprojects.projects.models import Project

ROOT = Path(__file__).resolve().parents[3]
REPLICA = "replica1"
ROUTED = {
    "DATABASE_REPLICAS": [REPLICA],
    "DATABASE_ROUTERS": ["keyprojects.core.routers.ReplicaRouter"],
    "MIDDLEWARE": [
        settings.MIDDLEWARE[0],
        "keyprojects.core.replicas.ReplicaReadsMiddleware",
        *[m for m in settings.MIDDLEWARE[1:] if m != "keyprojects.core.replicas.ReplicaReadsMiddleware"],
    ],
    "KEYPROJECTS_REPLICA_PIN_SECONDS": 10,
}


ON_POSTGRESQL = settings.DATABASES[DEFAULT_DB_ALIAS]["ENGINE"] == "django.db.backends.postgresql"
NEEDS_POSTGRESQL = "the replica router needs PostgreSQL (set DATABASE_URL=postgres://…)"


def _admin_connection(settings_dict: dict):
    """A connection to the server's maintenance database, for CREATE and DROP DATABASE."""
    return psycopg.connect(
        dbname="postgres",
        host=settings_dict["HOST"] or "localhost",
        port=settings_dict["PORT"] or 5432,
        user=settings_dict["USER"],
        password=settings_dict["PASSWORD"] or None,
        autocommit=True,
        connect_timeout=5,
    )


@pytest.fixture(scope="module")
def replica_database(request, django_db_blocker):
    if not ON_POSTGRESQL:
        pytest.skip(NEEDS_POSTGRESQL)
    request.getfixturevalue("django_db_setup")  # the test database, migrated and with the demo loaded
    primary = connections[DEFAULT_DB_ALIAS].settings_dict
    name = f"{primary['NAME']}_replica"
    with django_db_blocker.unblock():
        # CREATE DATABASE … TEMPLATE needs nobody connected to the template, this process included.
        connections.close_all()
        try:
            admin = _admin_connection(primary)
        except psycopg.OperationalError as error:
            pytest.skip(f"PostgreSQL is unreachable for creating the replica database: {error}")
        with admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{primary["NAME"]}" STRATEGY FILE_COPY')
        connections.settings[REPLICA] = {**primary, "NAME": name, "TEST": {**primary["TEST"], "NAME": name}}
        try:
            yield REPLICA
        finally:
            connections[REPLICA].close()
            del connections[REPLICA]
            del connections.settings[REPLICA]
            with _admin_connection(primary) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def routed(replica_database):
    with override_settings(**ROUTED):
        yield


def with_replica(test):
    # Skipped at collection on SQLite, before the session's test database is even set up.
    test = pytest.mark.django_db(databases=[DEFAULT_DB_ALIAS, REPLICA])(test)
    return pytest.mark.skipif(not ON_POSTGRESQL, reason=NEEDS_POSTGRESQL)(test)


class Queries:
    """The SQL sent to each database inside the block."""

    def __enter__(self):
        self.primary = CaptureQueriesContext(connections[DEFAULT_DB_ALIAS])
        self.replica = CaptureQueriesContext(connections[REPLICA])
        self.primary.__enter__()
        self.replica.__enter__()
        return self

    def __exit__(self, *exc):
        self.replica.__exit__(*exc)
        self.primary.__exit__(*exc)

    @staticmethod
    def _touching(captured, table: str) -> list[str]:
        return [q["sql"] for q in captured.captured_queries if f'"{table}"' in q["sql"]]

    def on_primary(self, table: str) -> list[str]:
        return self._touching(self.primary, table)

    def on_replica(self, table: str) -> list[str]:
        return self._touching(self.replica, table)


@with_replica
def test_it_reads_a_list_page_from_the_replica(routed, client, login):
    login("office.julu")

    with Queries() as queries:
        response = client.get(reverse("projects:list"))

    assert response.status_code == 200
    assert queries.on_replica(Project._meta.db_table)
    assert not queries.on_primary(Project._meta.db_table)
    # The session and the user are read on the primary: a log-out or a deactivation takes effect at once.
    assert queries.on_primary("django_session")
    assert not queries.on_replica("django_session")
    assert PIN_COOKIE not in response.cookies


@with_replica
def test_it_reads_an_api_list_from_the_replica(routed, client, login):
    login("office.julu")

    with Queries() as queries:
        response = client.get("/api/v1/projects")

    assert response.status_code == 200
    assert response.json()
    assert queries.on_replica(Project._meta.db_table)
    assert not queries.on_primary(Project._meta.db_table)


@with_replica
def test_it_writes_and_reads_a_post_on_the_primary(routed, client, login):
    login("office.julu")

    with Queries() as queries:
        response = client.post(
            reverse("accounts:department_create", args=["julu"]),
            {
                "slug": "replica-dept",
                "name_zh": "副本测试",
                "name_en": "Replica",
                "kind": "other",
                "phone": "",
            },
        )

    assert response.status_code == 302
    assert Department.objects.using(DEFAULT_DB_ALIAS).filter(slug="replica-dept").exists()
    assert not Department.objects.using(REPLICA).filter(slug="replica-dept").exists()
    assert any(sql.startswith("INSERT") for sql in queries.on_primary(Department._meta.db_table))
    assert queries.primary.captured_queries
    assert queries.replica.captured_queries == []
    assert response.cookies[PIN_COOKIE]["max-age"] == 10


@with_replica
def test_it_reads_a_users_own_write_back_from_the_primary_until_the_pin_expires(routed, client, login):
    login("office.julu")
    written = clock.now()
    with time_machine.travel(written, tick=False):
        client.post(
            reverse("accounts:department_create", args=["julu"]),
            {
                "slug": "replica-dept",
                "name_zh": "副本测试",
                "name_en": "Replica",
                "kind": "other",
                "phone": "",
            },
        )
    detail = reverse("accounts:department_detail", args=["replica-dept"])

    with time_machine.travel(written + timedelta(seconds=9), tick=False), Queries() as queries:
        response = client.get(detail)
    assert response.status_code == 200  # the new department, found on the primary
    assert queries.replica.captured_queries == []

    with time_machine.travel(written + timedelta(seconds=11), tick=False), Queries() as queries:
        response = client.get(detail)
    # The pin has expired: the read went to the replica, which (a snapshot, as if lagging) has not got it.
    assert response.status_code == 404
    assert queries.on_replica(Department._meta.db_table)
    assert not queries.on_primary(Department._meta.db_table)


@with_replica
def test_it_reads_inside_a_transaction_from_the_primary(routed):
    with reads_from(REPLICA), Queries() as queries:
        Project.objects.count()
        with transaction.atomic():
            Project.objects.filter(code__isnull=False).exists()

    assert len(queries.on_replica(Project._meta.db_table)) == 1
    assert len(queries.on_primary(Project._meta.db_table)) == 1
    assert "EXISTS" not in queries.on_replica(Project._meta.db_table)[0]


@with_replica
def test_it_reads_from_the_primary_once_a_get_request_has_written(routed):
    department = Department.objects.first()
    with reads_from(REPLICA) as reads, Queries() as queries:
        Project.objects.count()
        department.save(update_fields=["name_en"])
        Project.objects.count()

    assert reads.wrote
    assert len(queries.on_replica(Project._meta.db_table)) == 1
    assert len(queries.on_primary(Project._meta.db_table)) == 1


@with_replica
def test_it_reads_the_primary_outside_a_request(routed):
    with Queries() as queries:
        Project.objects.count()

    assert queries.replica.captured_queries == []


@with_replica
def test_it_migrates_the_primary_only(routed):
    for model in apps.get_models():
        assert router.allow_migrate_model(DEFAULT_DB_ALIAS, model)
        assert not router.allow_migrate_model(REPLICA, model)


@with_replica
def test_it_relates_objects_of_the_primary_and_the_replica(routed):
    project = Project.objects.using(REPLICA).first()
    department = Department.objects.using(DEFAULT_DB_ALIAS).first()

    assert router.allow_relation(project, department)


def _settings_in_a_process(**env) -> dict:
    """The settings a fresh process builds from the environment (keyprojects/settings.py as deployed)."""
    script = (
        "import json\n"
        "from django.conf import settings\n"
        "print(json.dumps({'aliases': list(settings.DATABASES),"
        " 'replica': settings.DATABASES.get('replica2'),"
        " 'routers': settings.DATABASE_ROUTERS,"
        " 'middleware': settings.MIDDLEWARE}, default=str))\n"
    )
    environ = {k: v for k, v in os.environ.items() if k != "DATABASE_REPLICA_URLS"}
    environ.update(DJANGO_SETTINGS_MODULE="keyprojects.settings", **env)
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_it_routes_nothing_without_replicas_and_two_replicas_from_the_environment():
    plain = _settings_in_a_process()
    assert plain["aliases"] == ["default"]
    assert plain["routers"] == []
    assert "keyprojects.core.replicas.ReplicaReadsMiddleware" not in plain["middleware"]

    replicated = _settings_in_a_process(
        DATABASE_URL="postgres://app@primary:5432/keyprojects",
        DATABASE_REPLICA_URLS="postgres://app@replica-a:5432/keyprojects, postgres://app@replica-b/keyprojects",
    )
    assert replicated["aliases"] == ["default", "replica1", "replica2"]
    assert replicated["replica"]["HOST"] == "replica-b"
    assert replicated["replica"]["OPTIONS"] == {"options": "-c jit=off"}
    assert replicated["replica"]["TEST"] == {"MIRROR": "default"}
    assert replicated["routers"] == ["keyprojects.core.routers.ReplicaRouter"]
    assert replicated["middleware"] == [
        plain["middleware"][0],
        "keyprojects.core.replicas.ReplicaReadsMiddleware",
        *plain["middleware"][1:],
    ]
