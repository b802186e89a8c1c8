"""A region's monthly bulletin as the office issues it: drafted, reviewed, published — and then frozen.

Publishing stores the bulletin's figures as a snapshot (its content in Chinese, the official text, and in
English, and the approved report figures it counted); the Word, PDF and Excel files are laid out from that
snapshot only, so a report corrected after publication never changes a published bulletin: the next one
shows the correction.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from keyprojects.accounts.models import Region
from keyprojects.core.bilingual import translated
from keyprojects.core.history import AddressedHistory


class BulletinStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    IN_REVIEW = "in_review", _("in review")
    PUBLISHED = "published", _("published")


class MonthlyBulletin(models.Model):
    """月通报: one region's bulletin for January through `month` of `year`."""

    region = models.ForeignKey(
        Region, verbose_name=_("region"), related_name="bulletins", on_delete=models.PROTECT
    )
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    status = models.CharField(
        _("status"), max_length=12, choices=BulletinStatus.choices, default=BulletinStatus.DRAFT
    )
    number = models.CharField(_("document number"), max_length=40)
    # 五、下步要求: what the office asks of everyone next; the Chinese text is the official one.
    requirements_zh = models.TextField(_("requirements for the next step (Chinese)"), blank=True)
    requirements_en = models.TextField(_("requirements for the next step (English)"), blank=True)
    return_reason = models.CharField(_("reason for return"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, related_name="+", on_delete=models.SET_NULL
    )
    submitted_at = models.DateTimeField(_("sent for review"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    issued_on = models.DateField(_("date of issue"), null=True, blank=True)
    # {"zh": Bulletin.as_dict(), "en": …, "reports": {report id: [code, name, year, month, yuan]}}
    snapshot = models.JSONField(_("snapshot"), null=True, blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["snapshot"], bases=[AddressedHistory])

    class Meta:
        verbose_name = _("monthly bulletin")
        verbose_name_plural = _("monthly bulletins")
        ordering = ["region__path", "-year", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["region", "year", "month"], name="bulletin_unique_month"),
            models.CheckConstraint(
                name="bulletin_published_has_snapshot",
                condition=~models.Q(status="published") | models.Q(snapshot__isnull=False),
            ),
        ]

    requirements = translated("requirements")

    def __str__(self) -> str:
        return f"{self.number} {self.region.name_zh} {self.year}-{self.month:02d}"

    @property
    def is_published(self) -> bool:
        return self.status == BulletinStatus.PUBLISHED

    def title(self, language: str = "zh") -> str:
        """The published title in a language (the snapshot's), or "" before publication."""
        if not self.snapshot:
            return ""
        return self.snapshot.get("zh" if language.startswith("zh") else "en", {}).get("title", "")


def bulletin_file_path(instance: BulletinFile, filename: str) -> str:
    b = instance.bulletin
    return f"bulletins/{b.region_id}/{b.year}-{b.month:02d}/{instance.language}.{instance.format}"


class BulletinFile(models.Model):
    """A published bulletin laid out in one format and language, made once from the snapshot and kept."""

    class Format(models.TextChoices):
        DOCX = "docx", "Word"
        PDF = "pdf", "PDF"
        XLSX = "xlsx", "Excel"

    bulletin = models.ForeignKey(MonthlyBulletin, related_name="files", on_delete=models.CASCADE)
    language = models.CharField(max_length=8)  # "zh" or "en"
    format = models.CharField(max_length=8, choices=Format.choices)
    file = models.FileField(upload_to=bulletin_file_path, max_length=200)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    made_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bulletin", "language", "format"], name="bulletin_file_unique")
        ]

    def __str__(self) -> str:
        return f"{self.bulletin} {self.language}.{self.format}"
