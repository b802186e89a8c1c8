"""A run claims its job once, records its signs of life, and stops when the job was given up meanwhile."""

from __future__ import annotations

import pytest

from keyprojects.imports import jobs
from keyprojects.imports.progress import GivenUp, claim, finish, record_progress
from keyprojects.imports.tests.registry_files import template_file, upload
from keyprojects.projects.models import ImportJob


def test_it_claims_a_job_once_records_progress_and_stops_when_the_job_was_given_up(office, julu):
    pending = jobs.import_create(actor=office, county=julu, upload=upload(template_file([])))
    statuses = [ImportJob.Status.PENDING]

    job, claimed = claim(pending.pk, statuses, ImportJob.Status.VALIDATING)
    _again, claimed_again = claim(pending.pk, statuses, ImportJob.Status.VALIDATING)
    record_progress(job, processed_rows=5)

    assert claimed and not claimed_again
    assert ImportJob.objects.get(pk=job.pk).processed_rows == 5

    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.FAILED)
    with pytest.raises(GivenUp):
        record_progress(job, processed_rows=6)
    with pytest.raises(GivenUp):
        finish(job, ImportJob.Status.DONE)
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.FAILED
