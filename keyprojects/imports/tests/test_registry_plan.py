"""What a registry import would write: its fingerprint changes when what the preview showed would be written
otherwise (a project stored since in another version, another change old → new)."""

from __future__ import annotations

from types import SimpleNamespace

from keyprojects.imports.registry_plan import Change, PlannedRow, RegistryPlan, shown


def test_its_fingerprint_changes_with_the_stored_version_and_with_what_the_preview_showed(projects):
    project = projects[0]
    row = PlannedRow(3, SimpleNamespace(name_zh="甲", responsible_departments=()), project.stage, project)
    plan = RegistryPlan(
        rows=[row],
        unchanged=[],
        errors=[],
        amounts={},
        new_enterprises={},
        new_departments={},
        new_leaders={},
        plan_year=2031,
    )
    before = plan.fingerprint()
    assert plan.fingerprint() == before

    project.version += 1
    stored_since = plan.fingerprint()
    row.changes.append(Change("项目名称", "甲", "乙"))

    assert len({before, stored_since, plan.fingerprint()}) == 3


def test_it_shows_nothing_for_an_empty_value_and_departments_by_name():
    assert shown(None, "total_investment") == ""
    assert shown((SimpleNamespace(name_zh="发改局"), SimpleNamespace(name_zh="住建局"))) == "发改局、住建局"
