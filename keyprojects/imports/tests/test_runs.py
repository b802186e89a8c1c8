"""Runs of an import: a large file checked and written by the task worker with its progress, no job run twice, a
run refused when its uploader no longer manages the county, a dead worker's job marked failed (and a write given
up meanwhile undone)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from keyprojects.core import clock
from keyprojects.core.errors import DomainError
from keyprojects.core.models import AuditEntry
from keyprojects.imports import matching, runs, tasks
from keyprojects.imports.tests.registry_files import import_file, new_row, run_import, template_file
from keyprojects.projects.models import ImportJob, Project

# ---- large files: a background task with a progress bar ----------------------------------------


def test_it_runs_a_large_file_as_background_tasks(client, login, julu, settings):
    login("office.julu")
    settings.KEYPROJECTS_IMPORT_INLINE_ROWS = 2
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}

    job = import_file(client, template_file([new_row(f"JL-IMP-7{i:02d}") for i in range(3)]))

    job_page = reverse("imports:job", args=[job.pk])
    assert job.status == ImportJob.Status.QUEUED
    assert not Project.objects.filter(code__startswith="JL-IMP-7").exists()
    page = client.get(job_page).content.decode()
    assert 'hx-trigger="every 1s"' in page and "<progress" in page
    partial = client.get(job_page, headers={"HX-Request": "true"})
    assert partial.templates[0].name == "imports/_import_progress.html"

    tasks.import_check_run.call(job.pk)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.PREVIEW
    assert (job.processed_rows, job.total_rows, job.preview["counts"]["create"]) == (3, 3, 3)
    client.post(reverse("imports:confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CONFIRMED
    assert 'hx-trigger="every 1s"' in client.get(job_page, headers={"HX-Request": "true"}).content.decode()

    tasks.import_write_run.call(job.pk)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert (job.processed_rows, job.total_rows, job.created_count) == (3, 3, 3)
    assert "hx-trigger" not in client.get(job_page, headers={"HX-Request": "true"}).content.decode()


def test_it_runs_the_tasks_through_the_immediate_backend_for_a_large_file(client, login, julu, settings):
    login("office.julu")
    settings.KEYPROJECTS_IMPORT_INLINE_ROWS = 2

    job = import_file(client, template_file([new_row(f"JL-IMP-8{i:02d}") for i in range(3)]))

    assert job.status == ImportJob.Status.DONE
    assert Project.objects.filter(code__startswith="JL-IMP-8").count() == 3


def test_it_does_not_run_a_job_twice(office, julu):
    job = run_import(office, julu, template_file([new_row("JL-IMP-900")]))
    assert job.status == ImportJob.Status.DONE

    written_again = tasks.import_write_run.call(job.pk)
    checked_again = tasks.import_check_run.call(job.pk)

    assert written_again["created"] == 1 and checked_again["status"] == ImportJob.Status.DONE
    assert Project.objects.filter(code="JL-IMP-900").count() == 1
    with pytest.raises(DomainError):
        runs.import_confirm(actor=office, job=job)


def test_it_fails_the_job_when_the_uploader_no_longer_manages_the_county(office, julu, settings):
    settings.KEYPROJECTS_IMPORT_INLINE_ROWS = 0
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    job = run_import(office, julu, template_file([new_row("JL-IMP-901")]))
    tasks.import_check_run.call(job.pk)
    job = runs.import_confirm(actor=office, job=job)
    office.memberships.all().delete()

    tasks.import_write_run.call(job.pk)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.message
    assert not Project.objects.filter(code="JL-IMP-901").exists()


# ---- a worker that died ---------------------------------------------------------------------------


@pytest.fixture
def queued_job(office, julu, settings) -> ImportJob:
    """A job whose check was handed to the task worker (which, here, never runs by itself)."""
    settings.KEYPROJECTS_IMPORT_INLINE_ROWS = 0
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    job = run_import(office, julu, template_file([new_row("JL-IMP-950")]))
    assert job.status == ImportJob.Status.QUEUED
    return job


def worker_died_writing(job: ImportJob) -> None:
    """What a worker killed in the middle of the writes leaves: the job says "writing", its rows were
    rolled back with the transaction."""
    now = clock.now()
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.IMPORTING, started_at=now, progressed_at=now, processed_rows=1
    )


def test_it_marks_failed_a_job_whose_worker_showed_no_progress_and_runs_it_again(client, login, queued_job):
    login("office.julu")
    worker_died_writing(queued_job)
    job_page = reverse("imports:job", args=[queued_job.pk])

    with time_machine.travel(clock.now() + timedelta(minutes=14), tick=False):
        client.get(job_page, headers={"HX-Request": "true"})
        queued_job.refresh_from_db()
        assert queued_job.status == ImportJob.Status.IMPORTING  # slow is not dead

    with time_machine.travel(clock.now() + timedelta(minutes=16), tick=False):
        page = client.get(job_page).content.decode()

    queued_job.refresh_from_db()
    assert queued_job.status == ImportJob.Status.FAILED and queued_job.retryable
    assert "15" in queued_job.message
    assert 'data-testid="import-retry"' in page and queued_job.message in page
    assert AuditEntry.objects.filter(action="project.import_stale", target_id=str(queued_job.pk)).exists()

    response = client.post(reverse("imports:retry", args=[queued_job.pk]))

    assert response.status_code == 302
    queued_job.refresh_from_db()
    assert queued_job.status == ImportJob.Status.QUEUED and not queued_job.message
    # Changed on purpose: a retry checks the file again and shows a new preview, to be confirmed again.
    tasks.import_check_run.call(queued_job.pk)
    queued_job.refresh_from_db()
    assert queued_job.status == ImportJob.Status.PREVIEW
    client.post(reverse("imports:confirm", args=[queued_job.pk]))
    tasks.import_write_run.call(queued_job.pk)
    queued_job.refresh_from_db()
    assert (queued_job.status, queued_job.created_count) == (ImportJob.Status.DONE, 1)
    assert Project.objects.filter(code="JL-IMP-950").count() == 1


def test_it_marks_dead_jobs_failed_by_the_periodic_task_and_on_the_upload_page(
    client, login, queued_job, julu, settings
):
    login("office.julu")
    worker_died_writing(queued_job)
    assert "keyprojects.imports.tasks.fail_stale_imports" in settings.KEYPROJECTS_PERIODIC_TASKS

    with time_machine.travel(clock.now() + timedelta(minutes=20), tick=False):
        assert tasks.fail_stale_imports.call() == {"failed": 1}
        # A job queued and never taken up (the worker was down) is given up the same way.
        never_taken_up = run_import(queued_job.uploaded_by, julu, template_file([new_row("JL-IMP-951")]))
        assert never_taken_up.status == ImportJob.Status.QUEUED
    with time_machine.travel(clock.now() + timedelta(minutes=40), tick=False):
        page = client.get(reverse("imports:upload", args=["julu"]))

    queued_job.refresh_from_db()
    never_taken_up.refresh_from_db()
    assert queued_job.status == never_taken_up.status == ImportJob.Status.FAILED
    assert queued_job.retryable and never_taken_up.retryable
    assert {j.status for j in page.context["jobs"]} == {ImportJob.Status.FAILED}


def test_it_stops_a_write_given_up_meanwhile_and_writes_nothing(office, queued_job, monkeypatch):
    tasks.import_check_run.call(queued_job.pk)
    job = runs.import_confirm(actor=office, job=ImportJob.objects.get(pk=queued_job.pk))
    assert job.status == ImportJob.Status.CONFIRMED
    load = matching.Lookups.load

    def load_slowly(county, **kwargs):
        # Meanwhile, the job showed no sign of life for too long and was marked failed.
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.FAILED, retryable=True)
        return load(county, **kwargs)

    monkeypatch.setattr(matching.Lookups, "load", load_slowly)

    tasks.import_write_run.call(job.pk)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.retryable
    assert not Project.objects.filter(code="JL-IMP-950").exists()
