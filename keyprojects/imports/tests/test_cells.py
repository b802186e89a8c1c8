"""Reading one cell: amounts in a unit, units named by headers and unit lines, dates and construction periods,
names with titles in brackets."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from keyprojects.imports.cells import (
    CellError,
    date_of,
    money,
    names_in,
    period_of,
    unit_in_header,
    unit_in_line,
)


@pytest.mark.parametrize(
    ("header", "factor"),
    [
        ("总投资（亿元）", 100_000_000),
        ("总投资(万元)", 10_000),
        ("投资情况（万元） / 总投资", 10_000),
        ("投资情况（亿元） / 总投资（万元）", 10_000),
        ("投资情况 / 2026年计划投资", None),
        ("Total investment (10k yuan)", 10_000),
        ("Total investment (CNY 10,000)", 10_000),
        ("Total investment (CNY 100 million)", 100_000_000),
        ("Total investment (CNY)", 1),
        ("Total investment (CNY million)", 1_000_000),  # as the English exports write it
    ],
)
def test_it_reads_a_money_column_s_unit_from_its_header(header, factor):
    assert unit_in_header(header) == factor


def test_it_reads_an_amount_in_its_unit_to_the_cent_and_a_placeholder_as_none():
    assert money("1,234.567", 10_000) == Decimal("12345670.00")
    assert money("—", 10_000) is None
    with pytest.raises(CellError):
        money("一千万", 10_000)


def test_it_reads_dates_and_construction_periods_as_offices_write_them():
    assert date_of("2026年3月5日") == date(2026, 3, 5)
    assert period_of("2026.3-2027.12") == (date(2026, 3, 1), date(2027, 12, 31))


def test_it_reads_the_unit_of_a_line_above_the_table_and_names_without_their_titles():
    assert unit_in_line("单位：万元") == 10_000
    assert names_in("张三（副县长）、李四") == ["张三", "李四"]
