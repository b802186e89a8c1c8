"""The rules a registry row can break before anything is written: required columns (a new project needs them in
the file), dates in order, no stage moved back by an import."""

from __future__ import annotations

from datetime import date

from django.utils import translation

from keyprojects.imports.columns import COLUMNS
from keyprojects.imports.registry_checks import check_required, check_row
from keyprojects.projects.models import STAGE_ORDER, Stage


def test_it_asks_a_new_project_for_every_required_column_and_the_name_not_to_be_empty():
    failures: list[tuple[str, str]] = []
    with translation.override("en"):
        check_required(
            {"name_zh": ""},
            {},
            set(),
            lambda key, value, reason: failures.append((key, reason)),
            project=None,
            header_of={"name_zh": "项目名称"},
        )

    assert {key for key, _reason in failures} == {c.key for c in COLUMNS if c.required}
    assert ("name_zh", "This column cannot be empty.") in failures


def test_it_refuses_an_end_before_the_start_and_a_stage_moved_back(projects):
    project = projects[0]
    project.stage = Stage.STARTED
    earlier = min(STAGE_ORDER, key=STAGE_ORDER.__getitem__)

    with translation.override("en"):
        errors = check_row(
            4,
            {"start_date": date(2031, 5, 1), "planned_completion_date": date(2031, 1, 1)},
            earlier,
            project,
            {},
            skip=set(),
            column=lambda key: {"stage": "项目阶段"}.get(key, key),
            today=date(2031, 3, 1),
        )

    assert [(e.row, e.column) for e in errors] == [(4, "planned_completion_date"), (4, "项目阶段")]
    assert "before the start date" in errors[0].reason
