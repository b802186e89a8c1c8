"""What the office reads before confirming: every row of the stored file re-read and checked by its importer
(`checked_rows`, nothing written), with what the layout says besides the rows — skipped rows and why, the file's
totals as written and in yuan, its own group, subtotal and total rows checked — and, for a refused file, the
error report by row and column.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from keyprojects.imports.cells import unit_label
from keyprojects.imports.importers import Checked, importer_for
from keyprojects.imports.layout import Layout, read_layout, skip_reasons
from keyprojects.imports.progress import record_progress
from keyprojects.imports.proposal import check_project_rows, read_sheets
from keyprojects.imports.sheets import ImportRefused
from keyprojects.imports.totals import check_totals
from keyprojects.projects.models import ImportJob


def checked_rows(job: ImportJob) -> Checked:
    """Read the stored file again and check every row (nothing written)."""
    importer = importer_for(job.kind)
    with job.file.open("rb") as fh:
        sheets = read_sheets(job, io.BytesIO(fh.read()))
    if job.sheet_index >= len(sheets):
        raise ImportRefused(_("The workbook has no such worksheet."))
    mapping = {int(i): key for i, key in job.mapping.items()}
    layout = read_layout(
        sheets[job.sheet_index],
        remembered={},
        columns=importer.columns,
        header_rows=job.header_rows or [job.header_row],
        name_field=importer.name_field,
        mapping=mapping,
    )
    units = {int(i): int(f) for i, f in job.options.get("units", {}).items()}
    check_project_rows(layout)
    record_progress(job, total_rows=len(layout.rows))

    def progress(done: int) -> None:
        record_progress(job, processed_rows=done)

    checked = importer.check(job, layout, mapping, units, progress)
    job.processed_rows = len(layout.rows)
    checked.preview.update(layout_preview(layout, mapping, units, checked))
    return checked


def layout_preview(layout: Layout, mapping: dict[int, str], units: dict[int, int], checked: Checked) -> dict:
    """What the layout says besides the rows: skipped rows and why, the file's totals as written and in yuan, and
    its own group, subtotal and total rows checked against the rows they sum."""
    amounts: dict[int, dict[int, Decimal]] = checked.preview.pop("_amounts", {})
    error_rows = {e.row for e in checked.errors}
    imported = {n for n, _v in layout.rows if n not in error_rows}
    totals = []
    for index, factor in units.items():
        yuan = sum((a.get(index) or Decimal(0) for r, a in amounts.items() if r in imported), Decimal(0))
        totals.append(
            {
                "column": layout.headers[index],
                "unit": unit_label(factor),
                "as_written": as_written(yuan, factor),
                "yuan": f"{yuan:,.2f}",
            }
        )
    checks = check_totals(layout, amounts=amounts, factors=units, imported=imported)
    return {
        "sheet": layout.sheet,
        "header_rows": layout.header_rows,
        "skipped": [s.as_dict() for s in layout.skipped],
        "totals": totals,
        "checks": [c.as_dict() for c in checks],
    }


def as_written(yuan: Decimal, factor: int) -> str:
    """An amount in the file's unit, every decimal it has kept (12.568055 亿元), at least two."""
    amount = (yuan / factor).normalize()
    places = max(2, -amount.as_tuple().exponent)  # type: ignore[operator]
    return f"{amount:,.{places}f}"


def report_rows(job: ImportJob) -> Any:
    """The error report for the spreadsheet writer (which keeps a value like =A1 as text, never a formula)."""
    for error in job.error_report:
        yield [error["row"], error["column"], error["value"], error["reason"]]


def skipped_rows(job: ImportJob) -> list[dict]:
    reasons = skip_reasons()
    return [{**s, "why": reasons.get(s["reason"], s["reason"])} for s in job.preview.get("skipped", [])]
