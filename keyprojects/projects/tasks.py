"""Background work of the registry, run by `manage.py db_worker` (tasks receive primary keys only)."""

from __future__ import annotations

from django_tasks import task

from keyprojects.projects import importing


@task()
def import_run(job_id: int) -> dict:
    """Validate and write one uploaded registry file; the job row carries progress and the outcome."""
    job = importing.import_execute(job_id=job_id)
    return {
        "status": job.status,
        "created": job.created_count,
        "updated": job.updated_count,
        "unchanged": job.unchanged_count,
        "errors": job.error_count,
    }


@task()
def fail_stale_imports() -> dict:
    """Periodic: imports whose worker died are marked failed, so that their office can run them again."""
    return {"failed": importing.import_fail_stale()}
