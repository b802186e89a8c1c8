"""Checking an .xlsx archive before openpyxl opens it.

openpyxl reads the styles and the shared strings whole even in read-only mode, and builds each worksheet row whole:
a 300 KB file whose styles.xml unpacks to 95 MB took 2.7 GB and a minute. So every part is checked first, by what
its header declares and then by what it really unpacks to (streamed, stopping at the limit, never trusting the
header), with the limit of its kind; the worksheets' rows and cells are counted as they stream.
"""

from __future__ import annotations

import zipfile
from typing import IO, Any
from xml.parsers import expat

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from keyprojects.imports.sheets import UNREADABLE, ImportRefused

UNPACK_CHUNK = 64 * 1024
RATIO_FROM_BYTES = 1024 * 1024  # smaller parts are not judged by their packing ratio
MAX_PARTS = 2000  # Excel writes a few dozen; each costs a little to check
MAX_CELLS_IN_ROW = 16_384  # Excel's own limit (column XFD): a longer row is not from a spreadsheet program
XML_PARTS = (".xml", ".rels")  # parts a reader parses; others (images, printer settings, .vml) are not read
# Copies of other data that can be as large as a worksheet (a pivot table's source, a linked workbook's
# cells); openpyxl does not read them here, but they are unpacked and counted like a worksheet.
CACHE_FOLDERS = ("xl/pivotcache/", "xl/externallinks/")
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
