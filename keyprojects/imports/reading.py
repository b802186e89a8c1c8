"""Reading an uploaded spreadsheet into its worksheets' rows of values: .xlsx/.xlsm (checked part by part before
opening, so that a bomb is refused in milliseconds), .xls, and .csv in UTF-8 or GBK. Nothing here knows what the
rows mean.

Formulas are never executed: a formula cell is read as `Formula`, carrying the value the spreadsheet program
stored when it last calculated (`cached`), or None when it stored none.
"""

from __future__ import annotations

import csv
import io
import re
import struct
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePath
from typing import IO, Any
from xml.parsers import expat

import xlrd
from charset_normalizer import from_bytes
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
from xlrd.compdoc import CompDoc, CompDocError

from keyprojects.core.errors import DomainError

MAX_COLUMNS = 100
XLSX, XLS, CSV = "xlsx", "xls", "csv"
ZIP_SIGNATURE = b"PK\x03\x04"
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0"  # .xls of Excel 97-2003, WPS .et, and every password-protected workbook
SNIFF_BYTES = 8192


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


# ---- the file ---------------------------------------------------------------------------------------
# What a file is, by its first bytes and then its name: offices upload what their systems export, and each
# wrong kind gets a message saying how to turn it into one we read.

TEXT_SUFFIXES = (".csv", ".txt", ".tsv", ".xls")  # some systems export tab-separated text named .xls
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")  # Excel's "Unicode text" is UTF-16 with tabs
MARKUP = re.compile(rb"\s*<(!doctype|html|head|body|meta|table|\?xml)", re.IGNORECASE)
BIFF_FILEPASS = 0x002F  # the record that follows the first BOF of an encrypted .xls


def check_upload(upload: UploadedFile) -> str:
    """Refuse what is not a spreadsheet we can read within the size limit, saying what to do instead; answer
    its format: XLSX (.xlsx and .xlsm, macros ignored), XLS (.xls, and WPS .et), or CSV (.csv/.txt)."""
    limit = settings.KEYPROJECTS_IMPORT_MAX_BYTES
    if upload.size > limit:
        raise ImportRefused(
            _("The file is %(size)s; at most %(limit)s can be imported. Split it into several files.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            field="file",
        )
    if not upload.size:
        raise ImportRefused(_("The file is empty."), field="file")
    name = (upload.name or "")[:80]
    kind = _kind_of(upload, PurePath(name.lower()).suffix)
    if kind in (XLSX, XLS, CSV):
        return kind
    raise ImportRefused(_refusal(kind) % {"name": name}, field="file")


def _kind_of(upload: UploadedFile, suffix: str) -> str:
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    try:
        if head.startswith(ZIP_SIGNATURE):
            return _kind_of_zip(upload, suffix)
        if head.startswith(OLE_SIGNATURE):
            upload.seek(0)
            return _kind_of_ole(upload.read())
    finally:
        upload.seek(0)
    if head.startswith(b"%PDF"):
        return "pdf"
    if suffix == ".numbers":
        return "numbers"
    if suffix == ".ods":
        return "ods"
    if MARKUP.match(head.removeprefix(b"\xef\xbb\xbf")):
        return "markup"
    is_text = head.startswith(UTF16_BOMS) or b"\x00" not in head
    return CSV if is_text and suffix in TEXT_SUFFIXES else "unknown"


def _kind_of_zip(upload: UploadedFile, suffix: str) -> str:
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            mimetype = b""
            if "mimetype" in names:
                with archive.open("mimetype") as part:  # what it declares is not trusted: read a little
                    mimetype = part.read(100)
    except UNREADABLE:
        return "damaged"
    if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
        return XLSX  # .xlsm and templates alike: openpyxl reads their sheets and ignores the macros
    if "xl/workbook.bin" in names:
        return "xlsb"
    if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet") or suffix == ".ods":
        return "ods"
    if suffix == ".numbers" or any(n.startswith("Index/") and n.endswith(".iwa") for n in names):
        return "numbers"
    return "not xlsx"


def _kind_of_ole(data: bytes) -> str:
    """A compound document holds an .xls (or .et) workbook, or (Excel's and WPS's encryption) a password-
    protected one of any format, or something else (Word, Outlook)."""
    try:
        document = CompDoc(data, logfile=io.StringIO())
        names = {entry.name.lower() for entry in document.dirlist}
        if "encryptedpackage" in names:
            return "encrypted"
        for stream in ("Workbook", "Book"):  # BIFF8 (Excel 97 and later, WPS) and BIFF5 (Excel 95)
            biff, start, _length = document.locate_named_stream(stream)
            if biff:
                # The first record is BOF; an encrypted workbook follows it with FILEPASS.
                (bof_length,) = struct.unpack_from("<H", biff, start + 2)
                (second,) = struct.unpack_from("<H", biff, start + 4 + bof_length)
                return "encrypted" if second == BIFF_FILEPASS else XLS
    except (CompDocError, struct.error, IndexError, ValueError):
        return "damaged"
    return "unknown"


def _refusal(kind: str) -> str:
    """The message for a file that is not what we read, with %(name)s for its name."""
    if kind == "encrypted":
        return _(
            "%(name)s is protected by a password. Open it in Excel or WPS, remove the password and save it "
            "as an Excel workbook (.xlsx)."
        )
    if kind == "xlsb":
        return _(
            "%(name)s is an Excel binary workbook (.xlsb), which cannot be imported. Open it in Excel or WPS "
            "and save it as an Excel workbook (.xlsx)."
        )
    if kind == "ods":
        return _(
            "%(name)s is an OpenDocument spreadsheet (.ods). Open it in WPS, LibreOffice or Excel and save "
            "it as an Excel workbook (.xlsx)."
        )
    if kind == "numbers":
        return _(
            "%(name)s is an Apple Numbers spreadsheet. In Numbers, choose File › Export To › Excel, and "
            "upload the .xlsx file."
        )
    if kind == "pdf":
        return _(
            "%(name)s is a PDF document, whose tables cannot be read as data. Upload the spreadsheet it was "
            "made from, saved as an Excel workbook (.xlsx)."
        )
    if kind == "markup":
        return _(
            "%(name)s is a web page or an XML file, as some systems export tables under an Excel name. Open "
            "it in Excel or WPS and save it as an Excel workbook (.xlsx)."
        )
    if kind == "damaged":
        return _("The file is damaged: it could not be opened.")
    if kind == "not xlsx":
        return _("%(name)s is not an Excel workbook (.xlsx). Save it as an Excel workbook (.xlsx) first.")
    return _(
        "%(name)s is not a spreadsheet that can be imported: an Excel workbook (.xlsx or .xls) or a CSV "
        "file. Open it in Excel or WPS and save it as an Excel workbook (.xlsx), or download our template."
    )


# ---- the archive, before openpyxl opens it ------------------------------------------------------------
# openpyxl reads the styles and the shared strings whole even in read-only mode, and builds each worksheet
# row whole: a 300 KB file whose styles.xml unpacks to 95 MB took 2.7 GB and a minute. So every part is
# checked first, by what its header declares and then by what it really unpacks to (streamed, stopping at
# the limit, never trusting the header), with the limit of its kind; the worksheets' rows and cells are
# counted as they stream.

UNPACK_CHUNK = 64 * 1024
RATIO_FROM_BYTES = 1024 * 1024  # smaller parts are not judged by their packing ratio
MAX_PARTS = 2000  # Excel writes a few dozen; each costs a little to check
MAX_CELLS_IN_ROW = 16_384  # Excel's own limit (column XFD): a longer row is not from a spreadsheet program
XML_PARTS = (".xml", ".rels")  # parts a reader parses; others (images, printer settings, .vml) are not read
# Copies of other data that can be as large as a worksheet (a pivot table's source, a linked workbook's
# cells); openpyxl does not read them here, but they are unpacked and counted like a worksheet.
CACHE_FOLDERS = ("xl/pivotcache/", "xl/externallinks/")
# A wrong checksum or size, a broken or truncated stream, encryption, an unknown compression method.
UNREADABLE = (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError, NotImplementedError)
SPREADSHEET_NAMESPACES = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",  # strict Open XML
)


def _part_limit(name: str) -> tuple[str, int]:
    """What the part is, for the message, and the most it may unpack to."""
    base = name.rsplit("/", 1)[-1].lower()
    if base == "styles.xml":
        return _("styles"), settings.KEYPROJECTS_IMPORT_MAX_STYLES_BYTES
    if base == "sharedstrings.xml":
        return _("shared strings"), settings.KEYPROJECTS_IMPORT_MAX_SHARED_STRINGS_BYTES
    if name.lower().startswith("xl/worksheets/") and base.endswith(".xml"):
        return _("worksheet"), settings.KEYPROJECTS_IMPORT_MAX_SHEET_BYTES
    if name.lower().startswith(CACHE_FOLDERS):
        return _("cached data"), settings.KEYPROJECTS_IMPORT_MAX_SHEET_BYTES
    if base.endswith(XML_PARTS):
        return _("other part"), settings.KEYPROJECTS_IMPORT_MAX_PART_BYTES
    return _("embedded file"), settings.KEYPROJECTS_IMPORT_MAX_UNPACKED_BYTES  # bounded by the total


def _too_big(name: str, kind: str, limit: int) -> ImportRefused:
    return ImportRefused(
        _(
            "Part %(part)s of the workbook (%(kind)s) unpacks to more than %(limit)s, the most accepted; "
            "nothing was imported. Copy the data as values into our template and upload that."
        )
        % {"part": name[:80], "kind": kind, "limit": filesizeformat(limit)},
        field="file",
    )


def _too_big_in_all() -> ImportRefused:
    return ImportRefused(
        _("The workbook unpacks to more than %(limit)s in all, the most accepted; nothing was imported.")
        % {"limit": filesizeformat(settings.KEYPROJECTS_IMPORT_MAX_UNPACKED_BYTES)},
        field="file",
    )


def _too_packed(name: str, kind: str) -> ImportRefused:
    return ImportRefused(
        _(
            "Part %(part)s of the workbook (%(kind)s) unpacks to more than %(limit)s times its packed size, "
            "as only a compression bomb does; nothing was imported."
        )
        % {"part": name[:80], "kind": kind, "limit": settings.KEYPROJECTS_IMPORT_MAX_RATIO},
        field="file",
    )


def _damaged(name: str) -> ImportRefused:
    return ImportRefused(
        _(
            "The file is damaged: part %(part)s of the workbook could not be unpacked or read. Open it in "
            "Excel or WPS and save it again."
        )
        % {"part": name[:80]},
        field="file",
    )


class _CellCounter:
    """Counts the rows and cells of an XML part (a worksheet's) or its texts (the shared strings') as it
    streams through expat, refusing past the limits; also refuses a document type declaration, which no
    workbook has and entity bombs need."""

    def __init__(self, name: str, kind: str) -> None:
        self.name, self.kind = name, kind
        self.count = self.in_row = 0
        self.has_formula = False
        self.parser = expat.ParserCreate(namespace_separator=" ")
        self.parser.StartElementHandler = self._start
        self.parser.StartDoctypeDeclHandler = self._doctype

    def _start(self, tag: str, _attributes: Any) -> None:
        namespace, _space, local = tag.rpartition(" ")
        if local == "f":
            # A chart's <c:f> names the cells it draws: only a cell's <f> is a formula.
            self.has_formula = self.has_formula or namespace in SPREADSHEET_NAMESPACES
            return
        if local == "row":
            self.in_row = 0
        elif local == "c":
            self.in_row += 1
            if self.in_row > MAX_CELLS_IN_ROW:
                raise _damaged(self.name)
        elif local != "si":  # a text of the shared strings
            return
        # A row or a shared text costs openpyxl about what a cell does (a text, more): all count.
        self.count += 1
        if self.count > settings.KEYPROJECTS_IMPORT_MAX_CELLS:
            raise ImportRefused(
                _(
                    "Part %(part)s of the workbook (%(kind)s) holds more than %(limit)s cells, rows or "
                    "texts, formatted empty cells included; nothing was imported. Copy the data as values "
                    "into our template and upload that."
                )
                % {"part": self.name[:80], "kind": self.kind, "limit": settings.KEYPROJECTS_IMPORT_MAX_CELLS},
                field="file",
            )

    def _doctype(self, *_args: Any) -> None:
        raise _damaged(self.name)

    def feed(self, data: bytes, final: bool = False) -> None:
        try:
            self.parser.Parse(data, final)
        except expat.ExpatError as exc:
            raise _damaged(self.name) from exc


def check_archive(fileobj: IO[bytes]) -> bool:
    """Refuse a workbook any part of which unpacks beyond its limit, is packed like a bomb, or (a worksheet)
    holds too many cells; first by the sizes the archive declares, then by unpacking every part. Answer
    whether any part holds a formula (a workbook without one is read once, not twice)."""
    has_formula = False
    total_limit = settings.KEYPROJECTS_IMPORT_MAX_UNPACKED_BYTES
    max_ratio = settings.KEYPROJECTS_IMPORT_MAX_RATIO
    fileobj.seek(0)
    try:
        with zipfile.ZipFile(fileobj) as archive:
            entries = [e for e in archive.infolist() if not e.is_dir()]
            if len(entries) > MAX_PARTS:
                raise _damaged(entries[MAX_PARTS].filename)
            # What the headers declare: refused at once, nothing unpacked.
            if sum(e.file_size for e in entries) > total_limit:
                raise _too_big_in_all()
            for entry in entries:
                kind, limit = _part_limit(entry.filename)
                if entry.file_size > limit:
                    raise _too_big(entry.filename, kind, limit)
                if entry.file_size > RATIO_FROM_BYTES and entry.file_size > max_ratio * entry.compress_size:
                    raise _too_packed(entry.filename, kind)
            # What the parts really unpack to: headers can lie, so count while unpacking and stop at the limit.
            total = 0
            for entry in entries:
                kind, limit = _part_limit(entry.filename)
                counter = (
                    _CellCounter(entry.filename, kind) if entry.filename.lower().endswith(XML_PARTS) else None
                )
                size = 0
                try:
                    with archive.open(entry) as part:
                        while chunk := part.read(UNPACK_CHUNK):
                            size += len(chunk)
                            total += len(chunk)
                            if size > limit:
                                raise _too_big(entry.filename, kind, limit)
                            if total > total_limit:
                                raise _too_big_in_all()
                            if size > RATIO_FROM_BYTES and size > max_ratio * max(entry.compress_size, 1):
                                raise _too_packed(entry.filename, kind)
                            if counter:
                                counter.feed(chunk)
                except UNREADABLE as exc:
                    # Python's zipfile unpacks no more than the header declares, then checks the checksum:
                    # a part that unpacks to more (or other) than its header says ends here.
                    raise _damaged(entry.filename) from exc
                if counter:
                    counter.feed(b"", final=True)
                    has_formula = has_formula or counter.has_formula
    except UNREADABLE as exc:
        raise ImportRefused(_("The file is damaged: it could not be opened."), field="file") from exc
    finally:
        fileobj.seek(0)
    return has_formula


# ---- the rows ---------------------------------------------------------------------------------------


def read_workbook(fileobj: IO[bytes], *, file_format: str, max_rows: int) -> list[RawSheet]:
    """Every worksheet of the file (chart sheets skipped), in the workbook's order, with its non-empty rows;
    a worksheet with more than `max_rows` of them is refused. `file_format` is what `check_upload` answered."""
    readers = {XLSX: _read_xlsx, XLS: _read_xls, CSV: _read_csv}
    fileobj.seek(0)
    try:
        return readers[file_format](fileobj, max_rows)
    finally:
        fileobj.seek(0)


def _text(value: str) -> str | Formula:
    # Spaces, a tab or a line break before the = do not make it a value: some programs drop them on the way
    # (a tab in CSV), and the check must not be stepped around by them.
    return Formula(value) if value.lstrip().startswith("=") else value


def _filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _sheet(name: str, rows: Iterable[tuple[int, Sequence[Any]]], max_rows: int) -> RawSheet:
    """The non-empty rows among `rows`, cut to MAX_COLUMNS and without trailing empty cells."""
    kept: list[tuple[int, list[Any]]] = []
    for number, cells in rows:
        values = list(cells[:MAX_COLUMNS])
        while values and values[-1] is None:
            values.pop()
        if any(_filled(v) for v in values):
            if len(kept) == max_rows:
                raise _too_many_rows(name, max_rows)
            kept.append((number, values))
    return RawSheet(name, kept)


def _too_many_rows(sheet: str, limit: int) -> ImportRefused:
    return ImportRefused(
        _("Worksheet %(sheet)s has more than %(limit)s rows; split it into several files.")
        % {"sheet": sheet, "limit": limit},
        field="file",
    )


# ---- .xlsx --------------------------------------------------------------------------------------------
# openpyxl gives a formula cell either its formula (data_only=False) or the value stored with it
# (data_only=True), never both: a workbook with formulas is read twice, one without (check_archive knows) once.


def _read_xlsx(fileobj: IO[bytes], max_rows: int) -> list[RawSheet]:
    has_formula = check_archive(fileobj)
    try:
        sheets = _read_xlsx_values(fileobj, max_rows)
        if has_formula:
            fileobj.seek(0)
            _add_formulas(fileobj, sheets, max_rows)
    except ImportRefused:
        raise
    except Exception as exc:  # openpyxl raises many kinds of error for a damaged or foreign file
        raise ImportRefused(
            _("The file could not be read as an Excel workbook. Open it in Excel or WPS and save it again."),
            field="file",
        ) from exc
    return sheets


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
    return _text(value) if isinstance(value, str) else value


def _read_xlsx_values(fileobj: IO[bytes], max_rows: int) -> list[RawSheet]:
    """Values, and for formulas the values stored with them."""
    return [
        _sheet(
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
                raise _too_many_rows(sheet.name, max_rows)


def _formula_text(value: Any) -> str:
    if isinstance(value, ArrayFormula):
        return value.text or "="
    if isinstance(value, DataTableFormula):  # a what-if table: Excel shows it as {=TABLE(row, column)}
        return f"=TABLE({value.r1 or ''},{value.r2 or ''})"
    return str(value)


# ---- .xls ---------------------------------------------------------------------------------------------
# xlrd keeps formulas' stored values only, which is what the import uses. The file is within the upload limit
# and not packed, so it is read whole.


def _read_xls(fileobj: IO[bytes], max_rows: int) -> list[RawSheet]:
    try:
        # ragged_rows: a single cell far to the right must not widen every row of the sheet.
        book = xlrd.open_workbook(
            file_contents=fileobj.read(), on_demand=True, ragged_rows=True, logfile=io.StringIO()
        )
    except xlrd.XLRDError as exc:
        if "encrypted" in str(exc):
            raise ImportRefused(_refusal("encrypted") % {"name": _name_of(fileobj)}, field="file") from exc
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
            sheets.append(_sheet(worksheet.name, rows, max_rows))
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
        return _text(value)
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


def _name_of(fileobj: IO[bytes]) -> str:
    return PurePath(getattr(fileobj, "name", None) or "").name[:80]


# ---- .csv ---------------------------------------------------------------------------------------------

DELIMITERS = (",", ";", "\t")
SNIFF_LINES = 50
# Chinese Excel and WPS save CSV in GBK; gb18030 decodes all of GBK and GB2312 and more.
GB_ENCODINGS = ("gb18030", "gbk", "gb2312", "hz")


def _read_csv(fileobj: IO[bytes], max_rows: int) -> list[RawSheet]:
    text = _decoded(fileobj.read())
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    rows = (
        (number, [_text(value) if value else None for value in values])
        for number, values in enumerate(reader, 1)  # a line break inside quotes does not start a row
    )
    try:
        return [_sheet(PurePath(_name_of(fileobj)).stem or "CSV", rows, max_rows)]
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
