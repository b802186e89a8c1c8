"""Reads of the weekly adjustment: who may see a county's meeting, and the pack generated for it.

The pack is computed as of the Monday of its week (`week_start`), so that a past week's pack reads the same
every time it is opened or printed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext, ngettext

from keyprojects.accounts.models import Department, Membership, Region, User
from keyprojects.accounts.permissions import scope_for
from keyprojects.core import clock
from keyprojects.daily.selectors import silent_projects
from keyprojects.dispatch.selectors import UnansweredTask, unanswered_tasks
from keyprojects.investment.selectors import furthest_behind, region_key_projects
from keyprojects.meetings.models import Decision, WeeklyMeeting
from keyprojects.problems.models import OPEN_STATUSES, WAITING_STATUSES, Problem
from keyprojects.problems.selectors import overdue_q
from keyprojects.projects.models import Milestone, MilestoneStatus, Project
from keyprojects.projects.rules import milestones_with_status

SILENT_DAYS = 3  # a project with no daily report in the three days before the meeting is named
BEHIND_LIMIT = 10


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def reads_meetings(user: Any, county: Region) -> bool:
    """Offices (county, city), leaders and departments of the county read its meetings; enterprises do not."""
    scope = scope_for(user)
    return scope.is_admin or any(county.path.startswith(p) for p in scope.directory_paths)


def meeting_county_get(*, user: User, slug: str) -> Region:
    """The county-level unit whose meetings the user reads, or 404."""
    county = Region.objects.filter(slug=slug, kind__in=Region.COUNTY_LEVEL_KINDS).first()
    if county is None or not reads_meetings(user, county):
        raise Http404
    return county


def county_projects(county: Region) -> QuerySet[Project]:
    """The county's key projects (provincial and municipal), the ones the meeting follows."""
    return Project.objects.filter(region_key_projects(county))


def meeting_get(*, county: Region, week_start: date) -> WeeklyMeeting | None:
    return WeeklyMeeting.objects.filter(county=county, week_start=week_start).first()


def decision_list(*, meeting: WeeklyMeeting | None) -> list[Decision]:
    if meeting is None:
        return []
    return list(
        meeting.decisions.select_related(
            "owner_department", "owner_leader", "project__county", "problem__project"
        ).order_by("due", "pk")
    )


def decision_get(*, user: User, pk: int) -> Decision:
    decision = (
        Decision.objects.select_related("meeting__county", "owner_department", "owner_leader")
        .filter(pk=pk)
        .first()
    )
    if decision is None or not reads_meetings(user, decision.meeting.county):
        raise Http404
    return decision


def owner_choices(county: Region) -> tuple[list[Department], list[User]]:
    """The county's departments and its leaders in charge: who may own a decision."""
    departments = list(Department.objects.filter(region=county).order_by("slug"))
    leaders = list(
        User.objects.filter(
            is_active=True, memberships__role=Membership.Role.LEADER, memberships__region=county
        )
        .distinct()
        .order_by("username")
    )
    return departments, leaders


# The pack ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionLine:
    decision: Decision
    state: str  # "done", "open" or "overdue" on the meeting day

    @property
    def overdue(self) -> bool:
        return self.state == "overdue"


@dataclass(frozen=True)
class BehindLine:
    project: Project
    planned: Decimal
    completed: Decimal
    gap: Decimal
    completion_rate: Decimal | None


@dataclass(frozen=True)
class LateMilestone:
    milestone: Milestone
    project: Project
    days_late: int


@dataclass(frozen=True)
class ProblemLine:
    problem: Problem
    overdue_days: int | None  # None: not overdue (on the agenda or escalated only)
    on_agenda: bool
    escalated: bool

    @property
    def reasons(self) -> list[str]:
        """Why the problem is in the pack, in the reader's language."""
        reasons = []
        if self.overdue_days is not None:
            reasons.append(
                ngettext("overdue by %(days)d day", "overdue by %(days)d days", self.overdue_days)
                % {"days": self.overdue_days}
            )
        if self.escalated:
            reasons.append(
                gettext("escalated to %(level)s") % {"level": self.problem.get_escalation_display()}
            )
        if self.on_agenda:
            reasons.append(gettext("put on the agenda"))
        return reasons


@dataclass(frozen=True)
class SilentLine:
    project: Project
    last_report: date | None


@dataclass(frozen=True)
class WeeklyPack:
    county: Region
    week_start: date
    previous_week_start: date
    year: int  # the investment figures run January through `month` of `year`
    month: int
    last_week_decisions: tuple[DecisionLine, ...]
    behind: tuple[BehindLine, ...]
    late_milestones: tuple[LateMilestone, ...]
    problems: tuple[ProblemLine, ...]
    silent: tuple[SilentLine, ...]
    unanswered_dispatch: tuple[UnansweredTask, ...] = ()

    @property
    def week_end(self) -> date:
        return self.week_start + timedelta(days=6)


def decision_state(decision: Decision, day: date) -> str:
    if decision.status == Decision.Status.DONE:
        return "done"
    return "overdue" if decision.due < day else "open"


def weekly_pack(*, county: Region, week_start: date) -> WeeklyPack:
    """What the meeting of the week starting `week_start` goes through, as of that Monday:

    - last week's decisions (of the previous week's meeting), each done, open or overdue (due before Monday);
    - the key projects furthest behind their investment plan (January to the last month whose reports were
      due on Monday), by the gap, largest first;
    - the key projects' late milestones (planned before Monday, not done), the longest late first;
    - the county's problems overdue on Monday or put on the weekly agenda by the problem workflow, the most
      escalated first, then by deadline;
    - the key projects under construction without daily reports in the three days before Monday;
    - the dispatch tasks due before the week's end that projects had not answered by Monday, with those projects.

    A constant number of queries, whatever the county's size."""
    day = week_start
    previous = week_start - timedelta(days=7)
    projects = county_projects(county)

    last_week = Decision.objects.filter(meeting__county=county, meeting__week_start=previous)
    last_week = last_week.select_related(
        "owner_department", "owner_leader", "project__county", "problem__project"
    ).order_by("due", "pk")
    decisions = tuple(DecisionLine(d, decision_state(d, day)) for d in last_week)

    year, month = clock.last_due_month(day)
    behind = tuple(
        BehindLine(p, p.figures.planned, p.figures.completed, p.figures.gap, p.figures.completion_rate)
        for p in furthest_behind(projects, year=year, through_month=month, limit=BEHIND_LIMIT)
    )

    milestones = (
        milestones_with_status(Milestone.objects.filter(project__in=projects), day)
        .filter(status=MilestoneStatus.LATE)
        .select_related("project__county")
        .order_by("planned_date", "project__code", "order")
    )
    late = tuple(LateMilestone(m, m.project, (day - m.planned_date).days) for m in milestones)

    problems = (
        Problem.objects.filter(project__county__path__startswith=county.path)
        .filter(overdue_q(day) | Q(on_weekly_agenda=True, status__in=WAITING_STATUSES))
        .select_related("project__county", "lead_department", "leader_in_charge")
        .order_by("-escalation", F("deadline").asc(nulls_last=True), "pk")
    )
    problem_lines = tuple(
        ProblemLine(
            problem=p,
            overdue_days=(day - p.deadline).days
            if p.status in OPEN_STATUSES and p.deadline and p.deadline < day
            else None,
            on_agenda=p.on_weekly_agenda,
            escalated=p.status in OPEN_STATUSES and p.escalation > 0,
        )
        for p in problems
    )

    silent = silent_projects(
        projects=projects.select_related("county"), day=day - timedelta(days=1), days=SILENT_DAYS
    )
    silent_lines = tuple(
        SilentLine(p, last) for p, last in sorted(silent, key=lambda row: (row[1] or date.min, row[0].code))
    )

    return WeeklyPack(
        county=county,
        week_start=week_start,
        previous_week_start=previous,
        year=year,
        month=month,
        last_week_decisions=decisions,
        behind=behind,
        late_milestones=late,
        problems=problem_lines,
        silent=silent_lines,
        unanswered_dispatch=tuple(unanswered_tasks(county=county, day=day)),
    )
