"""A copy of the session's test database (migrated, the demo loaded) and of its uploaded files that real processes
can reach — `manage.py` commands, a process killed mid-import — and a fingerprint of every table and file to
compare it before and after. Used by the backup and the crash-safety tests."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.parse import quote

import psycopg
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]
PYTHON = sys.executable


@contextmanager
def database_copy(folder: Path, suffix: str) -> Iterator[dict[str, str]]:
    """The environment of a process that works on a copy of the session's database (SQLite: a file made by the
    backup API; PostgreSQL: a database `<test database>_<suffix>` made from it as a template, dropped after) and
    of its uploaded files (`folder`/media)."""
    media = folder / "media"
    if Path(settings.MEDIA_ROOT).is_dir():
        shutil.copytree(settings.MEDIA_ROOT, media)
    else:
        media.mkdir()
    env = {
        **os.environ,
        "KEYPROJECTS_DATA_DIR": str(folder),
        "KEYPROJECTS_MEDIA_ROOT": str(media),
        "DJANGO_SETTINGS_MODULE": "keyprojects.settings",
    }
    if connection.vendor == "sqlite":
        path = folder / "keyprojects.sqlite3"
        connection.ensure_connection()
        with closing(sqlite3.connect(path)) as target:
            connection.connection.backup(target)
        yield {**env, "DATABASE_URL": f"sqlite:///{path}"}
        return
    db = connection.settings_dict
    name = f"{db['NAME']}_{suffix}"[:63]
    connection.close()  # a template may have no other session
    with admin() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{db["NAME"]}"')
    try:
        yield {**env, "DATABASE_URL": postgres_url(name)}
    finally:
        with admin() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_url(name: str) -> str:
    db = connection.settings_dict
    credentials = f"{quote(db['USER'], safe='')}:{quote(db['PASSWORD'] or '', safe='')}"
    return f"postgres://{credentials}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{name}"


@contextmanager
def admin(name: str = "postgres") -> Iterator[psycopg.Cursor]:
    db = connection.settings_dict
    with psycopg.connect(
        dbname=name,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        autocommit=True,
    ) as conn:
        yield conn.cursor()


def manage(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own manage.py
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def python(env: dict[str, str], script: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """`script` run by a Django process of its own (django.setup() done) with `args` in sys.argv[1:]."""
    setup = "import django; django.setup()\n"
    return subprocess.run(  # noqa: S603
        [PYTHON, "-c", setup + script, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# Every table of the installed models (the many-to-many tables with them): its row count and a SHA-256 of its
# rows in primary-key order; every uploaded file's SHA-256. Read by a process of its own, on the copy.
FINGERPRINT = r"""
import hashlib, json, sys
from pathlib import Path
from django.apps import apps
from django.conf import settings
from django.db import connection

skip_tables = set(json.loads(sys.argv[1]))
skip_audit_types = json.loads(sys.argv[2])
qn = connection.ops.quote_name
existing = set(connection.introspection.table_names())
tables = {}
for model in apps.get_models(include_auto_created=True):
    meta = model._meta
    if not meta.managed or meta.proxy or meta.db_table not in existing or meta.db_table in skip_tables:
        continue
    columns = ", ".join(qn(f.column) for f in meta.concrete_fields)
    sql = f"SELECT {columns} FROM {qn(meta.db_table)}"
    params = []
    if meta.label_lower == "core.auditentry" and skip_audit_types:
        sql += " WHERE target_type NOT IN (" + ", ".join(["%s"] * len(skip_audit_types)) + ")"
        params = skip_audit_types
    digest, count = hashlib.sha256(), 0
    with connection.cursor() as cursor:
        cursor.execute(sql + f" ORDER BY {qn(meta.pk.column)}", params)
        for row in cursor.fetchall():
            digest.update(repr(tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)).encode())
            count += 1
    tables[meta.db_table] = [count, digest.hexdigest()]
root = Path(settings.MEDIA_ROOT)
files = {
    p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
    for p in sorted(root.rglob("*")) if p.is_file()
} if root.is_dir() else {}
print(json.dumps({"tables": tables, "files": files}))
"""


def fingerprint(
    env: dict[str, str], *, skip_tables: tuple[str, ...] = (), skip_audit_types: tuple[str, ...] = ()
) -> dict:
    done = python(env, FINGERPRINT, json.dumps(list(skip_tables)), json.dumps(list(skip_audit_types)))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
