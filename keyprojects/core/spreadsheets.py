"""One writer for every tabular export: rows in, an .xlsx or .csv HTTP response out."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# A text starting with one of these is read as a formula by Excel, WPS or LibreOffice (= + - @), or after a
# tab or carriage return that some of them skip (OWASP, "CSV injection"): a project named
# =HYPERLINK("http://…") would run in the reader's spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value: Any) -> Any:
    """A cell as every export writes it: a text that a spreadsheet would read as a formula gets a leading
    apostrophe, so that it shows as the text it is; numbers, dates and the rest pass as they are (-2 stays a
    number)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def xlsx_bytes(*, title: str, headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = title[:31]
    _append(ws, headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    widths = [len(str(h)) * 2 + 2 for h in headers]
    for row in rows:
        _append(ws, row)
        for i, value in enumerate(row):
            widths[i] = min(60, max(widths[i], len(str(value)) + 2 if value is not None else 0))
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _append(ws: Worksheet, values: Sequence) -> None:
    ws.append([neutralised(v) for v in values])
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"  # text, never a formula: openpyxl would make one of any text starting with =


def table_response(*, fmt: str, filename: str, title: str, headers: Sequence[str], rows: Iterable[Sequence]):
    if fmt == "xlsx":
        response = HttpResponse(xlsx_bytes(title=title, headers=headers, rows=rows), content_type=XLSX_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
        return response
    if fmt == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")  # a BOM, so that Excel opens Chinese CSV as UTF-8
        writer = csv.writer(buffer)
        writer.writerow([neutralised(h) for h in headers])
        writer.writerows([neutralised(v) for v in row] for row in rows)
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response
    return HttpResponse(
        _("Unknown export format: %(fmt)s.") % {"fmt": fmt}, status=404, content_type="text/plain"
    )
