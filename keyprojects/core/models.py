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


class AuditEntry(models.Model):
    """One action a person took through a service: who, what, on which object, when.

    django-simple-history keeps every field change; this log keeps the *intent* ("accepted",
    "re-baselined", "token revoked") that a field diff cannot tell.
    """

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.SET_NULL
    )
    action = models.CharField(_("action"), max_length=80, db_index=True)
    target_type = models.CharField(_("object type"), max_length=80)
    target_id = models.CharField(_("object id"), max_length=64)
    target_repr = models.CharField(_("object"), max_length=255)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.target_repr}"
