"""kill -9 in the middle of a 10,000-row import: the database holds what it held before, and the import runs again.

A real process runs `manage.py import_registry` on a copy of the session's database (the demo in it). A watcher in
that process (a Django execute wrapper, no hook in the importer) counts, after each bulk insert of projects, the
projects its open write transaction holds and writes the count to a file; at half the list it holds still, the
transaction open. The test reads the file, checks that none of those rows can be seen from outside, and sends
SIGKILL. Then: every table as before (the import's own bookkeeping aside: its job, the remembered columns, the
task row), no lock left, the job given up as stale and retried, and the retry writes all 10,000 rows. Runs on
SQLite and PostgreSQL, whichever the session uses.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from contextlib import closing
from pathlib import Path

import pytest
from django.db import connection

from keyprojects.core.tests.scratch import PYTHON, ROOT, admin, database_copy, fingerprint, python
from keyprojects.imports.columns import COLUMNS
from keyprojects.imports.tests.registry_files import HEADERS, new_row
from keyprojects.imports.tests.workbooks import xlsx_bytes

ROWS = 10_000
HALF = ROWS // 2
DEADLINE = 300  # seconds each process may take: a ceiling for a stuck process on a busy machine, not a target

# The import's own bookkeeping, committed before its write begins: the job, the county's remembered columns, the
# task queued for the worker (run here), and the audit entries about the job itself.
BOOKKEEPING_TABLES = (
    "projects_importjob",
    "projects_columnmapping",
    "projects_historicalcolumnmapping",
    "django_tasks_database_dbtaskresult",
)
BOOKKEEPING_AUDIT = ("projects.importjob", "projects.columnmapping")

IMPORT_WATCHED = r"""
import os, sys, time
from pathlib import Path
from django.core.management import call_command
from django.db import connection

workbook, marker, baseline, half = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])

def watch(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    if sql.startswith('INSERT INTO "projects_project" '):
        # The write transaction's own view: the rows it has written so far, not yet committed.
        raw = connection.connection.cursor()
        raw.execute('SELECT COUNT(*) FROM "projects_project"')
        written = raw.fetchone()[0] - baseline
        raw.close()
        Path(str(marker) + ".tmp").write_text(str(written))
        os.replace(str(marker) + ".tmp", marker)
        if written >= half:
            time.sleep(600)  # held mid-way, the transaction open, until killed
    return result

with connection.execute_wrapper(watch):
    call_command("import_registry", workbook, "--county", "julu", "--unit", "wan")
"""

RERUN = r"""
import json
from datetime import timedelta
from django.conf import settings
from keyprojects.core import clock
from keyprojects.imports import jobs, runs, unattended
from keyprojects.projects.models import ImportJob

job = ImportJob.objects.latest("pk")
killed = job.status
# Nothing comes from the killed run any more: after KEYPROJECTS_IMPORT_STALE_MINUTES it is given up.
with clock.frozen_at(clock.now() + timedelta(minutes=settings.KEYPROJECTS_IMPORT_STALE_MINUTES + 1)):
    runs.import_fail_stale(job=job)
job.refresh_from_db()
given_up = {"status": job.status, "retryable": job.retryable}
job = jobs.import_retry(actor=job.uploaded_by, job=job)
job = unattended.run_to_end(job, runs.import_check, wait_seconds=60)
job = runs.import_confirm(actor=job.uploaded_by, job=job)
job = unattended.run_to_end(job, runs.import_write, wait_seconds=60)
print(json.dumps({"killed": killed, "given_up": given_up, "status": job.status, "created": job.created_count,
                  "updated": job.updated_count, "message": job.message}))
"""

COUNT_PROJECTS = "from keyprojects.projects.models import Project; print(Project.objects.count())"


@pytest.fixture
def copy(tmp_path, django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), database_copy(tmp_path, "crash") as env:
        yield env


def _committed_projects(env: dict[str, str]) -> int:
    """Counted from outside the importing process, as another connection sees the database."""
    url = env["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"), timeout=5)) as db:
            return db.execute('SELECT COUNT(*) FROM "projects_project"').fetchone()[0]
    with admin(url.rsplit("/", 1)[1]) as cursor:
        cursor.execute('SELECT COUNT(*) FROM "projects_project"')
        return cursor.fetchone()[0]


def _wait_for_half(process: subprocess.Popen, marker: Path) -> int:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(
                f"The import ended before it was killed ({process.returncode}):\n{out}\n{err[-3000:]}"
            )
        if marker.exists() and int(marker.read_text() or 0) >= HALF:
            return int(marker.read_text())
        time.sleep(0.05)
    process.kill()
    pytest.fail(f"The import did not reach {HALF} rows within {DEADLINE} s")


def _locks_left(name: str) -> list:
    """PostgreSQL: locks held by any session on the database but ours."""
    with admin(name) as cursor:
        cursor.execute(
            "SELECT l.pid, l.locktype, l.mode FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE a.datname = current_database() AND l.pid <> pg_backend_pid()"
        )
        return cursor.fetchall()


def test_it_leaves_the_database_as_it_was_when_killed_mid_import_and_runs_again(copy, tmp_path):
    env = copy
    workbook = tmp_path / "registry.xlsx"
    rows = [new_row(f"JL-CRASH-{n:05d}", total_investment=1000 + n) for n in range(ROWS)]
    workbook.write_bytes(xlsx_bytes([HEADERS, *([r.get(c.key) for c in COLUMNS] for r in rows)]))
    skip = {"skip_tables": BOOKKEEPING_TABLES, "skip_audit_types": BOOKKEEPING_AUDIT}
    before = fingerprint(env, **skip)
    baseline = before["tables"]["projects_project"][0]

    marker = tmp_path / "written"
    started = time.monotonic()
    process = subprocess.Popen(  # noqa: S603
        [
            PYTHON,
            "-c",
            "import django; django.setup()\n" + IMPORT_WATCHED,
            str(workbook),
            str(marker),
            str(baseline),
            str(HALF),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    written = _wait_for_half(process, marker)
    reached = time.monotonic() - started
    # Mid-way for real: the rows are in the open transaction, and nobody else sees them.
    assert written >= HALF
    assert _committed_projects(env) == baseline
    if connection.vendor == "postgresql":
        name = env["DATABASE_URL"].rsplit("/", 1)[1]
        with admin(name) as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND xact_start IS NOT NULL "
                "AND pid <> pg_backend_pid()"
            )
            assert cursor.fetchone()[0] >= 1  # the importer's transaction, open
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=10)
    assert process.returncode == -signal.SIGKILL

    if connection.vendor == "postgresql":
        # The server notices the dead client and rolls its transaction back; no lock is left behind.
        deadline = time.monotonic() + 15
        while _locks_left(name) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _locks_left(name) == []
    else:
        path = env["DATABASE_URL"].removeprefix("sqlite:///")
        with closing(sqlite3.connect(path, timeout=1)) as db:
            db.execute("BEGIN IMMEDIATE")  # the write lock is free
            db.execute("ROLLBACK")
    after = fingerprint(env, **skip)
    assert after["tables"] == before["tables"]
    # The files as before, but the uploaded workbook the job keeps (stored before the check, as any upload).
    kept = {name: sha for name, sha in after["files"].items() if name not in before["files"]}
    assert len(kept) == 1 and next(iter(kept)).startswith("imports/")
    assert {name: after["files"][name] for name in before["files"]} == before["files"]
    counted = {
        t: before["tables"][t][0]
        for t in sorted(before["tables"])
        if "project" in t or "audit" in t or "plan" in t or "milestone" in t
    }

    started_again = time.monotonic()
    done = python(env, RERUN, timeout=DEADLINE)
    rerun = time.monotonic() - started_again
    assert done.returncode == 0, done.stderr[-3000:]
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["killed"] == "importing"
    assert outcome["given_up"] == {"status": "failed", "retryable": True}
    assert outcome["status"] == "done", outcome["message"]
    assert outcome["created"] + outcome["updated"] == ROWS
    assert outcome["created"] == ROWS
    assert int(python(env, COUNT_PROJECTS).stdout) == baseline + ROWS
    print(
        f"{connection.vendor}: killed at {written} of {ROWS} rows after {reached:.1f} s; unchanged: "
        f"{len(before['tables'])} tables ({counted}); re-run wrote {outcome['created']} in {rerun:.1f} s"
    )
