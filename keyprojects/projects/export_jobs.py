"""Registry exports too long for one request: above KEYPROJECTS_EXPORT_BACKGROUND_ROWS projects the list is
written by the task worker (projects.tasks) from the filters and the scope of the user who asked; the job's row
carries its progress, and its file is downloadable by that user only, for EXPORT_KEPT_FOR.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import QuerySet
from django.http import Http404, QueryDict
from django.utils import translation
from django.utils.translation import gettext as _

from keyprojects.accounts.models import User
from keyprojects.core import clock
from keyprojects.core.errors import DomainError
from keyprojects.core.spreadsheets import TABLE_FORMATS, table_bytes
from keyprojects.projects import exports
from keyprojects.projects.filters import ProjectFilterSet
from keyprojects.projects.models import EXPORT_KEPT_FOR, ExportJob

logger = logging.getLogger(__name__)

# Progress is written once per this many rows, not per row: an 11,000-row export costs 22 small updates.
PROGRESS_EVERY = 500

# The same export asked again within this time gets the job already asked for, not a second one.
ASKED_AGAIN_WITHIN = timedelta(minutes=2)


def export_in_background(rows: int) -> bool:
    return rows > settings.KEYPROJECTS_EXPORT_BACKGROUND_ROWS


# ---- reads -------------------------------------------------------------------------------------------


def export_job_list(*, user: User) -> QuerySet[ExportJob]:
    """A user's own exports: an export holds what its requester's scope showed, so no one else reads it."""
    return ExportJob.objects.filter(requested_by=user)


def export_job_get(*, user: User, pk: int) -> ExportJob:
    try:
        return export_job_list(user=user).get(pk=pk)
    except ExportJob.DoesNotExist as exc:
        raise Http404 from exc


# ---- writes ------------------------------------------------------------------------------------------


def export_job_start(*, actor: User, fmt: str, query: str, rows_total: int) -> ExportJob:
    """Queue the export of the list as `actor` filtered it (`query`, the list's query string), in the language
    they asked in; the task worker writes it (export_job_run)."""
    if fmt not in TABLE_FORMATS:
        raise DomainError(_("Unknown export format: %(fmt)s.") % {"fmt": fmt})
    language = translation.get_language() or settings.LANGUAGE_CODE
    # The export link is a GET: a second click or a reload soon after is the same export of the same list.
    again = (
        export_job_list(user=actor)
        .filter(
            file_format=fmt, query=query, language=language, created_at__gte=clock.now() - ASKED_AGAIN_WITHIN
        )
        .exclude(status=ExportJob.Status.FAILED)
        .first()
    )
    if again is not None:
        return again
    export_job_purge_expired()
    job = ExportJob.objects.create(
        requested_by=actor,
        file_format=fmt,
        query=query,
        language=language,
        rows_total=rows_total,
        file_name=f"{exports.project_list_filename()}.{fmt}",
    )
    from keyprojects.projects import tasks  # the task module imports this one

    tasks.export_run.enqueue(job.pk)
    job.refresh_from_db()
    return job


def _counted(job: ExportJob, rows: Iterable[Sequence]) -> Iterator[Sequence]:
    """The rows as they pass, with the count written to the job every PROGRESS_EVERY rows."""
    done = 0
    for row in rows:
        yield row
        done += 1
        if done % PROGRESS_EVERY == 0:
            ExportJob.objects.filter(pk=job.pk).update(rows_done=done)
    job.rows_done = done


def export_job_run(*, job_id: int) -> ExportJob:
    """Write the export: the same filters over the same user's scope as the list, so that the file holds what
    the list showed (counted again: the registry may have changed since it was asked for)."""
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(
        status=ExportJob.Status.RUNNING, started_at=clock.now(), rows_done=0
    )
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    if not claimed:
        return job  # already run (a task retried), or running elsewhere
    user = job.requested_by
    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            filterset = ProjectFilterSet(QueryDict(job.query) or None, user=user)
            job.rows_total = filterset.qs.count()
            ExportJob.objects.filter(pk=job.pk).update(rows_total=job.rows_total)
            table = exports.project_list_table(filterset, user=user)
            table.rows = _counted(job, table.rows)
            job.file.save(job.file_name, ContentFile(table_bytes(table, job.file_format)), save=False)
            fields = {"status": ExportJob.Status.DONE, "file": job.file.name, "rows_done": job.rows_done}
        except DomainError as exc:
            fields = {"status": ExportJob.Status.FAILED, "error": exc.message}
        except Exception:
            logger.exception("Export job %s failed", job.pk)
            fields = {
                "status": ExportJob.Status.FAILED,
                "error": _(
                    "The export stopped on an unexpected error; no file was written. Export the list again."
                ),
            }
    fields["finished_at"] = clock.now()
    ExportJob.objects.filter(pk=job.pk).update(**fields)
    job.refresh_from_db()
    return job


def export_job_purge_expired() -> int:
    """Delete the files of exports older than EXPORT_KEPT_FOR (their pages say so); returns how many."""
    expired = ExportJob.objects.filter(finished_at__lt=clock.now() - EXPORT_KEPT_FOR).exclude(file="")
    purged = 0
    for job in expired:
        job.file.delete(save=False)
        ExportJob.objects.filter(pk=job.pk).update(file="")
        purged += 1
    return purged
