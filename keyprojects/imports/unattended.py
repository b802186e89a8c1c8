"""An import in one call, as the command line and the API run it: the upload, the guessed mapping (with a unit for
the amounts whose file states none), the check, and — unless it is a dry run — the confirmation and the write. The
same `jobs` steps the pages take, one after another, as the office's user.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.files.uploadedfile import UploadedFile

from keyprojects.accounts.models import Membership, Region, User
from keyprojects.core.errors import DomainError
from keyprojects.imports import checking, importers, jobs, runs
from keyprojects.imports.cells import UNIT_NAMES
from keyprojects.imports.columns import Kind
from keyprojects.projects.models import ImportJob

POLL_SECONDS = 0.5


def county_office_user(county: Region) -> User | None:
    """Whom an unattended import runs as: the first active user of the county's project office."""
    return (
        User.objects.filter(
            is_active=True, memberships__role=Membership.Role.COUNTY_OFFICE, memberships__region=county
        )
        .order_by("pk")
        .first()
    )


def unit_for_unstated(job: ImportJob, unit: str | None) -> dict[int, str]:
    """`unit` ("yuan", "wan" or "yi") for each mapped money column whose header or unit line states none; the
    stated ones keep theirs."""
    if not unit:
        return {}
    if unit not in UNIT_NAMES:
        raise ValueError(unit)
    money = {c.key for c in importers.importer_for(job.kind).columns if c.kind == Kind.MONEY}
    return {
        int(index): unit
        for index, key in job.mapping.items()
        if key in money and not job.columns[int(index)].get("unit")
    }


def run_to_end(job: ImportJob, run: Any, *, wait_seconds: float, run_here: bool = True) -> ImportJob:
    """The job's queued run, here and now (of this call and the worker, whichever claims it first runs it); a
    run the worker took is waited for, at most `wait_seconds`. Not `run_here` (a web request): a queued run is
    left to the worker, and the job answered as it stands."""
    if not run_here:
        return job
    if job.status in (ImportJob.Status.QUEUED, ImportJob.Status.CONFIRMED):
        job = run(job_id=job.pk)
    deadline = time.monotonic() + wait_seconds
    while job.is_running and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        job.refresh_from_db()
        runs.import_fail_stale(job=job)
    return job


def import_at_once(
    *,
    actor: User,
    county: Region,
    upload: UploadedFile,
    kind: str,
    options: dict[str, Any],
    unit: str | None = None,
    sheet: int | None = None,
    dry_run: bool = False,
    confirmed_rows: set[int] | None = None,
    wait_seconds: float = 600,
    run_here: bool = True,
) -> ImportJob:
    """Upload, map as guessed, check; then, unless `dry_run` or the check found errors, confirm (the suspicious
    updates in `confirmed_rows` only) and write. `sheet` counts from 0. Raises what the steps raise (DomainError:
    a file refused, a money column without a unit…), the job then failed with why; answers the job, in preview,
    done or failed, or — not `run_here` and too large to check inline — queued, the worker going on to the write
    unless `dry_run`."""
    job = jobs.import_create(actor=actor, county=county, upload=upload, kind=kind, **options)
    try:
        if sheet is not None and sheet != job.sheet_index:
            job = jobs.import_choose_sheet(actor=actor, job=job, sheet_index=sheet)
        job = jobs.import_configure(
            actor=actor,
            job=job,
            mapping={int(index): key for index, key in job.mapping.items()},
            units=unit_for_unstated(job, unit),
            remember=not dry_run,
            write_when_checked=not dry_run and not run_here and not confirmed_rows,
        )
    except DomainError as exc:
        jobs.import_refuse(job=job, message=exc.message)
        raise
    job = run_to_end(job, runs.import_check, wait_seconds=wait_seconds, run_here=run_here)
    if dry_run or job.status != ImportJob.Status.PREVIEW:
        return job
    return confirm_at_once(
        actor=actor, job=job, confirmed_rows=confirmed_rows, wait_seconds=wait_seconds, run_here=run_here
    )


def confirm_at_once(
    *,
    actor: User,
    job: ImportJob,
    confirmed_rows: set[int] | None = None,
    wait_seconds: float = 600,
    run_here: bool = True,
) -> ImportJob:
    """Confirm a checked import and write it, waiting for the write (not `run_here`: a large one is left to the
    worker)."""
    job = runs.import_confirm(actor=actor, job=job, confirmed_rows=confirmed_rows)
    return run_to_end(job, runs.import_write, wait_seconds=wait_seconds, run_here=run_here)


def outcome(job: ImportJob) -> dict[str, Any]:
    """What the command prints and the API answers: the preview (counts, skipped rows and why, totals in yuan, the
    file's own totals checked, errors, new organisations) and, once written, what was written."""
    preview = job.preview or {}
    counts = {
        "create": 0,
        "update": 0,
        "unchanged": 0,
        "errors": job.error_count,
        "suspicious": 0,
        **preview.get("counts", {}),
        "skipped": len(preview.get("skipped", [])),
    }
    done = job.status == ImportJob.Status.DONE
    return {
        "id": job.pk,
        "kind": job.kind,
        "county": job.county.slug,
        "file": job.original_name,
        "status": job.status,
        "message": job.message,
        "sheet": preview.get("sheet", ""),
        "options": {
            k: v for k, v in job.options.items() if k in ("year", "month", "report_status", "plan_year")
        },
        "counts": counts,
        "skipped": checking.skipped_rows(job),
        "not_stored": preview.get("not_stored", []),
        "totals": preview.get("totals", []),
        "checks": preview.get("checks", []),
        "cumulative": preview.get("cumulative", []),
        "errors": job.error_report,
        "error_count": job.error_count,
        "new": preview.get("new", {"enterprises": [], "departments": [], "leaders": []}),
        "create": preview.get("create", []),
        "update": preview.get("update", []),
        "written": (
            {"created": job.created_count, "updated": job.updated_count, "unchanged": job.unchanged_count}
            if done
            else None
        ),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }
