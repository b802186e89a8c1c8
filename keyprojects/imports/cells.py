"""Reading one cell: text, numbers with thousands separators, amounts in a unit, dates and construction periods,
names with titles in brackets, and cells naming several people or departments. Nothing here touches the database.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from openpyxl.utils.datetime import from_excel

from keyprojects.imports.sheets import Formula

CENT = Decimal("0.01")


@dataclass(frozen=True)
class RowError:
    row: int  # as the spreadsheet program numbers it
    column: str  # the header in the file (our field's name when the file has no such column)
    value: str
    reason: str

    def as_dict(self) -> dict:
        return asdict(self)


class CellError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class RowCells:
    """One row's cells read by the columns they are mapped to: the values as written, those that parsed, the
    columns that failed and the errors (row, the column's header, value, reason)."""

    number: int
    column: Callable[[str], str]  # a field's header as the file writes it
    raw: dict[str, Any] = field(default_factory=dict)
    parsed: dict[str, Any] = field(default_factory=dict)
    failed: set[str] = field(default_factory=set)
    errors: list[RowError] = field(default_factory=list)

    def fail(self, key: str, value: Any, reason: str) -> None:
        self.errors.append(RowError(self.number, self.column(key), display(value), reason))
        self.failed.add(key)


def read_cells(
    number: int,
    values: list[Any],
    *,
    mapping: dict[int, str],
    column: Callable[[str], str],
    parse: Callable[[str, Any, int], Any],
) -> RowCells:
    """Parse each mapped cell of a row with `parse(key, value, index)`; a formula with no stored result, or a
    cell `parse` refuses, is an error of its column."""
    cells = RowCells(number, column)
    for index, key in mapping.items():
        cells.raw[key] = value = values[index] if index < len(values) else None
        if isinstance(value, Formula) and value.cached is None:
            cells.fail(
                key,
                value,
                _(
                    "The cell holds a formula that was never calculated, so it has no value to import. Open the file in Excel or WPS, save it, and upload it again."
                ),
            )
            continue
        try:
            cells.parsed[key] = parse(key, value, index)
        except CellError as exc:
            cells.fail(key, value, exc.reason)
    return cells


def value_of(value: Any) -> Any:
    """A formula's stored result (never executed); other values as they are."""
    return value.cached if isinstance(value, Formula) else value


def normalise(text: Any) -> str:
    """Fold full-width forms, case and spaces, and drop required-field stars: how headers and names compare."""
    folded = unicodedata.normalize("NFKC", str(text or "")).casefold()
    return re.sub(r"[\s*:※]+", "", folded)


BRACKETS = re.compile(r"[()\[\]【】〔〕《》<>{}「」『』\"'“”‘’]")


def identity(text: Any) -> str:
    """How names of projects and enterprises are compared: normalised, and brackets of any kind ignored, so that
    “XX公司（新厂）” and “XX公司 (新厂)” are one."""
    return BRACKETS.sub("", normalise(text))


def text_of(value: Any) -> str:
    value = value_of(value)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").strip()


def display(value: Any) -> str:
    if isinstance(value, Formula) and value.cached is None:
        return value.text[:200]
    return text_of(value)[:200]


# What offices write in a cell that has nothing to say (no plan this year, no date yet).
PLACEHOLDERS = {"-", "--", "—", "——", "–", "/", "\\", "无", "暂无", "n/a"}


def is_blank(value: Any) -> bool:
    """An empty cell, or one holding only a placeholder dash or slash."""
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    return not value.strip() or unicodedata.normalize("NFKC", value).strip().casefold() in PLACEHOLDERS


def decimal_of(value: Any) -> Decimal | None:
    value = value_of(value)
    if is_blank(value):
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


# ---- units ------------------------------------------------------------------------------------------

YUAN, WAN, MILLION, YI = 1, 10_000, 1_000_000, 100_000_000
# CNY million is how the English exports count: an office may read one back in.
UNIT_NAMES = {"yuan": YUAN, "wan": WAN, "million": MILLION, "yi": YI}
UNIT_SUFFIXES = (("亿元", YI), ("亿", YI), ("万元", WAN), ("万", WAN), ("元", YUAN))
UNIT_LINE = re.compile(r"(?:单位|金额单位|计量单位|unit)[:：]?\s*[(（]?\s*(亿元|万元|元|亿|万)", re.I)


def in_wan(yuan: Decimal) -> str:
    """An amount in yuan shown in 万元, as the labels of the money columns say, exact to the yuan cent."""
    whole, fraction = f"{yuan / WAN:,.6f}".split(".")
    return f"{whole}.{fraction.rstrip('0').ljust(2, '0')}"


def unit_label(factor: int | None) -> str:
    labels = {
        YUAN: _("yuan"),
        WAN: _("CNY 10,000 (万元)"),
        MILLION: _("CNY million"),
        YI: _("CNY 100 million (亿元)"),
    }
    return labels.get(factor or 0, "")


def unit_in_header(header: str) -> int | None:
    """Yuan per unit that a money column's header states (总投资(亿元), Total (CNY 10,000)); None when it says none.
    Of a two-row header's name the lower part speaks first: “投资情况（亿元） / 总投资（万元）” is in 万元."""
    parts = header.split(" / ")
    if len(parts) > 1:
        return next((u for part in reversed(parts) if (u := unit_in_header(part))), None)
    h = normalise(header)
    if "亿" in h or "100m" in h:
        return YI
    if "万" in h or "10k" in h or "10,000" in h or "10000" in h:
        return WAN
    if "million" in h:
        return MILLION
    if "元" in h or "yuan" in h or "rmb" in h or "cny" in h:
        return YUAN
    return None


def unit_in_line(text: str) -> int | None:
    """The unit a line above the header gives for the whole table (单位：万元)."""
    match = UNIT_LINE.search(unicodedata.normalize("NFKC", text))
    if not match:
        return None
    return {"亿元": YI, "亿": YI, "万元": WAN, "万": WAN, "元": YUAN}[match[1]]


def money(value: Any, factor: int) -> Decimal | None:
    """An amount in yuan from a cell in the column's unit; a unit written in the cell itself wins."""
    value = value_of(value)
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        for suffix, suffix_factor in UNIT_SUFFIXES:
            if text.endswith(suffix):
                value, factor = text[: -len(suffix)], suffix_factor
                break
    number = decimal_of(value)
    if number is None:
        return None
    try:
        return (number * factor).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise CellError(_("The amount is far too large.")) from exc


def plain_decimal(value: Any, places: int) -> Decimal | None:
    value = value_of(value)
    if isinstance(value, str):
        value = re.sub(r"(亩|mu)$", "", unicodedata.normalize("NFKC", value).strip(), flags=re.I)
    number = decimal_of(value)
    if number is None:
        return None
    try:
        return number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise CellError(_("The number is far too large.")) from exc


# ---- dates and periods ---------------------------------------------------------------------------------

DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:[-/.月]\s*(\d{1,2})\s*日?|月?)$")
# One end of a construction period: 2024, 2024年, 2024.3, 2024-03, 2024年3月.
PERIOD_END = r"(\d{4})\s*(?:年)?\s*(?:[-/.]?\s*(\d{1,2})\s*月?)?"
PERIOD_TEXT = re.compile(rf"^{PERIOD_END}\s*(?:(?:-|—|–|~|～|至|到)\s*{PERIOD_END})?$")


def date_of(value: Any) -> date | None:
    """A date cell, or text like 2026-03-01, 2026/3/1, 2026年3月1日; a month alone means its first day."""
    value = value_of(value)
    if is_blank(value):
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


def period_of(value: Any) -> tuple[date, date] | None:
    """建设起止年限: “2024-2027” is 1 January 2024 to 31 December 2027; “2024.3-2026.12” is 1 March 2024 to
    31 December 2026; a year alone (“2026”) is that year."""
    text = text_of(value)
    if is_blank(text):
        return None
    match = PERIOD_TEXT.match(unicodedata.normalize("NFKC", text).replace(" ", ""))
    if not match:
        raise CellError(_("Not a construction period; write it as 2024-2027 or 2024.3-2026.12."))
    start_year, start_month, end_year, end_month = match.groups()
    if end_year is None:
        if start_month:  # “2026.3” is a month, not a period
            raise CellError(_("Not a construction period; write it as 2024-2027 or 2024.3-2026.12."))
        end_year = start_year
    try:
        start = date(int(start_year), int(start_month or 1), 1)
        end_m = int(end_month or 12)
        end = date(int(end_year), end_m, calendar.monthrange(int(end_year), end_m)[1])
    except (ValueError, calendar.IllegalMonthError) as exc:
        raise CellError(_("Not a construction period; write it as 2024-2027 or 2024.3-2026.12.")) from exc
    if end < start:
        raise CellError(_("The period ends before it starts."))
    return start, end


# ---- names ---------------------------------------------------------------------------------------------

NAME_SEPARATORS = re.compile(r"[、,;，；/\n]+|\s{2,}")
REMARK = re.compile(r"[(（【〔][^()（）【】〔〕]*[)）】〕]")


def names_in(text: str) -> list[str]:
    """The names in a cell: “黄海涛（县委常委、常务副县长）、李明” → [黄海涛, 李明]. Remarks in brackets (titles,
    “牵头”) are dropped before splitting, since they hold separators of their own."""
    bare = REMARK.sub("", unicodedata.normalize("NFKC", text))
    found: list[str] = []
    for name in (n.strip() for n in NAME_SEPARATORS.split(bare)):
        if name and name not in found:
            found.append(name)
    return found
