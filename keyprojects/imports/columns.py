"""Our columns, and which column of an office's file holds which of them: the county's remembered answers
first, then the headers (Chinese or English, a two-row header's combined name, units in brackets ignored).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy
from openpyxl.utils import get_column_letter

from keyprojects.accounts.models import Region
from keyprojects.imports.cells import normalise
from keyprojects.projects.models import Category, ColumnMapping, Level, Stage


class Kind:
    """How the cells of a column are read."""

    TEXT = "text"
    CHOICE = "choice"
    MONEY = "money"
    DECIMAL = "decimal"
    DATE = "date"
    PERIOD = "period"
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

    @property
    def field_name(self) -> str:
        """The field as the mapping page names it: an amount without its unit, which the unit drop-down gives."""
        label = str(self.label)
        return re.sub(r"\s*[(（][^()（）]*[)）]$", "", label) if self.kind == Kind.MONEY else label

    @cached_property
    def names(self) -> set[str]:
        return {normalise(n) for n in (self.zh, self.en, self.key, *self.aliases.split("|"))} - {""}


# fmt: off
COLUMNS = (
    Column("code", "项目编号", gettext_lazy("Project code"), Kind.TEXT,
           "编号|项目代码|项目编码|项目号|code|project no|project number"),
    Column("name_zh", "项目名称", gettext_lazy("Name (Chinese)"), Kind.TEXT,
           "项目名称（中文）|中文名称|名称|项目全称|name|project name|project", required=True),
    Column("name_en", "英文名称", gettext_lazy("Name (English)"), Kind.TEXT,
           "项目名称（英文）|英文名|english name|project name (english)|name in english"),
    Column("level", "项目级别", gettext_lazy("Level"), Kind.CHOICE,
           "级别|项目层级|层级|重点项目级别|项目级次|level", required=True),
    Column("stage", "建设阶段", gettext_lazy("Stage"), Kind.CHOICE,
           "阶段|项目阶段|进展阶段|建设状态|项目状态|stage|status"),
    Column("category", "项目类别", gettext_lazy("Category"), Kind.CHOICE,
           "类别|项目分类|分类|行业类别|产业类别|项目类型|类型|行业|category|sector"),
    Column("enterprise", "项目单位", gettext_lazy("Enterprise"), Kind.ENTERPRISE,
           "建设单位|业主单位|项目业主|建设主体|实施主体|项目法人|企业名称|企业|enterprise|company|owner",
           required=True),
    Column("zone", "所在园区", gettext_lazy("Development zone"), Kind.ZONE,
           "园区|开发区|所属园区|所在开发区|zone|development zone"),
    Column("total_investment", "总投资（万元）", gettext_lazy("Total investment (CNY 10,000)"), Kind.MONEY,
           "总投资|计划总投资|项目总投资|投资总额|total investment|investment", required=True),
    Column("land_area_mu", "占地面积（亩）", gettext_lazy("Land area (mu)"), Kind.DECIMAL,
           "占地面积|占地|用地面积|用地规模|land area|area"),
    Column("address", "建设地点", gettext_lazy("Address"), Kind.TEXT,
           "项目地址|建设地址|项目地点|地址|地点|address|location"),
    Column("lat", "纬度", gettext_lazy("Latitude"), Kind.DECIMAL, "latitude|lat", places=6),
    Column("lng", "经度", gettext_lazy("Longitude"), Kind.DECIMAL, "longitude|lng|lon", places=6),
    Column("construction_content_zh", "建设内容", gettext_lazy("Construction content"), Kind.TEXT,
           "建设规模及内容|建设内容及规模|主要建设内容|建设规模和内容|建设规模|项目内容|construction content|content"),
    Column("construction_content_en", "建设内容（英文）", gettext_lazy("Construction content (English)"), Kind.TEXT,
           "英文建设内容|建设内容(英文)|construction content (english)|content (english)|construction content in english"),
    Column("expected_annual_output", "预计年产值（万元）", gettext_lazy("Expected annual output (CNY 10,000)"),
           Kind.MONEY, "预计年产值|年产值|达产后年产值|达效后年产值|expected annual output|annual output"),
    Column("start_date", "开工日期", gettext_lazy("Start date"), Kind.DATE,
           "开工时间|计划开工时间|计划开工日期|开工年月|start date|start"),
    Column("planned_completion_date", "计划竣工日期", gettext_lazy("Planned completion date"), Kind.DATE,
           "竣工日期|竣工时间|计划竣工时间|计划完工时间|完工时间|竣工年月|planned completion|completion date"),
    Column("annual_plan", "年度计划投资（万元）", gettext_lazy("Planned investment this year (CNY 10,000)"),
           Kind.MONEY, "年计划投资|本年计划投资|当年计划投资|年度投资计划|计划投资|本年度计划投资|annual plan|planned investment this year"),
    Column("construction_period", "建设起止年限", gettext_lazy("Construction period"), Kind.PERIOD,
           "起止年限|建设年限|建设期限|建设周期|建设起止时间|起止时间|construction period|period"),
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


# A sequence number restarts in every group and changes when the list is re-sorted: it never says which
# project a row is, so it may not be taken for the code.
SERIAL_HEADERS = {normalise(h) for h in ("序号", "序", "顺序号", "排序", "no.", "no", "#", "s/n", "serial")}


@dataclass(frozen=True)
class Guess:
    field: str  # "" when the column is ignored
    source: str  # "remembered" | "guessed"


def bare(normalised: str) -> str:
    """The header without what is in brackets (usually the unit): 总投资(万元) → 总投资."""
    return re.sub(r"\(.*?\)|\[.*?\]|【.*?】|〔.*?〕", "", normalised)


def _score(header: str, column: Column) -> float:
    names = column.names
    if header in names:
        return 3
    stripped = bare(header)
    bares = {bare(n) for n in names}
    if stripped in bares:
        return 2
    # Containment: 项目总投资 holds 总投资. Short Latin words (lat, code…) hide in too many others.
    contained = [n for n in bares if len(n) >= 2 and n in stripped and (not n.isascii() or len(n) >= 5)]
    return 1 + max(len(n) for n in contained) / 100 if contained else 0


def score(header: str, column: Column) -> float:
    """How well a header names a column; a two-row header (“投资情况 / 总投资”) is judged by its lower part
    first, its whole name second."""
    parts = header.split("/")
    whole = _score(header, column)
    lower = _score(parts[-1], column) if len(parts) > 1 and parts[-1] else 0
    # Only a lower part that names the column counts: else every column would match every two-row header.
    return max(whole, lower + 0.5) if lower else whole


def position_key(index: int) -> str:
    """How a column with a blank header is remembered: by its position."""
    return f"#{get_column_letter(index + 1)}"


def guess_mapping(
    headers: list[str], remembered: dict[str, str], columns: tuple[Column, ...] = COLUMNS
) -> dict[int, Guess]:
    """Column index → field: what the county answered before, else the best match of the header."""
    by_key = {c.key: c for c in columns}
    result: dict[int, Guess] = {}
    taken: set[str] = set()
    candidates: list[tuple[float, int, str]] = []
    for index, header in enumerate(headers):
        key = normalise(header) or position_key(index)
        if key in remembered:
            field = remembered[key] if remembered[key] in by_key and remembered[key] not in taken else ""
            result[index] = Guess(field, "remembered")
            taken.add(field)
            continue
        if not normalise(header) or normalise(header) in SERIAL_HEADERS:
            continue
        candidates += [(s, index, c.key) for c in columns if (s := score(key, c))]
    for _s, index, field in sorted(candidates, key=lambda c: (-c[0], c[1])):
        if index not in result and field not in taken:
            result[index] = Guess(field, "guessed")
            taken.add(field)
    return result


def remembered_key(kind: str, key: str) -> str:
    """How a column's answer is remembered for a kind of import. The monthly figures' answers are kept apart from
    the registry list's, since a column one of them ignores may be one the other needs: "monthly:项目名称". A
    normalised header holds no colon."""
    return key if kind == "registry" else f"{kind}:{key}"


def remembered_mapping(county: Region, kind: str = "registry") -> dict[str, str]:
    rows = ColumnMapping.objects.filter(county=county).values_list("source_header", "field")
    if kind == "registry":
        return dict(rows.exclude(source_header__contains=":"))
    prefix = remembered_key(kind, "")
    return {
        header.removeprefix(prefix): field for header, field in rows.filter(source_header__startswith=prefix)
    }
