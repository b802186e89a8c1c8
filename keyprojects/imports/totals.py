"""Checking a list's own figures: each group, subtotal and total row (a `layout.Marker`) against the sum of the
project rows it covers, in yuan, and a group's count of projects (一、省重点项目（10项）) against its rows. What the
office sees in the preview, so that a row read wrongly or left out shows as a sum that does not match.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from decimal import Decimal

from keyprojects.imports.cells import CellError, money
from keyprojects.imports.layout import GROUP_COUNT, Layout
from keyprojects.imports.sheets import Formula


@dataclass(frozen=True)
class TotalCheck:
    row: int
    kind: str  # "group" | "subtotal" | "total"
    column: str  # the header, or "" for a group's count of projects
    stated: str  # what the row says, in yuan (or a count)
    summed: str  # what the imported rows add up to
    ok: bool

    def as_dict(self) -> dict:
        return {
            "row": self.row,
            "kind": self.kind,
            "column": self.column,
            "stated": self.stated,
            "summed": self.summed,
            "ok": self.ok,
        }


def _scopes(layout: Layout) -> dict[int, list[int]]:
    """Which project rows each marker sums, all found in one pass: a group its own rows (and those of its
    sub-groups), a subtotal those since the previous group or subtotal, a total all rows above it (or all rows,
    when it stands right under the header)."""
    numbers = [n for n, _v in layout.rows]  # in sheet order
    by_group: dict[int, list[int]] = {}
    for row in numbers:
        for group in (layout.group_of.get(row), layout.outer_of.get(row)):
            if group is not None:
                by_group.setdefault(group, []).append(row)
    scopes: dict[int, list[int]] = {}
    previous = 0
    for marker in layout.markers:
        if marker.kind == "group":
            scopes[marker.row] = by_group.get(marker.row, [])
            previous = marker.row
        elif marker.kind == "subtotal":
            scopes[marker.row] = numbers[bisect_right(numbers, previous) : bisect_left(numbers, marker.row)]
            previous = marker.row
        else:
            above = numbers[: bisect_left(numbers, marker.row)]
            scopes[marker.row] = above or numbers
    return scopes


def check_totals(
    layout: Layout,
    *,
    amounts: dict[int, dict[int, Decimal]],
    factors: dict[int, int],
    imported: set[int],
) -> list[TotalCheck]:
    """Each group, subtotal and total row's figures against the sum of the project rows it covers (formulas by
    their stored results; an uncalculated formula or an empty cell is not checked). `amounts`: row → column
    index → yuan, for the money columns; `imported`: the project rows read without error."""
    checks: list[TotalCheck] = []
    scopes = _scopes(layout)
    for marker in layout.markers:
        covered = scopes[marker.row]
        rows = [r for r in covered if r in imported]
        for index, factor in factors.items():
            value = marker.values[index] if index < len(marker.values) else None
            if isinstance(value, Formula):
                value = value.cached
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            try:
                stated = money(value, factor)
            except CellError:
                continue
            if stated is None:
                continue
            summed = sum((amounts.get(r, {}).get(index) or Decimal(0) for r in rows), Decimal(0))
            # Stored values are exact; float sums of a spreadsheet program differ in far-off decimals only.
            tolerance = Decimal("0.005") * factor
            checks.append(
                TotalCheck(
                    marker.row,
                    marker.kind,
                    layout.headers[index],
                    f"{stated:.2f}",
                    f"{summed:.2f}",
                    abs(stated - summed) <= tolerance,
                )
            )
        count = GROUP_COUNT.search(marker.text) if marker.kind == "group" else None
        if count:
            in_group = len(covered)
            checks.append(
                TotalCheck(marker.row, marker.kind, "", count[1], str(in_group), int(count[1]) == in_group)
            )
    return checks
