"""manage.py backup [--out DIR|FILE] [--force]: the database and the uploaded files in one .tar.gz (core.backup)."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from keyprojects.core.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Write a consistent snapshot of the database (SQLite's online backup API, or pg_dump) and the uploaded "
        "files, with a manifest of checksums and row counts, to one .tar.gz archive. Safe while the site runs."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--out",
            type=Path,
            default=None,
            help="The archive to write, or a folder to write a dated archive in (default: KEYPROJECTS_DATA_DIR/backups).",
        )
        parser.add_argument("--force", action="store_true", help="Replace the archive if it exists.")

    def handle(self, *args: Any, **options: Any) -> None:
        out: Path | None = options["out"]
        if out is None:
            out = Path(settings.DATA_DIR) / "backups"
            out.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        try:
            path, manifest = backup_create(out=out, force=options["force"])
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        media = [f for f in manifest["files"] if f["path"].startswith("media/")]
        self.stdout.write(
            f"Wrote {path} ({path.stat().st_size / 1e6:.1f} MB) in {time.monotonic() - started:.1f} s: "
            f"the {manifest['database']['vendor']} database ({len(manifest['tables'])} tables, "
            f"{sum(manifest['tables'].values())} rows) and {len(media)} uploaded files "
            f"({sum(f['size'] for f in media) / 1e6:.1f} MB)."
        )
