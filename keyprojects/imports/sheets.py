"""What reading a spreadsheet gives, whatever its format: worksheets of rows of values (`RawSheet`), formula
cells (`Formula`), and the refusal of a file as a whole (`ImportRefused`); with the helpers each format's reader
shares to build its worksheets. Nothing here knows what the rows mean.

Formulas are never executed: a formula cell is read as `Formula`, carrying the value the spreadsheet program
stored when it last calculated (`cached`), or None when it stored none.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, Any

from django.utils.translation import gettext as _

from keyprojects.core.errors import DomainError

MAX_COLUMNS = 100
XLSX, XLS, CSV = "xlsx", "xls", "csv"


@dataclass(frozen=True)
class Formula:
    """A cell that holds a formula, where the import needs a value: never executed."""

    text: str  # as written, e.g. "=SUM(E6:E10)"
    cached: Any = (
        None  # what the spreadsheet program stored when it last calculated; None when it stored none
    )

    def __str__(self) -> str:
        return self.text


@dataclass
class RawSheet:
    """A worksheet's non-empty rows, as (row number as the spreadsheet program shows it, values). Values are
    str, int, float, bool, datetime, date, None or `Formula`; at most MAX_COLUMNS of them, trailing empty cells
    dropped, so rows differ in length."""

    name: str
    rows: list[tuple[int, list[Any]]]


class ImportRefused(DomainError):
    """The file as a whole cannot be imported (not a spreadsheet, too big, unreadable, too many rows…)."""


# A wrong checksum or size, a broken or truncated stream, encryption, an unknown compression method.
UNREADABLE = (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError, NotImplementedError)
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")  # Excel's "Unicode text" is UTF-16 with tabs


def text_or_formula(value: str) -> str | Formula:
    # Spaces, a tab or a line break before the = do not make it a value: some programs drop them on the way
    # (a tab in CSV), and the check must not be stepped around by them.
    return Formula(value) if value.lstrip().startswith("=") else value


def filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def sheet_of(name: str, rows: Iterable[tuple[int, Sequence[Any]]], max_rows: int) -> RawSheet:
    """The non-empty rows among `rows`, cut to MAX_COLUMNS and without trailing empty cells."""
    kept: list[tuple[int, list[Any]]] = []
    for number, cells in rows:
        values = list(cells[:MAX_COLUMNS])
        while values and values[-1] is None:
            values.pop()
        if any(filled(v) for v in values):
            if len(kept) == max_rows:
                raise too_many_rows(name, max_rows)
            kept.append((number, values))
    return RawSheet(name, kept)


def too_many_rows(sheet: str, limit: int) -> ImportRefused:
    return ImportRefused(
        _("Worksheet %(sheet)s has more than %(limit)s rows; split it into several files.")
        % {"sheet": sheet, "limit": limit},
        field="file",
    )


def name_of(fileobj: IO[bytes]) -> str:
    return PurePath(getattr(fileobj, "name", None) or "").name[:80]
