"""Importing the registry from Excel: check the file, map its columns, validate every row, write all or none.

The stages, each a function of its own:
1. `check_upload` refuses what is not a small, real .xlsx workbook, and `check_archive` one that unpacks
   beyond the limits of each kind of part (styles, shared strings, worksheets and their cells);
2. `read_sheet` reads the first worksheet's values (formulas kept as `Formula`), finds the header row;
3. `guess_mapping` maps the columns to our fields: the county's remembered answers first, then the
   Chinese or English headers; the office corrects it on the mapping page (`import_map`);
4. `validate_rows` turns every row into `services.ProjectData`, or into `RowError`s naming the row as
   Excel numbers it, the column header, the value and the reason; lookups are preloaded into dicts;
5. `import_execute` writes all rows in one transaction through the services, skipping rows that equal
   the stored project, so that importing the same file again changes nothing, not even the history.
"""

from __future__ import annotations

import io
import logging
import re
import secrets
import unicodedata
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import MISSING, asdict, dataclass, fields
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cached_property
from typing import IO, Any
from xml.parsers import expat

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.db.models.functions import Coalesce
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from keyprojects.accounts.models import Department, Enterprise, Membership, Region, User
from keyprojects.core import clock
from keyprojects.core.audit import audit_record
from keyprojects.core.errors import DomainError, NotAllowed
from keyprojects.core.permissions import scope_for
from keyprojects.projects import services
from keyprojects.projects.models import (
    STAGE_ORDER,
    Category,
    ColumnMapping,
    ImportJob,
    Level,
    Project,
    Stage,
)

logger = logging.getLogger(__name__)

HEADER_SCAN = 10  # the header row is looked for among the first rows (a title row often comes first)
MAX_COLUMNS = 100
MAX_REPORTED = 1000  # errors kept in the report; the count says how many there were in all
TEMPLATE_ROWS = 2000  # rows of the template that carry the drop-down lists
ZIP_SIGNATURE = b"PK\x03\x04"
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0"  # .xls of Excel 97-2003, .et, and password-protected workbooks

# ---- our columns ------------------------------------------------------------------------------------


class Kind:
    """How the cells of a column are read."""

    TEXT = "text"
    CHOICE = "choice"
    MONEY = "money"
    DECIMAL = "decimal"
    DATE = "date"
    ENTERPRISE = "enterprise"
    ZONE = "zone"
    LEADER = "leader"
    DEPARTMENTS = "departments"


@dataclass(frozen=True)
class Column:
    key: str  # a field of services.ProjectData, or "stage"
    zh: str  # the header of our template
    label: Promise  # its English header, and the field's name on the mapping page
    kind: str
    aliases: str = ""  # other headers county offices use for it, separated by |
    required: bool = False  # needed to create a project
    places: int = 2  # decimals kept, for Kind.DECIMAL

    @property
    def en(self) -> str:
        with translation.override("en"):
            return str(self.label)

    @cached_property
    def names(self) -> set[str]:
        return {normalise(n) for n in (self.zh, self.en, self.key, *self.aliases.split("|"))} - {""}


# fmt: off
COLUMNS = (
    Column("code", "项目编号", gettext_lazy("Project code"), Kind.TEXT,
           "编号|项目代码|项目编码|项目号|code|project no|project number", required=True),
    Column("name_zh", "项目名称", gettext_lazy("Name (Chinese)"), Kind.TEXT,
           "项目名称（中文）|中文名称|名称|项目全称|name|project name|project", required=True),
    Column("name_en", "英文名称", gettext_lazy("Name (English)"), Kind.TEXT,
           "项目名称（英文）|英文名|english name|project name (english)|name in english"),
    Column("level", "项目级别", gettext_lazy("Level"), Kind.CHOICE,
           "级别|项目层级|层级|重点项目级别|项目级次|level", required=True),
    Column("stage", "建设阶段", gettext_lazy("Stage"), Kind.CHOICE,
           "阶段|项目阶段|进展阶段|建设状态|项目状态|stage|status"),
    Column("category", "项目类别", gettext_lazy("Category"), Kind.CHOICE,
           "类别|项目分类|分类|行业类别|产业类别|项目类型|类型|行业|category|sector", required=True),
    Column("enterprise", "项目单位", gettext_lazy("Enterprise"), Kind.ENTERPRISE,
           "建设单位|业主单位|项目业主|建设主体|实施主体|项目法人|企业名称|企业|enterprise|company|owner",
           required=True),
    Column("zone", "所在园区", gettext_lazy("Development zone"), Kind.ZONE,
           "园区|开发区|所属园区|所在开发区|zone|development zone"),
    Column("total_investment", "总投资（万元）", gettext_lazy("Total investment (10k yuan)"), Kind.MONEY,
           "总投资|计划总投资|项目总投资|投资总额|total investment|investment", required=True),
    Column("land_area_mu", "占地面积（亩）", gettext_lazy("Land area (mu)"), Kind.DECIMAL,
           "占地面积|占地|用地面积|用地规模|land area|area"),
    Column("address", "建设地点", gettext_lazy("Address"), Kind.TEXT,
           "项目地址|建设地址|项目地点|地址|地点|address|location"),
    Column("lat", "纬度", gettext_lazy("Latitude"), Kind.DECIMAL, "latitude|lat", places=6),
    Column("lng", "经度", gettext_lazy("Longitude"), Kind.DECIMAL, "longitude|lng|lon", places=6),
    Column("construction_content", "建设内容", gettext_lazy("Construction content"), Kind.TEXT,
           "建设规模及内容|建设内容及规模|主要建设内容|建设规模和内容|建设规模|项目内容|construction content|content"),
    Column("expected_annual_output", "预计年产值（万元）", gettext_lazy("Expected annual output (10k yuan)"),
           Kind.MONEY, "预计年产值|年产值|达产后年产值|达效后年产值|expected annual output|annual output"),
    Column("start_date", "开工日期", gettext_lazy("Start date"), Kind.DATE,
           "开工时间|计划开工时间|计划开工日期|开工年月|start date|start"),
    Column("planned_completion_date", "计划竣工日期", gettext_lazy("Planned completion date"), Kind.DATE,
           "竣工日期|竣工时间|计划竣工时间|计划完工时间|完工时间|竣工年月|planned completion|completion date"),
    Column("leader_in_charge", "包联领导", gettext_lazy("Leader in charge"), Kind.LEADER,
           "包联县领导|县级包联领导|包联县级领导|分包领导|分包县领导|责任领导|leader"),
    Column("responsible_departments", "责任单位", gettext_lazy("Responsible departments"), Kind.DEPARTMENTS,
           "责任部门|包联单位|包联部门|帮扶单位|配合单位|departments|responsible department"),
)
# fmt: on
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
FOREIGN_KEYS = ("enterprise", "zone", "leader_in_charge")
DEPARTMENT_SEPARATORS = re.compile(r"[、,;，；\n]+")

# Words offices write for a level, stage or category besides our labels (compared after normalising).
CHOICE_ALIASES = {
    "level": {
        **dict.fromkeys(("省重点", "省级", "省"), Level.PROVINCIAL),
        **dict.fromkeys(("市重点", "市级", "市"), Level.MUNICIPAL),
        **dict.fromkeys(("县重点", "县级", "县"), Level.COUNTY),
    },
    "stage": {
        "签约项目": Stage.SIGNED,
        "前期项目": Stage.EARLY,
        **dict.fromkeys(("新开工", "新开工项目"), Stage.STARTED),
        **dict.fromkeys(("在建项目", "续建", "续建项目"), Stage.CONSTRUCTION),
        "竣工项目": Stage.COMPLETED,
        "竣工投产": Stage.OPERATION,
        **dict.fromkeys(("达产", "达产达效"), Stage.OUTPUT),
    },
    "category": {
        **dict.fromkeys(("工业项目", "产业", "产业项目"), Category.INDUSTRY),
        "基础设施项目": Category.INFRASTRUCTURE,
        **dict.fromkeys(("社会民生", "民生"), Category.SOCIAL),
        "农业项目": Category.AGRICULTURE,
        "服务业": Category.SERVICES,
        "新能源": Category.ENERGY,
    },
}
CHOICE_CLASSES = {"level": Level, "stage": Stage, "category": Category}


def field_choices() -> list[tuple[str, str]]:
    """Our fields, for the mapping page's drop-downs, in the order of the template. Amounts go without
    their unit: the column's own header decides it (总投资（亿元） is read in 亿元)."""
    return [
        (
            c.key,
            re.sub(r"\s*[(（][^()（）]*[)）]$", "", str(c.label)) if c.kind == Kind.MONEY else str(c.label),
        )
        for c in COLUMNS
    ]


# ---- errors ---------------------------------------------------------------------------------------


class ImportRefused(DomainError):
    """The file as a whole cannot be imported (not Excel, too big, unreadable, too many rows…)."""


@dataclass(frozen=True)
class RowError:
    row: int  # as Excel numbers it
    column: str  # the header in the file (our field's name when the file has no such column)
    value: str
    reason: str

    def as_dict(self) -> dict:
        return asdict(self)


class CellError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class WriteFailed(Exception):
    """A service refused a row while writing; the transaction is rolled back."""

    def __init__(self, error: RowError) -> None:
        super().__init__(error.reason)
        self.error = error


# ---- the file ---------------------------------------------------------------------------------------


def check_upload(upload: UploadedFile) -> None:
    """Refuse anything but a real .xlsx workbook within the size limit, saying what to do instead."""
    limit = settings.KEYPROJECTS_IMPORT_MAX_BYTES
    if upload.size > limit:
        raise ImportRefused(
            _("The file is %(size)s; at most %(limit)s can be imported. Split it into several files.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            field="file",
        )
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(OLE_SIGNATURE):
        raise ImportRefused(
            _(
                "This is an old-format Excel file (.xls) or a workbook protected by a password. "
                "Open it in Excel or WPS, remove any password and save it as an Excel workbook (.xlsx)."
            ),
            field="file",
        )
    name = (upload.name or "").lower()
    if not head.startswith(ZIP_SIGNATURE) or not name.endswith(".xlsx"):
        raise ImportRefused(
            _(
                "%(name)s is not an Excel workbook (.xlsx). Open it in Excel or WPS and save it as "
                "an Excel workbook (.xlsx), or download our template."
            )
            % {"name": (upload.name or "")[:80]},
            field="file",
        )
    try:
        with zipfile.ZipFile(upload) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportRefused(_("The file is damaged: it could not be opened."), field="file") from exc
    finally:
        upload.seek(0)
    names = {e.filename for e in entries}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise ImportRefused(
            _("%(name)s is not an Excel workbook (.xlsx). Save it as an Excel workbook (.xlsx) first.")
            % {"name": (upload.name or "")[:80]},
            field="file",
        )
    # What the workbook unpacks to is checked part by part just before openpyxl opens it (check_archive).


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
        self.parser = expat.ParserCreate(namespace_separator=" ")
        self.parser.StartElementHandler = self._start
        self.parser.StartDoctypeDeclHandler = self._doctype

    def _start(self, tag: str, _attributes: Any) -> None:
        local = tag.rpartition(" ")[2]
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


def check_archive(fileobj: IO[bytes]) -> None:
    """Refuse a workbook any part of which unpacks beyond its limit, is packed like a bomb, or (a worksheet)
    holds too many cells; first by the sizes the archive declares, then by unpacking every part."""
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
    except UNREADABLE as exc:
        raise ImportRefused(_("The file is damaged: it could not be opened."), field="file") from exc
    finally:
        fileobj.seek(0)


@dataclass(frozen=True)
class Formula:
    """A cell that holds a formula, where the import needs a value."""

    text: str

    def __str__(self) -> str:
        return self.text


@dataclass
class Sheet:
    header_row: int  # as Excel numbers it
    headers: list[str]
    rows: list[tuple[int, list[Any]]]  # (Excel row number, values), empty rows left out
    is_template: bool


def _cell_value(cell: Any) -> Any:
    value = cell.value
    if isinstance(value, ArrayFormula):
        return Formula(value.text or "=")
    if isinstance(value, DataTableFormula) or cell.data_type == "f":
        return Formula(str(value))
    # Spaces, a tab or a line break before the = do not make it a value: some programs drop them on the way
    # (a tab in CSV), and the check must not be stepped around by them.
    if isinstance(value, str) and value.lstrip().startswith("="):
        return Formula(value)
    return value


def _read_rows(fileobj: IO[bytes]) -> list[tuple[int, list[Any]]]:
    """The non-empty rows of the first worksheet, as (Excel row number, values), formulas as `Formula`."""
    limit = settings.KEYPROJECTS_IMPORT_MAX_ROWS + HEADER_SCAN
    rows: list[tuple[int, list[Any]]] = []
    too_many = False
    check_archive(fileobj)
    try:
        with warnings.catch_warnings():
            # openpyxl warns about extensions it does not read (slicers, conditional formats): harmless here.
            warnings.simplefilter("ignore")
            # Read-only: the worksheet streams row by row. Links to other workbooks carry whole cached
            # copies of them, and the import does not need them.
            workbook = load_workbook(fileobj, read_only=True, data_only=False, keep_links=False)
            try:
                if not workbook.worksheets:
                    raise ImportRefused(_("The workbook has no worksheet."), field="file")
                worksheet = workbook.worksheets[0]
                # Do not trust the stored dimensions: some programs write them wrong, and cells beyond
                # them would be silently lost.
                worksheet.reset_dimensions()
                for number, cells in enumerate(worksheet.iter_rows(min_row=1), start=1):
                    values = [_cell_value(c) for c in cells[:MAX_COLUMNS]]
                    if any(v is not None and not (isinstance(v, str) and not v.strip()) for v in values):
                        rows.append((number, values))
                        if len(rows) > limit:
                            too_many = True
                            break
            finally:
                workbook.close()
    except ImportRefused:
        raise
    except Exception as exc:  # openpyxl raises many kinds of error for a damaged or foreign file
        raise ImportRefused(
            _("The file could not be read as an Excel workbook. Open it in Excel or WPS and save it again."),
            field="file",
        ) from exc
    if too_many:
        raise _too_many_rows()
    return rows


def _too_many_rows() -> ImportRefused:
    return ImportRefused(
        _("The worksheet has more than %(limit)s rows; split it into several files.")
        % {"limit": settings.KEYPROJECTS_IMPORT_MAX_ROWS},
        field="file",
    )


def read_sheet(fileobj: IO[bytes], *, remembered: dict[str, str], header_row: int | None = None) -> Sheet:
    """Read the first worksheet; find its header row unless given (a title row often comes first)."""
    raw = _read_rows(fileobj)
    if not raw:
        raise ImportRefused(_("The first worksheet is empty."), field="file")
    if header_row is None:
        header_index = _locate_header(raw, remembered)
    else:
        header_index = next((i for i, (number, _v) in enumerate(raw) if number == header_row), 0)
    number, header_values = raw[header_index]
    headers = [_text(v) for v in header_values]
    rest = raw[header_index + 1 :]
    if rest and _is_english_header_row(rest[0][1]):
        rest = rest[1:]
    if len(rest) > settings.KEYPROJECTS_IMPORT_MAX_ROWS:
        raise _too_many_rows()
    width = len(headers)
    rows = [(n, (values + [None] * width)[:width]) for n, values in rest]
    return Sheet(header_row=number, headers=headers, rows=rows, is_template=_is_template(headers))


def _locate_header(raw: list[tuple[int, list[Any]]], remembered: dict[str, str]) -> int:
    best, best_score = None, 0
    for index, (_number, values) in enumerate(raw[:HEADER_SCAN]):
        score = sum(1 for g in guess_mapping([_text(v) for v in values], remembered).values() if g.field)
        if score > best_score:
            best, best_score = index, score
    if best is not None:
        return best
    return next(
        (i for i, (_n, values) in enumerate(raw[:HEADER_SCAN]) if sum(v is not None for v in values) > 1), 0
    )


def _template_headers() -> tuple[set[str], set[str]]:
    return {normalise(c.zh) for c in COLUMNS}, {normalise(c.en) for c in COLUMNS}


def _is_template(headers: list[str]) -> bool:
    zh, en = _template_headers()
    present = [normalise(h) for h in headers if h.strip()]
    return bool(present) and normalise(COLUMN_BY_KEY["code"].zh) in present and set(present) <= zh | en


def _is_english_header_row(values: list[Any]) -> bool:
    """The template's optional second header row, in English."""
    _zh, en = _template_headers()
    texts = [normalise(_text(v)) for v in values if _text(v)]
    return len(texts) >= 2 and sum(t in en for t in texts) * 2 >= len(texts)


# ---- mapping columns to fields ---------------------------------------------------------------------


def normalise(text: Any) -> str:
    """Fold full-width forms, case and spaces, and drop required-field stars: how headers and names compare."""
    folded = unicodedata.normalize("NFKC", str(text or "")).casefold()
    return re.sub(r"[\s*:※]+", "", folded)


def _bare(normalised: str) -> str:
    """The header without what is in brackets (usually the unit): 总投资(万元) → 总投资."""
    return re.sub(r"\(.*?\)|\[.*?\]|【.*?】|〔.*?〕", "", normalised)


@dataclass(frozen=True)
class Guess:
    field: str  # "" when the column is ignored
    source: str  # "remembered" | "guessed"


def _score(header: str, column: Column) -> float:
    names = column.names
    if header in names:
        return 3
    bare = _bare(header)
    bares = {_bare(n) for n in names}
    if bare in bares:
        return 2
    # Containment: 项目总投资 holds 总投资. Short Latin words (lat, code…) hide in too many others.
    contained = [n for n in bares if len(n) >= 2 and n in bare and (not n.isascii() or len(n) >= 5)]
    return 1 + max(len(n) for n in contained) / 100 if contained else 0


def guess_mapping(headers: list[str], remembered: dict[str, str]) -> dict[int, Guess]:
    """Column index → field: what the county answered before, else the best match of the header."""
    result: dict[int, Guess] = {}
    taken: set[str] = set()
    candidates: list[tuple[float, int, str]] = []
    for index, header in enumerate(headers):
        key = normalise(header)
        if not key:
            continue
        if key in remembered:
            field = (
                remembered[key] if remembered[key] in COLUMN_BY_KEY and remembered[key] not in taken else ""
            )
            result[index] = Guess(field, "remembered")
            taken.add(field)
            continue
        candidates += [(s, index, c.key) for c in COLUMNS if (s := _score(key, c))]
    for _s, index, field in sorted(candidates, key=lambda c: (-c[0], c[1])):
        if index not in result and field not in taken:
            result[index] = Guess(field, "guessed")
            taken.add(field)
    return result


def remembered_mapping(county: Region) -> dict[str, str]:
    return dict(ColumnMapping.objects.filter(county=county).values_list("source_header", "field"))


# ---- reading cells ---------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").strip()


def _display(value: Any) -> str:
    return _text(value)[:200]


def _decimal(value: Any) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, (bool, date, datetime)):
        raise CellError(_("Not a number."))
    if isinstance(value, (int, float)):
        number = Decimal(str(value))
    else:
        text = re.sub(r"[\s,]", "", unicodedata.normalize("NFKC", str(value)))
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise CellError(_("Not a number.")) from exc
    if not number.is_finite():
        raise CellError(_("Not a number."))
    return number


UNIT_SUFFIXES = (("亿元", 100_000_000), ("亿", 100_000_000), ("万元", 10_000), ("万", 10_000), ("元", 1))


def money_factor(header: str) -> int:
    """Yuan per unit of a money column, read from its header; 万元 when it does not say."""
    h = normalise(header)
    if "亿" in h or "100m" in h:
        return 100_000_000
    if "万" in h or "10k" in h or "10,000" in h or "10000" in h:
        return 10_000
    if "元" in h or "yuan" in h or "rmb" in h:
        return 1
    return 10_000


def _money(value: Any, factor: int) -> Decimal | None:
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        for suffix, suffix_factor in UNIT_SUFFIXES:
            if text.endswith(suffix):
                value, factor = text[: -len(suffix)], suffix_factor
                break
    number = _decimal(value)
    if number is None:
        return None
    try:
        return (number * factor).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise CellError(_("The amount is far too large.")) from exc


def _plain_decimal(value: Any, places: int) -> Decimal | None:
    if isinstance(value, str):
        value = re.sub(r"(亩|mu)$", "", unicodedata.normalize("NFKC", value).strip(), flags=re.I)
    number = _decimal(value)
    if number is None:
        return None
    try:
        return number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise CellError(_("The number is far too large.")) from exc


DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:[-/.月]\s*(\d{1,2})\s*日?|月?)$")


def _date(value: Any) -> date | None:
    """A date cell, or text like 2026-03-01, 2026/3/1, 2026年3月1日; a month alone means its first day."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 20_000 <= value <= 80_000:
        # A date whose cell lost its date format: Excel's serial day number (1954 to 2119).
        return from_excel(value).date()
    match = DATE_TEXT.match(unicodedata.normalize("NFKC", str(value)).strip())
    if match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3] or 1))
        except ValueError:
            pass
    raise CellError(_("Not a date; write it as 2026-03-01 or format the cell as a date."))


# ---- lookups, loaded once per import --------------------------------------------------------------


def _index(objects: Iterable[Any], *keys: Callable[[Any], str]) -> dict[str, list[Any]]:
    index: dict[str, list[Any]] = {}
    for obj in objects:
        for key in {normalise(k(obj)) for k in keys} - {""}:
            index.setdefault(key, []).append(obj)
    return index


@dataclass
class Lookups:
    """Everything a row may name, fetched once: enterprises, zones, leaders, departments, projects."""

    county: Region
    enterprises: dict[str, list[Enterprise]]
    zones: dict[str, list[Region]]
    leaders: dict[str, list[User]]
    departments: dict[str, list[Department]]
    projects: dict[str, Project]
    choices: dict[str, dict[str, str]]

    @classmethod
    def load(cls, county: Region) -> Lookups:
        city_path = county.parent.path
        projects = (
            Project.objects.filter(county=county)
            .select_related("enterprise", "zone", "leader_in_charge")
            .prefetch_related(
                Prefetch("responsible_departments", queryset=Department.objects.select_related("region"))
            )
        )
        leaders = User.objects.filter(
            memberships__role=Membership.Role.LEADER, memberships__region=county
        ).distinct()
        by_code = {}
        for project in projects:
            project.county = county  # the services read county.parent: no query per row
            by_code[project.code] = project
        return cls(
            county=county,
            enterprises=_index(
                Enterprise.objects.filter(region__path__startswith=city_path).select_related("region"),
                lambda e: e.name_zh,
                lambda e: e.name_en,
                lambda e: e.slug,
                lambda e: e.credit_code,
            ),
            zones=_index(
                Region.objects.filter(parent=county, kind=Region.Kind.ZONE),
                lambda r: r.name_zh,
                lambda r: r.name_en,
                lambda r: r.slug,
            ),
            leaders=_index(
                leaders,
                lambda u: u.username,
                lambda u: u.display_name,
                lambda u: u.get_full_name(),
                lambda u: str(u),
            ),
            departments=_index(
                Department.objects.filter(region__path__startswith=city_path).select_related("region"),
                lambda d: d.name_zh,
                lambda d: d.name_en,
                lambda d: d.slug,
            ),
            projects=by_code,
            choices={key: _choice_index(key) for key in CHOICE_CLASSES},
        )

    def one(self, index: dict[str, list[Any]], text: str, what: str) -> Any:
        found = index.get(normalise(text), [])
        if len(found) > 1 and all(hasattr(o, "region") for o in found):
            # The same name in two counties of the city: the county's own wins.
            found = [o for o in found if o.region.path.startswith(self.county.path)] or found
        if len(found) > 1:
            raise CellError(
                _("More than one %(what)s is called this; write the unique name or code instead.")
                % {"what": what}
            )
        return found[0] if found else None


def _choice_index(key: str) -> dict[str, str]:
    index: dict[str, str] = {}
    for value, label in CHOICE_CLASSES[key].choices:
        index[normalise(value)] = value
        for language in ("en", "zh-hans"):
            with translation.override(language):
                index[normalise(str(label))] = value
    for alias, value in CHOICE_ALIASES[key].items():
        index.setdefault(normalise(alias), value)
    return index


# ---- validating rows ---------------------------------------------------------------------------------


@dataclass
class PlannedRow:
    row: int
    data: services.ProjectData
    stage: str
    project: Project | None  # None: a new project
    data_changed: bool = True
    stage_changed: bool = False


@dataclass
class Validated:
    planned: list[PlannedRow]
    unchanged: int
    errors: list[RowError]


DATA_FIELDS = tuple(services.ProjectData.__dataclass_fields__)
# Fields clean_fields() may check without a query; the relations are checked against the lookups.
CHECKED_FIELDS = {f for f in DATA_FIELDS if f not in (*FOREIGN_KEYS, "responsible_departments")}


class RowReader:
    """Turns one row into ProjectData, or into errors; holds what is shared between rows."""

    def __init__(self, *, lookups: Lookups, headers: list[str], mapping: dict[int, str]) -> None:
        self.lookups = lookups
        self.mapping = mapping
        self.header_of = {key: headers[index] for index, key in mapping.items()}
        self.factors = {
            key: money_factor(headers[index])
            for index, key in mapping.items()
            if COLUMN_BY_KEY[key].kind == Kind.MONEY
        }
        self.seen_codes: dict[str, int] = {}
        self.city = lookups.county.parent
        self.today = clock.today()

    def column(self, key: str) -> str:
        """The column's header as the file writes it; our field's name when the file has no such column."""
        return self.header_of.get(key) or str(COLUMN_BY_KEY[key].label)

    def read(self, number: int, values: list[Any]) -> PlannedRow | list[RowError] | None:
        """The row to write, its errors, or None when it says what the stored project already says."""
        errors: list[RowError] = []
        raw: dict[str, Any] = {}
        parsed: dict[str, Any] = {}
        failed: set[str] = set()

        def fail(key: str, value: Any, reason: str) -> None:
            errors.append(RowError(number, self.column(key), _display(value), reason))
            failed.add(key)

        for index, key in self.mapping.items():
            raw[key] = value = values[index] if index < len(values) else None
            if isinstance(value, Formula):
                fail(
                    key,
                    value,
                    _(
                        "The cell holds a formula where a value is expected. Copy the column and paste it back as values only."
                    ),
                )
                continue
            try:
                parsed[key] = self._parse(key, value)
            except CellError as exc:
                fail(key, value, exc.reason)

        code = parsed.get("code", "")
        if "code" in parsed and not code:
            fail("code", "", _("A project code is needed: rows are matched to projects by it."))
        elif code in self.seen_codes:
            fail(
                "code",
                code,
                _("The code is already used on row %(row)s of this file.") % {"row": self.seen_codes[code]},
            )
        elif code:
            self.seen_codes[code] = number
            if "/" in code or any(ch.isspace() for ch in code):
                fail("code", code, _("A code may not contain spaces or slashes."))
        project = self.lookups.projects.get(code) if code else None
        for column in COLUMNS:
            if not column.required or column.key == "code":
                continue
            if parsed.get(column.key, "?") in (None, ""):
                fail(column.key, "", _("This column cannot be empty."))
            elif column.key not in self.header_of and project is None:
                fail(column.key, "", _("A new project needs this, but the file has no such column."))

        fields, stage = self._merge(parsed, project)
        errors += self._check(number, fields, stage, project, raw, skip=failed)
        if errors:
            return errors
        data = services.ProjectData(**fields)
        if project is None:
            return PlannedRow(number, data, stage, None)
        planned = PlannedRow(number, data, stage, project, not _same(project, data), stage != project.stage)
        return planned if planned.data_changed or planned.stage_changed else None

    def _merge(self, parsed: dict[str, Any], project: Project | None) -> tuple[dict[str, Any], str]:
        """The stored project (or the defaults) overlaid with what the file's columns say."""
        if project is None:
            fields_ = {f.name: f.default for f in fields(services.ProjectData) if f.default is not MISSING}
        else:
            fields_ = {name: getattr(project, name) for name in DATA_FIELDS}
            fields_["responsible_departments"] = tuple(project.responsible_departments.all())
        given = {k: v for k, v in parsed.items() if k in DATA_FIELDS}
        if not given.get("name_en"):
            given.pop("name_en", None)  # an empty English name keeps the stored one
        fields_.update(given)
        fields_["name_en"] = fields_.get("name_en") or fields_.get("name_zh", "")
        stage = parsed.get("stage") or (project.stage if project else Stage.SIGNED)
        return fields_, stage

    def _parse(self, key: str, value: Any) -> Any:
        column = COLUMN_BY_KEY[key]
        if column.kind == Kind.TEXT:
            return _text(value)
        if column.kind == Kind.MONEY:
            return _money(value, self.factors[key])
        if column.kind == Kind.DECIMAL:
            return _plain_decimal(value, column.places)
        if column.kind == Kind.DATE:
            return _date(value)
        text = _text(value)
        if not text:
            return () if column.kind == Kind.DEPARTMENTS else None
        if column.kind == Kind.CHOICE:
            found = self.lookups.choices[key].get(normalise(text))
            if found is None:
                labels = "、".join(str(label) for label in CHOICE_CLASSES[key].labels)
                raise CellError(_("Not a known value; use one of: %(values)s.") % {"values": labels})
            return found
        if column.kind == Kind.DEPARTMENTS:
            return self._departments(text)
        index, what, missing = {
            Kind.ENTERPRISE: (
                self.lookups.enterprises,
                _("enterprise"),
                _("No enterprise of %(city)s has this name, credit code or slug; register it first."),
            ),
            Kind.ZONE: (
                self.lookups.zones,
                _("development zone"),
                _("%(county)s has no development zone of this name."),
            ),
            Kind.LEADER: (
                self.lookups.leaders,
                _("leader"),
                _("No leader in charge of %(county)s has this name or user name."),
            ),
        }[column.kind]
        found = self.lookups.one(index, text, what)
        if found is None:
            raise CellError(missing % {"city": self.city.name, "county": self.lookups.county.name})
        if column.kind == Kind.ENTERPRISE and not self._of_county(found):
            # Found city-wide so that the reason can say where it is; the project may only name its own.
            raise CellError(
                _(
                    "This enterprise is registered in %(region)s; a project of %(county)s needs one of its own."
                )
                % {"region": found.region.name, "county": self.lookups.county.name}
            )
        return found

    def _of_county(self, organisation: Enterprise | Department) -> bool:
        return organisation.region.path.startswith(self.lookups.county.path)

    def _departments(self, text: str) -> tuple[Department, ...]:
        departments: list[Department] = []
        unknown: list[str] = []
        for name in filter(None, (n.strip() for n in DEPARTMENT_SEPARATORS.split(text))):
            department = self.lookups.one(self.lookups.departments, name, _("department"))
            if department is None:
                unknown.append(name)
            elif department not in departments:
                departments.append(department)
        if unknown:
            raise CellError(
                _("No department of %(city)s is called %(names)s.")
                % {"city": self.city.name, "names": "、".join(unknown)}
            )
        foreign = [d for d in departments if not self._of_county(d)]
        if foreign:
            raise CellError(
                _("These departments are not of %(county)s: %(names)s.")
                % {
                    "county": self.lookups.county.name,
                    "names": "、".join(d.name for d in foreign),
                }
            )
        return tuple(departments)

    def _check(
        self,
        number: int,
        data: dict[str, Any],
        stage: str,
        project: Project | None,
        raw: dict[str, Any],
        skip: set[str],
    ) -> list[RowError]:
        """The services' and the model's rules a row can break, checked before anything is written."""
        errors: list[RowError] = []

        def fail(key: str, reason: str) -> None:
            errors.append(RowError(number, self.column(key), _display(raw.get(key)), reason))

        start, end = data.get("start_date"), data.get("planned_completion_date")
        if start and end and end < start:
            fail("planned_completion_date", _("The planned completion date is before the start date."))
        if project is not None and STAGE_ORDER[stage] < STAGE_ORDER[project.stage]:
            fail(
                "stage",
                _(
                    "The project is already at the stage “%(stage)s”; moving it back needs a note, so do it on the project's page."
                )
                % {"stage": project.get_stage_display()},
            )
        elif (
            project is not None
            and stage != project.stage
            and project.stage_since
            and self.today < project.stage_since
        ):
            fail("stage", _("The current stage only began on %(date)s.") % {"date": project.stage_since})
        # The model's own field rules (lengths, digits, ranges, choices), without a query.
        checked = {k: data[k] for k in CHECKED_FIELDS if k in data and k not in skip}
        try:
            Project(**checked).clean_fields(
                exclude=[f.name for f in Project._meta.concrete_fields if f.name not in checked]
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                fail(field, " ".join(messages))
        return errors


def _same(project: Project, data: services.ProjectData) -> bool:
    """Whether the row says what the stored project already says (then nothing is written)."""
    for name, value in vars(data).items():
        if name == "responsible_departments":
            if {d.pk for d in value} != {d.pk for d in project.responsible_departments.all()}:
                return False
        elif name in FOREIGN_KEYS:
            if (value.pk if value is not None else None) != getattr(project, f"{name}_id"):
                return False
        elif getattr(project, name) != value:
            return False
    return True


def validate_rows(
    *,
    lookups: Lookups,
    sheet: Sheet,
    mapping: dict[int, str],
    progress: Callable[[int], None] | None = None,
) -> Validated:
    """Every row checked, none written: the rows to write and how many are unchanged, or the errors."""
    reader = RowReader(lookups=lookups, headers=sheet.headers, mapping=mapping)
    planned: list[PlannedRow] = []
    errors: list[RowError] = []
    unchanged = 0
    step = max(25, len(sheet.rows) // 20)
    for done, (number, values) in enumerate(sheet.rows, start=1):
        result = reader.read(number, values)
        if result is None:
            unchanged += 1
        elif isinstance(result, PlannedRow):
            planned.append(result)
        else:
            errors += result
        if progress and (done % step == 0 or done == len(sheet.rows)):
            progress(done)
    return Validated(planned=planned, unchanged=unchanged, errors=errors)


# ---- writing -------------------------------------------------------------------------------------


def _service_error(row: PlannedRow, reader_columns: dict[str, str], exc: Exception) -> RowError:
    if isinstance(exc, DomainError):
        return RowError(row.row, reader_columns.get(exc.field or "", ""), "", exc.message)
    assert isinstance(exc, ValidationError)
    if hasattr(exc, "error_dict"):
        field, messages = next(iter(exc.message_dict.items()))
        return RowError(row.row, reader_columns.get(field, field), "", " ".join(messages))
    return RowError(row.row, "", "", " ".join(exc.messages))


def write_rows(
    *, actor: User | None, county: Region, planned: list[PlannedRow], note: str, columns: dict[str, str]
) -> tuple[int, int]:
    """Create and update in one transaction through the services; any refusal undoes everything."""
    created = updated = 0
    today = clock.today()
    with transaction.atomic():
        for row in planned:
            try:
                if row.project is None:
                    services.project_create(
                        actor=actor, county=county, data=row.data, stage=row.stage, stage_date=today
                    )
                    created += 1
                    continue
                if row.data_changed:
                    services.project_update(actor=actor, project=row.project, data=row.data)
                if row.stage_changed:
                    services.project_change_stage(
                        actor=actor, project=row.project, stage=row.stage, on=today, note=note
                    )
                updated += 1
            except (DomainError, ValidationError) as exc:
                raise WriteFailed(_service_error(row, columns, exc)) from exc
    return created, updated


# ---- jobs ---------------------------------------------------------------------------------------


def _require_manage(actor: User, county: Region) -> None:
    if not scope_for(actor).manages_region(county):
        raise NotAllowed(_("You may not change key projects of %(county)s.") % {"county": county.name})


def import_create(*, actor: User, county: Region, upload: UploadedFile) -> ImportJob:
    """Check and store the upload; a file in our template's layout starts at once, others wait for mapping."""
    _require_manage(actor, county)
    if not county.is_county_level:
        raise DomainError(_("Key projects belong to a county-level unit."))
    check_upload(upload)
    remembered = remembered_mapping(county)
    sheet = read_sheet(upload, remembered=remembered)
    upload.seek(0)
    if sheet.is_template:
        guesses = guess_mapping(sheet.headers, {})
    else:
        guesses = guess_mapping(sheet.headers, remembered)
    samples = [values for _n, values in sheet.rows[:3]]
    job = ImportJob(
        county=county,
        uploaded_by=actor,
        token=secrets.token_hex(16),
        original_name=(upload.name or "upload.xlsx")[-120:],
        is_template=sheet.is_template,
        header_row=sheet.header_row,
        total_rows=len(sheet.rows),
        columns=[
            {
                "header": header,
                "letter": get_column_letter(index + 1),
                "samples": [_display(row[index])[:40] for row in samples if _text(row[index])],
                "guess": guesses[index].source if index in guesses and guesses[index].field else "",
            }
            for index, header in enumerate(sheet.headers)
        ],
        mapping={str(index): g.field for index, g in guesses.items() if g.field},
    )
    job.file.save(job.token + ".xlsx", upload, save=False)
    job.save()
    if job.is_template:
        return import_start(job=job)
    return job


def import_map(*, actor: User, job: ImportJob, mapping: dict[int, str]) -> ImportJob:
    """Take the office's column mapping, remember it for the county's next upload, and start."""
    _require_manage(actor, job.county)
    if job.status != ImportJob.Status.PENDING:
        raise DomainError(_("This import has already started."))
    chosen: dict[str, list[str]] = {}
    for index, field in mapping.items():
        if field and field not in COLUMN_BY_KEY:
            raise DomainError(_("Unknown field: %(field)s.") % {"field": field})
        if field:
            chosen.setdefault(field, []).append(job.columns[index]["header"] or job.columns[index]["letter"])
    repeated = {f: cols for f, cols in chosen.items() if len(cols) > 1}
    if repeated:
        field, cols = next(iter(repeated.items()))
        raise DomainError(
            _("“%(field)s” is chosen for more than one column: %(columns)s. Choose one.")
            % {"field": COLUMN_BY_KEY[field].label, "columns": "、".join(cols)}
        )
    if "code" not in chosen:
        raise DomainError(_("Choose the column that holds the project code: rows are matched by it."))
    job.mapping = {str(index): field for index, field in mapping.items() if field}
    job.save(update_fields=["mapping"])
    remembered = {
        normalise(column["header"])[:200]: mapping.get(index, "")
        for index, column in enumerate(job.columns)
        if normalise(column["header"])
    }
    ColumnMapping.objects.bulk_create(
        [ColumnMapping(county=job.county, source_header=h, field=f) for h, f in remembered.items()],
        update_conflicts=True,
        unique_fields=["county", "source_header"],
        update_fields=["field", "updated_at"],
    )
    audit_record(actor=actor, action="project.import_mapping", target=job, data={"mapping": job.mapping})
    return import_start(job=job)


def import_start(*, job: ImportJob) -> ImportJob:
    """Small files run here and now; larger ones go to the task worker and the page shows progress."""
    if job.total_rows <= settings.KEYPROJECTS_IMPORT_INLINE_ROWS:
        return import_execute(job_id=job.pk)
    from keyprojects.projects.tasks import import_run  # the task module imports this one

    ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PENDING).update(
        status=ImportJob.Status.QUEUED, progressed_at=clock.now()
    )
    import_run.enqueue(job.pk)
    job.refresh_from_db()
    return job


class _GivenUp(Exception):
    """The job was marked failed while this run was on it (import_fail_stale): the run stops, writing nothing."""


def _this_run(job: ImportJob) -> QuerySet[ImportJob]:
    # Each run claims the job with its own start time; a run given up, or replaced by a retry, matches nothing.
    return ImportJob.objects.filter(pk=job.pk, status__in=ImportJob.RUNNING, started_at=job.started_at)


def _progress(job: ImportJob, **fields: Any) -> None:
    """A sign of life of the run, with what changed; stops the run if the job was given up meanwhile."""
    if not _this_run(job).update(progressed_at=clock.now(), **fields):
        raise _GivenUp
    for name, value in fields.items():
        setattr(job, name, value)


def _finish(job: ImportJob, status: str, **fields: Any) -> None:
    """Record the outcome of this run, unless the job was given up meanwhile (then it stays as it is)."""
    values = {**fields, "status": status, "finished_at": clock.now(), "processed_rows": job.processed_rows}
    if not _this_run(job).update(**values):
        raise _GivenUp
    for name, value in values.items():
        setattr(job, name, value)


def import_execute(*, job_id: int) -> ImportJob:
    """Read, validate every row, then write all in one transaction; the job records what happened."""
    now = clock.now()
    claimed = ImportJob.objects.filter(
        pk=job_id, status__in=[ImportJob.Status.PENDING, ImportJob.Status.QUEUED]
    ).update(status=ImportJob.Status.VALIDATING, started_at=now, progressed_at=now, processed_rows=0)
    job = ImportJob.objects.select_related("county__parent", "uploaded_by").get(pk=job_id)
    if not claimed:
        return job  # already run (a task retried, or a second click), or given up before it started
    actor = job.uploaded_by
    with translation.override(actor.language or settings.LANGUAGE_CODE):
        try:
            try:
                _execute(job, actor)
            except (ImportRefused, NotAllowed) as exc:
                _finish(job, ImportJob.Status.FAILED, message=exc.message)
            except _GivenUp:
                raise
            except Exception:
                logger.exception("Import job %s failed", job_id)
                _finish(
                    job,
                    ImportJob.Status.FAILED,
                    message=_("The import stopped on an unexpected error; nothing was imported."),
                    retryable=True,
                )
        except _GivenUp:
            logger.warning("Import job %s was given up while it ran; its run wrote nothing", job_id)
            job.refresh_from_db()
    return job


def _execute(job: ImportJob, actor: User) -> None:
    _require_manage(actor, job.county)
    with job.file.open("rb") as fh:
        sheet = read_sheet(io.BytesIO(fh.read()), remembered={}, header_row=job.header_row)
    mapping = {int(index): field for index, field in job.mapping.items() if field in COLUMN_BY_KEY}
    if "code" not in mapping.values():
        raise ImportRefused(_("No column is mapped to the project code."))
    _progress(job, total_rows=len(sheet.rows))

    def progress(done: int) -> None:
        _progress(job, processed_rows=done)

    lookups = Lookups.load(job.county)
    result = validate_rows(lookups=lookups, sheet=sheet, mapping=mapping, progress=progress)
    job.processed_rows = len(sheet.rows)
    if result.errors:
        _finish(
            job,
            ImportJob.Status.FAILED,
            error_report=[e.as_dict() for e in result.errors[:MAX_REPORTED]],
            error_count=len(result.errors),
            message=_("%(count)s problems were found; nothing was imported. Correct them and upload again.")
            % {"count": len(result.errors)},
        )
        return
    _progress(job, status=ImportJob.Status.IMPORTING, processed_rows=job.processed_rows)
    columns = {key: sheet.headers[index] for index, key in mapping.items()}
    try:
        # The outcome is recorded in the transaction of the writes: if the job was given up while they
        # ran (no sign of life comes from inside one transaction), _finish refuses and they are undone.
        with transaction.atomic():
            created, updated = write_rows(
                actor=actor,
                county=job.county,
                planned=result.planned,
                note=_("Imported from %(file)s.") % {"file": job.original_name},
                columns=columns,
            )
            if created or updated:
                audit_record(
                    actor=actor,
                    action="project.import",
                    target=job,
                    data={"created": created, "updated": updated, "unchanged": result.unchanged},
                )
            _finish(
                job,
                ImportJob.Status.DONE,
                created_count=created,
                updated_count=updated,
                unchanged_count=result.unchanged,
                message="",
            )
    except WriteFailed as exc:
        _finish(
            job,
            ImportJob.Status.FAILED,
            error_report=[exc.error.as_dict()],
            error_count=1,
            message=_("A row was refused while writing; nothing was imported."),
        )


def import_fail_stale(*, county: Region | None = None, job: ImportJob | None = None) -> int:
    """Mark failed the running imports that showed no sign of life for KEYPROJECTS_IMPORT_STALE_MINUTES:
    their worker died (a restart, a killed process). Their writes, one transaction, never happened; the
    office may run them again (import_retry). Called when imports are listed or viewed, and periodically."""
    minutes = settings.KEYPROJECTS_IMPORT_STALE_MINUTES
    cutoff = clock.now() - timedelta(minutes=minutes)
    stale = ImportJob.objects.filter(status__in=ImportJob.RUNNING).alias(
        last=Coalesce("progressed_at", "started_at", "created_at")
    )
    stale = stale.filter(last__lt=cutoff).select_related("uploaded_by")
    if county is not None:
        stale = stale.filter(county=county)
    if job is not None:
        stale = stale.filter(pk=job.pk)
    given_up = 0
    for found in stale:
        with translation.override(found.uploaded_by.language or settings.LANGUAGE_CODE):
            message = _(
                "The import stopped without finishing: its background worker showed no progress for "
                "%(minutes)s minutes. Nothing was imported; run it again."
            ) % {"minutes": minutes}
        # Only if it still shows no sign of life: a run that just moved on keeps going.
        if ImportJob.objects.filter(
            pk=found.pk, status=found.status, progressed_at=found.progressed_at
        ).update(status=ImportJob.Status.FAILED, message=message, retryable=True, finished_at=clock.now()):
            given_up += 1
            audit_record(
                actor=None, action="project.import_stale", target=found, data={"status": found.status}
            )
            logger.warning(
                "Import job %s showed no progress for %s minutes: marked failed", found.pk, minutes
            )
    if job is not None and given_up:
        job.refresh_from_db()
    return given_up


def import_retry(*, actor: User, job: ImportJob) -> ImportJob:
    """Run again an import that stopped without finishing, from the stored file and mapping."""
    _require_manage(actor, job.county)
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status != ImportJob.Status.FAILED or not locked.retryable:
            raise DomainError(
                _("Only an import that stopped without finishing can be run again; upload the file again.")
            )
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.PENDING,
            retryable=False,
            message="",
            error_report=[],
            error_count=0,
            processed_rows=0,
            created_count=0,
            updated_count=0,
            unchanged_count=0,
            started_at=None,
            progressed_at=None,
            finished_at=None,
        )
        audit_record(actor=actor, action="project.import_retry", target=locked)
    job.refresh_from_db()
    return import_start(job=job)


# ---- the template -----------------------------------------------------------------------------------


def _choice_labels_zh(key: str) -> list[str]:
    with translation.override("zh-hans"):
        return [str(label) for label in CHOICE_CLASSES[key].labels]


_HINTS: dict[str, Callable[[], str]] = {
    Kind.TEXT: lambda: _("Text."),
    Kind.CHOICE: lambda: _("Choose from the drop-down list (Chinese or English label)."),
    Kind.MONEY: lambda: _("A number in 10k yuan (万元); a header saying 亿元 or 元 is read in that unit."),
    Kind.DECIMAL: lambda: _("A number."),
    Kind.DATE: lambda: _("A date such as 2026-03-01; 2026年3月 means the first of the month."),
    Kind.ENTERPRISE: lambda: _("The enterprise's name, unified social credit code or slug, as registered."),
    Kind.ZONE: lambda: _("The development zone's name, if the project is in one."),
    Kind.LEADER: lambda: _("The leader's name or user name."),
    Kind.DEPARTMENTS: lambda: _("Department names separated by 、 or , or ;."),
}


def template_xlsx(*, english_row: bool = False) -> bytes:
    """Our import template: Chinese headers, optionally an English header row, drop-downs for the choices."""
    wb = Workbook()
    ws = wb.active
    ws.title = "重点项目"
    ws.append([c.zh for c in COLUMNS])
    if english_row:
        ws.append([c.en for c in COLUMNS])
    first = 3 if english_row else 2
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for row in ws.iter_rows(min_row=1, max_row=first - 1):
        for cell in row:
            cell.font = Font(bold=cell.row == 1, italic=cell.row == 2)
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="center")
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        dimension = ws.column_dimensions[letter]
        dimension.width = 40 if column.key in ("construction_content", "name_en") else 18
        if column.key == "code":
            dimension.number_format = "@"  # keep 001 as typed
        elif column.kind == Kind.DATE:
            dimension.number_format = "yyyy-mm-dd"
        if column.kind == Kind.CHOICE:
            labels = _choice_labels_zh(column.key)
            validation = DataValidation(
                type="list",
                formula1='"{}"'.format(",".join(labels)),
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=str(column.label),
                error=_("Choose one of the values in the list."),
            )
            validation.add(f"{letter}{first}:{letter}{first + TEMPLATE_ROWS}")
            ws.add_data_validation(validation)
    ws.freeze_panes = f"C{first}"

    notes = wb.create_sheet(_("Instructions")[:31])
    notes.append([_("Column"), _("English header"), _("Required for a new project"), _("What to write")])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for column in COLUMNS:
        notes.append([column.zh, column.en, _("yes") if column.required else "", str(_HINTS[column.kind]())])
    notes.append([])
    for line in (
        _("Only the first worksheet is read. Rows are matched to projects by the project code."),
        _("A row with a known code updates that project; a new code creates a project."),
        _("If any row has a problem, nothing is imported and the report names each problem."),
    ):
        notes.append([line])
    for letter, width in zip("ABCD", (20, 34, 16, 90), strict=True):
        notes.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def report_rows(job: ImportJob) -> Iterable[list]:
    """The error report for the spreadsheet writer (which keeps a value like =A1 as text, never a formula)."""
    for error in job.error_report:
        yield [error["row"], error["column"], error["value"], error["reason"]]
