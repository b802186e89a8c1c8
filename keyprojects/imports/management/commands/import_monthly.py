"""manage.py import_monthly --county julu --year 2026 --month 10 summary.xlsx: a month's completed investment."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from keyprojects.imports.management.console import ImportCommand
from keyprojects.investment.models import ReportStatus
from keyprojects.projects.models import ImportJob


class Command(ImportCommand):
    help = (
        "Import a month's completed investment of a county's projects (its office's monthly summary sheet) as "
        "monthly reports, submitted or verified: print the preview and the file's total in yuan, then write it "
        "unless --dry-run. Errors are printed by row and column; the exit code is then 1."
    )
    kind = ImportJob.Kind.MONTHLY

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--month", type=int, required=True, choices=range(1, 13), metavar="1-12")
        parser.add_argument(
            "--status",
            choices=[ReportStatus.SUBMITTED, ReportStatus.VERIFIED],
            default=ReportStatus.SUBMITTED,
            help="Store the reports as submitted (to be verified) or as verified by the office.",
        )

    def import_options(self, options: dict[str, Any]) -> dict[str, Any]:
        return {"year": options["year"], "month": options["month"], "report_status": options["status"]}
