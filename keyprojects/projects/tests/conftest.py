"""Fixtures shared by the registry's tests: the demo's places and projects, a pinned clock, projects by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from keyprojects.accounts.models import Enterprise, Region
from keyprojects.core.workflow import SYSTEM
from keyprojects.projects.models import Category, Level, Milestone, Project, Stage
from keyprojects.projects.services import ProjectData, project_create

# A Monday in the middle of a programme year; far from the demo's own dates, so hand-built cases stand alone.
TODAY = date(2026, 6, 15)


@pytest.fixture
def today(monkeypatch) -> date:
    """Pin the single clock to TODAY for the test."""
    monkeypatch.setattr("keyprojects.core.clock.today", lambda: TODAY)
    return TODAY


@pytest.fixture
def julu(db) -> Region:
    return Region.objects.select_related("parent").get(slug="julu")


@pytest.fixture
def ningjin(db) -> Region:
    return Region.objects.select_related("parent").get(slug="ningjin")


def julu_project(enterprise: str, *, led_by_leader_julu: bool, department: str = "julu-power") -> Project:
    """A demo Julu project of the enterprise, for which `department` answers, led (or not) by leader.julu."""
    projects = Project.objects.filter(
        county__slug="julu", enterprise__slug=enterprise, responsible_departments__slug=department
    )
    lookup = {"leader_in_charge__username": "leader.julu"}
    projects = projects.filter(**lookup) if led_by_leader_julu else projects.exclude(**lookup)
    project = (
        projects.exclude(responsible_departments__slug="julu-bank")
        .select_related("county")
        .order_by("code")
        .first()
    )
    assert project is not None, f"the demo should have such a Julu project of {enterprise}"
    return project


@pytest.fixture
def own_project(db) -> Project:
    """Liangshan's project that leader.julu leads and the power-supply department (not the bank) answers for."""
    return julu_project("liangshan", led_by_leader_julu=True)


@pytest.fixture
def other_project(db) -> Project:
    """New Era's project, which the power-supply department also answers for; led by another leader."""
    return julu_project("newera", led_by_leader_julu=False)


@pytest.fixture
def ningjin_project(db) -> Project:
    return Project.objects.filter(county__slug="ningjin").select_related("county").order_by("code").first()


def project_data(**overrides) -> ProjectData:
    """Valid data for a plain Julu-side industrial project; override what the test is about."""
    fields = {
        "code": "TEST-001",
        "name_zh": "测试项目",
        "name_en": "Test project",
        "level": Level.MUNICIPAL,
        "category": Category.INDUSTRY,
        "enterprise": Enterprise.objects.get(slug="liangshan"),
        "total_investment": Decimal("100000000.00"),
    }
    return ProjectData(**{**fields, **overrides})


def build_project(
    county: Region, *, stage: str = Stage.EARLY, stage_date: date = TODAY, **overrides
) -> Project:
    """A project made by the system (SYSTEM), without milestones unless a start date is given."""
    return project_create(
        actor=SYSTEM, county=county, data=project_data(**overrides), stage=stage, stage_date=stage_date
    )


def add_milestone(
    project: Project,
    *,
    planned: date,
    baseline: date | None = None,
    actual: date | None = None,
    code: str = "",
) -> Milestone:
    order = project.milestones.count() + 1
    baseline = baseline or planned
    return Milestone.objects.create(
        project=project,
        code=code or f"step-{order}",
        order=order,
        name_zh=f"节点{order}",
        name_en=f"Step {order}",
        original_baseline_date=baseline,
        baseline_date=baseline,
        planned_date=planned,
        actual_date=actual,
    )
