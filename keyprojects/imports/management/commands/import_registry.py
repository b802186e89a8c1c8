"""manage.py import_registry --county julu list.xlsx: the county's key-project list, as the import page takes it."""

from __future__ import annotations

from argparse import ArgumentParser

from keyprojects.imports.management.console import ImportCommand, row_numbers
from keyprojects.projects.models import ImportJob


class Command(ImportCommand):
    help = (
        "Import a county's key-project list (its office's workbook as published): print the preview and the file's "
        "total in yuan, then write it unless --dry-run. Errors are printed by row and column; the exit code is then 1."
    )
    kind = ImportJob.Kind.REGISTRY

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--confirm-rows",
            type=row_numbers,
            default=set(),
            help="Rows of suspicious updates to write anyway, e.g. 12,15 (others are left out).",
        )
