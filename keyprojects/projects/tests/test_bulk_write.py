"""Many projects at once (the importer): the rows go in as plain rows and their history is copied by the database,
so each project must end with the same records a single create or update leaves: a history row holding the
project and its departments as written, its stage change, service guarantees, milestones and audit entry."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine

from keyprojects.accounts.models import Department, Enterprise, Membership, User
from keyprojects.core.models import AuditEntry
from keyprojects.projects import selectors
from keyprojects.projects.models import (
    Category,
    GuaranteeKind,
    GuaranteeStatus,
    Level,
    Milestone,
    Project,
    ServiceGuarantee,
    Stage,
    StageChange,
)
from keyprojects.projects.services import ProjectData, StageMove, projects_bulk_write

pytestmark = pytest.mark.django_db

WHEN = "2031-03-10 09:30:00+08:00"


def new_data(julu, code: str, departments: tuple[Department, ...], **fields) -> ProjectData:
    leader = Membership.objects.filter(region=julu, role=Membership.Role.LEADER).first().user
    return ProjectData(
        code=code,
        name_zh=f"测试项目{code}",
        name_en=f"Test project {code}",
        level=Level.MUNICIPAL,
        category=Category.INDUSTRY,
        enterprise=Enterprise.objects.filter(region=julu).first(),
        total_investment=Decimal("12345.67"),
        land_area_mu=Decimal("88.50"),
        leader_in_charge=leader,
        responsible_departments=departments,
        **fields,
    )


@pytest.fixture
def office(db) -> User:
    return User.objects.get(username="office.julu")


@pytest.fixture
def departments(julu) -> list[Department]:
    return list(Department.objects.filter(region=julu).order_by("pk")[:3])


@time_machine.travel(WHEN, tick=False)
def test_new_projects_get_history_with_their_departments_stage_guarantees_milestones_and_audit(
    office, julu, departments
):
    created = [
        (new_data(julu, "BW-1", tuple(departments[:2]), start_date=date(2031, 4, 1)), Stage.STARTED),
        (new_data(julu, "BW-2", (departments[2],)), Stage.SIGNED),
    ]

    new, updated = projects_bulk_write(
        actor=office, county=julu, created=created, updated=[], on=date(2031, 3, 10), note="按清单导入"
    )

    assert updated == []
    first, second = (Project.objects.get(code=code) for code in ("BW-1", "BW-2"))
    assert [p.pk for p in new] == [first.pk, second.pk]
    for project, (data, stage) in zip((first, second), created, strict=True):
        (history,) = project.history.all()
        assert (history.history_type, history.history_user_id, history.history_change_reason) == (
            "+",
            office.pk,
            "按清单导入",
        )
        assert history.history_date == project.created_at
        # The history row is the stored row, field by field.
        for field in Project._meta.concrete_fields:
            assert getattr(history, field.attname) == getattr(project, field.attname), field.name
        assert {d.department_id for d in history.responsible_departments.all()} == {
            d.pk for d in data.responsible_departments
        }
        assert set(project.responsible_departments.all()) == set(data.responsible_departments)
        (change,) = StageChange.objects.filter(project=project)
        assert (change.stage, change.date, change.recorded_by_id, change.note) == (
            stage,
            date(2031, 3, 10),
            office.pk,
            "按清单导入",
        )
        assert sorted(
            ServiceGuarantee.objects.filter(project=project).values_list("kind", "status", "needed_by")
        ) == sorted((kind, GuaranteeStatus.NEEDED, None) for kind in GuaranteeKind.values)
        (audit,) = AuditEntry.objects.filter(target_type="projects.project", target_id=str(project.pk))
        assert (audit.action, audit.actor_id, audit.data, audit.target_repr) == (
            "project.create",
            office.pk,
            {"note": "按清单导入"},
            str(project)[:255],
        )
        assert audit.at == history.history_date
    steps = selectors.template_steps_for(county=julu, category=Category.INDUSTRY)
    assert steps
    assert [
        (m.code, m.order, m.name_zh, m.original_baseline_date, m.baseline_date, m.planned_date, m.actual_date)
        for m in Milestone.objects.filter(project=first).order_by("order")
    ] == [
        (
            s.code,
            s.order,
            s.name_zh,
            *[date(2031, 4, 1) + timedelta(days=s.days_from_start)] * 3,
            None,
        )
        for s in steps
    ]
    assert not Milestone.objects.filter(project=second).exists()  # no start date, no milestones


@time_machine.travel(WHEN, tick=False)
def test_an_update_keeps_a_history_row_with_the_new_departments_and_the_stage_move(office, julu, departments):
    (project,), _ = projects_bulk_write(
        actor=office,
        county=julu,
        created=[(new_data(julu, "BW-3", (departments[0],)), Stage.SIGNED)],
        updated=[],
        on=date(2031, 3, 10),
        note="第一次",
    )
    project = Project.objects.get(pk=project.pk)
    data = replace(
        new_data(julu, "BW-3", (departments[1], departments[2])), total_investment=Decimal("20000.00")
    )

    with time_machine.travel("2031-03-11 10:00:00+08:00", tick=False):
        _, (moved,) = projects_bulk_write(
            actor=office,
            county=julu,
            created=[],
            updated=[
                StageMove(project=project, data=data, stage=Stage.STARTED, expected_version=project.version)
            ],
            on=date(2031, 3, 11),
            note="第二次",
        )

    project.refresh_from_db()
    assert (project.total_investment, project.stage, project.stage_since, project.version) == (
        Decimal("20000.00"),
        Stage.STARTED,
        date(2031, 3, 11),
        moved.version,
    )
    latest, first = project.history.order_by("-history_id")
    assert (first.history_type, latest.history_type, latest.history_change_reason) == ("+", "~", "第二次")
    assert latest.total_investment == Decimal("20000.00") and latest.stage == Stage.STARTED
    assert first.total_investment == Decimal("12345.67")
    assert {d.department_id for d in latest.responsible_departments.all()} == {
        departments[1].pk,
        departments[2].pk,
    }
    assert {d.department_id for d in first.responsible_departments.all()} == {departments[0].pk}
    assert list(StageChange.objects.filter(project=project).values_list("stage", flat=True)) == [
        Stage.SIGNED,
        Stage.STARTED,
    ]
    audit = AuditEntry.objects.filter(action="project.update", target_id=str(project.pk)).get()
    assert audit.data == {"total_investment": "20000.00", "note": "第二次"}
