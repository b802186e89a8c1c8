"""HandMadeCounty (investment's closing county, February 2030 plans) given a week of meeting material: on
Monday 11 March 2030 its pack holds each kind of item once or twice, and an item of each kind that must not
be there."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import count

import pytest
import time_machine

from keyprojects.accounts import services as accounts
from keyprojects.accounts.models import Membership, User
from keyprojects.core.workflow import SYSTEM
from keyprojects.daily.models import DailyReport
from keyprojects.investment.services import plan_save
from keyprojects.investment.tests.closing_county import HandMadeCounty, local, make_testland
from keyprojects.meetings import services
from keyprojects.problems.models import Category, Escalation, Problem, RaisedAs, Side, Status
from keyprojects.projects.models import Category as ProjectCategory
from keyprojects.projects.models import Level, Milestone, Project, Stage
from keyprojects.projects.services import ProjectData, project_create

MONDAY = date(2030, 3, 11)
LAST_MONDAY = date(2030, 3, 4)
_keys = count()


@pytest.fixture
def on() -> Iterator:
    with time_machine.travel(local(MONDAY), tick=False) as traveller:
        yield lambda day: traveller.move_to(local(day))


def user(username: str, role: str, **org) -> User:
    u = accounts.user_create(
        actor=SYSTEM, username=username, password="pw", email=f"{username}@testland.example", language="en"
    )
    accounts.membership_grant(actor=SYSTEM, user=u, role=role, **org)
    return u


def milestone(project: Project, code: str, planned: date, actual: date | None = None) -> Milestone:
    return Milestone.objects.create(
        project=project, code=code, order=next(_keys), name_zh=code, name_en=f"Milestone {code}",
        original_baseline_date=planned, baseline_date=planned, planned_date=planned, actual_date=actual,
    )  # fmt: skip


def problem(project: Project, title: str, status: str, deadline: date | None, **fields) -> Problem:
    return Problem.objects.create(
        project=project, title_en=title, category=Category.LAND, side=Side.OUTSIDE, status=status,
        raised_by=User.objects.get(username="office.testland"), raised_as=RaisedAs.OFFICE,
        raised_at=local(date(2030, 2, 1)), deadline=deadline, **fields,
    )  # fmt: skip


def daily(project: Project, day: date) -> DailyReport:
    return DailyReport.objects.create(
        project=project, date=day, workers=5, machinery=1, work_today="work",
        idempotency_key=f"key-{next(_keys)}", reported_at=local(day, 18),
    )  # fmt: skip


@dataclass
class Week:
    land: HandMadeCounty
    department: User  # a member of d1
    problems: dict[str, Problem]
    decisions: dict[str, object]


@pytest.fixture
def week(db, on) -> Week:
    land = make_testland()
    P = land.projects
    department = user("dept.testland", Membership.Role.DEPARTMENT, department=land.d1)
    # Milestones: P1 late 10 days, P2 late 6 days; P3's done, P4's not yet due, P8's not a key project.
    milestone(P["P1"], "land", date(2030, 3, 1))
    milestone(P["P2"], "permit", date(2030, 3, 5))
    milestone(P["P3"], "done", date(2030, 3, 1), actual=date(2030, 3, 2))
    milestone(P["P4"], "later", date(2030, 3, 20))
    milestone(P["P8"], "county", date(2030, 2, 1))
    problems = {
        "overdue": problem(P["P1"], "Overdue", Status.IN_PROGRESS, date(2030, 3, 5)),
        "escalated": problem(
            P["P2"], "Escalated", Status.ACCEPTED, date(2030, 3, 8), escalation=Escalation.LEADER
        ),
        "agenda": problem(P["P3"], "On the agenda", Status.REPORTED, None, on_weekly_agenda=True),
        "not_yet": problem(P["P4"], "Not yet due", Status.IN_PROGRESS, date(2030, 3, 20)),
        "closed": problem(P["P5"], "Closed", Status.CLOSED, date(2030, 3, 1), on_weekly_agenda=True),
    }
    # Daily reports: P1 reported on Saturday (not silent), P2 last on 1 March; the others never.
    daily(P["P1"], date(2030, 3, 9))
    daily(P["P2"], date(2030, 3, 1))
    # Last week's meeting: one decision done, one overdue on Monday, one still open.
    meeting = services.meeting_for_week(actor=land.office, county=land.region, week_start=LAST_MONDAY)
    decisions = {
        "done": services.record_decision(
            actor=land.office,
            meeting=meeting,
            text="Power line",
            due=date(2030, 3, 6),
            owner_department=land.d1,
        ),
        "overdue": services.record_decision(
            actor=land.office,
            meeting=meeting,
            text="Water pipe",
            due=date(2030, 3, 8),
            owner_leader=land.leader,
            project=P["P1"],
        ),
        "open": services.record_decision(
            actor=land.office,
            meeting=meeting,
            text="Land survey",
            due=date(2030, 3, 13),
            owner_department=land.d2,
            problem=problems["overdue"],
        ),
    }
    services.mark_decision_done(actor=department, decision=decisions["done"], note="connected")
    return Week(land, department, problems, decisions)


def grow(land: HandMadeCounty, n: int) -> None:
    """n more key projects, each behind its plan, with a late milestone, an overdue problem, no daily
    report, and a decision of last week's meeting."""
    meeting = services.meeting_for_week(actor=land.office, county=land.region, week_start=LAST_MONDAY)
    for i in range(n):
        p = project_create(
            actor=SYSTEM,
            county=land.region,
            data=ProjectData(
                code=f"TL-X{i:02d}", name_zh=f"项目X{i}", name_en=f"Project X{i}", level=Level.MUNICIPAL,
                category=ProjectCategory.INDUSTRY, enterprise=land.a, total_investment=Decimal(50_000_000),
                leader_in_charge=land.leader, responsible_departments=(land.d1,),
            ),
            stage=Stage.CONSTRUCTION,
            stage_date=date(2029, 6, 1),
        )  # fmt: skip
        plan_save(actor=SYSTEM, project=p, year=2030, months=[Decimal(1_000_000)] * 12)
        milestone(p, f"m{i}", MONDAY - timedelta(days=2))
        problem(p, f"Overdue {i}", Status.IN_PROGRESS, MONDAY - timedelta(days=1), on_weekly_agenda=True)
        services.record_decision(
            actor=land.office, meeting=meeting, text=f"Decision {i}", due=MONDAY, owner_department=land.d2,
            project=p,
        )  # fmt: skip
