"""How a bulletin's cell reads on paper (Word, PDF): amounts in the bulletin's unit, rates as percentages."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from keyprojects.bulletins.content import CHANGE, MONEY, RATE, Bulletin, BulletinTable

CENT = Decimal("0.01")


def amount(bulletin: Bulletin, yuan: Decimal) -> Decimal:
    """Yuan in the bulletin's money unit (万元, or millions in English), to 2 places."""
    return (Decimal(yuan) / bulletin.yuan_per_unit).quantize(CENT, rounding=ROUND_HALF_UP)


def percent(rate: Decimal) -> Decimal:
    return (Decimal(rate) * 100).quantize(CENT, rounding=ROUND_HALF_UP)


def shown(bulletin: Bulletin, value, kind: str) -> str:
    if value is None or value == "":
        return "—" if kind in (RATE, MONEY) else ""
    if kind == MONEY:
        return f"{amount(bulletin, value):,.2f}"
    if kind == RATE:
        return f"{percent(value):.2f}"
    if kind == CHANGE:
        return "—" if value == 0 else (f"↑{value}" if value > 0 else f"↓{-value}")
    return str(value)


def totals(bulletin: Bulletin, table: BulletinTable) -> list[str] | None:
    """The totals row as text, "Total" in the first column not summed; None for a table without one."""
    if not table.totals or not table.rows:
        return None
    row = [
        shown(bulletin, sum((r[i] or 0) for r in table.rows), c.kind) if c.totalled else ""
        for i, c in enumerate(table.columns)
    ]
    label_at = next((i for i, c in enumerate(table.columns) if not c.totalled), None)
    if label_at is not None:
        row[label_at] = _("Total")
    return row


def text_rows(bulletin: Bulletin, table: BulletinTable) -> list[list[str]]:
    return [
        [shown(bulletin, v, c.kind) for v, c in zip(row, table.columns, strict=True)] for row in table.rows
    ]
