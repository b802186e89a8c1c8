"""A run of an import (its check or its write), in the web process or the task worker: it claims its job, gives
signs of life as it goes (the job row carries its progress), and records its outcome, as its uploader and in their
language; a run whose job was given up meanwhile (imports.runs.import_fail_stale) stops, writing nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from keyprojects.accounts.models import User
from keyprojects.core import clock
from keyprojects.core.errors import DomainError, NotAllowed
from keyprojects.imports.importers import require_manage
from keyprojects.imports.sheets import ImportRefused
from keyprojects.projects.models import ImportJob

logger = logging.getLogger(__name__)


class GivenUp(Exception):
    """The job was marked failed while this run was on it (import_fail_stale): the run stops, writing nothing."""


def this_run(job: ImportJob) -> QuerySet[ImportJob]:
    # Each run claims the job with its own start time; a run given up, or replaced by a retry, matches nothing.
    return ImportJob.objects.filter(pk=job.pk, status__in=ImportJob.RUNNING, started_at=job.started_at)


def record_progress(job: ImportJob, **fields: Any) -> None:
    """A sign of life of the run, with what changed; stops the run if the job was given up meanwhile."""
    if not this_run(job).update(progressed_at=clock.now(), **fields):
        raise GivenUp
    for name, value in fields.items():
        setattr(job, name, value)


def finish(job: ImportJob, status: str, **fields: Any) -> None:
    """Record the outcome of this run, unless the job was given up meanwhile (then it stays as it is)."""
    values = {**fields, "status": status, "finished_at": clock.now(), "processed_rows": job.processed_rows}
    if status == ImportJob.Status.PREVIEW:
        values["finished_at"] = None
    if not this_run(job).update(**values):
        raise GivenUp
    for name, value in values.items():
        setattr(job, name, value)


def claim(job_id: int, from_statuses: list[str], to_status: str) -> tuple[ImportJob, bool]:
    now = clock.now()
    claimed = ImportJob.objects.filter(pk=job_id, status__in=from_statuses).update(
        status=to_status, started_at=now, progressed_at=now, processed_rows=0
    )
    return ImportJob.objects.select_related("county__parent", "uploaded_by").get(pk=job_id), bool(claimed)


def run_as_uploader(job: ImportJob, body: Callable[[ImportJob, User], None]) -> ImportJob:
    actor = job.uploaded_by
    with translation.override(actor.language or settings.LANGUAGE_CODE):
        try:
            try:
                require_manage(actor, job.county)
                body(job, actor)
            except (ImportRefused, NotAllowed) as exc:
                finish(job, ImportJob.Status.FAILED, message=exc.message)
            except DomainError as exc:
                finish(job, ImportJob.Status.FAILED, message=exc.message, retryable=True)
            except GivenUp:
                raise
            except Exception:
                logger.exception("Import job %s failed", job.pk)
                finish(
                    job,
                    ImportJob.Status.FAILED,
                    message=_("The import stopped on an unexpected error; nothing was imported."),
                    retryable=True,
                )
        except GivenUp:
            logger.warning("Import job %s was given up while it ran; its run wrote nothing", job.pk)
            job.refresh_from_db()
    return job
