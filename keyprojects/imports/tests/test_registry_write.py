"""Writing a registry plan in one transaction: the projects and the organisations they name, a suspicious update
left out unless its row was confirmed."""

from __future__ import annotations

import io

from keyprojects.imports import reading
from keyprojects.imports.columns import guess_mapping
from keyprojects.imports.layout import money_columns, read_layout
from keyprojects.imports.matching import Lookups
from keyprojects.imports.registry_rows import plan_registry
from keyprojects.imports.registry_write import write_registry
from keyprojects.imports.tests.registry_files import new_row, template_file
from keyprojects.projects.models import Project


def planned(julu, rows: list[dict]):
    sheet = reading.read_workbook(io.BytesIO(template_file(rows)), file_format="xlsx", max_rows=100)[0]
    layout = read_layout(sheet, remembered={})
    mapping = {i: g.field for i, g in guess_mapping(layout.headers, {}).items() if g.field}
    units = {i: layout.unit_of(i) for i in money_columns(mapping)}
    return plan_registry(
        lookups=Lookups.load(julu, plan_year=2026),
        layout=layout,
        mapping=mapping,
        units=units,
        plan_year=2026,
    )


def test_it_writes_the_planned_projects_and_leaves_out_a_suspicious_row_not_confirmed(office, julu):
    plan = planned(julu, [new_row("JL-W-0001"), new_row("JL-W-0002")])
    assert not plan.errors and len(plan.rows) == 2
    plan.rows[1].suspicious = True

    written = write_registry(actor=office, county=julu, plan=plan, confirmed=set(), note="测试导入")

    assert (written.created, written.updated) == (1, 0)
    assert set(Project.objects.filter(code__startswith="JL-W-").values_list("code", flat=True)) == {
        "JL-W-0001"
    }


def test_it_writes_a_suspicious_row_once_confirmed(office, julu):
    plan = planned(julu, [new_row("JL-W-0003")])
    plan.rows[0].suspicious = True

    written = write_registry(
        actor=office, county=julu, plan=plan, confirmed={plan.rows[0].row}, note="测试导入"
    )

    assert written.created == 1 and Project.objects.filter(code="JL-W-0003").exists()
