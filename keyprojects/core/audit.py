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
