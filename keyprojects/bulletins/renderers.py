"""The bulletin's formats by name, for the command (and later the download views)."""

from __future__ import annotations

from collections.abc import Callable

from keyprojects.bulletins.content import Bulletin
from keyprojects.bulletins.excel import bulletin_xlsx
from keyprojects.bulletins.pdf import bulletin_pdf
from keyprojects.bulletins.word import bulletin_docx

RENDERERS: dict[str, Callable[[Bulletin], bytes]] = {
    "docx": bulletin_docx,
    "pdf": bulletin_pdf,
    "xlsx": bulletin_xlsx,
}
