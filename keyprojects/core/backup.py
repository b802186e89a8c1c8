"""Backup and restore of a whole installation: the database and the uploaded files, in one .tar.gz archive.

`backup_create` writes a consistent snapshot — SQLite through its online backup API (consistent while the web
process and the worker write), PostgreSQL through `pg_dump --format=custom` in an exported REPEATABLE READ snapshot
(the row counts of the manifest are read in that same snapshot) — then the files of MEDIA_ROOT, and last a
manifest.json: when, Django's version, the database vendor, the latest migration of each app, the SHA-256 and size
of every file of the archive and the row count of every table.

`backup_open` unpacks an archive into a scratch folder and checks it before anything is touched: every file
listed with its checksum and nothing else, the same database vendor, no migration this code does not know (a
snapshot from newer code). `backup_restore` then replaces the database (SQLite: the backup API into the live
database; PostgreSQL: the schema's objects dropped and the dump restored in one transaction) and swaps in the
uploaded files, and checks the row counts against the manifest.

The console speaks English, like the rest of the tooling (see imports.management.console).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import django
from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader

from keyprojects.core import clock

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE_FILES = {"sqlite": "database/keyprojects.sqlite3", "postgresql": "database/keyprojects.pgdump"}
MEDIA = "media/"
CHUNK = 1024 * 1024
LOCK_TIMEOUT = "60s"  # a restore waits this long for the application's locks, then gives up, changing nothing


class BackupError(Exception):
    """The backup or restore was refused or failed; the message says why, and what was left as it was."""


@dataclass
class Archive:
    """An unpacked, checked archive: its manifest and the folder it was unpacked into."""

    manifest: dict[str, Any]
    folder: Path

    @property
    def database_file(self) -> Path:
        return self.folder / self.manifest["database"]["file"]

    @property
    def media(self) -> Path:
        return self.folder / MEDIA


# ---- what a snapshot holds -------------------------------------------------------------------------------


def model_tables() -> list[str]:
    """Every table of the installed models, the many-to-many tables among them, that the database has."""
    tables = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }
    return sorted(tables & set(connection.introspection.table_names()))


def _state(cursor: Any, tables: list[str]) -> tuple[dict[str, int], dict[str, str]]:
    """Row counts of `tables` and the latest applied migration of each app, read through a DB-API cursor (so
    that they are read from the snapshot itself)."""
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - names of our own models' tables
        counts[table] = cursor.fetchone()[0]
    cursor.execute("SELECT app, name FROM django_migrations")
    latest: dict[str, str] = {}
    for app, name in cursor.fetchall():
        latest[app] = max(latest.get(app, name), name)  # migration names start with their number
    return counts, dict(sorted(latest.items()))


def _hashed_copy(source: IO[bytes], target: IO[bytes]) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        target.write(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _file_sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


class _Hashing:
    """A file read into the archive, hashed on the way: each file is read once."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self.fh.read(size)
        self.digest.update(chunk)
        return chunk


# ---- backup ---------------------------------------------------------------------------------------------


def default_name() -> str:
    return f"keyprojects-backup-{clock.now():%Y%m%d-%H%M%S}.tar.gz"


def backup_create(*, out: Path, force: bool = False) -> tuple[Path, dict[str, Any]]:
    """Write the archive to `out` (a folder: a dated file in it); answers its path and manifest. The archive is
    written beside and renamed into place when complete: an interrupted backup leaves no partial archive."""
    if out.is_dir():
        out = out / default_name()
    if out.exists() and not force:
        raise BackupError(f"{out} already exists; choose another name or use --force to replace it.")
    if not out.parent.is_dir():
        raise BackupError(f"The folder {out.parent} does not exist.")
    vendor = connection.vendor
    if vendor not in DATABASE_FILES:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    with tempfile.TemporaryDirectory(prefix=".backup-", dir=out.parent) as scratch:
        database = Path(scratch) / "database"
        if vendor == "sqlite":
            counts, migrations = _sqlite_snapshot(database)
        else:
            counts, migrations = _postgresql_snapshot(database)
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "created_at": clock.now().isoformat(),
            "django": django.get_version(),
            "database": {"vendor": vendor, "file": DATABASE_FILES[vendor]},
            "migrations": migrations,
            "tables": counts,
            "files": [],
        }
        partial = Path(scratch) / "archive.tar.gz"
        with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
            manifest["files"].append(_add_file(tar, database, DATABASE_FILES[vendor]))
            for path in _media_files(Path(settings.MEDIA_ROOT)):
                relative = path.relative_to(settings.MEDIA_ROOT).as_posix()
                manifest["files"].append(_add_file(tar, path, MEDIA + relative))
            content = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(content)
            info.mtime = int(clock.now().timestamp())
            tar.addfile(info, _Bytes(content))
        os.replace(partial, out)
    return out, manifest


class _Bytes:
    def __init__(self, content: bytes) -> None:
        self.content, self.offset = content, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.content) if size < 0 else self.offset + size
        chunk = self.content[self.offset : end]
        self.offset = end
        return chunk


def _media_files(root: Path) -> Iterator[Path]:
    """The uploaded files, in a stable order; links are not followed (uploads are plain files)."""
    if not root.is_dir():
        return
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                yield path


def _add_file(tar: tarfile.TarFile, path: Path, name: str) -> dict[str, Any]:
    with path.open("rb") as fh:
        info = tar.gettarinfo(fileobj=fh, arcname=name)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        hashing = _Hashing(fh)
        tar.addfile(info, hashing)  # reads exactly info.size bytes: a file that shrank meanwhile fails here
    return {"path": name, "size": info.size, "sha256": hashing.digest.hexdigest()}


def _sqlite_snapshot(target: Path) -> tuple[dict[str, int], dict[str, str]]:
    """The live database copied page by page by SQLite's online backup API: a consistent copy even while the
    web process and the worker write (a write meanwhile restarts the copy)."""
    tables = model_tables()
    connection.ensure_connection()
    with closing(sqlite3.connect(target)) as copy:
        connection.connection.backup(copy)
        # One file, whatever the live database's journal: no -wal beside it in the archive.
        copy.execute("PRAGMA journal_mode=DELETE")
        with closing(copy.cursor()) as cursor:
            return _state(cursor, tables)


def _postgresql_snapshot(target: Path) -> tuple[dict[str, int], dict[str, str]]:
    """pg_dump in a snapshot exported by a REPEATABLE READ transaction, which also counts the rows: the dump and
    the manifest describe the same moment."""
    tables = model_tables()
    _check_client_version("pg_dump")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        _run(["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={target}", *_pg_target()])
        return _state(cursor, tables)


# ---- PostgreSQL client tools ----------------------------------------------------------------------------


def _pg_target() -> list[str]:
    db = connection.settings_dict
    args = ["--no-password"]
    if db.get("HOST"):
        args += ["--host", db["HOST"]]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", db["USER"]]
    return [*args, "--dbname", db["NAME"]]


def _pg_env() -> dict[str, str]:
    """The password through the environment, never on the command line (where `ps` shows it)."""
    db = connection.settings_dict
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    for option, variable in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT")):
        if db.get("OPTIONS", {}).get(option):
            env[variable] = str(db["OPTIONS"][option])
    return env


def _run(args: list[str]) -> None:
    try:
        done = subprocess.run(args, env=_pg_env(), capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError:
        raise BackupError(
            f"{args[0]} is not installed (Debian: apt-get install postgresql-client)."
        ) from None
    if done.returncode != 0:
        raise BackupError(f"{args[0]} failed: {done.stderr.strip() or done.stdout.strip()}")


def _check_client_version(tool: str) -> None:
    """pg_dump and pg_restore read and write only servers up to their own major version."""
    try:
        output = subprocess.run([tool, "--version"], capture_output=True, text=True, check=True).stdout  # noqa: S603
    except (FileNotFoundError, subprocess.CalledProcessError):
        raise BackupError(f"{tool} is not installed (Debian: apt-get install postgresql-client).") from None
    found = re.search(r"(\d+)(?:\.\d+)?", output)
    client = int(found.group(1)) if found else 0
    connection.ensure_connection()
    server = connection.pg_version // 10000
    if client < server:
        raise BackupError(
            f"{tool} {client} is older than the PostgreSQL {server} server; install the client of version {server}."
        )


# ---- restore --------------------------------------------------------------------------------------------


@contextmanager
def backup_open(archive: Path) -> Iterator[Archive]:
    """The archive unpacked beside MEDIA_ROOT (so that its files are moved into place, not copied) and checked:
    the manifest, every file's size and SHA-256, nothing unlisted, the vendor and the migrations. Removed after."""
    if not archive.is_file():
        raise BackupError(f"{archive} is not a file.")
    media_root = Path(settings.MEDIA_ROOT)
    media_root.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=media_root.parent) as scratch:
        folder = Path(scratch)
        _unpack(archive, folder)
        manifest = _read_manifest(folder)
        _check_files(folder, manifest)
        _check_compatible(manifest)
        yield Archive(manifest=manifest, folder=folder)


def _unpack(archive: Path, folder: Path) -> None:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                if not (member.isfile() or member.isdir()):
                    raise BackupError(f"The archive holds {member.name!r}, which is not a plain file.")
                tar.extract(
                    member, folder, filter="data"
                )  # refuses absolute paths and "..": nothing lands outside
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise BackupError(
            f"The archive {archive} is damaged or incomplete ({exc}); nothing was changed."
        ) from None


def _read_manifest(folder: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(
            "The archive has no manifest.json: it is not a Keyprojects backup, or incomplete."
        ) from None
    except ValueError:
        raise BackupError("The archive's manifest.json is damaged; nothing was changed.") from None
    required = {"format", "created_at", "database", "migrations", "tables", "files"}
    if not isinstance(manifest, dict) or not required <= manifest.keys():
        raise BackupError(
            "The archive's manifest.json lacks what a Keyprojects backup states; nothing was changed."
        )
    if manifest["format"] != FORMAT:
        raise BackupError(
            f"The archive is of format {manifest['format']}; this version reads format {FORMAT}."
        )
    return manifest


def _check_files(folder: Path, manifest: dict[str, Any]) -> None:
    listed = {entry["path"]: entry for entry in manifest["files"]}
    if manifest["database"].get("file") not in listed:
        raise BackupError("The archive's manifest lists no database snapshot; nothing was changed.")
    found = {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()} - {MANIFEST}
    missing = sorted(set(listed) - found)
    if missing:
        raise BackupError(
            f"The archive lacks {len(missing)} file(s) its manifest lists, e.g. {missing[0]}; nothing was changed."
        )
    unlisted = sorted(found - set(listed))
    if unlisted:
        raise BackupError(
            f"The archive holds files its manifest does not list, e.g. {unlisted[0]}; nothing was changed."
        )
    for name, entry in listed.items():
        sha256, size = _file_sha256(folder / name)
        if (sha256, size) != (entry["sha256"], entry["size"]):
            raise BackupError(
                f"{name} in the archive does not match its checksum: the archive is damaged; nothing was changed."
            )


def _check_compatible(manifest: dict[str, Any]) -> None:
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(
            f"The archive holds a {vendor} database and this installation runs {connection.vendor}; "
            "restore it into a database of the same kind."
        )
    known = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    unknown = [f"{app}.{name}" for app, name in manifest["migrations"].items() if (app, name) not in known]
    if unknown:
        raise BackupError(
            "The archive was made by a newer version of Keyprojects (migrations this code does not have: "
            f"{', '.join(unknown[:5])}); upgrade first, then restore. Nothing was changed."
        )


def migrations_behind(manifest: dict[str, Any]) -> list[str]:
    """The apps whose latest migration in the snapshot is older than the code's: `manage.py migrate` after."""
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    leaves = dict(graph.leaf_nodes())
    return sorted(app for app, leaf in leaves.items() if manifest["migrations"].get(app) != leaf)


def backup_restore(archive: Archive) -> dict[str, int]:
    """Replace the database and the uploaded files by the archive's; answers the row counts, which must be the
    manifest's. The database goes first, in one step that either completes or changes nothing."""
    if archive.manifest["database"]["vendor"] == "sqlite":
        _sqlite_restore(archive.database_file)
    else:
        _postgresql_restore(archive.database_file, archive.folder)
    _swap_media(archive.media)
    with connection.cursor() as cursor:
        counts, _latest = _state(cursor, sorted(archive.manifest["tables"]))
    if counts != archive.manifest["tables"]:
        differ = [t for t in counts if counts[t] != archive.manifest["tables"][t]]
        raise BackupError(
            f"After the restore, the row counts of {', '.join(differ[:5])} differ from the manifest."
        )
    return counts


def _sqlite_restore(snapshot: Path) -> None:
    """The backup API again, from the snapshot into the live database: SQLite takes the write lock, replaces every
    page and releases it; other processes see the old database or the new one, never a mixture."""
    with closing(sqlite3.connect(snapshot)) as source:
        if source.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError("The database snapshot in the archive is damaged; nothing was changed.")
        connection.close()
        connection.ensure_connection()
        try:
            source.backup(connection.connection)
        except sqlite3.Error as exc:
            raise BackupError(f"The database could not be replaced ({exc}); it was left as it was.") from None
    connection.close()  # the next query reads the new schema afresh


def _postgresql_restore(dump: Path, scratch: Path) -> None:
    """Every table, view, sequence and function of the schema dropped, then the dump restored, by psql in one
    transaction: a failure (a lock held too long, a damaged dump) leaves the database as it was."""
    _check_client_version("pg_restore")
    script = scratch / "restore.sql"
    _run(["pg_restore", "--no-owner", "--clean", "--if-exists", f"--file={script}", str(dump)])
    prelude = scratch / "prelude.sql"
    prelude.write_text(_DROP_ALL.replace("{lock_timeout}", LOCK_TIMEOUT))
    connection.close()
    _run(
        [
            "psql",
            "--no-psqlrc",
            "--quiet",
            "--set=ON_ERROR_STOP=1",
            "--single-transaction",
            f"--file={prelude}",
            f"--file={script}",
            *_pg_target(),
        ]
    )


# Objects created by extensions stay (their extension owns them); everything else of the schema goes, so that
# a table the snapshot does not have (a newer migration's) is not left behind.
_DROP_ALL = """
SET lock_timeout = '{lock_timeout}';
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT format('%I.%I', n.nspname, c.relname) AS name,
               CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                              WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END AS kind
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
        ORDER BY c.relkind DESC
    LOOP
        EXECUTE format('DROP %s IF EXISTS %s CASCADE', r.kind, r.name);
    END LOOP;
    FOR r IN
        SELECT p.oid::regprocedure::text AS name, CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END AS kind
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = current_schema() AND p.prokind IN ('f', 'p')
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
    LOOP
        EXECUTE format('DROP %s IF EXISTS %s CASCADE', r.kind, r.name);
    END LOOP;
END $$;
"""


def _swap_media(restored: Path) -> None:
    """The archive's files become MEDIA_ROOT by renames in the same folder; the old ones are removed after."""
    media_root = Path(settings.MEDIA_ROOT)
    restored.mkdir(exist_ok=True)
    old = media_root.with_name(f".{media_root.name}-replaced-{os.getpid()}")
    try:
        if media_root.exists():
            os.replace(media_root, old)
        os.replace(restored, media_root)
    except OSError:
        # MEDIA_ROOT is a mount point (a volume): its content is replaced instead of the folder itself.
        media_root.mkdir(parents=True, exist_ok=True)
        for entry in media_root.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        for entry in restored.iterdir():
            shutil.move(entry, media_root / entry.name)
    shutil.rmtree(old, ignore_errors=True)
