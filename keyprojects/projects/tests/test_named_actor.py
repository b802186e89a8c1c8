"""Every write names who acts: a user, or SYSTEM for the system itself. None is a programming error."""

from __future__ import annotations

import pytest

from keyprojects.core.models import AuditEntry
from keyprojects.core.workflow import SYSTEM
from keyprojects.projects import services
from keyprojects.projects.models import PauseReason, Project, Stage
from keyprojects.projects.tests.conftest import TODAY, build_project, project_data


def test_a_write_without_a_named_actor_is_refused_and_writes_nothing(julu):
    project = build_project(julu)
    entries = AuditEntry.objects.count()

    with pytest.raises(TypeError):
        services.project_create(
            actor=None,
            county=julu,
            data=project_data(code="TEST-UNNAMED"),
            stage=Stage.EARLY,
            stage_date=TODAY,
        )
    with pytest.raises(TypeError):
        services.project_pause(actor=None, project=project, reason=PauseReason.FUNDING, on=TODAY)

    assert not Project.objects.filter(code="TEST-UNNAMED").exists()
    project.refresh_from_db()
    assert project.paused_since is None
    assert AuditEntry.objects.count() == entries


def test_the_system_moves_a_project_on_and_is_recorded_without_a_person(julu):
    project = build_project(julu)

    services.project_change_stage(actor=SYSTEM, project=project, stage=Stage.CONSTRUCTION, on=TODAY)

    change = project.stage_changes.get(stage=Stage.CONSTRUCTION)
    assert change.recorded_by_id is None
    entry = AuditEntry.objects.get(action="project.stage", target_id=str(project.pk))
    assert (entry.actor_id, entry.data) == (None, {"from": Stage.EARLY, "to": Stage.CONSTRUCTION})
