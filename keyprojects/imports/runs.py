"""Running an import's check and its write (`start`): here and now for a small file, in the task worker
(imports.tasks) for a large one. The check stores the preview, writing nothing (`import_check`); the office's
confirmation (`import_confirm`) starts the write, which checks the rows again and writes them in one transaction if
they are still what the preview showed (`import_write`). A run whose worker died is marked failed and may be run
again (`import_fail_stale`).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import translation
from django.utils.translation import gettext as _

from keyprojects.accounts.models import Region, User
from keyprojects.core import clock
from keyprojects.core.audit import audit_record
from keyprojects.core.errors import DomainError
from keyprojects.core.workflow import SYSTEM
from keyprojects.imports.checking import checked_rows
from keyprojects.imports.importers import importer_for, require_manage
from keyprojects.imports.progress import claim, finish, run_as_uploader
from keyprojects.projects.models import ImportJob

logger = logging.getLogger(__name__)

MAX_REPORTED = 1000  # errors kept in the report; the count says how many there were in all


def import_confirm(*, actor: User, job: ImportJob, confirmed_rows: set[int] | None = None) -> ImportJob:
    """The office has read the preview: write it (the suspicious updates confirmed row by row, others left out)."""
    require_manage(actor, job.county)
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status != ImportJob.Status.PREVIEW:
            raise DomainError(_("Only a checked import waiting for confirmation can be confirmed."))
        suspicious = {u["row"] for u in locked.preview.get("update", []) if u.get("suspicious")}
        options = {**locked.options, "confirmed": sorted(set(confirmed_rows or ()) & suspicious)}
        ImportJob.objects.filter(pk=job.pk).update(options=options, status=ImportJob.Status.CONFIRMED)
    job.refresh_from_db()
    return start(job, ImportJob.Status.CONFIRMED)


def start(job: ImportJob, status: str) -> ImportJob:
    """Small files run here and now; larger ones go to the task worker and the page shows progress."""
    run = import_check if status == ImportJob.Status.PENDING else import_write
    if job.total_rows <= settings.KEYPROJECTS_IMPORT_INLINE_ROWS:
        return run(job_id=job.pk)
    from keyprojects.imports import tasks  # the task module imports this one

    if status == ImportJob.Status.PENDING:
        ImportJob.objects.filter(pk=job.pk, status=status).update(
            status=ImportJob.Status.QUEUED, progressed_at=clock.now()
        )
        tasks.import_check_run.enqueue(job.pk)
    else:
        ImportJob.objects.filter(pk=job.pk).update(progressed_at=clock.now())
        tasks.import_write_run.enqueue(job.pk)
    job.refresh_from_db()
    return job


def import_check(*, job_id: int) -> ImportJob:
    """Check every row and store the preview; nothing is written."""
    job, claimed = claim(
        job_id, [ImportJob.Status.PENDING, ImportJob.Status.QUEUED], ImportJob.Status.VALIDATING
    )
    if not claimed:
        return job  # already run (a task retried, or a second click), or given up before it started

    def body(job: ImportJob, actor: User) -> None:
        checked = checked_rows(job)
        fields = {
            "preview": checked.preview,
            "fingerprint": checked.fingerprint,
            "skipped_count": len(checked.preview.get("skipped", [])),
            "error_report": [e.as_dict() for e in checked.errors[:MAX_REPORTED]],
            "error_count": len(checked.errors),
        }
        if checked.errors:
            finish(
                job,
                ImportJob.Status.FAILED,
                **fields,
                message=_(
                    "%(count)s problems were found; nothing was imported. Correct them and upload again."
                )
                % {"count": len(checked.errors)},
            )
        else:
            finish(job, ImportJob.Status.PREVIEW, **fields, message="")

    job = run_as_uploader(job, body)
    if job.status == ImportJob.Status.PREVIEW and job.options.get("write_when_checked"):
        # Suspicious updates are left out: only a person who read them may confirm them.
        job = import_confirm(actor=job.uploaded_by, job=job)
    return job


def import_write(*, job_id: int) -> ImportJob:
    """Check the rows again and write them in one transaction, if they are still what the preview showed."""
    job, claimed = claim(job_id, [ImportJob.Status.CONFIRMED], ImportJob.Status.IMPORTING)
    if not claimed:
        return job

    def body(job: ImportJob, actor: User) -> None:
        checked = checked_rows(job)
        if checked.errors or checked.fingerprint != job.fingerprint:
            finish(
                job,
                ImportJob.Status.PREVIEW if not checked.errors else ImportJob.Status.FAILED,
                preview=checked.preview,
                fingerprint=checked.fingerprint,
                error_report=[e.as_dict() for e in checked.errors[:MAX_REPORTED]],
                error_count=len(checked.errors),
                message=_(
                    "The registry changed since the preview was made; nothing was written. Check the new preview "
                    "and confirm again."
                ),
            )
            return
        confirmed = set(job.options.get("confirmed", []))
        # The outcome is recorded in the transaction of the writes: if the job was given up while they ran (no sign
        # of life comes from inside one transaction), _finish refuses and they are undone.
        with transaction.atomic():
            counts = importer_for(job.kind).write(job, actor, checked, confirmed)
            audit_record(actor=actor, action=f"{job.kind}.import", target=job, data=counts)
            finish(
                job,
                ImportJob.Status.DONE,
                created_count=counts.get("created", 0),
                updated_count=counts.get("updated", 0),
                unchanged_count=counts.get("unchanged", 0),
                message="",
            )

    return run_as_uploader(job, body)


def import_fail_stale(*, county: Region | None = None, job: ImportJob | None = None) -> int:
    """Mark failed the running imports that showed no sign of life for KEYPROJECTS_IMPORT_STALE_MINUTES:
    their worker died (a restart, a killed process). Their writes, one transaction, never happened; the
    office may run them again (import_retry). Called when imports are listed or viewed, and periodically."""
    minutes = settings.KEYPROJECTS_IMPORT_STALE_MINUTES
    cutoff = clock.now() - timedelta(minutes=minutes)
    stale = ImportJob.objects.filter(status__in=ImportJob.RUNNING).alias(
        last=Coalesce("progressed_at", "started_at", "created_at")
    )
    stale = stale.filter(last__lt=cutoff).select_related("uploaded_by")
    if county is not None:
        stale = stale.filter(county=county)
    if job is not None:
        stale = stale.filter(pk=job.pk)
    given_up = 0
    for found in stale:
        with translation.override(found.uploaded_by.language or settings.LANGUAGE_CODE):
            message = _(
                "The import stopped without finishing: its background worker showed no progress for "
                "%(minutes)s minutes. Nothing was imported; run it again."
            ) % {"minutes": minutes}
        # Only if it still shows no sign of life: a run that just moved on keeps going.
        if ImportJob.objects.filter(
            pk=found.pk, status=found.status, progressed_at=found.progressed_at
        ).update(status=ImportJob.Status.FAILED, message=message, retryable=True, finished_at=clock.now()):
            given_up += 1
            audit_record(
                actor=SYSTEM, action="project.import_stale", target=found, data={"status": found.status}
            )
            logger.warning(
                "Import job %s showed no progress for %s minutes: marked failed", found.pk, minutes
            )
    if job is not None and given_up:
        job.refresh_from_db()
    return given_up
