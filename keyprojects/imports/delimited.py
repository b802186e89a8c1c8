"""Reading a CSV file (or tab-separated text) into one worksheet's rows: its encoding (UTF-8, UTF-16 or GBK, as
Chinese Excel and WPS save it) and its delimiter (comma, semicolon or tab) found from the text itself.
"""

from __future__ import annotations

import csv
import io
from pathlib import PurePath
from typing import IO

from charset_normalizer import from_bytes
from django.utils.translation import gettext as _

from keyprojects.imports.sheets import UTF16_BOMS, ImportRefused, RawSheet, name_of, sheet_of, text_or_formula

DELIMITERS = (",", ";", "\t")
SNIFF_LINES = 50
# Chinese Excel and WPS save CSV in GBK; gb18030 decodes all of GBK and GB2312 and more.
GB_ENCODINGS = ("gb18030", "gbk", "gb2312", "hz")


def read_csv(fileobj: IO[bytes], max_rows: int) -> list[RawSheet]:
    text = _decoded(fileobj.read())
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    rows = (
        (number, [text_or_formula(value) if value else None for value in values])
        for number, values in enumerate(reader, 1)  # a line break inside quotes does not start a row
    )
    try:
        return [sheet_of(PurePath(name_of(fileobj)).stem or "CSV", rows, max_rows)]
    except csv.Error as exc:  # a field longer than the csv module allows, an unclosed quote at the end
        raise ImportRefused(
            _("The CSV file could not be read at line %(line)s. Save it as an Excel workbook (.xlsx).")
            % {"line": reader.line_num},
            field="file",
        ) from exc


def _decoded(data: bytes) -> str:
    """The text in its encoding: the one a byte order mark names; else UTF-8 when it decodes; else GB18030
    when charset_normalizer finds GBK's family plausible (for short Chinese texts it often ranks Korean
    first); else charset_normalizer's best guess; else GB18030 all the same."""
    if data.startswith(b"\xef\xbb\xbf"):
        encodings = ["utf-8-sig"]
    elif data.startswith(UTF16_BOMS):
        encodings = ["utf-16"]
    else:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            guesses = [match.encoding for match in from_bytes(data)]
        plausible_gb = any(guess in GB_ENCODINGS for guess in guesses)
        encodings = [*(["gb18030"] if plausible_gb else []), *guesses[:1], "gb18030"]
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    raise ImportRefused(
        _(
            "The characters of the CSV file could not be recognised. Save it from Excel or WPS as "
            "“CSV UTF-8” or as an Excel workbook (.xlsx)."
        ),
        field="file",
    )


def _delimiter(text: str) -> str:
    """Comma, semicolon or tab: the one that splits the first lines into the same number of fields most
    often (a title line has one field whatever the delimiter; decimal commas vary from line to line)."""
    lines = [line for line in text[: 64 * 1024].splitlines() if line.strip()][:SNIFF_LINES]
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        try:
            counts = [len(fields) for fields in csv.reader(lines, delimiter=delimiter)]
        except csv.Error:
            continue
        usual = max(set(counts), key=counts.count, default=1)
        score = (counts.count(usual), usual) if usual > 1 else (0, 0)
        if score > best_score:
            best, best_score = delimiter, score
    return best
