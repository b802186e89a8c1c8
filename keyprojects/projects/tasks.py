"""Background work of the registry, run by `manage.py db_worker` (tasks receive primary keys only)."""

from __future__ import annotations

from django_tasks import task

from keyprojects.projects import export_jobs


@task()
def export_run(job_id: int) -> dict:
    """Write a registry export too long for one request; the job row carries progress and the outcome."""
    job = export_jobs.export_job_run(job_id=job_id)
    return {"status": job.status, "rows": job.rows_done}
