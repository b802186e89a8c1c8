"""What an upload proposes before the office chooses: the file read into its worksheets (within the row limit:
project rows count, titles, group, total and note rows come on top), the sheet with the most project-like rows,
its header block found and its columns and their units guessed for the mapping page; and the columns that only
number the rows (序号), which never identify a project.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from keyprojects.imports import reading
from keyprojects.imports.cells import CellError, decimal_of, display, is_blank, normalise, text_of, value_of
from keyprojects.imports.columns import SERIAL_HEADERS, Column, Kind, guess_mapping
from keyprojects.imports.importers import importer_for
from keyprojects.imports.layout import Layout, read_layout
from keyprojects.imports.sheets import ImportRefused, RawSheet
from keyprojects.projects.models import ImportJob

LAYOUT_ALLOWANCE = 2000  # title, group, subtotal and note rows a sheet may hold besides its project rows


def max_rows() -> int:
    return settings.KEYPROJECTS_IMPORT_MAX_ROWS + LAYOUT_ALLOWANCE


# ---- upload and layout ---------------------------------------------------------------------------------


def read_sheets(job: ImportJob, fileobj: Any) -> list[RawSheet]:
    return reading.read_workbook(fileobj, file_format=job.file_format, max_rows=max_rows())


def check_project_rows(layout: Layout) -> None:
    """The row limit counts project rows: titles, group, total and note rows come on top."""
    limit = settings.KEYPROJECTS_IMPORT_MAX_ROWS
    if len(layout.rows) > limit:
        raise ImportRefused(
            _(
                "The worksheet “%(sheet)s” has %(rows)s project rows; at most %(limit)s can be imported at once. Split it into several files."
            )
            % {"sheet": layout.sheet, "rows": len(layout.rows), "limit": limit},
            field="file",
        )


def describe(job: ImportJob, sheet: RawSheet, remembered: dict[str, str]) -> None:
    """Find the sheet's header block and guess its columns and their units, for the mapping page."""
    importer = importer_for(job.kind)
    layout = read_layout(
        sheet, remembered=remembered, columns=importer.columns, name_field=importer.name_field
    )
    guesses = guess_mapping(layout.headers, remembered, importer.columns)
    serial = {index for index in range(len(layout.headers)) if numbers_rows(layout, index)}
    # A column numbering the rows is never taken for the code, whatever its header (编号, No.).
    guesses = {i: g for i, g in guesses.items() if not (i in serial and g.field == "code")}
    samples = [values for _n, values in layout.rows[:3]]
    job.header_rows = layout.header_rows
    job.header_row = layout.header_rows[0] if layout.header_rows else 1
    check_project_rows(layout)
    job.total_rows = len(layout.rows)
    job.is_template = False
    job.columns = [
        {
            "header": header,
            "letter": get_column_letter(index + 1),
            "samples": [
                display(row[index])[:40] for row in samples if index < len(row) and text_of(row[index])
            ],
            "guess": guesses[index].source if index in guesses and guesses[index].field else "",
            "unit": layout.unit_of(index) or 0,
            "serial": index in serial,
        }
        for index, header in enumerate(layout.headers)
    ]
    job.mapping = {str(index): g.field for index, g in guesses.items() if g.field}
    by_key = {c.key: c for c in importer.columns}
    job.options = {
        **job.options,
        "units": {
            str(i): layout.unit_of(i)
            for i, key in ((int(i), k) for i, k in job.mapping.items())
            if by_key[key].kind == Kind.MONEY and layout.unit_of(i)
        },
        "unit_line": layout.unit_line or 0,
    }


def project_like_rows(sheet: RawSheet, *, remembered: dict[str, str], columns: tuple[Column, ...]) -> int:
    """How many project rows a sheet holds, for proposing which sheet of a workbook to import."""
    layout = read_layout(sheet, remembered=remembered, columns=columns)
    mapped = sum(1 for g in guess_mapping(layout.headers, remembered, columns).values() if g.field)
    return len(layout.rows) if mapped >= 2 else 0


def numbers_rows(layout: Layout, index: int) -> bool:
    """Whether a column holds whole numbers from 1 to the count of rows only, as a sequence number does (restarting
    in each group or not)."""
    count = 0
    for _n, values in layout.rows:
        value = values[index] if index < len(values) else None
        if is_blank(value_of(value)):
            continue
        try:
            number = decimal_of(value)
        except CellError:
            return False
        if number is None or number != number.to_integral_value() or not 1 <= number <= len(layout.rows):
            return False
        count += 1
    return count >= 2


def looks_like_serial(job: ImportJob, index: int) -> bool:
    """A sequence number: the header says so (序号), the column numbers the rows, or the samples are 1, 2, 3…"""
    column = job.columns[index]
    if normalise(column["header"]) in SERIAL_HEADERS or column.get("serial"):
        return True
    try:
        numbers = [decimal_of(s) for s in column["samples"]]
    except Exception:
        return False
    return len(numbers) >= 2 and all(n is not None and n == i + 1 for i, n in enumerate(numbers))
