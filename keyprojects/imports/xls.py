"""Reading an old-format Excel workbook (.xls, and WPS .et) into its worksheets' rows.

xlrd keeps formulas' stored values only, which is what the import uses. The file is within the upload limit and
not packed, so it is read whole.
"""

from __future__ import annotations

import io
from typing import IO, Any

import xlrd
from django.utils.translation import gettext as _

from keyprojects.imports.formats import refusal
from keyprojects.imports.sheets import (
    MAX_COLUMNS,
    ImportRefused,
    RawSheet,
    name_of,
    sheet_of,
    text_or_formula,
)


def read_xls(fileobj: IO[bytes], max_rows: int) -> list[RawSheet]:
    try:
        # ragged_rows: a single cell far to the right must not widen every row of the sheet.
        book = xlrd.open_workbook(
            file_contents=fileobj.read(), on_demand=True, ragged_rows=True, logfile=io.StringIO()
        )
    except xlrd.XLRDError as exc:
        if "encrypted" in str(exc):
            raise ImportRefused(refusal("encrypted") % {"name": name_of(fileobj)}, field="file") from exc
        raise _unreadable_xls() from exc
    except Exception as exc:  # xlrd raises many kinds of error for a damaged file
        raise _unreadable_xls() from exc
    if not book.nsheets:  # xlrd leaves chart sheets out
        raise ImportRefused(_("The workbook has no worksheet."), field="file")
    try:
        sheets = []
        for index in range(book.nsheets):
            worksheet = book.sheet_by_index(index)
            rows = (
                (
                    number + 1,
                    [
                        _xls_value(kind, value, book.datemode)
                        for kind, value in zip(
                            worksheet.row_types(number, 0, MAX_COLUMNS),
                            worksheet.row_values(number, 0, MAX_COLUMNS),
                            strict=True,
                        )
                    ],
                )
                for number in range(worksheet.nrows)
            )
            sheets.append(sheet_of(worksheet.name, rows, max_rows))
            book.unload_sheet(index)
    except ImportRefused:
        raise
    except Exception as exc:
        raise _unreadable_xls() from exc
    finally:
        book.release_resources()
    return sheets


def _xls_value(kind: int, value: Any, datemode: int) -> Any:
    if kind == xlrd.XL_CELL_TEXT:
        return text_or_formula(value)
    if kind == xlrd.XL_CELL_NUMBER:
        return float(value)
    if kind == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate.xldate_as_datetime(value, datemode)
        except (OverflowError, ValueError):
            return float(value)  # a date format on a number no calendar holds
    if kind == xlrd.XL_CELL_BOOLEAN:
        return bool(value)
    if kind == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(value, "#N/A")  # "#DIV/0!", as openpyxl gives it for .xlsx
    return None  # empty, or blank with a format


def _unreadable_xls() -> ImportRefused:
    return ImportRefused(
        _(
            "The file could not be read as an old-format Excel workbook (.xls). Open it in Excel or WPS and "
            "save it as an Excel workbook (.xlsx)."
        ),
        field="file",
    )
