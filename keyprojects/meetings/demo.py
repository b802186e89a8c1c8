"""Demo weekly meetings: Julu's scheduling meetings of this week and the three before, with their decisions.

Held by the county project office on each Monday afternoon and recorded through the real services, at the
moments they happened (never after now). Each decision has an owner (a department or a leader in charge) and
concerns a key project or one of the problems the workflow put on the weekly agenda or escalated. On the
day the demo is told as of, some decisions are done (with what was done and when), some still open and some
overdue: every state the meeting page and the next week's pack show.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from keyprojects.accounts.models import Department, Region, User
from keyprojects.core import clock
from keyprojects.meetings import services
from keyprojects.meetings.models import WeeklyMeeting
from keyprojects.meetings.selectors import county_projects, monday_of, owner_choices
from keyprojects.problems.models import OPEN_STATUSES, Problem
from keyprojects.projects.models import Project, Stage

WEEKS = 4
MEETING_HOUR = 15
OFFICE = "office.julu"
# (weeks back, decision number) → its state on the as-of day: the oldest meeting's first two decisions are
# overdue and done, this week's first is open.
FORCED = {(WEEKS - 1, 0): "overdue", (WEEKS - 1, 1): "done", (0, 0): "open"}

PROJECT_DECISIONS = (
    "督促{project}倒排工期、挂图作战，加快主体施工进度",
    "协调解决{project}施工临时用电增容问题",
    "{project}项目单位明确专人负责，按日报送日调度信息",
    "对{project}开展现场督导，确保完成月度投资计划",
    "协调{project}厂区外道路硬化及雨污管网接入",
    "帮助{project}对接银行，解决建设期流动资金需求",
    "加快{project}施工许可和竣工验收手续并联办理",
)
PROBLEM_DECISIONS = (
    "专题研究“{title}”，牵头单位一周内拿出解决方案",
    "“{title}”由牵头部门主要负责同志包联，限期办结",
    "就“{title}”召开现场协调会，明确时间节点",
)
DONE_NOTES = (
    "已现场协调，问题解决，项目恢复正常施工",
    "已完成，相关手续办结",
    "已对接落实，企业确认满意",
    "已督导到位，进度赶上计划",
)


def _moment(day: date, hour: int) -> datetime:
    return min(timezone.make_aware(datetime.combine(day, time(hour))), clock.now())


def _owner(
    rng: random.Random, project: Project, departments: list[Department], leaders: list[User]
) -> tuple[Department | None, User | None]:
    """The project's leader in charge now and then, else one of its responsible departments of the county."""
    if project.leader_in_charge in leaders and rng.random() < 0.3:
        return None, project.leader_in_charge
    own = [d for d in project.responsible_departments.all() if d in departments]
    return rng.choice(own or departments), None


def _due_and_done(
    rng: random.Random, monday: date, as_of: date, forced: str | None
) -> tuple[date, date | None]:
    """The decision's due day and the day it was done (None: not done by `as_of`). `forced` fixes the state
    on `as_of` ("overdue", "done", "open"), so that every state is there whatever the seed."""
    if forced == "overdue":
        return monday + timedelta(days=7), None
    due = monday + timedelta(days=rng.choice((3, 4, 7, 10, 14, 21)))
    if forced == "open":
        return max(due, as_of + timedelta(days=rng.randint(2, 10))), None
    latest = min(as_of - timedelta(days=1), due + timedelta(days=2))  # on time or a little late; not today
    wanted = forced == "done" or rng.random() < (0.7 if due < as_of else 0.3)
    if latest <= monday or not wanted:
        return due, None
    return due, monday + timedelta(days=rng.randint(1, (latest - monday).days))


def load(seed: int, as_of: date) -> int:
    """Julu's meetings of the four weeks up to `as_of`; the number of decisions recorded (0 when loaded)."""
    if WeeklyMeeting.objects.exists():  # loaded before: the demo changes nothing the second time
        return 0
    julu = Region.objects.filter(slug="julu").first()
    office = User.objects.filter(username=OFFICE).first()
    if julu is None or office is None:
        return 0
    departments, leaders = owner_choices(julu)
    projects = list(
        county_projects(julu)
        .filter(stage=Stage.CONSTRUCTION)
        .select_related("leader_in_charge")
        .prefetch_related("responsible_departments")
        .order_by("code")
    )
    if not projects or not departments:
        return 0
    agenda = list(
        Problem.objects.filter(project__county=julu, status__in=OPEN_STATUSES)
        .filter(Q(on_weekly_agenda=True) | Q(escalation__gt=0))
        .select_related("project", "lead_department")
        .order_by("-escalation", "pk")
    )
    rng = random.Random(f"{seed}/meetings")
    recorded = 0
    this_monday = monday_of(as_of)
    for back in range(WEEKS - 1, -1, -1):
        monday = this_monday - timedelta(weeks=back)
        held_at = _moment(monday, MEETING_HOUR)
        with clock.frozen_at(held_at):
            meeting = services.meeting_for_week(actor=office, county=julu, week_start=monday)
        raised = [p for p in agenda if p.raised_at <= held_at]
        for n in range(rng.randint(3, 5)):
            if n < 2 and raised and rng.random() < 0.6:
                problem = raised.pop(0)  # each problem goes to one meeting
                project = problem.project
                text = rng.choice(PROBLEM_DECISIONS).format(title=problem.title_zh or problem.title_en)
                lead = problem.lead_department
                owner = (lead, None) if lead in departments else _owner(rng, project, departments, leaders)
            else:
                problem, project = None, rng.choice(projects)
                text = rng.choice(PROJECT_DECISIONS).format(project=project.name_zh)
                owner = _owner(rng, project, departments, leaders)
            forced = FORCED.get((back, n)) if back in (0, WEEKS - 1) else None
            due, done_on = _due_and_done(rng, monday, as_of, forced)
            with clock.frozen_at(held_at):
                decision = services.record_decision(
                    actor=office, meeting=meeting, text=text, due=due, owner_department=owner[0],
                    owner_leader=owner[1], project=None if problem else project, problem=problem,
                )  # fmt: skip
            recorded += 1
            if done_on is not None:
                with clock.frozen_at(max(_moment(done_on, 16), held_at)):
                    services.mark_decision_done(
                        actor=owner[1] or office, decision=decision, note=rng.choice(DONE_NOTES)
                    )
    return recorded
