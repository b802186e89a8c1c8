"""Milestone status and project health, on small hand-built projects with the clock pinned to TODAY."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db.models import F
from django.utils import timezone

from keyprojects.accounts.models import User
from keyprojects.core.workflow import SYSTEM
from keyprojects.investment.models import MonthlyReport, ReportStatus
from keyprojects.investment.services import plan_save
from keyprojects.problems.models import Problem
from keyprojects.problems.models import Status as ProblemStatus
from keyprojects.projects import rules, selectors
from keyprojects.projects.models import Health, Milestone, MilestoneStatus, Project
from keyprojects.projects.services import project_override_health, project_pause
from keyprojects.projects.tests.conftest import TODAY, add_milestone, build_project

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def status_of(milestone: Milestone) -> str:
    return rules.milestones_with_status(Milestone.objects.filter(pk=milestone.pk), TODAY).get().status


def rated(project: Project) -> Project:
    return rules.projects_with_health(Project.objects.filter(pk=project.pk), TODAY).get()


# (planned, baseline, actual) relative to TODAY in days → status
MILESTONE_CASES = [
    pytest.param(-90, -90, -95, MilestoneStatus.DONE, id="done-early"),
    pytest.param(-90, -90, -10, MilestoneStatus.DONE, id="done-late-is-still-done"),
    pytest.param(30, 30, 0, MilestoneStatus.DONE, id="done-before-its-planned-date"),
    pytest.param(-1, -1, None, MilestoneStatus.LATE, id="planned-yesterday-is-late"),
    pytest.param(-31, -31, None, MilestoneStatus.LATE, id="planned-a-month-ago-is-late"),
    pytest.param(0, 0, None, MilestoneStatus.AT_RISK, id="planned-today-is-at-risk-not-late"),
    pytest.param(14, 14, None, MilestoneStatus.AT_RISK, id="planned-in-14-days-is-at-risk"),
    pytest.param(15, 15, None, MilestoneStatus.ON_SCHEDULE, id="planned-in-15-days-is-on-schedule"),
    pytest.param(60, 30, None, MilestoneStatus.AT_RISK, id="plan-slipped-behind-baseline-is-at-risk"),
    pytest.param(60, 90, None, MilestoneStatus.ON_SCHEDULE, id="plan-ahead-of-baseline-is-on-schedule"),
    pytest.param(-5, -30, None, MilestoneStatus.LATE, id="slipped-and-passed-is-late"),
]


@pytest.mark.parametrize("planned, baseline, actual, expected", MILESTONE_CASES)
def test_it_gives_a_milestone_its_status(julu, planned, baseline, actual, expected):
    project = build_project(julu)
    milestone = add_milestone(
        project,
        planned=TODAY + planned * DAY,
        baseline=TODAY + baseline * DAY,
        actual=None if actual is None else TODAY + actual * DAY,
    )

    assert status_of(milestone) == expected


@pytest.mark.parametrize("planned, baseline, actual, expected", MILESTONE_CASES)
def test_it_counts_the_project_s_late_and_at_risk_milestones_as_their_status_says(
    julu, planned, baseline, actual, expected
):
    """The project counters and the milestone status are two SQL expressions: they must agree."""
    project = build_project(julu)
    add_milestone(
        project,
        planned=TODAY + planned * DAY,
        baseline=TODAY + baseline * DAY,
        actual=None if actual is None else TODAY + actual * DAY,
    )

    # The counters the rules read are aliases (in the SQL only when named): promoted here to be read.
    project = (
        rules.projects_with_health(Project.objects.filter(pk=project.pk), TODAY)
        .annotate(
            at_risk=F("at_risk_milestones"),
            late_or_at_risk=F("late_or_at_risk_milestones"),
        )
        .get()
    )

    assert project.late_milestones == (expected == MilestoneStatus.LATE)
    assert project.at_risk == (expected == MilestoneStatus.AT_RISK)
    assert project.late_or_at_risk == (expected in (MilestoneStatus.LATE, MilestoneStatus.AT_RISK))


# Milestones as (planned, actual) relative to TODAY in days (baseline = planned) → computed health
HEALTH_CASES = [
    pytest.param([], Health.GREEN, id="no-milestones-is-green"),
    pytest.param([(-200, -190), (-100, -100)], Health.GREEN, id="all-done-is-green"),
    pytest.param([(-40, -35), (60, None)], Health.GREEN, id="on-schedule-is-green"),
    pytest.param([(14, None)], Health.AMBER, id="at-risk-in-14-days-is-amber"),
    pytest.param([(0, None)], Health.AMBER, id="due-today-is-amber"),
    pytest.param([(-1, None)], Health.AMBER, id="late-by-1-day-is-amber"),
    pytest.param([(-30, None)], Health.AMBER, id="late-by-exactly-30-days-is-amber"),
    pytest.param([(-31, None)], Health.RED, id="late-by-31-days-is-red"),
    pytest.param([(-31, -1)], Health.GREEN, id="done-31-days-late-is-green"),
    pytest.param([(-31, None), (-1, None), (5, None)], Health.RED, id="red-wins-over-amber"),
]


@pytest.mark.parametrize("milestones, expected", HEALTH_CASES)
def test_it_rates_a_project_s_health_from_its_milestones(julu, milestones, expected):
    project = build_project(julu)
    for planned, actual in milestones:
        add_milestone(
            project, planned=TODAY + planned * DAY, actual=None if actual is None else TODAY + actual * DAY
        )

    project = rated(project)

    assert project.health_computed == expected
    assert project.health == expected


def test_it_rates_a_paused_project_amber_whatever_its_milestones(julu):
    project = build_project(julu)
    add_milestone(project, planned=TODAY + 100 * DAY)
    project_pause(actor=SYSTEM, project=project, reason="funding", on=TODAY - 10 * DAY)

    assert rated(project).health_computed == Health.AMBER


def test_it_keeps_a_paused_project_with_a_severely_late_milestone_red(julu):
    project = build_project(julu)
    add_milestone(project, planned=TODAY - 31 * DAY)
    project_pause(actor=SYSTEM, project=project, reason="land", on=TODAY - 10 * DAY)

    assert rated(project).health_computed == Health.RED


def test_it_keeps_the_computed_health_beside_the_given_one(julu):
    project = build_project(julu)
    add_milestone(project, planned=TODAY - 31 * DAY)
    project_override_health(
        actor=SYSTEM,
        project=project,
        health=Health.GREEN,
        rationale="许可证已批，系统未更新 / permit granted",
    )

    project = rated(project)

    assert project.health == Health.GREEN
    assert project.health_computed == Health.RED
    assert project.health_override == Health.GREEN


def test_it_falls_back_to_the_computed_health_once_the_given_one_is_cleared(julu):
    project = build_project(julu)
    add_milestone(project, planned=TODAY)
    project_override_health(actor=SYSTEM, project=project, health=Health.RED, rationale="seen on site")
    project_override_health(actor=SYSTEM, project=project, health="", rationale="")

    project = rated(project)

    assert project.health == project.health_computed == Health.AMBER


# Planned Jan–May (the months finished by TODAY, 15 June): 100 yuan a month, 500 in all.
@pytest.mark.parametrize(
    "completed, expected",
    [
        pytest.param("349.99", Health.RED, id="below-70-percent-is-red"),
        pytest.param("350.00", Health.AMBER, id="exactly-70-percent-is-amber"),
        pytest.param("449.99", Health.AMBER, id="below-90-percent-is-amber"),
        pytest.param("450.00", Health.GREEN, id="exactly-90-percent-is-green"),
    ],
)
def test_it_rates_the_investment_gap_from_january_to_the_last_finished_month(julu, completed, expected):
    project = build_project(julu)
    plan_save(actor=SYSTEM, project=project, year=TODAY.year, months=[Decimal(100)] * 12)
    MonthlyReport.objects.create(
        project=project,
        year=TODAY.year,
        month=1,
        completed_investment=Decimal(completed),
        physical_progress=Decimal(10),
        status=ReportStatus.APPROVED,
    )
    # The current month and reports not yet approved do not count.
    MonthlyReport.objects.create(
        project=project,
        year=TODAY.year,
        month=6,
        completed_investment=Decimal(1000),
        physical_progress=Decimal(20),
        status=ReportStatus.APPROVED,
    )
    MonthlyReport.objects.create(
        project=project,
        year=TODAY.year,
        month=2,
        completed_investment=Decimal(1000),
        physical_progress=Decimal(20),
        status=ReportStatus.SUBMITTED,
    )

    # The sums the rule reads are aliases (in the SQL only when named): promoted here to be read.
    project = (
        rules.projects_with_health(Project.objects.filter(pk=project.pk), TODAY)
        .annotate(planned=F("planned_to_date"), completed=F("completed_to_date"))
        .get()
    )

    assert project.planned == Decimal(500)
    assert project.completed == Decimal(completed)
    assert project.health_computed == expected


def _problem(project: Project, *, deadline_in_days: int, status: str, escalation: int = 0) -> Problem:
    return Problem.objects.create(
        project=project,
        title_zh="供电线路未接入",
        description_en="power line not connected",
        category="electricity",
        side="outside",
        status=status,
        raised_by=User.objects.get(username="ent.liangshan"),
        raised_as="enterprise",
        raised_at=timezone.make_aware(datetime(2026, 5, 1, 9)),
        deadline=TODAY + deadline_in_days * DAY,
        escalation=escalation,
    )


@pytest.mark.parametrize(
    "deadline_in_days, status, escalation, expected",
    [
        pytest.param(0, ProblemStatus.IN_PROGRESS, 0, Health.GREEN, id="due-today-is-not-overdue"),
        pytest.param(-1, ProblemStatus.IN_PROGRESS, 0, Health.AMBER, id="overdue-is-amber"),
        pytest.param(-1, ProblemStatus.ACCEPTED, 1, Health.RED, id="overdue-and-escalated-is-red"),
        pytest.param(-30, ProblemStatus.CLOSED, 1, Health.GREEN, id="closed-out-does-not-count"),
    ],
)
def test_it_rates_a_project_by_its_overdue_problems(julu, deadline_in_days, status, escalation, expected):
    project = build_project(julu)
    _problem(project, deadline_in_days=deadline_in_days, status=status, escalation=escalation)

    assert rated(project).health_computed == expected


def test_it_reads_the_pinned_clock_in_the_registry_list(julu, persona, today, monkeypatch):
    project = build_project(julu, code="CLOCK-1")
    milestone = add_milestone(project, planned=today - 30 * DAY)
    office = persona("office.julu")

    def health_on(day):
        monkeypatch.setattr("keyprojects.core.clock.today", lambda: day)
        return selectors.project_list(user=office).get(code="CLOCK-1").health

    assert health_on(today) == Health.AMBER
    assert health_on(today + DAY) == Health.RED
    assert health_on(milestone.planned_date - 15 * DAY) == Health.GREEN
    assert health_on(milestone.planned_date - 14 * DAY) == Health.AMBER
