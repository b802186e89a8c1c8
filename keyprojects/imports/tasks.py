"""Background work of imports, run by `manage.py db_worker` (tasks receive primary keys only)."""

from __future__ import annotations

from django_tasks import task

from keyprojects.imports import runs


def _outcome(job) -> dict:
    return {
        "status": job.status,
        "created": job.created_count,
        "updated": job.updated_count,
        "unchanged": job.unchanged_count,
        "errors": job.error_count,
    }


@task()
def import_check_run(job_id: int) -> dict:
    """Check every row of an uploaded file and store the preview; nothing is written."""
    return _outcome(runs.import_check(job_id=job_id))


@task()
def import_write_run(job_id: int) -> dict:
    """Write a confirmed import in one transaction; the job row carries progress and the outcome."""
    return _outcome(runs.import_write(job_id=job_id))


@task()
def fail_stale_imports() -> dict:
    """Periodic: imports whose worker died are marked failed, so that their office can run them again."""
    return {"failed": runs.import_fail_stale()}
