"""Checks on an uploaded file before it is kept: its name, its size, and what its bytes really are.

Shared by every kind of attachment (a problem's, a monthly report's): each app keeps its own model, stores
the file under a name of its own (`stored_name`) and serves it only through a view that checks permission.
"""

from __future__ import annotations

import re
import secrets
import zipfile

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse
from django.utils.translation import gettext as _

from keyprojects.core.errors import DomainError

# Extension → (content type, check of the first bytes). Office files are zip archives with a marker inside.
ALLOWED = {
    ".pdf": ("application/pdf", lambda head: head.startswith(b"%PDF-")),
    ".png": ("image/png", lambda head: head.startswith(b"\x89PNG\r\n\x1a\n")),
    ".jpg": ("image/jpeg", lambda head: head.startswith(b"\xff\xd8\xff")),
    ".jpeg": ("image/jpeg", lambda head: head.startswith(b"\xff\xd8\xff")),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", None),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", None),
}
OFFICE_MARKERS = {".docx": "word/", ".xlsx": "xl/"}
# No folders, control characters or characters Windows refuses; nor the marks that reverse the text's direction
# (U+202E shows "invoice\u202egpj.pdf" as "invoicefdp.jpg": a name that lies about its type).
SAFE_NAME = re.compile(r"^[^/\\\x00-\x1f\x7f<>:\"|?*\u200e\u200f\u202a-\u202e\u2066-\u2069]{1,120}$")


def check(upload: UploadedFile) -> tuple[str, str]:
    """The cleaned file name and its content type, or a DomainError saying what is wrong."""
    name = upload.name or ""
    if not SAFE_NAME.match(name) or name in {".", ".."} or ".." in name.replace("\\", "/").split("/"):
        raise DomainError(_("The file name %(name)s is not allowed.") % {"name": name[:60]}, field="file")
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED:
        raise DomainError(
            _("Files of this type cannot be attached; use PDF, PNG, JPEG, Word (.docx) or Excel (.xlsx)."),
            field="file",
        )
    limit = settings.KEYPROJECTS_ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise DomainError(
            _("The file is %(size)s MB; at most %(limit)s MB may be attached.")
            % {"size": round(upload.size / 1_048_576, 1), "limit": round(limit / 1_048_576, 1)},
            field="file",
        )
    content_type, sniff = ALLOWED[extension]
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    ok = sniff(head) if sniff else _is_office_file(upload, OFFICE_MARKERS[extension])
    upload.seek(0)
    if not ok:
        raise DomainError(
            _("The file %(name)s is not really a %(kind)s file.")
            % {"name": name, "kind": extension[1:].upper()},
            field="file",
        )
    return name, content_type


def stored_name() -> str:
    """The name a file is kept under: ours, never the uploader's (no traversal, no collisions)."""
    return secrets.token_hex(16)


def _is_office_file(upload: UploadedFile, marker: str) -> bool:
    try:
        with zipfile.ZipFile(upload) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False
    return "[Content_Types].xml" in names and any(n.startswith(marker) for n in names)


def attachment_response(attachment) -> FileResponse:
    """A kept file, sent as a download under the name it was uploaded with and the type its bytes were checked
    to be (never sniffed again by the browser). The caller has checked that the user may read it."""
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
