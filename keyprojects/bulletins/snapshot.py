"""A published bulletin's snapshot read back: `Bulletin.as_dict()` turned into the same frozen content again.

The renderers lay a published bulletin out from this, never from today's figures: what was published is what
every later download shows.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

from keyprojects.bulletins import content
from keyprojects.bulletins.content import MONEY, RATE, Bulletin, BulletinTable, Column, Overview, Section

_DECIMAL_OVERVIEW = ("total_investment", "planned", "completed", "completion_rate")


def _decimal(value) -> Decimal | None:
    return None if value is None or value == "" else Decimal(value)


def _table(data: dict) -> BulletinTable:
    columns = tuple(Column(**c) for c in data["columns"])
    rows = tuple(
        tuple(_decimal(v) if c.kind in (MONEY, RATE) else v for v, c in zip(row, columns, strict=True))
        for row in data["rows"]
    )
    return BulletinTable(data["key"], data["title"], columns, rows, data.get("totals", False))


def _section(data: dict) -> Section:
    return Section(
        data["key"],
        data["heading"],
        tuple(data.get("paragraphs", ())),
        tuple(_table(t) for t in data.get("tables", ())),
    )


def _overview(data: dict) -> Overview:
    values = {k: (_decimal(v) if k in _DECIMAL_OVERVIEW else v) for k, v in data.items()}
    return Overview(**values)


def _month_points(items: list) -> tuple:
    point = getattr(content, "MonthPoint", None)
    if point is None:
        return ()
    return tuple(point(**{k: (v if k == "month" else Decimal(v)) for k, v in item.items()}) for item in items)


def bulletin_from_dict(data: dict) -> Bulletin:
    """The inverse of `Bulletin.as_dict()`."""
    known = {f.name for f in dataclasses.fields(Bulletin)}
    values = {k: v for k, v in data.items() if k in known}
    values["issued_on"] = date.fromisoformat(data["issued_on"])
    values["yuan_per_unit"] = Decimal(data["yuan_per_unit"])
    values["overview"] = _overview(data["overview"])
    values["sections"] = tuple(_section(s) for s in data["sections"])
    values["leading"] = tuple(data.get("leading", ()))
    values["lagging"] = tuple(data.get("lagging", ()))
    if "monthly" in known:
        values["monthly"] = _month_points(data.get("monthly", ()))
    return Bulletin(**values)
