"""What a check shows besides the rows: amounts as the file writes them, skipped rows with why in the reader's
language, and the error report as rows for the spreadsheet writer."""

from __future__ import annotations

from decimal import Decimal

from django.utils import translation

from keyprojects.imports.checking import as_written, report_rows, skipped_rows
from keyprojects.projects.models import ImportJob


def test_it_writes_an_amount_in_the_file_s_unit_with_every_decimal_it_kept_and_at_least_two():
    assert as_written(Decimal("1256805500"), 100_000_000) == "12.568055"
    assert as_written(Decimal("12000000"), 10_000) == "1,200.00"


def test_it_gives_the_skipped_rows_with_why_and_the_errors_as_rows():
    job = ImportJob(
        preview={"skipped": [{"row": 1, "reason": "title", "text": "巨鹿县重点项目一览表"}]},
        error_report=[{"row": 5, "column": "总投资", "value": "=A1", "reason": "Not a number."}],
    )

    with translation.override("en"):
        assert skipped_rows(job) == [
            {"row": 1, "reason": "title", "text": "巨鹿县重点项目一览表", "why": "title above the header"}
        ]
    assert list(report_rows(job)) == [[5, "总投资", "=A1", "Not a number."]]
