"""A registry row's cells parsed by their column's kind: amounts in the column's unit kept for the file's totals,
an enterprise the county does not have collected once, a leader's deputies noted as not stored, an unknown choice
refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from keyprojects.imports.cells import CellError
from keyprojects.imports.matching import Lookups
from keyprojects.imports.registry_cells import RegistryCells


@pytest.fixture
def cells(julu) -> RegistryCells:
    headers = {"leader_in_charge": "责任领导"}
    cells = RegistryCells(
        lookups=Lookups.load(julu, plan_year=2031),
        units={3: 10_000},
        column=lambda key: headers.get(key, key),
    )
    cells.row = 7
    return cells


def test_it_reads_an_amount_in_the_column_s_unit_and_keeps_it_for_the_file_s_totals(cells):
    assert cells.parse("total_investment", "1,234.5", 3) == Decimal("12345000")
    assert cells.amounts == {7: {3: Decimal("12345000")}}


def test_it_collects_an_enterprise_the_county_does_not_have_once_however_many_rows_name_it(cells, julu):
    first = cells.parse("enterprise", "巨鹿县从未登记的测试公司", 2)
    cells.row = 8
    again = cells.parse("enterprise", " 巨鹿县从未登记的测试公司 ", 2)

    assert first is again and first.pk is None and first.region == julu
    assert list(cells.new_enterprises.values()) == [first]


def test_it_takes_the_first_name_as_the_leader_and_notes_the_deputies_as_not_stored(cells):
    leader = cells.parse("leader_in_charge", "测试领导甲（副县长）、测试领导乙", 4)

    assert leader.pk is None and leader.display_name == "测试领导甲"
    assert [(n["row"], n["column"]) for n in cells.not_stored] == [(7, "责任领导")]
    assert "测试领导乙" in cells.not_stored[0]["why"]


def test_it_refuses_a_choice_it_does_not_know(cells):
    with pytest.raises(CellError):
        cells.parse("level", "不存在的级别", 5)
