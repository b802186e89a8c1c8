"""Reading an .xlsx/.xlsm workbook (checked by `archive.check_archive` first) into its worksheets' rows.

openpyxl gives a formula cell either its formula (data_only=False) or the value stored with it (data_only=True),
never both: a workbook with formulas is read twice, one without (check_archive knows) once. A number shown as a
percentage is read as the percentage it shows.
"""

from __future__ import annotations

import re
import warnings
import zipfile
from collections.abc import Iterable
from decimal import Decimal
from typing import IO, Any
from xml.etree import ElementTree

from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.cell import coordinate_from_string
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from keyprojects.imports.archive import check_archive
from keyprojects.imports.sheets import (
    MAX_COLUMNS,
    UNREADABLE,
    Formula,
    ImportRefused,
    RawSheet,
    sheet_of,
    text_or_formula,
    too_many_rows,
)


def read_xlsx(fileobj: IO[bytes], max_rows: int) -> list[RawSheet]:
    has_formula = check_archive(fileobj)
    try:
        sheets = _read_xlsx_values(fileobj, max_rows)
        if has_formula:
            fileobj.seek(0)
            _add_formulas(fileobj, sheets, max_rows)
    except ImportRefused:
        raise
    except Exception as exc:  # openpyxl raises many kinds of error for a damaged or foreign file
        fileobj.seek(0)
        bad = _unreadable_cell(fileobj)
        if bad is not None:  # one cell openpyxl cannot read (NaN, INF as a number) fails the whole workbook
            raise ImportRefused(
                _(
                    "Worksheet “%(sheet)s”, row %(row)s, column %(column)s: the cell holds “%(value)s”, which is "
                    "not a number. Type a number in it or empty it, save the file and upload it again."
                )
                % bad,
                field="file",
            ) from exc
        raise ImportRefused(
            _("The file could not be read as an Excel workbook. Open it in Excel or WPS and save it again."),
            field="file",
        ) from exc
    return sheets


def _local(tag: str) -> str:
    """An XML tag without its namespace: transitional and strict Open XML name the same parts differently."""
    return tag.rsplit("}", 1)[-1]


def _cell_readable(kind: str, text: str) -> bool:
    """Whether openpyxl can read a stored value: numbers as it casts them, true/false as 0/1."""
    try:
        if kind == "n":
            float(text) if any(c in text for c in ".eE") else int(text)
        elif kind in ("b", "s"):
            int(text)
    except ValueError:
        return False
    return True


def _unreadable_cell(fileobj: IO[bytes]) -> dict[str, Any] | None:
    """The first cell whose stored value is not of its type (a number cell holding NaN or INF, as some
    programs write it), by worksheet, row and column, for the refusal to name; None if there is none.
    check_archive has checked every XML part first (sizes, and no document type declaration, which entity
    bombs need), so the standard parser is safe on them here."""
    try:
        with zipfile.ZipFile(fileobj) as archive:
            names = set(archive.namelist())
            targets = {
                rel.get("Id"): rel.get("Target", "")
                for rel in ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))  # noqa: S314
            }
            for sheet in ElementTree.fromstring(archive.read("xl/workbook.xml")).iter():  # noqa: S314
                if _local(sheet.tag) != "sheet":
                    continue
                rel = next((v for k, v in sheet.attrib.items() if _local(k) == "id"), None)
                target = targets.get(rel, "")
                part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                if part not in names:
                    continue
                with archive.open(part) as stream:
                    for _event, cell in ElementTree.iterparse(stream):  # noqa: S314
                        if _local(cell.tag) != "c":
                            continue
                        text = next((v.text for v in cell if _local(v.tag) == "v"), None)
                        if text and not _cell_readable(cell.get("t", "n"), text):
                            column, row = coordinate_from_string(cell.get("r", ""))
                            return {
                                "sheet": sheet.get("name", ""),
                                "row": row,
                                "column": column,
                                "value": text[:50],
                            }
                        cell.clear()
    except (KeyError, ValueError, ElementTree.ParseError, *UNREADABLE):
        return None
    return None


def _worksheets(fileobj: IO[bytes], *, data_only: bool) -> Iterable[Any]:
    """The workbook's worksheets, streamed row by row (read-only), chart sheets left out."""
    with warnings.catch_warnings():
        # openpyxl warns about extensions it does not read (slicers, conditional formats): harmless here.
        warnings.simplefilter("ignore")
        # Links to other workbooks carry whole cached copies of them, and the import does not need them.
        workbook = load_workbook(fileobj, read_only=True, data_only=data_only, keep_links=False)
        try:
            if not workbook.worksheets:
                raise ImportRefused(_("The workbook has no worksheet."), field="file")
            for worksheet in workbook.worksheets:
                # Do not trust the stored dimensions: some programs write them wrong, and cells beyond them
                # would be silently lost.
                worksheet.reset_dimensions()
                yield worksheet
        finally:
            workbook.close()


def _xlsx_value(value: Any) -> Any:
    return text_or_formula(value) if isinstance(value, str) else value


def _read_xlsx_values(fileobj: IO[bytes], max_rows: int) -> list[RawSheet]:
    """Values, and for formulas the values stored with them."""
    return [
        sheet_of(
            worksheet.title,
            (
                (number, values)
                # Gaps between rows come as empty rows, so that the count is the row's number.
                for number, values in enumerate(_row_values(worksheet), 1)
            ),
            max_rows,
        )
        for worksheet in _worksheets(fileobj, data_only=True)
    ]


PERCENT_BUILTIN_FORMATS = {9, 10}  # 0% and 0.00%


def _percent_styles(workbook: Any) -> set[int]:
    """The cell styles that show a number as a percentage: 85% is stored as 0.85, and read as the number alone it
    would be 0.85%."""
    custom = {164 + i: f for i, f in enumerate(getattr(workbook, "_number_formats", []))}
    found = set()
    for index, style in enumerate(getattr(workbook, "_cell_styles", [])):
        code = custom.get(style.numFmtId, "")
        if style.numFmtId in PERCENT_BUILTIN_FORMATS or "%" in re.sub(r'"[^"]*"|\\.', "", code):
            found.add(index)
    return found


def _row_values(worksheet: Any) -> Iterable[list[Any]]:
    percent = _percent_styles(worksheet.parent)
    if not percent:  # the fast path: values only
        for values in worksheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
            yield [_xlsx_value(v) for v in values]
        return
    for cells in worksheet.iter_rows(max_col=MAX_COLUMNS):
        yield [
            f"{Decimal(str(c.value)) * 100}%"
            if getattr(c, "_style_id", None) in percent
            and isinstance(c.value, (int, float))
            and not isinstance(c.value, bool)
            else _xlsx_value(c.value)
            for c in cells
        ]


def _add_formulas(fileobj: IO[bytes], sheets: list[RawSheet], max_rows: int) -> None:
    """Turn the formula cells of `sheets` into `Formula`s, keeping their stored values as `cached`; a row
    holding only formulas that stored nothing was left out as empty and comes back."""
    for sheet, worksheet in zip(sheets, _worksheets(fileobj, data_only=False), strict=True):
        rows = dict(sheet.rows)
        added = False
        for number, cells in enumerate(worksheet.iter_rows(max_col=MAX_COLUMNS), 1):
            for column, cell in enumerate(cells):
                if cell.data_type != "f":
                    continue
                values = rows.get(number)
                if values is None:
                    values = rows[number] = []
                    added = True
                values.extend([None] * (column + 1 - len(values)))
                stored = values[column]
                values[column] = Formula(
                    _formula_text(cell.value), stored.text if isinstance(stored, Formula) else stored
                )
        if added:
            sheet.rows = sorted(rows.items())
            if len(sheet.rows) > max_rows:
                raise too_many_rows(sheet.name, max_rows)


def _formula_text(value: Any) -> str:
    if isinstance(value, ArrayFormula):
        return value.text or "="
    if isinstance(value, DataTableFormula):  # a what-if table: Excel shows it as {=TABLE(row, column)}
        return f"=TABLE({value.r1 or ''},{value.r2 or ''})"
    return str(value)
