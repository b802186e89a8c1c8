"""One writer for every tabular export: a table (title, columns of a kind, rows) in, an .xlsx or .csv out.

An office forwards an export as it is, so the workbook says what it holds and whose it is (a title row), when
and under which filters (lines below it), and holds real numbers and dates under a bold, frozen, filterable
header, with a totals row under the money columns. The CSV is the same table as data only: one header line
and the rows, amounts as exact decimals, dates in ISO form, UTF-8 with a BOM so that Excel reads Chinese.

    table = Table(
        title="巨鹿县重点项目",
        subtitle=["截至2026年6月15日", "筛选条件：无"],
        columns=[Column("项目编号"), Column("总投资（万元）", MONEY), Column("开工日期", DATE)],
        rows=[["JL-001", Decimal("51000.00"), date(2026, 3, 1)]],
    )
    return export_response(fmt=fmt, filename="key-projects-20260615", table=table)
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zipfile import ZIP_DEFLATED, ZipFile

from django.http import HttpResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.writer.excel import ExcelWriter

from keyprojects.core import clock

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
# The formats a table is exported in, and the content type of each.
TABLE_FORMATS = {"xlsx": XLSX_TYPE, "csv": CSV_TYPE}
EXPORT_FORMATS = ("xlsx", "csv")

# A text starting with one of these is read as a formula by Excel, WPS or LibreOffice (= + - @), or after a
# tab or carriage return that some of them skip (OWASP, "CSV injection"): a project named
# =HYPERLINK("http://…") would run in the reader's spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# The kinds of column: how a value is written (a number, a date), formatted and totalled.
TEXT = "text"
INTEGER = "integer"  # counts, ranks, months
MONEY = "money"  # Decimal amounts in the unit the header names (万元, 亿元), 2 places, totalled
DECIMAL = "decimal"  # other Decimal figures (mu, %), 2 places, not totalled
DATE = "date"
DATETIME = "datetime"  # shown in the county's time zone
KINDS = (TEXT, INTEGER, MONEY, DECIMAL, DATE, DATETIME)

NUMBER_FORMATS = {
    INTEGER: "0",
    MONEY: "#,##0.00",
    DECIMAL: "#,##0.00",
    DATE: "yyyy-mm-dd",
    DATETIME: "yyyy-mm-dd hh:mm",
}
CENT = Decimal("0.01")
MIN_WIDTH, MAX_WIDTH = 8, 50
# Excel refuses a sheet name with any of these, or longer than 31 characters.
SHEET_NAME_FORBIDDEN = re.compile(r"[\\*?:/\[\]]")

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="E7E6E6")
HEADER_BORDER = Border(bottom=Side(style="thin"))
TITLE_FONT = Font(bold=True, size=14)
SUBTITLE_FONT = Font(color="595959")


@dataclass(frozen=True)
class Column:
    """One column: its header (with the unit, e.g. 总投资（万元）), its kind, and whether the totals row sums it
    (by default only MONEY columns are summed)."""

    header: str
    kind: str = TEXT
    total: bool | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Unknown column kind: {self.kind!r}")

    @property
    def totalled(self) -> bool:
        return self.kind == MONEY if self.total is None else self.total


@dataclass
class Table:
    """What an export holds. `rows` may be a generator (read once); each row has one value per column.
    An empty `title` writes the header on the first row (the legacy layout of `table_response`)."""

    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence]
    subtitle: Sequence[str] = field(default_factory=tuple)
    sheet_name: str = ""


def neutralised(value: Any) -> Any:
    """A cell as every export writes it: a text that a spreadsheet would read as a formula gets a leading
    apostrophe, so that it shows as the text it is; numbers, dates and the rest pass as they are (-2 stays a
    number)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


# ---- values ------------------------------------------------------------------------------------------


def _decimal(value: Decimal | int | float) -> Decimal:
    """An amount to 2 places; a float goes through its shortest text (0.1 → 0.10, never 0.1000000000000000055)."""
    amount = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _local(value: datetime) -> datetime:
    """An aware datetime in the county's time zone, without its zone (Excel has none)."""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.replace(tzinfo=None)


def _cell_value(value: Any, kind: str) -> Any:
    """The value as a spreadsheet cell holds it: a number, a date, a text (neutralised) or None."""
    if value is None or (value == "" and kind != TEXT):
        return None
    if isinstance(value, Promise):  # a lazy label (a choice's display name)
        value = str(value)
    if isinstance(value, bool):
        return value
    if kind in (MONEY, DECIMAL) and isinstance(value, int | float | Decimal):
        return _decimal(value)
    if kind == INTEGER and isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    if isinstance(value, datetime):
        return _local(value)
    if isinstance(value, int | float | Decimal | date):
        return value
    return neutralised(str(value))


def _csv_text(value: Any) -> str:
    """A cell of the CSV: decimals as written (51000.00, never 51000.0), dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _display_width(text: str) -> int:
    """Columns a text takes on screen: a Chinese character is about two Latin ones wide."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _shown(value: Any, kind: str) -> str:
    """Roughly the text a spreadsheet shows for a cell, to size its column."""
    if value is None:
        return ""
    if kind in (MONEY, DECIMAL) and isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return _csv_text(value)


# ---- .xlsx -------------------------------------------------------------------------------------------


def _sheet_name(text: str) -> str:
    return SHEET_NAME_FORBIDDEN.sub("-", text).strip()[:31] or "Sheet"


class _Cells:
    """Cells of a write-only sheet: a styled cell only where a style is needed (a number format, a font),
    plain values elsewhere, so that a large export costs a little per cell (openpyxl's normal mode keeps a
    styled object per cell in memory and writes it at the end)."""

    def __init__(self, ws: WriteOnlyWorksheet):
        self.ws = ws

    def styled(self, value: Any, kind: str, **style) -> WriteOnlyCell | None:
        if value is None and not style:
            return None
        cell = WriteOnlyCell(self.ws, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # text, never a formula: openpyxl would make one of any text starting with =
        elif value is not None:
            number_format = NUMBER_FORMATS.get(kind)
            if number_format is None and isinstance(value, datetime):
                number_format = NUMBER_FORMATS[DATETIME]
            elif number_format is None and isinstance(value, date):
                number_format = NUMBER_FORMATS[DATE]
            if number_format is not None:
                cell.number_format = number_format
        for name, style_value in style.items():
            setattr(cell, name, style_value)
        return cell

    def plain(self, value: Any, kind: str) -> Any:
        """A value written as it is when it needs no format; else a styled cell."""
        if value is None:
            return None
        if isinstance(value, str):
            # Every text is neutralised; one that reads as an error code (#N/A) must stay a string too.
            return self.styled(value, kind) if value in ERROR_CODES else value
        if isinstance(value, bool) or (kind not in NUMBER_FORMATS and not isinstance(value, date)):
            return value
        return self.styled(value, kind)


def table_xlsx(table: Table) -> bytes:
    """The table as a workbook: title and subtitle lines, then a bold header with the panes frozen below it
    and an auto-filter over the table, the rows, and a totals row under the columns that are summed."""
    return tables_xlsx([table], title=table.title)


def tables_xlsx(tables: list[Table], *, title: str = "") -> bytes:
    """Several tables as one workbook, a sheet each (as table_xlsx writes one), in the order given; two sheets
    of one name (Excel cuts names at 31 characters) are numbered."""
    # Write-only: rows are streamed to the file as they are written (a 10,000-row export in a second).
    wb = Workbook(write_only=True)
    # Dated by the system's clock, as everything else: openpyxl would stamp the machine's date.
    stamp = clock.now().astimezone(UTC).replace(tzinfo=None)
    wb.properties.created = wb.properties.modified = stamp
    wb.properties.creator = "Keyprojects"
    wb.properties.title = title or None
    for table in tables:
        name = base = _sheet_name(table.sheet_name or table.title)
        for n in range(2, 1000):
            if name not in wb.sheetnames:
                break
            name = f"{base[:27]}-{n}"
        _write_table(wb.create_sheet(name), table)
    if not wb.sheetnames:
        wb.create_sheet("Sheet1")
    buffer = io.BytesIO()
    # openpyxl's save() would stamp the machine's date as the modification date: its writer is called as
    # save() calls it, without that.
    with ZipFile(buffer, "w", ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).save()
    return buffer.getvalue()


def _write_table(ws: WriteOnlyWorksheet, table: Table) -> None:
    columns = list(table.columns)
    kinds = [c.kind for c in columns]
    # A write-only sheet takes its column widths, panes and filter before its first row: the rows are
    # converted (and measured, and totalled) first, as cell values, then written.
    widths = [_display_width(str(c.header)) for c in columns]
    totals = [Decimal(0) if c.totalled else None for c in columns]
    rows = []
    for values in table.rows:
        if len(values) != len(columns):
            raise ValueError(f"A row has {len(values)} values for {len(columns)} columns.")
        row = [_cell_value(raw, kind) for raw, kind in zip(values, kinds, strict=True)]
        for i, value in enumerate(row):
            if value is None:
                continue
            shown = _display_width(_shown(value, kinds[i]))
            if shown > widths[i]:
                widths[i] = shown
            if totals[i] is not None and isinstance(value, int | float | Decimal):
                totals[i] += _decimal(value)
        rows.append(row)

    header_row = (1 + len(table.subtitle)) + 1 if table.title else 1
    last_data_row = header_row + len(rows)
    last_column = get_column_letter(max(len(columns), 1))
    ws.freeze_panes = f"A{header_row + 1}"
    ws.auto_filter.ref = f"A{header_row}:{last_column}{last_data_row}"
    # Printed as handed over: landscape, one page wide, the header on every page.
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True

    cells = _Cells(ws)
    total_line = None
    if any(t is not None for t in totals):
        # Written as values (openpyxl cannot store a formula's result): the sums of the cells above.
        total_line = [None] * len(columns)
        label_at = next((i for i, t in enumerate(totals) if t is None), None)
        if label_at is not None:
            total_line[label_at] = cells.styled(_("Total"), TEXT, font=HEADER_FONT)
        for i, total in enumerate(totals):
            if total is not None:
                total_line[i] = cells.styled(total, kinds[i], font=HEADER_FONT)
                widths[i] = max(widths[i], _display_width(_shown(total, kinds[i])))
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(MAX_WIDTH, max(MIN_WIDTH, width + 2))

    if table.title:
        ws.append([cells.styled(neutralised(table.title), TEXT, font=TITLE_FONT)])
        for text in table.subtitle:
            ws.append([cells.styled(neutralised(text), TEXT, font=SUBTITLE_FONT)])
    ws.append(
        [
            cells.styled(
                neutralised(str(c.header)),
                TEXT,
                font=HEADER_FONT,
                fill=HEADER_FILL,
                border=HEADER_BORDER,
                alignment=Alignment(vertical="center", wrap_text=True),
            )
            for c in columns
        ]
    )
    for row in rows:
        ws.append([cells.plain(value, kind) for value, kind in zip(row, kinds, strict=True)])
    if total_line is not None:
        ws.append(total_line)


# ---- .csv --------------------------------------------------------------------------------------------


def table_csv(table: Table) -> str:
    """The table as CSV data: the header line and the rows, without title or totals (a file to read on).
    Starts with a BOM, so that Excel opens Chinese CSV as UTF-8."""
    columns = list(table.columns)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([neutralised(str(c.header)) for c in columns])
    for values in table.rows:
        if len(values) != len(columns):
            raise ValueError(f"A row has {len(values)} values for {len(columns)} columns.")
        writer.writerow([_csv_text(_cell_value(v, c.kind)) for c, v in zip(columns, values, strict=True)])
    return buffer.getvalue()


# ---- HTTP --------------------------------------------------------------------------------------------


def table_bytes(table: Table, fmt: str) -> bytes:
    """The table as a file in `fmt`, one of TABLE_FORMATS (CSV in UTF-8)."""
    return table_xlsx(table) if fmt == "xlsx" else table_csv(table).encode("utf-8")


def export_response(*, fmt: str, filename: str, table: Table) -> HttpResponse:
    """The table as a download in `fmt` ("xlsx" or "csv"); 404 for another format."""
    if fmt not in TABLE_FORMATS:
        return HttpResponse(
            _("Unknown export format: %(fmt)s.") % {"fmt": fmt}, status=404, content_type="text/plain"
        )
    response = HttpResponse(table_bytes(table, fmt), content_type=TABLE_FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


# ---- the first interface, kept for its callers: a header row and rows, nothing around them -------------


def xlsx_bytes(*, title: str, headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """A sheet named `title` whose first row is the header (no title rows, no totals)."""
    return table_xlsx(Table(title="", sheet_name=title, columns=[Column(h) for h in headers], rows=rows))


def table_response(*, fmt: str, filename: str, title: str, headers: Sequence[str], rows: Iterable[Sequence]):
    """`export_response` for untyped columns, the header on the first row: an export that no office hands
    over (the import's error report). Every export a person forwards builds a titled `Table`."""
    table = Table(title="", sheet_name=title, columns=[Column(h) for h in headers], rows=rows)
    return export_response(fmt=fmt, filename=filename, table=table)
