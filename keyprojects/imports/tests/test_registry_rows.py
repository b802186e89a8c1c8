"""The registry rows planned with a fixed number of queries however many rows, and written and re-imported
within a query budget."""

from __future__ import annotations

import io

from django.db import connection
from django.test.utils import CaptureQueriesContext

from keyprojects.accounts.models import Region
from keyprojects.imports import matching, reading, registry_plan
from keyprojects.imports.columns import guess_mapping
from keyprojects.imports.layout import money_columns, read_layout
from keyprojects.imports.registry_rows import plan_registry
from keyprojects.imports.tests.registry_files import new_row, run_import, template_file

# ---- queries ------------------------------------------------------------------------------------


def rows_of_new_projects(n: int) -> list[dict]:
    return [new_row(f"JL-Q-{i:04d}") for i in range(n)]


def check_rows(julu: Region, rows: list[dict]) -> tuple[int, registry_plan.RegistryPlan]:
    sheet = reading.read_workbook(io.BytesIO(template_file(rows)), file_format="xlsx", max_rows=10_000)[0]
    layout = read_layout(sheet, remembered={})
    mapping = {i: g.field for i, g in guess_mapping(layout.headers, {}).items() if g.field}
    units = {i: layout.unit_of(i) for i in money_columns(mapping)}
    with CaptureQueriesContext(connection) as queries:
        plan = plan_registry(
            lookups=matching.Lookups.load(julu, plan_year=2026),
            layout=layout,
            mapping=mapping,
            units=units,
            plan_year=2026,
        )
    return len(queries), plan


def test_it_checks_100_rows_with_the_same_few_queries_as_10(julu):
    few, _small = check_rows(julu, rows_of_new_projects(10))
    many, large = check_rows(julu, rows_of_new_projects(100))

    assert not large.errors and len(large.rows) == 100
    # projects and their departments, leaders, plans, enterprises, zones, departments, the code prefix
    assert many == few <= 8


def test_it_imports_100_rows_within_a_query_budget_and_re_imports_them_with_a_handful(office, julu):
    content = template_file(rows_of_new_projects(100))
    with CaptureQueriesContext(connection) as first:
        job = run_import(office, julu, content)
    assert job.created_count == 100
    # Changed on purpose: bulk statements (history, stages, guarantees, milestones, audit) instead of project_create
    # per row (the budget was 30 a row); SQLite splits them by its limit of variables, so they grow by batches.
    assert len(first) < 100

    with CaptureQueriesContext(connection) as again:
        job = run_import(office, julu, content)

    assert job.unchanged_count == 100
    # The rows are checked twice (the preview, then again before writing), each time with the same few queries.
    assert len(again) <= 60
