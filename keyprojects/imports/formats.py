"""What an uploaded file is, by its first bytes and then its name: an Excel workbook (.xlsx/.xlsm), an old-format
one (.xls, WPS .et), a CSV file, or something else. Offices upload what their systems export, and each wrong kind
is refused with a message saying how to turn it into one we read.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from pathlib import PurePath

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from xlrd.compdoc import CompDoc, CompDocError

from keyprojects.imports.sheets import CSV, UNREADABLE, UTF16_BOMS, XLS, XLSX, ImportRefused

ZIP_SIGNATURE = b"PK\x03\x04"
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0"  # .xls of Excel 97-2003, WPS .et, and every password-protected workbook
SNIFF_BYTES = 8192

TEXT_SUFFIXES = (".csv", ".txt", ".tsv", ".xls")  # some systems export tab-separated text named .xls

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
    raise ImportRefused(refusal(kind) % {"name": name}, field="file")


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


def refusal(kind: str) -> str:
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
