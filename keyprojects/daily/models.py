"""Daily monitoring (日调度): one report per project under construction and day, sent from the site, with photos."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from keyprojects.core.history import AddressedHistory
from keyprojects.projects.models import Project


class DailyReport(models.Model):
    """What happened on a site on one day. One per project and day; `idempotency_key` is the phone's draft key,
    so a retried submission returns the stored report instead of making a second one."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), related_name="daily_reports", on_delete=models.CASCADE
    )
    date = models.DateField(_("date"))
    workers = models.PositiveIntegerField(_("workers on site"))
    machinery = models.PositiveIntegerField(_("machines on site"))
    work_today = models.TextField(_("work done today"))
    plan_tomorrow = models.TextField(_("plan for tomorrow"), blank=True)
    weather_stoppage = models.BooleanField(_("stopped by weather"), default=False)
    note = models.TextField(_("note"), blank=True)
    idempotency_key = models.CharField(_("draft key"), max_length=64, unique=True)
    # None when the system filed it (the demo loader).
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    reported_at = models.DateTimeField(_("reported at"))
    history = HistoricalRecords(bases=[AddressedHistory])

    class Meta:
        verbose_name = _("daily report")
        verbose_name_plural = _("daily reports")
        ordering = ["-date", "project"]
        constraints = [models.UniqueConstraint(fields=["project", "date"], name="daily_report_one_per_day")]
        indexes = [models.Index(fields=["project", "-date"])]

    def __str__(self) -> str:
        return f"{self.project.code} {self.date}"


def daily_photo_path(instance: DailyPhoto, filename: str) -> str:
    # The stored name is ours, never the uploader's: no traversal, no collisions.
    return f"daily/{instance.report_id}/{instance.token}.jpg"


class DailyPhoto(models.Model):
    """A site photo of a daily report, re-encoded by the server (longest side at most 1600 px)."""

    report = models.ForeignKey(
        DailyReport, verbose_name=_("daily report"), related_name="photos", on_delete=models.CASCADE
    )
    token = models.CharField(max_length=32, unique=True, editable=False)
    file = models.FileField(upload_to=daily_photo_path, max_length=200)
    width = models.PositiveIntegerField(_("width (px)"))
    height = models.PositiveIntegerField(_("height (px)"))
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    # Where the phone's camera says it was taken (EXIF GPS, WGS 84), when it says so.
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"))

    class Meta:
        verbose_name = _("site photo")
        verbose_name_plural = _("site photos")
        ordering = ["report", "id"]

    def __str__(self) -> str:
        return self.token
