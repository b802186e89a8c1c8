"""Annual investment plans split by month, and the monthly reports of completed investment."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from keyprojects.accounts.models import Region
from keyprojects.core.history import AddressedHistory
from keyprojects.projects.models import Level, Project

MONTHS = [(m, str(m)) for m in range(1, 13)]


class FundingSplit(models.Model):
    """Fixed-asset investment statistics ask where the money comes from."""

    own_funds = models.DecimalField(_("enterprise's own funds"), max_digits=16, decimal_places=2, default=0)
    bank_loans = models.DecimalField(_("bank loans"), max_digits=16, decimal_places=2, default=0)
    special_bonds = models.DecimalField(
        _("government special bonds"), max_digits=16, decimal_places=2, default=0
    )
    budget_funds = models.DecimalField(
        _("government budget funds"), max_digits=16, decimal_places=2, default=0
    )
    other_funds = models.DecimalField(_("other funds"), max_digits=16, decimal_places=2, default=0)

    FUNDING_FIELDS = ("own_funds", "bank_loans", "special_bonds", "budget_funds", "other_funds")

    class Meta:
        abstract = True

    @property
    def funding_total(self):
        return sum(getattr(self, f) for f in self.FUNDING_FIELDS)


class AnnualPlan(FundingSplit):
    """年度计划投资: one project's planned investment for one year; the months are PlanMonth rows."""

    # The months were spread from a yearly total along the county curve (an imported list gives the year's
    # figure only), not planned month by month: the plan page says so.
    spread_along_curve = models.BooleanField(_("spread along the county curve"), default=False)

    project = models.ForeignKey(
        Project, verbose_name=_("project"), related_name="annual_plans", on_delete=models.CASCADE
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Optimistic locking: each save takes the next version; a form opened at an older one is refused.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = HistoricalRecords(bases=[AddressedHistory])

    class Meta:
        verbose_name = _("annual plan")
        verbose_name_plural = _("annual plans")
        ordering = ["project", "year"]
        constraints = [models.UniqueConstraint(fields=["project", "year"], name="plan_unique_year")]

    def __str__(self) -> str:
        return f"{self.project.code} {self.year}"


class PlanMonth(models.Model):
    plan = models.ForeignKey(
        AnnualPlan, verbose_name=_("annual plan"), related_name="months", on_delete=models.CASCADE
    )
    month = models.PositiveSmallIntegerField(_("month"), choices=MONTHS)
    amount = models.DecimalField(
        _("planned investment (yuan)"), max_digits=16, decimal_places=2, validators=[MinValueValidator(0)]
    )
    history = HistoricalRecords(bases=[AddressedHistory])

    class Meta:
        verbose_name = _("planned month")
        verbose_name_plural = _("planned months")
        ordering = ["plan", "month"]
        constraints = [models.UniqueConstraint(fields=["plan", "month"], name="plan_month_unique")]

    def __str__(self) -> str:
        return f"{self.plan} / {self.month}"


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted")
    RETURNED = "returned", _("returned")
    VERIFIED = "verified", _("verified")
    APPROVED = "approved", _("approved")


class MonthlyReport(FundingSplit):
    """完成投资: what a project invested in one month, as the enterprise reports it and others verify it."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), related_name="monthly_reports", on_delete=models.CASCADE
    )
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"), choices=MONTHS)
    completed_investment = models.DecimalField(
        _("investment completed in the month (yuan)"),
        max_digits=16,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    physical_progress = models.DecimalField(
        _("physical progress (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ReportStatus.choices, default=ReportStatus.DRAFT, db_index=True
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    return_reason = models.CharField(_("reason for return"), max_length=300, blank=True)
    reopen_reason = models.CharField(_("reason for reopening"), max_length=300, blank=True)
    # Optimistic locking, as the plan's: each change takes the next version; a form or an API client that
    # read an older one is refused rather than overwriting what someone else saved. The database's default
    # too: bulk loads (COPY) that name no version start at 1.
    version = models.PositiveIntegerField(_("version"), default=1, db_default=1, editable=False)
    history = HistoricalRecords(bases=[AddressedHistory])

    class Meta:
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        ordering = ["project", "year", "month"]
        constraints = [
            models.UniqueConstraint(fields=["project", "year", "month"], name="report_unique_month")
        ]
        indexes = [models.Index(fields=["year", "month", "status"])]

    def __str__(self) -> str:
        return f"{self.project.code} {self.year}-{self.month:02d}"


def report_attachment_path(instance: ReportAttachment, filename: str) -> str:
    # The stored name is ours, never the uploader's: no traversal, no collisions.
    return f"investment/reports/{instance.report_id}/{instance.token}"


class ReportAttachment(models.Model):
    """An invoice, a contract or a photo behind a month's figures; the verifier reads it before verifying."""

    report = models.ForeignKey(
        MonthlyReport, verbose_name=_("monthly report"), related_name="attachments", on_delete=models.CASCADE
    )
    token = models.CharField(max_length=32, unique=True, editable=False)
    file = models.FileField(upload_to=report_attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT)
    uploaded_at = models.DateTimeField(_("uploaded"))
    history = HistoricalRecords(bases=[AddressedHistory])

    class Meta:
        verbose_name = _("report attachment")
        verbose_name_plural = _("report attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class MonthClose(models.Model):
    """A county closing a month on purpose: its project office closes it with the reports still not approved
    listed (`missing`). A month whose due reports are all approved is closed without one."""

    region = models.ForeignKey(
        Region, verbose_name=_("county-level unit"), related_name="month_closes", on_delete=models.PROTECT
    )
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"), choices=MONTHS)
    closed_at = models.DateTimeField(_("closed"))
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    # [{"project": id, "code": …, "name": …, "status": a ReportStatus, or "missing" without a report}]
    missing = models.JSONField(_("reports not approved when closed"), default=list, blank=True)

    class Meta:
        verbose_name = _("closed month")
        verbose_name_plural = _("closed months")
        ordering = ["region", "year", "month"]
        constraints = [models.UniqueConstraint(fields=["region", "year", "month"], name="month_close_unique")]

    def __str__(self) -> str:
        return f"{self.region} {self.year}-{self.month:02d}"


class ProjectMonthFigures(models.Model):
    """What the figures read: one project's planned and completed investment in one month, kept by database
    triggers (migration 0009, `month_figures`) in the same transaction as every write to a planned month or a
    monthly report, whatever writes it (a service, an import, the admin, a console). Rankings and dashboards
    sum these rows instead of the plans and reports: one row per project-month, no join to the plan, and the
    approval flags without a subquery per planned month. Never written by the application."""

    # No database constraint and no cascade: the triggers remove a project's rows as its plans and reports go,
    # in whatever order a deletion takes them.
    project = models.ForeignKey(Project, related_name="+", on_delete=models.DO_NOTHING, db_constraint=False)
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField(choices=MONTHS)
    planned = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    completed = models.DecimalField(max_digits=16, decimal_places=2, default=0)  # approved reports only
    completed_unverified = models.DecimalField(  # submitted, verified and approved reports
        max_digits=16, decimal_places=2, default=0
    )
    reported = models.BooleanField(default=False)  # a submitted, verified or approved report exists
    approved = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("project month in figures")
        verbose_name_plural = _("project months in figures")
        constraints = [
            models.UniqueConstraint(fields=["project", "year", "month"], name="month_figures_unique")
        ]
        indexes = [models.Index(fields=["year", "month"], name="month_figures_period")]

    def __str__(self) -> str:
        return f"{self.project_id} {self.year}-{self.month:02d}"


class UnitMonthFigures(models.Model):
    """The project-month figures summed per county-level unit, project level and month, kept by database
    triggers (migration 0010, `month_figures`) on the project-month figures and on a project's unit and
    level. A province's ranking sums ~6,500 of these rows for a year instead of ~105,000 project-months;
    the approval counts (`planned_months` with a planned amount, of which `reported_months` reported and
    `approved_months` approved) are what the ranking's note on pending reports and the closing of a month
    read. Never written by the application."""

    unit = models.ForeignKey(Region, related_name="+", on_delete=models.DO_NOTHING, db_constraint=False)
    level = models.CharField(max_length=20, choices=Level.choices)
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField(choices=MONTHS)
    planned = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    completed = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    completed_unverified = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    project_months = models.IntegerField(default=0)  # the row goes when this reaches 0
    planned_months = models.IntegerField(default=0)
    reported_months = models.IntegerField(default=0)
    approved_months = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("unit month in figures")
        verbose_name_plural = _("unit months in figures")
        constraints = [
            models.UniqueConstraint(fields=["unit", "level", "year", "month"], name="unit_figures_unique")
        ]
        indexes = [models.Index(fields=["year", "month"], name="unit_figures_period")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.level} {self.year}-{self.month:02d}"
