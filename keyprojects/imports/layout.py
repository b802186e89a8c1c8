"""Reading a worksheet's layout the way county offices publish their lists (省市重点建设项目一览表): a title, a unit
line (单位：万元), a header of one or two rows with merged group cells (投资情况 over 总投资 and 2026年计划投资),
group rows between the projects (一、省重点项目（10项）) with their sums, subtotal and total rows, and notes below.

What is not a project row is skipped and said why; group, subtotal and total rows are kept as `Marker`s so that
their figures can be checked against the rows they sum (imports.totals).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from keyprojects.imports.cells import normalise, text_of, unit_in_header, unit_in_line
from keyprojects.imports.columns import COLUMNS, Column, Kind, guess_mapping
from keyprojects.imports.sheets import RawSheet
from keyprojects.projects.models import Level

HEADER_SCAN = 15  # the header is looked for among the first rows (titles and unit lines come first)

TOTAL_WORDS = {
    normalise(w) for w in ("合计", "总计", "共计", "全县合计", "全市合计", "总合计", "total", "grand total")
}
SUBTOTAL_WORDS = {normalise(w) for w in ("小计", "subtotal")}
CHINESE_NUMERAL = "一二三四五六七八九十百零〇"
GROUP = re.compile(
    rf"^(?:[{CHINESE_NUMERAL}]+\s*[、.．,，]|[(（][{CHINESE_NUMERAL}]+[)）]|第[{CHINESE_NUMERAL}\d]+(?:部分|类|批))"
)
SUB_GROUP = re.compile(rf"^[(（][{CHINESE_NUMERAL}]+[)）]")
# A group's numeral alone in the 序号 column, its title in the name column: 一 | 省重点项目（10项）.
GROUP_NUMERAL = re.compile(rf"^(?:[{CHINESE_NUMERAL}]+|[(（][{CHINESE_NUMERAL}]+[)）])$")
NOTE = re.compile(r"^(?:备注|注[:：]|注\d|说明[:：]|附注|填表|制表|审核|联系人|联系电话|填报|note)", re.I)
GROUP_COUNT = re.compile(r"(\d+)\s*(?:项|个)")


@dataclass(frozen=True)
class Skipped:
    row: int
    reason: str  # one of REASONS
    text: str

    def as_dict(self) -> dict:
        return {"row": self.row, "reason": self.reason, "text": self.text}


def skip_reasons() -> dict[str, str]:
    """Why a row was skipped, in the user's language (the preview stores the key)."""
    return {
        "title": _("title above the header"),
        "unit": _("unit line"),
        "header": _("second header row"),
        "group": _("group row"),
        "subtotal": _("subtotal row"),
        "total": _("total row"),
        "note": _("note"),
        "empty": _("no project name"),
    }


@dataclass
class Marker:
    """A group, subtotal or total row: what it states is checked against the project rows it covers."""

    row: int
    kind: str  # "group" | "subtotal" | "total"
    text: str
    values: list[Any]
    level: str = ""  # a group row's level (一、省重点项目 → provincial)


@dataclass
class Layout:
    sheet: str
    header_rows: list[int]
    headers: list[str]
    unit_line: int | None  # yuan per unit of the table's unit line, if there is one
    rows: list[tuple[int, list[Any]]]  # the project rows
    skipped: list[Skipped] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    group_of: dict[int, int] = field(default_factory=dict)  # project row → its group row
    # project row → the group its sub-group sits in: “一、省重点项目” over “（一）工业项目” sums both.
    outer_of: dict[int, int] = field(default_factory=dict)
    levels: dict[int, str] = field(default_factory=dict)  # project row → the level its group gives

    def unit_of(self, index: int) -> int | None:
        """Yuan per unit of a money column: its header's unit, else the unit line's, else unknown."""
        return unit_in_header(self.headers[index]) or self.unit_line


def combine(upper: list[Any], lower: list[Any]) -> list[str]:
    """The names of a two-row header: a merged group cell's text (stored in its first column only) joins each
    name below it, “投资情况 / 总投资”; a name merged down both rows stands alone."""
    width = max(len(upper), len(lower))
    up = [text_of(v) for v in upper] + [""] * (width - len(upper))
    low = [text_of(v) for v in lower] + [""] * (width - len(lower))
    filled = list(up)
    for c in range(1, width):
        if not up[c] and low[c] and filled[c - 1] and low[c - 1]:
            filled[c] = filled[c - 1]  # still under the merged group cell
    return [f"{u} / {lo}" if u and lo else (u or lo) for u, lo in zip(filled, low, strict=True)]


def _is_textual(values: list[Any]) -> bool:
    """A header row holds text only (a year in “2026年” is text); a data row holds numbers."""
    present = [v for v in values if v is not None and text_of(v)]
    return bool(present) and all(isinstance(v, str) for v in present)


def _mapped(headers: list[str], remembered: dict[str, str], columns: tuple[Column, ...]) -> int:
    return sum(1 for g in guess_mapping(headers, remembered, columns).values() if g.field)


def find_header(
    rows: list[tuple[int, list[Any]]], remembered: dict[str, str], columns: tuple[Column, ...]
) -> tuple[int, int]:
    """(index of the header's first row, how many rows it spans: 1 or 2), the candidate naming most of our
    columns; a second row counts only if it adds names."""
    best, best_score = (None, 1), 0
    scan = rows[:HEADER_SCAN]
    for index, (_n, values) in enumerate(scan):
        if not _is_textual(values):
            continue
        single = _mapped([text_of(v) for v in values], remembered, columns)
        if single > best_score:
            best, best_score = (index, 1), single
        texts = _texts(values)
        # A title (one cell) or a unit line above the header is not its upper row: spread over the columns by
        # combine(), its words would be taken for names ("…项目办 / 序号" for the English name).
        could_be_upper = len(texts) >= 2 and not any(unit_in_line(t) for t in texts)
        if could_be_upper and index + 1 < len(rows) and _is_textual(rows[index + 1][1]):
            pair = _mapped(combine(values, rows[index + 1][1]), remembered, columns)
            if pair > max(single, best_score):
                best, best_score = (index, 2), pair
    if best[0] is not None and best_score >= 2:
        return best  # type: ignore[return-value]
    first = next((i for i, (_n, values) in enumerate(scan) if sum(v is not None for v in values) > 1), 0)
    return first, 1


def _texts(values: list[Any]) -> list[str]:
    return [t for t in (text_of(v) for v in values) if t]


def level_of_group(text: str) -> str:
    """The level a group row names: 省重点 → provincial, 市重点 → municipal, 县重点 → county; else none."""
    t = unicodedata.normalize("NFKC", text)
    has = {w: w in t for w in ("省", "市", "县")}
    if has["省"] and not has["市"]:
        return Level.PROVINCIAL
    if has["市"] and not has["省"]:
        return Level.MUNICIPAL
    if has["县"] and not has["省"] and not has["市"]:
        return Level.COUNTY
    return ""


def classify(values: list[Any], name_index: int | None, enterprise_index: int | None = None) -> str:
    """What a row below the header is: "" for a project row, else the reason to skip it."""
    texts = _texts(values)
    if not texts:
        return "empty"
    leading = [normalise(t) for t in texts[:3]]
    if any(t in TOTAL_WORDS for t in leading):
        return "total"
    if any(t in SUBTOTAL_WORDS for t in leading):
        return "subtotal"
    if NOTE.match(unicodedata.normalize("NFKC", texts[0])):
        return "note"
    first = unicodedata.normalize("NFKC", texts[0])
    name = text_of(values[name_index]) if name_index is not None and name_index < len(values) else ""
    if GROUP.match(first) and (not name or name == texts[0]):
        return "group"
    has = enterprise_index is not None and enterprise_index < len(values)
    enterprise = text_of(values[enterprise_index]) if has else ""
    # Only when the row names no enterprise: some lists number their projects 一、二、三 too.
    if GROUP_NUMERAL.match(first.strip()) and name and name != texts[0] and not enterprise:
        return "group"
    return ""


def _label(values: list[Any]) -> str:
    """What a group, subtotal or total row says in words, its figures left out: “一、省重点项目（10项）”, also when
    the numeral and the title sit in two cells."""
    words = [text_of(v) for v in values if isinstance(v, str) and text_of(v)]
    return "、".join(words)[:200]


def read_layout(
    sheet: RawSheet,
    *,
    remembered: dict[str, str],
    columns: tuple[Column, ...] = COLUMNS,
    header_rows: list[int] | None = None,
    name_field: str = "name_zh",
    mapping: dict[int, str] | None = None,
) -> Layout:
    """Find the header (unless given), the unit line above it, and sort every row below into project rows,
    skipped rows and markers. The name column, which tells group rows apart, is the office's `mapping`'s when
    given (it may have corrected the guess), else the guessed one."""
    rows = sheet.rows
    if header_rows:
        index = next((i for i, (number, _v) in enumerate(rows) if number == header_rows[0]), 0)
        span = len(header_rows)
    else:
        index, span = find_header(rows, remembered, columns)
    if not rows:
        return Layout(sheet.name, [], [], None, [])
    header_block = rows[index : index + span]
    headers = (
        combine(header_block[0][1], header_block[1][1]) if span == 2 else _texts_in_place(header_block[0][1])
    )
    # Columns right of the last header cell still hold data (a remarks column left without a header): they keep
    # their place, with a blank header, and are mapped by position.
    width = max((len(values) for _n, values in rows[index + span :]), default=0)
    headers += [""] * (width - len(headers))
    layout = Layout(sheet.name, [n for n, _v in header_block], headers, None, [])
    for number, values in rows[:index]:
        texts = _texts(values)
        unit = next((u for t in texts if (u := unit_in_line(t))), None)
        if unit and layout.unit_line is None:
            layout.unit_line = unit
            layout.skipped.append(Skipped(number, "unit", " ".join(texts)[:200]))
        else:
            layout.skipped.append(Skipped(number, "title", " ".join(texts)[:200]))
    chosen = (
        mapping
        if mapping is not None
        else {i: g.field for i, g in guess_mapping(headers, remembered, columns).items()}
    )
    name_index = next((i for i, field in chosen.items() if field == name_field), None)
    enterprise_index = next((i for i, field in chosen.items() if field == "enterprise"), None)
    english = {normalise(c.en) for c in columns}
    width = len(headers)
    group: Marker | None = None
    outer: Marker | None = None  # the top group a sub-group (（一）…) sits in
    for position, (number, values) in enumerate(rows[index + span :]):
        values = (values + [None] * width)[:width]
        texts = _texts(values)
        if (
            position == 0
            and len(texts) >= 2
            and sum(normalise(t) in english for t in texts) * 2 >= len(texts)
        ):
            layout.skipped.append(
                Skipped(number, "header", " ".join(texts)[:200])
            )  # our template's English row
            continue
        reason = classify(values, name_index, enterprise_index)
        if reason in ("group", "subtotal", "total"):
            marker = Marker(number, reason, _label(values) or texts[0][:200], values)
            if reason == "group":
                marker.level = level_of_group(marker.text)
                if SUB_GROUP.match(unicodedata.normalize("NFKC", marker.text)) and outer is not None:
                    # A sub-group (（十二）工业项目) keeps the level of the group it sits in.
                    marker.level = marker.level or outer.level
                else:
                    outer = marker
                group = marker
            layout.markers.append(marker)
            layout.skipped.append(Skipped(number, reason, " ".join(texts)[:200]))
        elif reason:
            layout.skipped.append(Skipped(number, reason, " ".join(texts)[:200]))
        else:
            layout.rows.append((number, values))
            if group is not None:
                layout.group_of[number] = group.row
                if outer is not None and outer is not group:
                    layout.outer_of[number] = outer.row
                if group.level:
                    layout.levels[number] = group.level
    return layout


def _texts_in_place(values: list[Any]) -> list[str]:
    return [text_of(v) for v in values]


def money_columns(mapping: dict[int, str], columns: tuple[Column, ...] = COLUMNS) -> list[int]:
    by_key = {c.key: c for c in columns}
    return [i for i, key in mapping.items() if key in by_key and by_key[key].kind == Kind.MONEY]
