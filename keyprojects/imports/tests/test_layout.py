"""The layout reader on its own: group rows beyond 九十九, sub-groups inside groups, and totals checked in one pass."""

from __future__ import annotations

from decimal import Decimal

from keyprojects.imports.layout import read_layout
from keyprojects.imports.sheets import Formula, RawSheet
from keyprojects.imports.totals import check_totals
from keyprojects.projects.models import Level

HEADER = ["序号", "项目名称", "项目单位", "总投资（万元）"]


def sheet(rows: list[list]) -> RawSheet:
    return RawSheet("一览表", [(n, values) for n, values in enumerate([HEADER, *rows], start=1)])


def test_it_reads_a_group_numbered_beyond_ninety_nine_as_a_group():
    layout = read_layout(
        sheet(
            [
                ["一百、省重点项目（1项）"],
                [1, "甲项目", "甲公司", 10],
                ["一百零一、市重点项目"],
                [1, "乙项目", "乙公司", 5],
            ]
        ),
        remembered={},
    )

    assert [n for n, _v in layout.rows] == [3, 5]
    assert layout.levels == {3: Level.PROVINCIAL, 5: Level.MUNICIPAL}


def test_it_keeps_the_level_of_the_group_a_sub_group_sits_in_and_sums_both():
    layout = read_layout(
        sheet(
            [
                ["一、省重点项目（3项）", None, None, Formula("=SUM(D4:D7)", 60)],
                ["（一）工业项目", None, None, 30],
                [1, "甲项目", "甲公司", 10],
                [2, "乙项目", "乙公司", 20],
                ["（二）县级配套项目", None, None, 30],
                [1, "丙项目", "丙公司", 30],
            ]
        ),
        remembered={},
    )

    # “县” in the sub-group's title names a level of its own; the first sub-group takes its group's.
    assert layout.levels == {4: Level.PROVINCIAL, 5: Level.PROVINCIAL, 7: Level.COUNTY}
    amounts = {4: {3: Decimal(100_000)}, 5: {3: Decimal(200_000)}, 7: {3: Decimal(300_000)}}
    checks = check_totals(layout, amounts=amounts, factors={3: 10_000}, imported={4, 5, 7})
    by_row = {(c.row, c.column): c for c in checks}
    assert by_row[(2, "总投资（万元）")].summed == "600000.00" and by_row[(2, "总投资（万元）")].ok
    assert by_row[(2, "")].stated == "3" and by_row[(2, "")].ok  # （3项）: the sub-groups' rows count
    assert by_row[(3, "总投资（万元）")].ok and by_row[(6, "总投资（万元）")].ok
