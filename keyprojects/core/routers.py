"""The database router installed when PostgreSQL replicas are configured (DATABASE_REPLICA_URLS).

Writes always go to the primary ("default"). A read goes to the replica chosen by ReplicaReadsMiddleware
(keyprojects.core.replicas) only when every one of these holds; otherwise to the primary:

- the request is a GET or HEAD that has written nothing, from a browser that wrote nothing in the last
  KEYPROJECTS_REPLICA_PIN_SECONDS;
- the code is not inside a transaction on the primary (a transaction reads what it has just written, and a
  SELECT ... FOR UPDATE must lock the primary's rows);
- the model is not one whose staleness would be a security hole (sessions, users, log-in lockouts,
  second-factor devices): a log-out, a deactivated user or a lockout takes effect at once, whatever the lag.
"""

from __future__ import annotations

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from keyprojects.core.replicas import configured_replicas, current_replica, note_write

ALWAYS_PRIMARY_APPS = frozenset({"sessions", "axes", "otp_totp", "django_otp"})


def _in_transaction() -> bool:
    """An atomic block of the code's own is open on the primary. The blocks a Django TestCase wraps each test
    in are left out, as Django itself does for durable blocks: production has none of them."""
    blocks = connections[DEFAULT_DB_ALIAS].atomic_blocks
    return any(not block._from_testcase for block in blocks)


def _always_primary(model) -> bool:
    return model._meta.app_label in ALWAYS_PRIMARY_APPS or model._meta.label == settings.AUTH_USER_MODEL


class ReplicaRouter:
    def db_for_read(self, model, **hints) -> str:
        replica = current_replica()
        if replica is None or _in_transaction() or _always_primary(model):
            return DEFAULT_DB_ALIAS
        return replica

    def db_for_write(self, model, **hints) -> str:
        note_write()
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        # A project read from a replica and a report saved on the primary are the same data.
        ours = {DEFAULT_DB_ALIAS, *configured_replicas()}
        if obj1._state.db in ours and obj2._state.db in ours:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        # Replicas copy the primary's schema through replication; migrations run on the primary only.
        return db == DEFAULT_DB_ALIAS
