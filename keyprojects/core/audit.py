"""Recording actions in the audit log; every service that changes business data calls `audit_record`."""

from __future__ import annotations

from typing import Any

from django.db import models

from keyprojects.core.models import AuditEntry


def audit_record(*, actor: Any, action: str, target: models.Model, data: dict | None = None) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_repr=str(target)[:255],
        data=data or {},
    )


def audit_records(*, actor: Any, entries: list[tuple[str, models.Model, dict]]) -> None:
    """Many records at once (an import of thousands of rows): one statement per thousand."""
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                actor=actor if getattr(actor, "pk", None) else None,
                action=action,
                target_type=target._meta.label_lower,
                target_id=str(target.pk),
                target_repr=str(target)[:255],
                data=data,
            )
            for action, target, data in entries
        ],
        batch_size=1000,
    )
