"""The audit log records where an action came from, and is append-only: the application refuses to change or
delete an entry, and so does PostgreSQL (a trigger), while a flush (TRUNCATE) still empties it."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError
from django.test import override_settings

from keyprojects.accounts.models import Region, User
from keyprojects.core.audit import acting_from, audit_record, audit_records
from keyprojects.core.models import AuditEntry, AuditLogAppendOnly
from keyprojects.core.workflow import SYSTEM

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token"
PROXY = "10.0.0.2"

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="The append-only trigger exists on PostgreSQL only (SQLite relies on the model's refusals). Run with "
    "DATABASE_URL=postgres://… to include this test.",
)


@pytest.fixture(autouse=True)
def fresh_throttle():
    """Issuing a token is rate-limited per address in the cache."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def julu():
    return Region.objects.get(slug="julu")


@pytest.fixture
def entry(julu):
    return audit_record(actor=User.objects.get(username="office.julu"), action="test.entry", target=julu)


def issued_from(client, **meta) -> AuditEntry:
    """Issue a token over the API (a service that writes the log) and answer the entry it wrote."""
    response = client.post(
        TOKEN_URL,
        {"username": "office.julu", "password": "keyprojects-demo", "name": "audit"},
        content_type="application/json",
        **meta,
    )
    assert response.status_code == 201, response.content
    return AuditEntry.objects.get(action="api_token.create", target_id=str(response.json()["id"]))


# ---- where an action came from -------------------------------------------------------------------


def test_it_records_the_address_the_request_came_from(client):
    assert issued_from(client, REMOTE_ADDR="198.51.100.7").address == "198.51.100.7"


@override_settings(KEYPROJECTS_TRUSTED_PROXIES=[PROXY])
def test_it_records_the_client_a_trusted_proxy_forwarded(client):
    entry = issued_from(client, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.9")

    assert entry.address == "203.0.113.9"


@override_settings(KEYPROJECTS_TRUSTED_PROXIES=[PROXY])
def test_it_ignores_a_forwarded_address_from_anyone_else(client):
    entry = issued_from(client, REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.9")

    assert entry.address == "198.51.100.7"


def test_it_records_no_address_outside_a_request(julu):
    assert audit_record(actor=SYSTEM, action="test.task", target=julu).address is None


def test_it_gives_every_entry_written_at_once_the_address(julu):
    regions = list(Region.objects.filter(path__startswith=julu.path)[:3])

    with acting_from("2001:db8::1"):
        audit_records(actor=SYSTEM, entries=[("test.bulk", region, {"n": 1}) for region in regions])

    stored = AuditEntry.objects.filter(action="test.bulk")
    assert sorted(stored.values_list("target_id", flat=True)) == sorted(str(r.pk) for r in regions)
    assert set(stored.values_list("address", flat=True)) == {"2001:db8::1"}


# ---- append-only in the application --------------------------------------------------------------


def test_it_refuses_to_save_a_changed_entry(entry):
    entry.action = "test.forged"

    with pytest.raises(AuditLogAppendOnly):
        entry.save()
    assert AuditEntry.objects.get(pk=entry.pk).action == "test.entry"


def test_it_refuses_to_delete_an_entry(entry):
    with pytest.raises(AuditLogAppendOnly):
        entry.delete()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda entries: entries.update(action="test.forged"), id="update"),
        pytest.param(lambda entries: entries.delete(), id="delete"),
        pytest.param(
            lambda entries: AuditEntry.objects.bulk_update(list(entries), ["action"]), id="bulk_update"
        ),
        pytest.param(
            lambda entries: AuditEntry.objects.update_or_create(pk=entries[0].pk, defaults={"action": "x"}),
            id="update_or_create",
        ),
    ],
)
def test_it_refuses_to_change_or_delete_entries_in_bulk(entry, change):
    with (
        pytest.raises(AuditLogAppendOnly),
        transaction.atomic(),
    ):  # bulk_update refuses inside its transaction
        change(AuditEntry.objects.filter(pk=entry.pk))
    assert AuditEntry.objects.filter(pk=entry.pk, action="test.entry").exists()


def test_it_keeps_a_person_who_acted_from_being_deleted(entry):
    with pytest.raises(ProtectedError):
        entry.actor.delete()
    assert AuditEntry.objects.get(pk=entry.pk).actor_id == entry.actor_id


# ---- append-only in the database ------------------------------------------------------------------


@needs_postgresql
@pytest.mark.parametrize(
    "statement",
    [
        pytest.param("UPDATE core_auditentry SET action = 'test.forged' WHERE id = %s", id="update"),
        pytest.param("UPDATE core_auditentry SET actor_id = NULL WHERE id = %s", id="update-actor"),
        pytest.param("DELETE FROM core_auditentry WHERE id = %s", id="delete"),
    ],
)
def test_the_database_refuses_to_change_or_delete_an_entry(entry, statement):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [entry.pk])

    stored = AuditEntry.objects.get(pk=entry.pk)
    assert (stored.action, stored.actor_id) == ("test.entry", entry.actor_id)


@needs_postgresql
def test_the_database_still_lets_the_table_be_emptied_by_a_flush(entry):
    class RolledBack(Exception):
        pass

    with pytest.raises(RolledBack), transaction.atomic():
        with connection.cursor() as cursor:
            # The entry's deferred foreign-key check would otherwise still be pending (a test's transaction).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("TRUNCATE core_auditentry")
        assert not AuditEntry.objects.exists()
        raise RolledBack  # the demo's log stays for the other tests

    assert AuditEntry.objects.filter(pk=entry.pk).exists()
