"""Reading an uploaded spreadsheet into its worksheets' rows of values: .xlsx/.xlsm (`xlsx`, the archive checked
part by part before opening so that a bomb is refused in milliseconds), .xls (`xls`), and .csv in UTF-8 or GBK
(`delimited`). What the file is, is decided first (`upload.check_upload`). Nothing here knows what the rows mean.
"""

from __future__ import annotations

from typing import IO

from keyprojects.imports.delimited import read_csv
from keyprojects.imports.sheets import CSV, XLS, XLSX, RawSheet
from keyprojects.imports.xls import read_xls
from keyprojects.imports.xlsx import read_xlsx


def read_workbook(fileobj: IO[bytes], *, file_format: str, max_rows: int) -> list[RawSheet]:
    """Every worksheet of the file (chart sheets skipped), in the workbook's order, with its non-empty rows;
    a worksheet with more than `max_rows` of them is refused. `file_format` is what `check_upload` answered."""
    readers = {XLSX: read_xlsx, XLS: read_xls, CSV: read_csv}
    fileobj.seek(0)
    try:
        return readers[file_format](fileobj, max_rows)
    finally:
        fileobj.seek(0)
