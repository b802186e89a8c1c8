"""Recording actions in the audit log; every service that changes business data calls `audit_record`."""

from __future__ import annotations

from typing import Any

from django.db import models

from keyprojects.core import clock
from keyprojects.core.models import AuditEntry
from keyprojects.core.rows import insert_rows
from keyprojects.core.workflow import person


def audit_record(*, actor: Any, action: str, target: models.Model, data: dict | None = None) -> AuditEntry:
    """`actor`: the user who acted, or SYSTEM (recorded without a person); None is refused (TypeError)."""
    return AuditEntry.objects.create(
        actor=person(actor),
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_repr=str(target)[:255],
        data=data or {},
    )


def audit_records(*, actor: Any, entries: list[tuple[str, models.Model, dict]]) -> None:
    """Many records at once (an import of thousands of rows), as plain rows."""
    actor_id, at = getattr(person(actor), "pk", None), clock.now()
    insert_rows(
        AuditEntry,
        ["at", "actor", "action", "target_type", "target_id", "target_repr", "data"],
        (
            (at, actor_id, action, target._meta.label_lower, str(target.pk), str(target)[:255], data)
            for action, target, data in entries
        ),
    )
