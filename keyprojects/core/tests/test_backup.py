"""manage.py backup and restore, for real: the demo (a copy of the session's database and its uploaded files, with
a few more files of our own) backed up, destroyed, restored, and every table and file compared; a damaged archive,
one of another database vendor or from newer code refused, changing nothing."""

from __future__ import annotations

import io
import json
import os
import tarfile
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from keyprojects.core.tests.scratch import database_copy, fingerprint, manage, python
from keyprojects.projects.models import Project

OUR_FILES = {
    "attachments/2026/12/现场照片.jpg": os.urandom(300_000),
    "imports/registry.xlsx": b"PK\x03\x04" + os.urandom(50_000),
    "empty.txt": b"",
}

DESTROY = r"""
import sys
from django.db import connection
from keyprojects.projects.models import Milestone, Project
with connection.cursor() as cursor:
    cursor.execute(f"UPDATE {Project._meta.db_table} SET name_zh = 'destroyed'")
    cursor.execute(f"DROP TABLE {Milestone.history.model._meta.db_table}")  # nothing refers to it
    cursor.execute("CREATE TABLE stray_table (x integer)")
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory, django_db_setup, django_db_blocker):
    """(environment, archive, seconds taken): the demo copied with our files, and its backup."""
    folder = tmp_path_factory.mktemp("backup")
    with django_db_blocker.unblock(), database_copy(folder, "backup") as env:
        media = Path(env["KEYPROJECTS_MEDIA_ROOT"])
        for name, content in OUR_FILES.items():
            (media / name).parent.mkdir(parents=True, exist_ok=True)
            (media / name).write_bytes(content)
        archive = folder / "demo.tar.gz"
        started = time.monotonic()
        done = manage(env, "backup", "--out", str(archive))
        seconds = time.monotonic() - started
        assert done.returncode == 0, done.stderr
        print(done.stdout)
        yield env, archive, seconds


def test_it_backs_up_destroys_and_restores_every_table_and_file(demo):
    env, archive, backup_seconds = demo
    before = fingerprint(env)
    assert len(before["tables"]) > 50
    assert before["tables"]["projects_project"][0] > 0
    assert set(OUR_FILES) <= set(before["files"])
    media = Path(env["KEYPROJECTS_MEDIA_ROOT"])

    done = python(env, DESTROY)
    assert done.returncode == 0, done.stderr
    (media / "empty.txt").unlink()
    (media / "imports/registry.xlsx").write_bytes(b"overwritten")
    (media / "stray.txt").write_text("not in the backup")
    assert fingerprint(env) != before

    started = time.monotonic()
    done = manage(env, "restore", str(archive), "--yes")
    restore_seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert "checksums verified" in done.stdout
    assert fingerprint(env) == before
    done = python(
        env,
        "from django.db import connection; print('stray_table' in connection.introspection.table_names())",
    )
    assert done.stdout.strip() == "False"
    print(
        f"{connection.vendor}: backup {backup_seconds:.1f} s, restore {restore_seconds:.1f} s, archive "
        f"{archive.stat().st_size / 1e6:.1f} MB, {len(before['tables'])} tables, "
        f"{sum(n for n, _ in before['tables'].values())} rows, {len(before['files'])} files"
    )


def _rewritten(archive: Path, target: Path, *, manifest=None, member: str | None = None) -> Path:
    """The archive with its manifest changed by `manifest` or a byte of `member` flipped, tar intact."""
    with tarfile.open(archive, "r:gz") as source, tarfile.open(target, "w:gz") as out:
        for info in source:
            content = source.extractfile(info).read() if info.isfile() else b""
            if info.name == "manifest.json" and manifest:
                data = json.loads(content)
                manifest(data)
                content = json.dumps(data).encode()
            if info.name == member:
                content = bytes([content[0] ^ 1]) + content[1:]
            info.size = len(content)
            out.addfile(info, io.BytesIO(content))
    return target


@pytest.fixture
def unchanged(db):
    """The session's database and uploaded files, checked unchanged after the refused restore."""
    media = Path(settings.MEDIA_ROOT)
    files = sorted(p for p in media.rglob("*") if p.is_file())
    projects = Project.objects.count()
    scratch = set(media.parent.glob(".restore-*"))  # other sessions may share the folder
    yield
    assert Project.objects.count() == projects
    assert sorted(p for p in media.rglob("*") if p.is_file()) == files
    assert set(media.parent.glob(".restore-*")) <= scratch


def _refused(archive: Path) -> str:
    with pytest.raises(CommandError) as refused:
        call_command("restore", str(archive), "--yes", stdout=io.StringIO())
    return str(refused.value)


def test_it_refuses_a_truncated_archive(demo, unchanged, tmp_path):
    content = demo[1].read_bytes()
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(content[: len(content) // 2])
    assert "damaged or incomplete" in _refused(truncated)


def test_it_refuses_an_archive_whose_database_does_not_match_its_checksum(demo, unchanged, tmp_path):
    database = (
        "database/keyprojects.sqlite3" if connection.vendor == "sqlite" else "database/keyprojects.pgdump"
    )
    damaged = _rewritten(demo[1], tmp_path / "damaged.tar.gz", member=database)
    assert f"{database} in the archive does not match its checksum" in _refused(damaged)


def test_it_refuses_an_archive_with_a_file_its_manifest_does_not_list(demo, unchanged, tmp_path):
    def forget(manifest):
        manifest["files"] = [f for f in manifest["files"] if f["path"] != "media/empty.txt"]

    assert "does not list, e.g. media/empty.txt" in _refused(
        _rewritten(demo[1], tmp_path / "x.tar.gz", manifest=forget)
    )


def test_it_refuses_an_archive_of_another_database_vendor(demo, unchanged, tmp_path):
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"

    def vendor(manifest):
        manifest["database"]["vendor"] = other

    message = _refused(_rewritten(demo[1], tmp_path / "other.tar.gz", manifest=vendor))
    assert f"holds a {other} database and this installation runs {connection.vendor}" in message


def test_it_refuses_an_archive_from_newer_code(demo, unchanged, tmp_path):
    def newer(manifest):
        manifest["migrations"]["projects"] = "9999_from_the_future"

    message = _refused(_rewritten(demo[1], tmp_path / "newer.tar.gz", manifest=newer))
    assert "newer version of Keyprojects" in message
    assert "projects.9999_from_the_future" in message


def test_it_asks_before_replacing_and_refuses_without_a_terminal(demo, unchanged):
    with pytest.raises(CommandError, match="Confirm the replacement with --yes"):
        call_command("restore", str(demo[1]), stdout=io.StringIO())


def test_it_refuses_to_overwrite_an_archive(demo, db):
    with pytest.raises(CommandError, match="already exists; choose another name or use --force"):
        call_command("backup", "--out", str(demo[1]), stdout=io.StringIO())
