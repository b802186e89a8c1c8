"""Two requests at the same moment, for the concurrency tests: threads with their own database connections.

The races need real transactions that other connections see, so they cannot run inside a test's rolled-back
transaction; and a `transaction=True` test would flush the demo the session loaded once. They run on
committed rows of their own instead (see `committed`), which they delete again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections, transaction
from django.utils import timezone, translation
from django.utils.formats import date_format

from keyprojects.core.models import AuditEntry

TIMEOUT = 20  # seconds: a racer still waiting by then is stuck (a deadlock), and the test fails

needs_row_locks = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="Races need row locks and concurrent writers: SQLite lets one writer at a time, so there is no "
    "race to lose there. Run with DATABASE_URL=postgres://… to include these tests.",
)


def race(*racers: Callable[[], Callable[[], object]]) -> list[object]:
    """Run the racers at the same moment, each in its own thread (so with its own connection).

    A racer first reads what it acts on (before anyone acts, as a page would have) and returns the action;
    the actions start together. Returns what each action returned or raised, in order. Messages are in
    English, as the assertions are."""
    barrier = threading.Barrier(len(racers), timeout=TIMEOUT)
    outcomes: list[object] = [None] * len(racers)

    def run(index: int, racer: Callable[[], Callable[[], object]]) -> None:
        try:
            with translation.override("en"):
                act = racer()
                barrier.wait()
                outcomes[index] = act()
        except Exception as exc:  # the outcome the test looks at
            outcomes[index] = exc
        finally:
            connections.close_all()  # this thread's own connections

    threads = [threading.Thread(target=run, args=(i, r), daemon=True) for i, r in enumerate(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a racer is still waiting: a deadlock?"
    return outcomes


@contextmanager
def committed(django_db_blocker, count: Callable[[], dict]) -> Iterator[None]:
    """Database access outside a test transaction, every write committed at once. `count()` (rows per
    table) must read the same at the end as at the start: what the test committed, it deletes again."""
    with django_db_blocker.unblock():
        before = count()
        yield
        assert count() == before, "the race test left rows behind"


def forget_audit_entries(target_type: str, target_id: object) -> None:
    """Delete the audit entries a race test committed, past the log's guards (the log is append-only: the
    model refuses, and PostgreSQL's trigger, which the table's owner — the test role — may disable for one
    transaction). Only the race tests' clean-up does this."""
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER core_auditentry_append_only")
        cursor.execute(
            f"DELETE FROM {table} WHERE target_type = %s AND target_id = %s",  # noqa: S608
            [target_type, str(target_id)],
        )
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER core_auditentry_append_only")


def changed_by(user, obj) -> str:
    """The refusal the second of two people gets for a report or problem, in English."""
    entry = AuditEntry.objects.filter(target_type=obj._meta.label_lower, target_id=str(obj.pk)).first()
    with translation.override("en"):
        when = date_format(timezone.localtime(entry.at), "SHORT_DATETIME_FORMAT")
        return f"This {obj._meta.verbose_name} was already changed by {user} at {when} (now “{obj.get_status_display()}”)."


def acting(model, steps: dict, name: str, pk: int) -> Callable[[], Callable[[], object]]:
    """A racer for `race`: reads the report or problem as its page did, then takes the step `name` of
    `steps` ({name: (username, take(actor, obj))})."""
    username, take = steps[name]

    def read():
        actor = get_user_model().objects.get(username=username)
        obj = model.objects.select_related("project__county").get(pk=pk)
        return lambda: take(actor, obj)

    return read
