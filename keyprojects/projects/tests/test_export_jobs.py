"""Registry exports too long for one request: written by the task worker, followed on the export's page, the file
holding exactly what the list's immediate export holds, shown and sent to the user who asked only, for 24 hours.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from keyprojects.core import clock
from keyprojects.core.spreadsheets import XLSX_TYPE
from keyprojects.projects import export_jobs, exports, tasks
from keyprojects.projects.models import ExportJob, Project
from keyprojects.projects.tests.test_views import in_english

pytestmark = pytest.mark.django_db

FILTERS = {"county": "julu", "sort": "code"}
DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture
def office(client, login):
    user = login("office.julu")
    in_english(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return user


@pytest.fixture
def background(settings):
    """Exports of more than 3 projects go to the task worker (the immediate backend runs them at once)."""
    settings.KEYPROJECTS_EXPORT_BACKGROUND_ROWS = 3


def export(client, fmt: str = "xlsx", filters: dict = FILTERS):
    return client.get(reverse("projects:export", args=[fmt]), filters)


def sheet_values(content: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(content), read_only=True).active.iter_rows(values_only=True))


def test_it_sends_a_short_list_at_once_as_before(client, office):
    response = export(client)

    assert response.status_code == 200 and response["Content-Type"] == XLSX_TYPE
    assert not ExportJob.objects.exists()


def test_it_writes_a_long_list_in_the_background_with_the_rows_of_the_immediate_export(
    client, office, settings, background
):
    assert Project.objects.filter(county__slug="julu").count() > 3
    response = export(client)

    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "projects:export_job", args=[job.pk]
    )
    assert (job.status, job.requested_by, job.file_format) == (ExportJob.Status.DONE, office, "xlsx")
    assert job.rows_done == job.rows_total == Project.objects.filter(county__slug="julu").count()
    page = client.get(response["Location"]).content.decode()
    download = reverse("projects:export_job_file", args=[job.pk])
    assert download in page and "kept for 24 hours" in page and "hx-trigger" not in page

    kept = client.get(download)

    assert kept.status_code == 200 and kept["Content-Type"] == XLSX_TYPE
    assert kept["Content-Disposition"] == f'attachment; filename="{exports.project_list_filename()}.xlsx"'
    settings.KEYPROJECTS_EXPORT_BACKGROUND_ROWS = 2000
    at_once = export(client)
    assert sheet_values(b"".join(kept.streaming_content)) == sheet_values(at_once.content)


def test_it_writes_the_csv_as_the_immediate_export_does(client, office, settings, background):
    job_page = export(client, "csv")["Location"]
    job = ExportJob.objects.get()

    kept = client.get(reverse("projects:export_job_file", args=[job.pk]))

    assert job_page == reverse("projects:export_job", args=[job.pk])
    assert kept["Content-Type"] == "text/csv; charset=utf-8"
    assert kept["Content-Disposition"].endswith('.csv"')
    settings.KEYPROJECTS_EXPORT_BACKGROUND_ROWS = 2000
    assert b"".join(kept.streaming_content) == export(client, "csv").content


def test_it_applies_the_requester_s_scope_and_filters_again_in_the_task(client, login, settings, background):
    leader = login("leader.julu")
    seen = Project.objects.filter(leader_in_charge=leader).count()
    assert seen > 3 and Project.objects.filter(county__slug="julu").count() > seen

    export(client, "csv", {})

    job = ExportJob.objects.get()
    assert job.rows_total == job.rows_done == seen


def test_it_shows_the_progress_while_the_worker_writes(client, office, settings, background, monkeypatch):
    settings.TASKS = DUMMY
    job_page = export(client)["Location"]
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.QUEUED
    page = client.get(job_page).content.decode()
    assert 'hx-trigger="every 1s"' in page and "<progress" in page
    # The count as the page would read it while the rows are written, one UPDATE per PROGRESS_EVERY rows.
    monkeypatch.setattr(export_jobs, "PROGRESS_EVERY", 2)
    read_rows = exports.project_rows
    progress = []

    def rows_watched(projects, unit):
        for row in read_rows(projects, unit):
            progress.append(ExportJob.objects.values_list("status", "rows_done").get(pk=job.pk))
            yield row

    monkeypatch.setattr(exports, "project_rows", rows_watched)

    tasks.export_run.call(job.pk)

    total = Project.objects.filter(county__slug="julu").count()
    assert progress == [(ExportJob.Status.RUNNING, n - n % 2) for n in range(total)]
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.rows_total) == (ExportJob.Status.DONE, total, total)


def test_it_shows_how_many_rows_are_written_and_polls_the_partial(client, office, settings, background):
    settings.TASKS = DUMMY
    job_page = export(client)["Location"]
    ExportJob.objects.update(status=ExportJob.Status.RUNNING, rows_done=500, rows_total=11300)

    partial = client.get(job_page, headers={"HX-Request": "true"})

    assert partial.templates[0].name == "projects/_export_progress.html"
    text = partial.content.decode()
    assert "500 of 11300 projects written" in text and 'hx-trigger="every 1s"' in text
    assert (
        client.get(reverse("projects:export_job_file", args=[ExportJob.objects.get().pk])).status_code == 404
    )


def test_it_answers_404_to_anyone_but_the_requester(client, login, office, background):
    export(client)
    job = ExportJob.objects.get()

    for other in ("office.ningjin", "city.xingtai", "admin", "leader.julu"):
        login(other)
        assert client.get(reverse("projects:export_job", args=[job.pk])).status_code == 404, other
        assert client.get(reverse("projects:export_job_file", args=[job.pk])).status_code == 404, other


def test_it_shows_the_error_of_a_failed_export(client, office, background, monkeypatch):
    def broken(projects, unit):
        raise RuntimeError("the database went away")
        yield

    monkeypatch.setattr(exports, "project_rows", broken)

    job_page = export(client)["Location"]

    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.FAILED and not job.file and job.finished_at
    page = client.get(job_page).content.decode()
    assert "The export stopped on an unexpected error" in page and 'data-testid="export-failed"' in page
    assert client.get(reverse("projects:export_job_file", args=[job.pk])).status_code == 404


def test_it_keeps_the_file_for_24_hours_only(client, office, background):
    export(client)
    job = ExportJob.objects.get()
    download = reverse("projects:export_job_file", args=[job.pk])
    # Finished a while ago (moving the clock instead would end the session too).
    ExportJob.objects.update(finished_at=clock.now() - timedelta(hours=23, minutes=59))
    assert client.get(download).status_code == 200

    ExportJob.objects.update(finished_at=clock.now() - timedelta(hours=24, minutes=1))

    assert client.get(download).status_code == 404
    assert "no longer kept" in client.get(reverse("projects:export_job", args=[job.pk])).content.decode()
    assert export_jobs.export_job_purge_expired() == 1
    job.refresh_from_db()
    assert not job.file


def test_it_reads_the_job_page_in_as_many_queries_whatever_the_export_s_size(client, office, settings):
    settings.KEYPROJECTS_EXPORT_BACKGROUND_ROWS = 0
    counts = []
    for filters in ({"search": "JL-2026-001"}, FILTERS):
        export(client, "xlsx", filters)
        job = ExportJob.objects.order_by("-pk").first()
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("projects:export_job", args=[job.pk]))
        counts.append((job.rows_done, len(queries)))

    (small, small_queries), (large, large_queries) = counts
    assert small < large and small_queries == large_queries


def test_the_same_export_asked_again_soon_is_the_same_job(client, office, background):
    first = export(client)["Location"]
    assert export(client)["Location"] == first and ExportJob.objects.count() == 1
    assert export(client, "csv")["Location"] != first  # another format is another export

    ExportJob.objects.update(created_at=clock.now() - export_jobs.ASKED_AGAIN_WITHIN - timedelta(seconds=1))
    assert export(client)["Location"] != first and ExportJob.objects.count() == 3
