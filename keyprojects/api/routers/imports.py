"""Imports over the API: a county's key-project list or a month's completed investment, uploaded as the office
publishes it, answered with the preview; then confirmed and written. The county's project office only."""

from typing import Literal

from django.http import HttpRequest
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile

from keyprojects.accounts import selectors as accounts_selectors
from keyprojects.api.errors import refusals
from keyprojects.api.params import Id, Month, Year
from keyprojects.imports import runs, unattended
from keyprojects.investment.models import ReportStatus
from keyprojects.projects import selectors
from keyprojects.projects.models import ImportJob

router = Router(tags=["imports"])

Unit = Literal["yuan", "wan", "yi"]


class ImportIn(Schema):
    unit: Unit | None = Field(
        None, description="The unit of money columns whose header and unit line state none."
    )
    sheet: int | None = Field(
        None, ge=1, le=1000, description="The worksheet, from 1 (default: most project rows)."
    )
    dry_run: bool = Field(False, description="Answer the preview only; confirm it later with /confirm.")


class RegistryImportIn(ImportIn):
    plan_year: Year | None = Field(None, description="The year of the planned-investment column.")


class MonthlyImportIn(ImportIn):
    year: Year
    month: Month
    status: Literal["submitted", "verified"] = Field(
        ReportStatus.SUBMITTED, description="Store the reports as submitted, or as verified by the office."
    )


class ConfirmIn(Schema):
    confirmed_rows: list[int] = Field(default_factory=list, description="Suspicious updates to write anyway.")


class CountsOut(Schema):
    create: int
    update: int
    unchanged: int
    skipped: int
    errors: int
    suspicious: int


class SkippedOut(Schema):
    row: int
    reason: str
    why: str
    text: str


class NotStoredOut(Schema):
    row: int
    column: str
    text: str
    why: str


class TotalOut(Schema):
    column: str
    unit: str
    as_written: str
    yuan: str


class CheckOut(Schema):
    row: int
    kind: str
    column: str
    stated: str
    summed: str
    ok: bool


class RowErrorOut(Schema):
    row: int
    column: str
    value: str
    reason: str


class NewOrganisationsOut(Schema):
    enterprises: list[str]
    departments: list[str]
    leaders: list[str]


class WrittenOut(Schema):
    created: int
    updated: int
    unchanged: int


class ImportOut(Schema):
    id: int
    kind: str
    county: str
    file: str
    status: str
    message: str
    sheet: str
    options: dict
    counts: CountsOut
    skipped: list[SkippedOut]
    not_stored: list[NotStoredOut] = Field(
        description="What cells say that the registry has no place for (a second leader's name)."
    )
    totals: list[TotalOut]
    checks: list[CheckOut]
    cumulative: list[dict]
    errors: list[RowErrorOut]
    error_count: int
    new: NewOrganisationsOut
    create: list[dict]
    update: list[dict]
    written: WrittenOut | None
    finished_at: str | None


def _import(
    request: HttpRequest, county: str, kind: str, upload: UploadedFile, params: ImportIn, options: dict
):
    # Outside what the user sees: 404; seen but not theirs to change (import_create): 403.
    region = accounts_selectors.region_get(user=request.auth, slug=county)
    job = unattended.import_at_once(
        actor=request.auth,
        county=region,
        upload=upload,
        kind=kind,
        options=options,
        unit=params.unit,
        sheet=params.sheet - 1 if params.sheet else None,
        dry_run=params.dry_run,
        run_here=False,
    )
    return Status(202 if job.is_running else 201, unattended.outcome(job))


@router.post(
    "/imports/registry/{county}",
    response={201: ImportOut, 202: ImportOut, **refusals(400, 403, 404)},
    summary="Import a county's key-project list",
)
def registry_import(
    request: HttpRequest, county: str, file: File[UploadedFile], params: Form[RegistryImportIn]
):
    """The office's list as published (title, unit line, two-row header, group and total rows): checked as the
    import page checks it, with the columns as guessed. Answers the preview; unless `dry_run`, a preview without
    errors is written at once (suspicious updates left out: confirm a dry run's with /confirm). A file too large
    to check within the request is answered 202, status `queued`: the task worker checks it (and writes it,
    unless `dry_run`); poll `GET /imports/{id}` until the status is `preview`, `done` or `failed`."""
    options = {"plan_year": params.plan_year} if params.plan_year else {}
    return _import(request, county, ImportJob.Kind.REGISTRY, file, params, options)


@router.post(
    "/imports/monthly/{county}",
    response={201: ImportOut, 202: ImportOut, **refusals(400, 403, 404)},
    summary="Import a month's completed investment",
)
def monthly_import(
    request: HttpRequest, county: str, file: File[UploadedFile], params: Form[MonthlyImportIn]
):
    """The office's monthly summary sheet: each row's project (by code, else by name and enterprise) gets the
    month's report, submitted or verified. Answers the preview; unless `dry_run`, written at once. Answered 202
    when the file is left to the task worker: poll `GET /imports/{id}`."""
    options = {"year": params.year, "month": params.month, "report_status": params.status}
    return _import(request, county, ImportJob.Kind.MONTHLY, file, params, options)


@router.get(
    "/imports/{job_id}",
    response={200: ImportOut, **refusals(400, 404)},
    summary="An import: its preview, or what it wrote",
)
def import_detail(request: HttpRequest, job_id: Id):
    job = selectors.import_job_get(user=request.auth, pk=job_id)
    if job.is_running:
        runs.import_fail_stale(job=job)
    return unattended.outcome(job)


@router.post(
    "/imports/{job_id}/confirm",
    response={200: ImportOut, 202: ImportOut, **refusals(400, 403, 404)},
    summary="Write a checked import",
)
def import_confirm(request: HttpRequest, job_id: Id, body: ConfirmIn):
    """Write what the preview showed, in one transaction; suspicious updates only if their rows are listed.
    If the registry changed since the preview, nothing is written and the new preview is answered. A large
    import is written by the task worker: answered 202, poll `GET /imports/{id}`."""
    job = selectors.import_job_get(user=request.auth, pk=job_id)
    job = unattended.confirm_at_once(
        actor=request.auth, job=job, confirmed_rows=set(body.confirmed_rows), run_here=False
    )
    return Status(202 if job.is_running else 200, unattended.outcome(job))
