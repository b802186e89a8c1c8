"""manage.py restore ARCHIVE [--yes]: the database and the uploaded files of a `manage.py backup` archive."""

from __future__ import annotations

import sys
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from keyprojects.core.backup import BackupError, backup_open, backup_restore, migrations_behind


class Command(BaseCommand):
    help = (
        "Replace the database and the uploaded files by those of a backup archive. The archive is checked first "
        "(checksums, database vendor, migrations); a damaged one or one from newer code changes nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("archive", type=Path, help="The .tar.gz written by manage.py backup.")
        parser.add_argument("--yes", action="store_true", help="Replace without asking.")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        try:
            with backup_open(options["archive"]) as archive:
                manifest = archive.manifest
                media = [f for f in manifest["files"] if f["path"].startswith("media/")]
                self.stdout.write(
                    f"{options['archive']}: made {manifest['created_at']} by Django {manifest.get('django', '?')}, "
                    f"{sum(manifest['tables'].values())} rows in {len(manifest['tables'])} tables, "
                    f"{len(media)} uploaded files; checksums verified."
                )
                if not options["yes"]:
                    self._confirm()
                counts = backup_restore(archive)
                behind = migrations_behind(manifest)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Restored {sum(counts.values())} rows in {len(counts)} tables and {len(media)} uploaded files "
            f"in {time.monotonic() - started:.1f} s."
        )
        for table, count in counts.items():
            if count:
                self.stdout.write(f"  {table}: {count}")
        if behind:
            self.stdout.write(
                f"The snapshot predates this code's migrations of {', '.join(behind)}: run manage.py migrate."
            )

    def _confirm(self) -> None:
        database = connection.settings_dict["NAME"]
        if not sys.stdin.isatty():
            raise CommandError("Not a terminal: nothing was changed. Confirm the replacement with --yes.")
        answer = input(
            f"This replaces every row of {database} and every uploaded file. Type 'yes' to go on: "
        )
        if answer.strip().lower() != "yes":
            raise CommandError("Nothing was changed.")
