"""The demo's weekly meetings: Julu's meetings of this week and the three before, with decisions done, open
and overdue on the day the demo is told as of.

The session's demo is loaded as of today; each test tells the meetings again as of a day of its own (the
clock frozen at that day's end, as the loader does), after clearing whatever the session loaded."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

import pytest
from django.db.models import Q
from django.utils import timezone

from keyprojects.accounts.models import Region
from keyprojects.core import clock
from keyprojects.demo.management.commands.load_demo import DEMO_SEED
from keyprojects.meetings import demo
from keyprojects.meetings.models import Decision, WeeklyMeeting
from keyprojects.meetings.selectors import decision_state, monday_of, owner_choices
from keyprojects.problems.models import OPEN_STATUSES, Problem

pytestmark = [pytest.mark.django_db, pytest.mark.calendar]  # the demo is told as of any day

# Today (the session's day), the calendar matrix's turn of the year and first day of the demo's October, and a
# Monday (this week's meeting is the day's own).
DAYS = [
    pytest.param(None, id="today"),
    pytest.param(date(2027, 1, 1), id="2027-01-01"),
    pytest.param(date(2026, 10, 1), id="2026-10-01"),
    pytest.param(date(2026, 11, 30), id="a-monday"),
]


def end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(18)))


@pytest.fixture
def load_as_of() -> Callable[[date], int]:
    def load(day: date) -> int:
        WeeklyMeeting.objects.all().delete()
        with clock.frozen_at(end_of(day)):
            return demo.load(DEMO_SEED, day)

    return load


def rows() -> list[tuple]:
    return list(
        Decision.objects.order_by("meeting__week_start", "pk").values_list(
            "meeting__week_start", "text", "owner_department__slug", "owner_leader__username", "due",
            "project__code", "problem_id", "status", "done_at", "done_note", "created_at",
        )
    )  # fmt: skip


@pytest.mark.parametrize("day", DAYS)
def test_it_holds_four_weekly_meetings_with_decisions_in_every_state(load_as_of, day):
    day = day or clock.today()
    julu = Region.objects.get(slug="julu")
    departments, leaders = owner_choices(julu)

    recorded = load_as_of(day)

    meetings = WeeklyMeeting.objects.filter(county=julu).order_by("-week_start")
    assert [m.week_start for m in meetings] == [monday_of(day) - timedelta(weeks=k) for k in range(4)]
    assert WeeklyMeeting.objects.count() == 4
    decisions = list(Decision.objects.select_related("meeting", "owner_department", "owner_leader"))
    assert recorded == len(decisions)
    assert all(m.decisions.exists() for m in meetings)
    states = Counter(decision_state(d, day) for d in decisions)
    assert states["done"] and states["open"] and states["overdue"], states
    for decision in decisions:
        assert decision.owner_department in departments or decision.owner_leader in leaders
        assert decision.project_id or decision.problem_id
        assert any("\u4e00" <= char <= "\u9fff" for char in decision.text)  # written in Chinese
        assert decision.due >= decision.meeting.week_start
        assert timezone.localdate(decision.created_at) == decision.meeting.week_start
        assert decision.created_at <= end_of(day)
        if decision.status == Decision.Status.DONE:
            assert decision.done_note
            assert decision.meeting.week_start < timezone.localdate(decision.done_at) < day


def test_it_takes_up_the_problems_on_the_agenda_or_escalated(load_as_of):
    day = clock.today()
    load_as_of(day)

    agenda = Problem.objects.filter(project__county__slug="julu", status__in=OPEN_STATUSES).filter(
        Q(on_weekly_agenda=True) | Q(escalation__gt=0)
    )
    linked = Decision.objects.filter(problem__isnull=False)
    assert set(linked.values_list("problem", flat=True)) <= set(agenda.values_list("pk", flat=True))
    for decision in linked.select_related("meeting", "problem"):
        assert decision.problem.raised_at <= decision.created_at
    if agenda.filter(raised_at__lt=timezone.make_aware(datetime.combine(monday_of(day), time(15)))).exists():
        assert linked.exists()


def test_it_loads_once_and_holds_the_same_meetings_from_the_same_seed(load_as_of):
    day = clock.today()
    load_as_of(day)
    first = rows()

    with clock.frozen_at(end_of(day)):
        assert demo.load(DEMO_SEED, day) == 0
    assert rows() == first
    assert WeeklyMeeting.objects.count() == 4

    load_as_of(day)
    assert rows() == first
