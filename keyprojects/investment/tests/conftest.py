"""Demo projects the investment tests act on, found by what matters to the rules rather than by code."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from keyprojects.accounts.models import Department, Enterprise, Region, User
from keyprojects.core.workflow import SYSTEM
from keyprojects.investment.models import MonthlyReport, ReportStatus
from keyprojects.investment.services import plan_save, spread
from keyprojects.projects.models import Category, Level, Project, Stage
from keyprojects.projects.services import ProjectData, project_create


@pytest.fixture(scope="session", autouse=True)
def planner_statistics(django_db_setup, django_db_blocker):
    """PostgreSQL: analyze the freshly loaded demo, as autovacuum would in a running system (and this
    machine's server runs without it). Without statistics the planner takes the tables for empty and nests
    loops over every report: a second per dashboard instead of a few milliseconds."""
    if connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def julu_project(enterprise: str, leader_julu: bool, **lookups) -> Project:
    leader = {"leader_in_charge__username": "leader.julu"}
    projects = Project.objects.filter(county__slug="julu", enterprise__slug=enterprise, **lookups)
    projects = projects.filter(**leader) if leader_julu else projects.exclude(**leader)
    project = (
        projects.exclude(responsible_departments__slug="julu-bank")
        .select_related("county")
        .order_by("code")
        .first()
    )
    assert project is not None, f"the demo should have a Julu project of {enterprise} with {lookups}"
    return project


@pytest.fixture
def own_project(db) -> Project:
    """Liangshan's: the power-supply department answers for it (the bank does not); leader.julu leads it."""
    return julu_project("liangshan", leader_julu=True, responsible_departments__slug="julu-power")


@pytest.fixture
def other_project(db) -> Project:
    """New Era's, which the power-supply department also answers for; leader.julu does not lead it."""
    return julu_project("newera", leader_julu=False, responsible_departments__slug="julu-power")


def grow_julu(year: int, n: int = 40) -> None:
    """Give Julu `n` more key projects (Liangshan's, led by leader.julu, the power-supply department
    responsible), each with a plan, approved reports January–September and October in every state."""
    julu = Region.objects.get(slug="julu")
    enterprise = Enterprise.objects.get(slug="liangshan")
    power = Department.objects.get(slug="julu-power")
    leader = User.objects.get(username="leader.julu")
    october = [ReportStatus.SUBMITTED, ReportStatus.VERIFIED, ReportStatus.DRAFT, ReportStatus.RETURNED, None]
    reports = []
    for i in range(n):
        data = ProjectData(
            code=f"JL-GROW-{i:03d}", name_zh=f"扩容项目{i}", name_en=f"Grown project {i}",
            level=Level.PROVINCIAL if i % 4 == 0 else Level.MUNICIPAL, category=Category.INDUSTRY,
            enterprise=enterprise, total_investment=Decimal(100_000_000), leader_in_charge=leader,
            responsible_departments=(power,),
        )  # fmt: skip
        project = project_create(
            actor=SYSTEM, county=julu, data=data, stage=Stage.CONSTRUCTION, stage_date=date(year - 1, 6, 1)
        )
        plan_save(actor=SYSTEM, project=project, year=year, months=spread(Decimal(12_000_000)))
        statuses = [ReportStatus.APPROVED] * 9 + [october[i % len(october)]]
        reports += [
            MonthlyReport(
                project=project,
                year=year,
                month=month,
                completed_investment=Decimal(900_000),
                physical_progress=Decimal(month * 5),
                status=status,
            )
            for month, status in enumerate(statuses, start=1)
            if status is not None
        ]
    MonthlyReport.objects.bulk_create(reports)
