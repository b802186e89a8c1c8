"""What an upload proposes: the sheet with the most project rows, and a column that only numbers the rows taken
for a sequence number, never for the code."""

from __future__ import annotations

from keyprojects.imports.columns import COLUMNS
from keyprojects.imports.layout import read_layout
from keyprojects.imports.proposal import numbers_rows, project_like_rows
from keyprojects.imports.sheets import RawSheet

HEADER = ["编号", "项目名称", "项目单位", "总投资（万元）"]


def sheet(name: str, rows: list[list]) -> RawSheet:
    return RawSheet(name, [(n, values) for n, values in enumerate(rows, start=1)])


def test_it_counts_project_rows_only_on_a_sheet_whose_header_names_our_columns():
    registry = sheet("一览表", [HEADER, [1, "甲项目", "甲公司", 100], [2, "乙项目", "乙公司", 200]])
    notes = sheet("填表说明", [["说明"], ["请按模板填写"], ["金额以万元计"]])

    assert project_like_rows(registry, remembered={}, columns=COLUMNS) == 2
    assert project_like_rows(notes, remembered={}, columns=COLUMNS) == 0


def test_it_takes_a_column_of_whole_numbers_from_one_for_a_sequence_number():
    layout = read_layout(
        sheet(
            "一览表",
            [HEADER, [1, "甲项目", "甲公司", 100], [2, "乙项目", "乙公司", 200], [3, "丙", "丙公司", 7]],
        ),
        remembered={},
    )

    assert numbers_rows(layout, 0)
    assert not numbers_rows(layout, 1)  # names
    assert not numbers_rows(layout, 3)  # 100 is beyond the count of rows
