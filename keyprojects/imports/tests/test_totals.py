"""The file's own group, subtotal and total rows checked against the project rows they cover: in one pass, a
formula by the value it stored, a wrong sum shown as such."""

from __future__ import annotations

import time
from decimal import Decimal

from keyprojects.imports.layout import read_layout
from keyprojects.imports.sheets import Formula, RawSheet
from keyprojects.imports.totals import check_totals

HEADER = ["序号", "项目名称", "项目单位", "总投资（万元）"]


def sheet(rows: list[list]) -> RawSheet:
    return RawSheet("一览表", [(n, values) for n, values in enumerate([HEADER, *rows], start=1)])


def test_it_checks_the_totals_of_many_groups_in_time_that_grows_with_the_rows_not_their_product():
    rows: list[list] = []
    for group in range(400):
        rows.append([f"第{group + 1}批", None, None, 50])
        rows += [[i + 1, f"项目{group}-{i}", "公司", 1] for i in range(50)]
    rows.append(["合计", None, None, 20_000])
    layout = read_layout(sheet(rows), remembered={})
    numbers = [n for n, _v in layout.rows]
    amounts = {n: {3: Decimal(10_000)} for n in numbers}

    started = time.perf_counter()
    checks = check_totals(layout, amounts=amounts, factors={3: 10_000}, imported=set(numbers))
    elapsed = time.perf_counter() - started

    assert len(numbers) == 20_000 and len(checks) == 401 and all(c.ok for c in checks)
    print(f"totals of 400 groups over 20,000 rows checked in {elapsed:.3f} s")
    assert elapsed < 0.5  # 1.1 s when each group scanned every row; about 0.02 s in one pass


def test_it_checks_a_formula_total_by_its_stored_value_and_shows_a_wrong_subtotal_as_not_matching():
    rows = [
        [1, "项目甲", "公司", 100],
        [2, "项目乙", "公司", 200],
        ["小计", None, None, 250],  # should be 300
        ["合计", None, None, Formula("=SUM(D2:D3)", cached=300)],
    ]
    layout = read_layout(sheet(rows), remembered={})
    amounts = {2: {3: Decimal(1_000_000)}, 3: {3: Decimal(2_000_000)}}

    checks = check_totals(layout, amounts=amounts, factors={3: 10_000}, imported={2, 3})

    assert [(c.kind, c.stated, c.summed, c.ok) for c in checks] == [
        ("subtotal", "2500000.00", "3000000.00", False),
        ("total", "3000000.00", "3000000.00", True),
    ]
