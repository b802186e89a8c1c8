"""The bulletin as an .xlsx workbook: one sheet per table, each written by the export writer every download
shares (core.spreadsheets: title and period rows, a frozen, filterable header, number formats, totals)."""

from __future__ import annotations

from keyprojects.bulletins.cells import amount, percent
from keyprojects.bulletins.content import CHANGE, INTEGER, MONEY, RATE, Bulletin, BulletinTable
from keyprojects.core import spreadsheets
from keyprojects.core.spreadsheets import Column, Table, tables_xlsx

# A bulletin's cell kinds as the export writer's; a rate is written as a percentage figure (95.53), as its
# header says, and a change of rank as a signed count.
KINDS = {
    MONEY: spreadsheets.MONEY,
    RATE: spreadsheets.DECIMAL,
    INTEGER: spreadsheets.INTEGER,
    CHANGE: spreadsheets.INTEGER,
}


def _cell(bulletin: Bulletin, value, kind: str):
    if value is None:
        return None
    if kind == MONEY:
        return amount(bulletin, value)
    if kind == RATE:
        return percent(value)
    return value


def _table(bulletin: Bulletin, table: BulletinTable) -> Table:
    return Table(
        title=table.title,
        subtitle=[bulletin.title, f"{bulletin.period} · {bulletin.number}"],
        columns=[
            Column(c.header, KINDS.get(c.kind, spreadsheets.TEXT), total=c.totalled and table.totals)
            for c in table.columns
        ],
        rows=[
            [_cell(bulletin, v, c.kind) for v, c in zip(row, table.columns, strict=True)]
            for row in table.rows
        ],
        sheet_name=table.title,
    )


def bulletin_xlsx(bulletin: Bulletin) -> bytes:
    """Every table of the bulletin, one sheet each, in the order the bulletin prints them."""
    return tables_xlsx([_table(bulletin, table) for table in bulletin.tables], title=bulletin.title)
