"""A county office's key-project list as Hebei offices publish it (省市重点建设项目一览表), of any length, for benchmarks.

The layout: a title merged across the sheet, a unit line (单位：万元), a two-row header with merged group cells
(投资情况 over 总投资 and 2026年计划投资, 责任分工 over 责任单位 and 包联县领导), a group row every ~50 projects
(一、省重点项目（50项）, its amounts as SUM formulas with the values Excel stores with them), a 序号 that restarts in
each group, no project code, some amounts as text with thousands separators, leaders with their titles or two
names, several departments in a cell, a 合计 row and a note line. Texts are stored as shared strings, as Excel
and WPS save them (openpyxl writes them inline).
"""

from __future__ import annotations

import io
import random
import re
import zipfile
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

PLAN_YEAR = 2026
WAN = Decimal(10_000)
HEADER_TOP = [
    "序号",
    "项目名称",
    "建设单位",
    "建设地点",
    "建设规模及内容",
    "建设阶段",
    "项目类别",
    "投资情况",
    None,
    "建设起止年限",
    "占地面积（亩）",
    "预计年产值",
    "责任分工",
    None,
    "备注",
]
HEADER_LOWER = (
    [None] * 7 + ["总投资", f"{PLAN_YEAR}年计划投资"] + [None] * 3 + ["责任单位", "包联县领导", None]
)
WIDTH = len(HEADER_TOP)
TOTAL_COLUMN, PLAN_COLUMN = 8, 9  # H and I, 1-based
FIRST_ROW = 5  # rows 1-4: title, unit line, the two header rows

BRANDS = [
    "鼎盛",
    "汇通",
    "众鑫",
    "弘毅",
    "嘉禾",
    "立信",
    "华瑞",
    "金泰",
    "盛元",
    "恒信",
    "安泰",
    "兴隆",
    "广源",
    "银川",
    "东旭",
    "联创",
    "开元",
    "信达",
    "荣昌",
    "明德",
]
INDUSTRIES = [
    "精密机械",
    "新型建材",
    "绿色食品",
    "智能装备",
    "生物医药",
    "光伏能源",
    "现代物流",
    "纺织服装",
    "电子材料",
    "农业科技",
    "冷链仓储",
    "汽车配件",
    "环保工程",
    "节能科技",
    "包装材料",
]
FORMS = ("有限公司", "股份有限公司", "集团有限公司")
PRODUCTS = (
    "年产{n}万吨{p}项目",
    "{p}产业园项目",
    "年产{n}万套{p}生产线项目",
    "{p}技术改造项目",
    "{p}扩建项目",
    "{p}智能化升级项目",
)
TOWNS = [
    "巨鹿镇",
    "王虎寨镇",
    "西郭城镇",
    "官亭镇",
    "阎疃镇",
    "小吕寨镇",
    "苏家营乡",
    "张王疃乡",
    "观寨乡",
    "堤村乡",
]
STAGES = ("新开工", "续建", "前期项目", "签约项目")
CATEGORIES = ("工业项目", "基础设施项目", "社会民生", "农业项目", "服务业", "新能源")
TITLES = ("县委常委、常务副县长", "副县长", "县委常委、组织部部长", "县人大常委会副主任", "县政协副主席")
NEW_DEPARTMENTS = (
    "巨鹿县数据和政务服务局",
    "巨鹿县应急管理局",
    "巨鹿县市场监督管理局",
    "巨鹿县文化广电和旅游局",
    "巨鹿县科学技术局",
    "巨鹿县行政审批局",
    "巨鹿镇人民政府",
    "官亭镇人民政府",
)
NEW_LEADERS = ("孙志远", "马丽华", "郭建新", "何振东")
REMARKS = ("拟于2027年投产", "土地手续办理中", "环评已批复", "已纳入省级储备库")
LEVELS = (("省", 0.1), ("市", 0.3), ("县", 1.0))  # group rows' levels: the first tenth provincial, then…
NUMERALS = "一二三四五六七八九"


@dataclass
class Names:
    """Organisations the county already has (from the demo), mixed into the file with new ones."""

    enterprises: list[str]
    departments: list[str]
    leaders: list[str]


@dataclass(frozen=True)
class ProjectRow:
    """One project row with its typed values (amounts in yuan), for the bare COPY of the same rows."""

    code: str
    name_zh: str
    enterprise: str
    address: str
    construction_content: str
    stage: str
    category: str
    total_investment: Decimal
    annual_plan: Decimal
    start_date: date
    planned_completion_date: date
    land_area_mu: Decimal
    expected_annual_output: Decimal | None
    departments: str
    leader: str


@dataclass
class OfficeWorkbook:
    content: bytes
    rows: list[ProjectRow]
    layout_rows: int  # title, unit line, headers, group rows, the total and the note
    groups: int
    enterprises: int  # distinct enterprises named
    new_enterprises: int  # of them, not yet registered


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 23 → 二十三 (1 to 99)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else NUMERALS[tens - 1] + "十")
    return head + (NUMERALS[ones - 1] if ones else "")


def _enterprise_names(rng: random.Random, count: int, names: Names) -> tuple[list[str], int]:
    known = names.enterprises[: max(1, count // 20)]  # about one in twenty already registered
    fresh: list[str] = []
    taken = set(known)
    while len(known) + len(fresh) < count:
        name = f"巨鹿县{rng.choice(BRANDS)}{rng.choice(INDUSTRIES)}{rng.choice(FORMS)}"
        if name not in taken:
            taken.add(name)
            fresh.append(name)
    return known + fresh, len(fresh)


def _leader_cell(rng: random.Random, leaders: list[str]) -> str:
    roll = rng.random()
    if roll < 0.6:
        return f"{rng.choice(leaders)}（{rng.choice(TITLES)}）"
    if roll < 0.8:
        first, second = rng.sample(leaders, 2)
        return f"{first}、{second}"
    return rng.choice(leaders)


def _yuan(wan: Decimal) -> Decimal:
    return (wan * WAN).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def build(n: int, names: Names, *, seed: int = 2026) -> OfficeWorkbook:
    rng = random.Random(seed)
    enterprises, new_enterprises = _enterprise_names(rng, 300 if n > 5000 else 200, names)
    departments = names.departments + list(NEW_DEPARTMENTS)
    leaders = names.leaders + list(NEW_LEADERS)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("重点项目")
    sheet.append([f"巨鹿县{PLAN_YEAR}年省市重点建设项目一览表"])
    sheet.append([None] * 13 + ["单位：万元"])
    sheet.append(HEADER_TOP)
    sheet.append(HEADER_LOWER)
    merges = ["A1:O1", "N2:O2", "H3:I3", "M3:N3"]
    merges += [
        f"{get_column_letter(c)}3:{get_column_letter(c)}4" for c in (1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 15)
    ]
    cached: dict[str, float] = {}  # formula cell → the value Excel stores with it
    rows: list[ProjectRow] = []
    number = FIRST_ROW
    groups = 0
    grand_total = grand_plan = Decimal(0)
    while len(rows) < n:
        size = min(rng.randint(40, 60), n - len(rows))
        level = next(word for word, upto in LEVELS if len(rows) < upto * n)
        group_row, first, last = number, number + 1, number + size
        sheet.append(
            [f"{chinese_numeral(groups % 99 + 1)}、{level}重点项目（{size}项）"]
            + [None] * 6
            + [f"=SUM(H{first}:H{last})", f"=SUM(I{first}:I{last})"]
        )
        groups += 1
        number += 1
        group_total = group_plan = Decimal(0)
        for serial in range(1, size + 1):
            index = len(rows) + 1
            enterprise = rng.choice(enterprises)
            product = rng.choice(INDUSTRIES)
            name = rng.choice(PRODUCTS).format(n=rng.randint(1, 50), p=product) + f"（{index:05d}）"
            total = Decimal(rng.randint(5_000, 2_000_000)) / 10  # 万元, one decimal
            plan = (total * Decimal(rng.uniform(0.1, 0.5))).quantize(Decimal("0.1"))
            start_year = rng.randint(2023, PLAN_YEAR)
            end_year = start_year + rng.randint(1, 3)
            if rng.random() < 0.5:
                period = f"{start_year}-{end_year}"
                start, end = date(start_year, 1, 1), date(end_year, 12, 31)
            else:
                month = rng.randint(1, 12)
                period = f"{start_year}.{month}-{end_year}.12"
                start, end = date(start_year, month, 1), date(end_year, 12, 31)
            land = Decimal(rng.randint(200, 5000)) / 10
            output = (
                (total * Decimal(rng.uniform(0.5, 2))).quantize(Decimal("0.1"))
                if rng.random() < 0.7
                else None
            )
            cell_departments = "、".join(rng.sample(departments, rng.randint(1, 3)))
            leader = _leader_cell(rng, leaders)
            town = rng.choice(TOWNS)
            content = (
                f"总建筑面积{rng.randint(5, 200) * 1000}平方米，建设生产车间、仓库及配套设施，"
                f"购置{product}生产设备{rng.randint(10, 300)}台（套）"
            )
            stage = rng.choice(STAGES)
            category = rng.choice(CATEGORIES)
            sheet.append(
                [
                    serial,
                    name,
                    enterprise,
                    f"巨鹿县{town}",
                    content,
                    stage,
                    category,
                    f"{total:,}" if index % 7 == 0 else float(total),  # some offices type amounts as text
                    float(plan),
                    period,
                    float(land),
                    float(output) if output is not None else None,
                    cell_departments,
                    leader,
                    rng.choice(REMARKS) if rng.random() < 0.1 else None,
                ]
            )
            rows.append(
                ProjectRow(
                    f"JL-{PLAN_YEAR}-{index:05d}",
                    name,
                    enterprise,
                    f"巨鹿县{town}",
                    content,
                    stage,
                    category,
                    _yuan(total),
                    _yuan(plan),
                    start,
                    end,
                    land,
                    _yuan(output) if output is not None else None,
                    cell_departments,
                    leader,
                )
            )
            group_total += total
            group_plan += plan
            number += 1
        cached[f"H{group_row}"], cached[f"I{group_row}"] = float(group_total), float(group_plan)
        grand_total += group_total
        grand_plan += group_plan
    sheet.append(["合计"] + [None] * 6 + [float(grand_total), float(grand_plan)])
    sheet.append(["备注：1.本表金额单位为万元；2.建设起止年限按备案文件填写。"])
    for cells in merges:
        sheet.merged_cells.add(cells)
    out = io.BytesIO()
    workbook.save(out)
    return OfficeWorkbook(
        content=_as_excel_saves(out.getvalue(), cached),
        rows=rows,
        layout_rows=4 + groups + 2,
        groups=groups,
        enterprises=len(enterprises),
        new_enterprises=new_enterprises,
    )


# ---- as Excel saves it: shared strings, and formulas with their stored values -------------------------

INLINE = re.compile(rb'<c ([^>]*?)t="inlineStr"><is><t[^>]*>(.*?)</t></is></c>', re.S)
FORMULA = re.compile(rb'<c r="([A-Z]+\d+)"([^>]*)><f>(.*?)</f><v\s*/?>(?:</v>)?</c>')
SHARED_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SHARED_REL = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def _as_excel_saves(xlsx: bytes, cached: dict[str, float]) -> bytes:
    strings: dict[bytes, int] = {}
    count = 0

    def shared(match: re.Match) -> bytes:
        nonlocal count
        count += 1
        index = strings.setdefault(match[2], len(strings))
        return b'<c %st="s"><v>%d</v></c>' % (match[1], index)

    def stored(match: re.Match) -> bytes:
        value = cached.get(match[1].decode())
        if value is None:
            return match[0]
        return b'<c r="%s"%s><f>%s</f><v>%s</v></c>' % (match[1], match[2], match[3], repr(value).encode())

    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = source.read(info)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = FORMULA.sub(stored, INLINE.sub(shared, data))
            elif info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="%s"/></Types>' % SHARED_TYPE,
                )
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdShared" Type="%s" Target="sharedStrings.xml"/></Relationships>'
                    % SHARED_REL,
                )
            target.writestr(info.filename, data)
        items = b"".join(b'<si><t xml:space="preserve">%s</t></si>' % text for text in strings)
        target.writestr(
            "xl/sharedStrings.xml",
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">'
            b"%s</sst>" % (count, len(strings), items),
        )
    return out.getvalue()
