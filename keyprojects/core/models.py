"""Shared model pieces: bilingual names and the audit log of actions taken through services."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .bilingual import in_active_language

# The largest id a table holds (BigAutoField); a larger number in a query overflows the database driver.
MAX_ID = 2**63 - 1


class BilingualName(models.Model):
    """Every organisation and project carries its name in Chinese and in English."""

    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the active language, falling back to the other one when it is empty."""
        return in_active_language(self.name_zh, self.name_en)


class AuditLogAppendOnly(Exception):
    """Something tried to change or delete an audit entry: the log is only ever added to. A programming
    error, not a refusal to show a person (it is not a DomainError)."""


class AuditEntryQuerySet(models.QuerySet):
    """Reads and inserts only: `update()` and `delete()` refuse (so does `bulk_update`, which updates)."""

    def update(self, **kwargs):
        raise AuditLogAppendOnly("Audit entries are never changed.")

    def delete(self):
        raise AuditLogAppendOnly("Audit entries are never deleted.")


class AuditEntry(models.Model):
    """One action a person took through a service: who, what, on which object, when, and from which address.

    django-simple-history keeps every field change; this log keeps the *intent* ("accepted",
    "re-baselined", "token revoked") that a field diff cannot tell. It is append-only: the application refuses
    to change or delete an entry (here), PostgreSQL refuses it too (a trigger, migration 0003), and in
    production the application's role holds no UPDATE or DELETE grant on the table (docs/security.md).
    """

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    # PROTECT: a person who acted is deactivated (accounts.services.user_deactivate), never deleted; deleting
    # them would take the name off their entries. None is the system acting (core.workflow.SYSTEM).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.PROTECT
    )
    address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=80, db_index=True)
    target_type = models.CharField(_("object type"), max_length=80)
    target_id = models.CharField(_("object id"), max_length=64)
    target_repr = models.CharField(_("object"), max_length=255)
    data = models.JSONField(_("details"), default=dict, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.target_repr}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AuditLogAppendOnly("Audit entries are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogAppendOnly("Audit entries are never deleted.")
