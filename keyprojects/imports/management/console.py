"""What the import commands share: their arguments, whom they run as, and what they print. The console speaks
English, like the rest of the tooling; the rows' errors are said as the office's user reads them."""

from __future__ import annotations

from argparse import ArgumentParser, ArgumentTypeError
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from keyprojects.accounts.models import Region, User
from keyprojects.accounts.permissions import scope_for
from keyprojects.core.errors import DomainError
from keyprojects.imports import unattended
from keyprojects.imports.cells import UNIT_NAMES
from keyprojects.projects.models import ImportJob


def row_numbers(text: str) -> set[int]:
    """--confirm-rows 12,15 → {12, 15}."""
    try:
        return {int(part) for part in text.split(",") if part.strip()}
    except ValueError:
        raise ArgumentTypeError(f"row numbers separated by commas, e.g. 12,15; not {text!r}") from None


class ImportCommand(BaseCommand):
    kind: str = ""

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help="The workbook (.xlsx, .xlsm, .xls, .et) or .csv file.")
        parser.add_argument("--county", required=True, help="The county-level unit's slug, e.g. julu.")
        parser.add_argument(
            "--as",
            dest="username",
            help="The user the import runs as (default: the first active user of the county's project office).",
        )
        parser.add_argument(
            "--sheet",
            type=int,
            help="The worksheet, counted from 1 (default: the one with most project rows).",
        )
        parser.add_argument(
            "--unit",
            choices=list(UNIT_NAMES),
            help="The unit of money columns whose header and unit line state none.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and print the preview; write nothing."
        )

    def import_options(self, options: dict[str, Any]) -> dict[str, Any]:
        """The importer's own options (the year and month of monthly figures…)."""
        return {}

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override("en"):
            county = Region.objects.select_related("parent").filter(slug=options["county"]).first()
            if county is None:
                raise CommandError(f"No region has the slug {options['county']!r}.")
            actor = self._actor(county, options["username"])
            path: Path = options["file"]
            try:
                content = path.read_bytes()
            except OSError as exc:
                raise CommandError(f"Cannot read {path}: {exc.strerror}.") from None
            if options["sheet"] is not None and options["sheet"] < 1:
                raise CommandError("--sheet counts from 1.")
            try:
                job = unattended.import_at_once(
                    actor=actor,
                    county=county,
                    upload=SimpleUploadedFile(path.name, content),
                    kind=self.kind,
                    options=self.import_options(options),
                    unit=options["unit"],
                    sheet=options["sheet"] - 1 if options["sheet"] else None,
                    dry_run=options["dry_run"],
                    confirmed_rows=options.get("confirm_rows") or set(),
                )
            except DomainError as exc:
                raise CommandError(exc.message) from None
            self._print(job, dry_run=options["dry_run"])

    def _actor(self, county: Region, username: str | None) -> User:
        if username:
            actor = User.objects.filter(username=username, is_active=True).first()
            if actor is None:
                raise CommandError(f"No active user is called {username!r}.")
        else:
            actor = unattended.county_office_user(county)
            if actor is None:
                raise CommandError(
                    f"{county.slug} has no active user in its county project office; use --as."
                )
        if not scope_for(actor).manages_region(county):
            raise CommandError(f"{actor.username} may not import into {county.slug}.")
        return actor

    def _print(self, job: ImportJob, *, dry_run: bool) -> None:
        shown = unattended.outcome(job)
        counts = shown["counts"]
        out = self.stdout.write
        out(
            f"Import {job.pk} of {job.original_name} into {job.county.slug}, sheet {shown['sheet']!r}, as {job.uploaded_by.username}"
        )
        out(
            f"Preview: {counts['create']} created, {counts['update']} updated, {counts['unchanged']} unchanged, "
            f"{counts['skipped']} skipped, {counts['errors']} errors"
        )
        for total in shown["totals"]:
            out(f"Total of {total['column']}: {total['as_written']} {total['unit']} = {total['yuan']} yuan")
        for check in shown["checks"]:
            if not check["ok"]:
                out(
                    f"Row {check['row']} ({check['kind']}) states {check['stated']} for {check['column'] or 'projects'}; "
                    f"its rows add up to {check['summed']}"
                )
        for row in shown["cumulative"]:
            out(
                f"Row {row['row']} ({row['code']}): cumulative {row['stated']} yuan, the stored months and this one "
                f"{row['summed']} yuan"
            )
        for what, names in shown["new"].items():
            if names:
                out(f"New {what}: {'、'.join(names)}")
        suspicious = [u["row"] for u in shown["update"] if u.get("suspicious")]
        if suspicious:
            out(
                "Suspicious updates (name and enterprise or amount change at once), written only with "
                f"--confirm-rows: {','.join(map(str, suspicious))}"
            )
        if shown["errors"] or job.status == ImportJob.Status.FAILED:
            for error in shown["errors"]:
                self.stderr.write(
                    f"Row {error['row']}, column {error['column']}, value {error['value']!r}: {error['reason']}"
                )
            raise CommandError(job.message or "The import failed; nothing was written.")
        if dry_run:
            out("Dry run: nothing was written.")
        elif shown["written"] is not None:
            written = shown["written"]
            left_out = len(suspicious) - len(set(suspicious) & set(job.options.get("confirmed", [])))
            out(
                f"Written: {written['created']} created, {written['updated']} updated, "
                f"{written['unchanged']} unchanged"
                + (f", {left_out} suspicious updates left out" if left_out else "")
            )
        else:
            raise CommandError(job.message or f"The import is {job.status}; nothing was written yet.")
