"""The weekly adjustment (周调整): one scheduling meeting per county and week, and the decisions it records,
each followed to done by its owner (a department or a leader)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from keyprojects.accounts.models import Department, Region
from keyprojects.core.history import AddressedHistory
from keyprojects.problems.models import Problem
from keyprojects.projects.models import Project


class WeeklyMeeting(models.Model):
    county = models.ForeignKey(
        Region, verbose_name=_("county-level unit"), related_name="weekly_meetings", on_delete=models.PROTECT
    )
    week_start = models.DateField(_("week starting"), help_text=_("The Monday of the week."))
    held_on = models.DateField(_("held on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.PROTECT,
    )
    created_at = models.DateTimeField(_("created"))
    history = HistoricalRecords(bases=[AddressedHistory])

    class Meta:
        verbose_name = _("weekly meeting")
        verbose_name_plural = _("weekly meetings")
        ordering = ["county", "-week_start"]
        constraints = [
            models.UniqueConstraint(fields=["county", "week_start"], name="weekly_meeting_one_per_week")
        ]

    def __str__(self) -> str:
        return f"{self.county} {self.week_start:%Y-%m-%d}"


class Decision(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("open")
        DONE = "done", _("done")

    meeting = models.ForeignKey(
        WeeklyMeeting, verbose_name=_("meeting"), related_name="decisions", on_delete=models.CASCADE
    )
    text = models.TextField(_("decision"))
    owner_department = models.ForeignKey(
        Department,
        verbose_name=_("owner department"),
        null=True,
        blank=True,
        related_name="meeting_decisions",
        on_delete=models.PROTECT,
    )
    owner_leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner leader"),
        null=True,
        blank=True,
        related_name="meeting_decisions",
        on_delete=models.PROTECT,
    )
    due = models.DateField(_("due"))
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        null=True,
        blank=True,
        related_name="meeting_decisions",
        on_delete=models.PROTECT,
    )
    problem = models.ForeignKey(
        Problem,
        verbose_name=_("problem"),
        null=True,
        blank=True,
        related_name="meeting_decisions",
        on_delete=models.PROTECT,
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_note = models.TextField(_("what was done"), blank=True)
    created_at = models.DateTimeField(_("created"))
    history = HistoricalRecords(bases=[AddressedHistory])

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["meeting", "due", "pk"]
        constraints = [
            models.CheckConstraint(
                name="decision_has_an_owner",
                condition=Q(owner_department__isnull=False) | Q(owner_leader__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def owner(self):
        return self.owner_department or self.owner_leader

    def is_overdue(self, today) -> bool:
        return self.status == self.Status.OPEN and self.due < today
