"""Dispatch tasks (调度任务): between the fixed reports the county office asks chosen key projects a few
questions by a deadline; each project's enterprise answers once per task (and may correct until the
deadline), and the office sees who has not answered."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from keyprojects.accounts.models import Region
from keyprojects.core.history import AddressedHistory
from keyprojects.projects.models import Project


class DispatchTask(models.Model):
    class Status(models.TextChoices):
        SENT = "sent", _("sent")
        CLOSED = "closed", _("closed")

    class ChosenBy(models.TextChoices):
        FILTERS = "filters", _("by level, stage and zone")
        LIST = "list", _("hand-picked")

    county = models.ForeignKey(
        Region, verbose_name=_("county-level unit"), related_name="dispatch_tasks", on_delete=models.PROTECT
    )
    title = models.CharField(_("title"), max_length=200)
    instructions = models.TextField(_("instructions"), blank=True)
    deadline = models.DateField(_("deadline"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SENT)
    # How the targets were chosen, as the office chose them: {"levels": [...], "stages": [...], "zones":
    # [slugs]} for FILTERS; the targets themselves are the hand-picked list for LIST.
    chosen_by = models.CharField(_("targets chosen"), max_length=10, choices=ChosenBy.choices)
    criteria = models.JSONField(_("criteria"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    created_at = models.DateTimeField(_("created at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    history = HistoricalRecords(bases=[AddressedHistory])

    class Meta:
        verbose_name = _("dispatch task")
        verbose_name_plural = _("dispatch tasks")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["county", "deadline"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.SENT


class FieldKind(models.TextChoices):
    TEXT = "text", _("text")
    NUMBER = "number", _("number")
    DATE = "date", _("date")
    YESNO = "yesno", _("yes/no")
    FILE = "file", _("file")


class DispatchField(models.Model):
    """One question of a task; fixed once the task is sent (the answers refer to it)."""

    task = models.ForeignKey(
        DispatchTask, verbose_name=_("dispatch task"), related_name="fields", on_delete=models.CASCADE
    )
    order = models.PositiveSmallIntegerField(_("order"))
    label = models.CharField(_("label"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=FieldKind.choices)
    required = models.BooleanField(_("required"), default=True)

    class Meta:
        verbose_name = _("dispatch field")
        verbose_name_plural = _("dispatch fields")
        ordering = ["task", "order"]
        constraints = [models.UniqueConstraint(fields=["task", "order"], name="dispatch_field_order")]

    def __str__(self) -> str:
        return self.label


class DispatchTarget(models.Model):
    """A project the task asks; answered when its enterprise sent the answers."""

    task = models.ForeignKey(
        DispatchTask, verbose_name=_("dispatch task"), related_name="targets", on_delete=models.CASCADE
    )
    project = models.ForeignKey(
        Project, verbose_name=_("project"), related_name="dispatch_targets", on_delete=models.CASCADE
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    history = HistoricalRecords(bases=[AddressedHistory])

    class Meta:
        verbose_name = _("dispatch target")
        verbose_name_plural = _("dispatch targets")
        ordering = ["task", "project__code"]
        constraints = [
            models.UniqueConstraint(fields=["task", "project"], name="dispatch_target_one_per_project")
        ]

    def __str__(self) -> str:
        return f"{self.task_id} {self.project_id}"

    @property
    def answered(self) -> bool:
        return self.answered_at is not None


def dispatch_file_path(instance: DispatchAnswer, filename: str) -> str:
    # The stored name is ours, never the uploader's: no traversal, no collisions.
    return f"dispatch/{instance.target_id}/{instance.token}"


class DispatchAnswer(models.Model):
    """A target's answer to one field, in the column of the field's kind (typed, so the export is too). A
    file answer is kept under MEDIA_ROOT (outside the web root) and served only by a view that checks."""

    target = models.ForeignKey(
        DispatchTarget, verbose_name=_("dispatch target"), related_name="answers", on_delete=models.CASCADE
    )
    field = models.ForeignKey(
        DispatchField, verbose_name=_("dispatch field"), related_name="answers", on_delete=models.CASCADE
    )
    text = models.TextField(_("text"), blank=True)
    number = models.DecimalField(_("number"), max_digits=20, decimal_places=4, null=True, blank=True)
    date = models.DateField(_("date"), null=True, blank=True)
    yes = models.BooleanField(_("yes/no"), null=True, blank=True)
    token = models.CharField(max_length=32, blank=True)
    file = models.FileField(upload_to=dispatch_file_path, max_length=200, blank=True)
    original_name = models.CharField(_("file name"), max_length=120, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"), null=True, blank=True)
    history = HistoricalRecords(bases=[AddressedHistory])

    class Meta:
        verbose_name = _("dispatch answer")
        verbose_name_plural = _("dispatch answers")
        ordering = ["target", "field__order"]
        constraints = [
            models.UniqueConstraint(fields=["target", "field"], name="dispatch_answer_one_per_field")
        ]

    def __str__(self) -> str:
        return f"{self.target_id} {self.field_id}"

    @property
    def number_text(self) -> str:
        """The number as given, without the column's trailing zeros (12.5000 → 12.5)."""
        if self.number is None:
            return ""
        text = format(self.number, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text

    @property
    def value(self):
        """The answer in its kind's type: str, Decimal, date, bool, or the file's name; None when empty."""
        kind = self.field.kind
        if kind == FieldKind.TEXT:
            return self.text or None
        if kind == FieldKind.NUMBER:
            return self.number
        if kind == FieldKind.DATE:
            return self.date
        if kind == FieldKind.YESNO:
            return self.yes
        return self.original_name or None
