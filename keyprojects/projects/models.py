"""The key-project registry: projects, their stages, milestones, service guarantees and pauses."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from keyprojects.accounts.models import Department, Enterprise, Region
from keyprojects.core import clock
from keyprojects.core.bilingual import translated
from keyprojects.core.history import AddressedHistory
from keyprojects.core.models import BilingualName


class Level(models.TextChoices):
    PROVINCIAL = "provincial", _("provincial key project")
    MUNICIPAL = "municipal", _("municipal key project")
    COUNTY = "county", _("county key project")


class Category(models.TextChoices):
    INDUSTRY = "industry", _("industry")
    INFRASTRUCTURE = "infrastructure", _("infrastructure")
    SOCIAL = "social", _("social services")
    AGRICULTURE = "agriculture", _("agriculture")
    SERVICES = "services", _("modern services")
    ENERGY = "energy", _("energy")
    OTHER = "other", _("other")


class Stage(models.TextChoices):
    """签约 → 前期 → 开工 → 在建 → 竣工 → 投产 → 达效, in this order."""

    SIGNED = "signed", _("signed")
    EARLY = "early", _("early stage")
    STARTED = "started", _("started")
    CONSTRUCTION = "construction", _("under construction")
    COMPLETED = "completed", _("completed")
    OPERATION = "operation", _("in operation")
    OUTPUT = "output", _("at planned output")


STAGE_ORDER = {stage: index for index, stage in enumerate(Stage.values)}


def next_stage(stage: str) -> str:
    """The stage after this one on the chain (the last stays where it is)."""
    return Stage.values[min(STAGE_ORDER[stage] + 1, len(Stage.values) - 1)]


class Health(models.TextChoices):
    GREEN = "green", _("green")
    AMBER = "amber", _("amber")
    RED = "red", _("red")


class PauseReason(models.TextChoices):
    FUNDING = "funding", _("funding")
    LAND = "land", _("land")
    APPROVALS = "approvals", _("approvals")
    MARKET = "market", _("market")
    OTHER = "other", _("other")


# A project's code names it in every address (projects/julu/JL-2026-001/), file and list, so it holds only
# characters that mean nothing in an address: letters of any script (JL, 巨鹿), digits, "-", "_" and ".", and
# begins with a letter or a digit ("." and ".." alone are the address's own "here" and "up"). The form, the
# services (full_clean) and the import (imports.registry_checks.check_row, clean_fields) all check this one rule.
CODE_CHARACTER = re.compile(r"[\w.-]")
# Words the project addresses use after the county (projects/julu/new/): a project of that code could not
# be reached.
RESERVED_CODES = frozenset({"new", "templates"})


def validate_project_code(code: str) -> None:
    """Refuse a code that an address could not carry, saying which characters are not allowed."""
    refused = sorted({ch for ch in code if not CODE_CHARACTER.fullmatch(ch)})
    if refused:
        shown = " ".join(f"“{_('space') if ch.isspace() else ch}”" for ch in refused)
        raise ValidationError(
            _("A code may hold only letters, digits, “-”, “_” and “.”, not %(characters)s."),
            code="code_characters",
            params={"characters": shown},
        )
    if code[:1] in {"-", "_", "."}:
        raise ValidationError(_("A code begins with a letter or a digit."), code="code_start")
    if code in RESERVED_CODES:
        raise ValidationError(
            _("“%(code)s” is part of the registry's page addresses; choose another code."),
            code="code_reserved",
            params={"code": code},
        )


def validate_project_date(day: date) -> None:
    """A project's dates lie within the days the system handles (milestones are planned from the start date)."""
    clock.validate_day(day)


class Project(BilingualName):
    code = models.CharField(
        _("code"),
        max_length=30,
        validators=[validate_project_code],
        help_text=_("Unique within the county, e.g. JL-2026-001: letters, digits, “-”, “_” and “.”."),
    )
    county = models.ForeignKey(
        Region, verbose_name=_("county-level unit"), related_name="projects", on_delete=models.PROTECT
    )
    zone = models.ForeignKey(
        Region,
        verbose_name=_("development zone"),
        related_name="zone_projects",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    level = models.CharField(_("level"), max_length=20, choices=Level.choices, db_index=True)
    # Optional: the lists offices publish often have no category column, and an import may leave it empty.
    category = models.CharField(
        _("category"), max_length=20, choices=Category.choices, blank=True, db_index=True
    )
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), related_name="projects", on_delete=models.PROTECT
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    lat = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    lng = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    total_investment = models.DecimalField(
        _("total investment (yuan)"), max_digits=16, decimal_places=2, validators=[MinValueValidator(0)]
    )
    land_area_mu = models.DecimalField(
        _("land area (mu)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    construction_content_zh = models.TextField(_("construction content (Chinese)"), blank=True)
    construction_content_en = models.TextField(_("construction content (English)"), blank=True)
    expected_annual_output = models.DecimalField(
        _("expected annual output value (yuan)"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    start_date = models.DateField(_("start date"), null=True, blank=True, validators=[validate_project_date])
    planned_completion_date = models.DateField(
        _("planned completion date"), null=True, blank=True, validators=[validate_project_date]
    )
    stage = models.CharField(
        _("stage"), max_length=20, choices=Stage.choices, default=Stage.SIGNED, db_index=True
    )
    stage_since = models.DateField(_("in this stage since"), null=True, blank=True)
    leader_in_charge = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("leader in charge"),
        related_name="led_projects",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    responsible_departments = models.ManyToManyField(
        Department, verbose_name=_("responsible departments"), related_name="projects", blank=True
    )
    paused_since = models.DateField(_("paused since"), null=True, blank=True)
    pause_reason = models.CharField(_("pause reason"), max_length=20, choices=PauseReason.choices, blank=True)
    pause_note = models.CharField(_("pause note"), max_length=300, blank=True)
    # The office may override the computed health rating, but only with a written rationale.
    health_override = models.CharField(_("health (given)"), max_length=10, choices=Health.choices, blank=True)
    health_override_rationale = models.TextField(_("rationale for the given health"), blank=True)
    # Marked by the county's office: only such projects are published in the open data, read without log-in.
    is_public = models.BooleanField(
        _("published as open data"),
        default=False,
        help_text=_("Published in the open data (OC4IDS) without log-in"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Optimistic locking: each save takes the next version; an edit form opened at an older one is refused.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = HistoricalRecords(m2m_fields=[responsible_departments], bases=[AddressedHistory])

    class Meta:
        verbose_name = _("key project")
        verbose_name_plural = _("key projects")
        ordering = ["county__path", "code"]
        constraints = [
            models.UniqueConstraint(fields=["county", "code"], name="project_code_unique_in_county"),
            models.CheckConstraint(
                name="project_override_has_rationale",
                condition=Q(health_override="") | ~Q(health_override_rationale=""),
            ),
        ]
        indexes = [models.Index(fields=["county", "level", "stage"])]

    construction_content = translated("construction_content")

    @property
    def is_paused(self) -> bool:
        return self.paused_since is not None

    @property
    def land_area_hectares(self):
        """1 mu = 666.67 m² = 0.066667 ha (exactly 1/15 ha)."""
        return None if self.land_area_mu is None else self.land_area_mu / 15


class StageChange(models.Model):
    """Each move along the stage chain, dated, with who recorded it."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), related_name="stage_changes", on_delete=models.CASCADE
    )
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices)
    date = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_stage_display()}"


class GuaranteeKind(models.TextChoices):
    WATER = "water", _("water")
    ELECTRICITY = "electricity", _("electricity")
    ROADS = "roads", _("roads")
    GAS = "gas", _("gas")
    NETWORK = "network", _("network")


class GuaranteeStatus(models.TextChoices):
    NOT_NEEDED = "not_needed", _("not needed")
    NEEDED = "needed", _("needed")
    IN_PROGRESS = "in_progress", _("in progress")
    DELIVERED = "delivered", _("delivered")


class ServiceGuarantee(models.Model):
    """要素保障: water, electricity, roads, gas and network delivered to the site."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), related_name="guarantees", on_delete=models.CASCADE
    )
    kind = models.CharField(_("service"), max_length=20, choices=GuaranteeKind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=GuaranteeStatus.choices, default=GuaranteeStatus.NEEDED
    )
    needed_by = models.DateField(_("needed by"), null=True, blank=True)
    delivered_on = models.DateField(_("delivered on"), null=True, blank=True)
    history = HistoricalRecords(bases=[AddressedHistory])

    class Meta:
        verbose_name = _("service guarantee")
        verbose_name_plural = _("service guarantees")
        ordering = ["project", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["project", "kind"], name="guarantee_unique_kind"),
            models.CheckConstraint(
                name="guarantee_delivered_has_date",
                condition=~Q(status="delivered") | Q(delivered_on__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.get_status_display()}"


class MilestoneTemplateStep(BilingualName):
    """One approval step of a category's template; a county may keep its own copy and edit it."""

    county = models.ForeignKey(
        Region,
        verbose_name=_("county-level unit"),
        null=True,
        blank=True,
        related_name="milestone_template_steps",
        on_delete=models.CASCADE,
        help_text=_("Empty: the default template used by every county that has none of its own."),
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    code = models.SlugField(_("code"), max_length=40)
    order = models.PositiveSmallIntegerField(_("order"))
    days_from_start = models.IntegerField(
        _("days from the project start"),
        help_text=_("The planned date is the project start plus this many days."),
    )
    time_limit_days = models.PositiveIntegerField(
        _("time limit (days)"),
        null=True,
        blank=True,
        help_text=_("The approval's statutory time limit, if any."),
    )
    history = HistoricalRecords(bases=[AddressedHistory])

    class Meta:
        verbose_name = _("milestone template step")
        verbose_name_plural = _("milestone template steps")
        ordering = ["county_id", "category", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "code"],
                condition=Q(county__isnull=True),
                name="template_step_unique_default",
            ),
            models.UniqueConstraint(
                fields=["county", "category", "code"],
                condition=Q(county__isnull=False),
                name="template_step_unique_county",
            ),
        ]


class MilestoneStatus(models.TextChoices):
    ON_SCHEDULE = "on_schedule", _("on schedule")
    AT_RISK = "at_risk", _("at risk")
    LATE = "late", _("late")
    DONE = "done", _("done")


class Milestone(BilingualName):
    """A dated step of one project, with its frozen baseline, the current plan and the actual date."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), related_name="milestones", on_delete=models.CASCADE
    )
    code = models.SlugField(_("code"), max_length=40)
    order = models.PositiveSmallIntegerField(_("order"))
    original_baseline_date = models.DateField(_("original baseline"), editable=False)
    baseline_date = models.DateField(_("baseline"))
    planned_date = models.DateField(_("planned date"))
    actual_date = models.DateField(_("actual date"), null=True, blank=True)
    history = HistoricalRecords(bases=[AddressedHistory])

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["project", "order"]
        constraints = [models.UniqueConstraint(fields=["project", "code"], name="milestone_unique_code")]


def import_file_path(instance: ImportJob, filename: str) -> str:
    # The stored name is ours, never the uploader's: no traversal, no collisions.
    return f"imports/{instance.county_id}/{instance.token}.{instance.file_format or 'xlsx'}"


class ImportJob(models.Model):
    """One Excel upload of the registry: the stored file, the column mapping, progress and the outcome."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for the column mapping")
        QUEUED = "queued", _("queued")
        VALIDATING = "validating", _("checking every row")
        PREVIEW = "preview", _("checked: waiting for confirmation")
        CONFIRMED = "confirmed", _("confirmed: queued for writing")
        IMPORTING = "importing", _("writing")
        FAILED = "failed", _("failed: nothing imported")
        DONE = "done", _("done")

    RUNNING = (Status.QUEUED, Status.VALIDATING, Status.CONFIRMED, Status.IMPORTING)

    class Kind(models.TextChoices):
        REGISTRY = "registry", _("key-project list")
        MONTHLY = "monthly", _("monthly completed investment")

    county = models.ForeignKey(
        Region, verbose_name=_("county-level unit"), related_name="import_jobs", on_delete=models.PROTECT
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), related_name="+", on_delete=models.PROTECT
    )
    token = models.CharField(max_length=32, unique=True, editable=False)
    # Stored under MEDIA_ROOT, which is outside the web root: nothing serves these files.
    file = models.FileField(upload_to=import_file_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=120)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    kind = models.CharField(_("what is imported"), max_length=10, choices=Kind.choices, default=Kind.REGISTRY)
    file_format = models.CharField(_("file format"), max_length=10, default="xlsx")
    # [{"name": "重点项目", "rows": 35}]: the workbook's sheets and their project-like rows; the user picks one.
    sheets = models.JSONField(_("worksheets"), default=list, blank=True)
    sheet_index = models.PositiveSmallIntegerField(_("worksheet"), default=0)
    # The header block's rows as the spreadsheet numbers them (two for a header with merged group cells).
    header_rows = models.JSONField(_("header rows"), default=list, blank=True)
    # What the office chose besides the mapping: {"units": {"<column index>": yuan per unit}, "plan_year",
    # "default_category", and for monthly figures "year", "month", "report_status"}.
    options = models.JSONField(_("options"), default=dict, blank=True)
    # What the import would write, shown before anything is written (imports.checking.checked_rows).
    preview = models.JSONField(_("preview"), default=dict, blank=True)
    # A digest of the writes the preview showed: the confirmed write refuses if the registry changed since.
    fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    is_template = models.BooleanField(_("our template"), default=False)
    header_row = models.PositiveIntegerField(_("header row"), default=1)
    # [{"header": …, "samples": […], "guess": "remembered" | "guessed" | ""}] by column, as in the file.
    columns = models.JSONField(_("columns of the file"), default=list, blank=True)
    # {"<column index>": "<field>"}; a column not listed is ignored.
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows checked"), default=0)
    # [{"row": 7, "column": "总投资（万元）", "value": "abc", "reason": "…"}], the first MAX_REPORTED.
    error_report = models.JSONField(_("error report"), default=list, blank=True)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    message = models.TextField(_("message"), blank=True)
    created_count = models.PositiveIntegerField(pgettext_lazy("count of projects", "created"), default=0)
    updated_count = models.PositiveIntegerField(pgettext_lazy("count of projects", "updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    started_at = models.DateTimeField(pgettext_lazy("point in time", "started"), null=True, blank=True)
    # The last sign of life of the run (queued, started, rows checked, writing): a job without one for
    # KEYPROJECTS_IMPORT_STALE_MINUTES lost its worker, and is marked failed (imports.runs.import_fail_stale).
    progressed_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Failed for a reason other than the file (the worker died, an unexpected error): may be run again.
    retryable = models.BooleanField(_("can be run again"), default=False)

    class Meta:
        verbose_name = _("registry import")
        verbose_name_plural = _("registry imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING

    @property
    def progress_percent(self) -> int:
        return round(100 * self.processed_rows / self.total_rows) if self.total_rows else 0


# A finished export's file is kept this long; then its page says to export again (projects.export_jobs).
EXPORT_KEPT_FOR = timedelta(hours=24)


def export_file_path(instance: ExportJob, filename: str) -> str:
    # Under the job's own folder: one requester's file never collides with another's of the same day.
    return f"exports/{instance.pk}/{instance.file_name}"


class ExportJob(models.Model):
    """The registry list exported by the task worker, for a list too long to write inside one request: the
    filters as the user asked them, progress, and the file, downloadable by that user only for EXPORT_KEPT_FOR.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("being written")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")

    RUNNING = (Status.QUEUED, Status.RUNNING)

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), related_name="+", on_delete=models.CASCADE
    )
    file_format = models.CharField(_("file format"), max_length=10)
    # The list's query string as the user sent it: the task applies it again with the same user's scope.
    query = models.TextField(_("filters"), blank=True)
    # The language the user asked in: headers and labels of the file are written in it.
    language = models.CharField(max_length=10)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    # Stored under MEDIA_ROOT, as attachments are: served only through the view that checks the requester.
    file = models.FileField(upload_to=export_file_path, max_length=200, blank=True)
    file_name = models.CharField(_("file name"), max_length=120)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("requested"), default=clock.now)
    started_at = models.DateTimeField(pgettext_lazy("point in time", "started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("registry export")
        verbose_name_plural = _("registry exports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING

    @property
    def progress_percent(self) -> int:
        return min(100, round(100 * self.rows_done / self.rows_total)) if self.rows_total else 0

    @property
    def kept_until(self) -> datetime | None:
        return self.finished_at + EXPORT_KEPT_FOR if self.finished_at else None

    @property
    def is_downloadable(self) -> bool:
        return self.status == self.Status.DONE and bool(self.file) and clock.now() < self.kept_until


class ColumnMapping(models.Model):
    """A county office's answer to "which of our fields is this column?", remembered for its next upload."""

    county = models.ForeignKey(
        Region,
        verbose_name=_("county-level unit"),
        related_name="import_column_mappings",
        on_delete=models.CASCADE,
    )
    # Normalised (full-width folded, lower case, no spaces), so that 总投资（万元） and 总投资(万元) are one.
    source_header = models.CharField(_("column header"), max_length=200)
    field = models.CharField(
        _("field"), max_length=40, blank=True, help_text=_("Empty: the column is ignored.")
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords(bases=[AddressedHistory])

    class Meta:
        verbose_name = _("remembered column mapping")
        verbose_name_plural = _("remembered column mappings")
        ordering = ["county", "source_header"]
        constraints = [
            models.UniqueConstraint(fields=["county", "source_header"], name="column_mapping_unique_header")
        ]

    def __str__(self) -> str:
        return f"{self.source_header} → {self.field or '—'}"
