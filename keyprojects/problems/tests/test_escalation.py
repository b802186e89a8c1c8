"""Deadlines with a clock the tests control: the reminder three days before, the overdue notice the day after,
escalation to the leader in charge and then the county head, each sent once however often the check runs."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.conf import settings

from keyprojects.core import clock
from keyprojects.problems import services, tasks
from keyprojects.problems.models import Escalation, Event, Notification, Problem, Status
from keyprojects.problems.tests.conftest import moment

# Depends on the day it runs: CI runs it again at a matrix of days (see .ci/run).
pytestmark = pytest.mark.calendar

ACCEPTED_ON = clock.today()
DEADLINE = ACCEPTED_ON + timedelta(days=10)


@pytest.fixture
def problem(at) -> Problem:
    """In progress, due in ten days; the power-supply department leads and leader.julu is in charge."""
    with clock.frozen_at(moment(ACCEPTED_ON, 9)):
        return at(Status.IN_PROGRESS, deadline=DEADLINE)


def tick(day: date) -> dict[str, int]:
    with clock.frozen_at(moment(day, 6)):
        return services.problems_tick()


def notices(problem: Problem, kind: str) -> list[str]:
    return sorted(
        Notification.objects.filter(problem=problem, kind=kind).values_list("user__username", flat=True)
    )


def reminders(problem: Problem) -> list[str]:
    return list(problem.events.filter(kind=Event.Kind.REMINDED).values_list("data__notice", flat=True))


def escalations(problem: Problem) -> list[int]:
    return list(problem.events.filter(kind=Event.Kind.ESCALATED).values_list("data__level", flat=True))


def test_it_reminds_those_assigned_three_days_before_the_deadline_once(problem):
    tick(DEADLINE - timedelta(days=4))
    assert reminders(problem) == []

    tick(DEADLINE - timedelta(days=3))
    tick(DEADLINE - timedelta(days=3))
    tick(DEADLINE - timedelta(days=2))
    tick(DEADLINE)

    assert reminders(problem) == ["due_soon"]
    assert notices(problem, Notification.Kind.DUE_SOON) == ["dept.julu.power", "leader.julu"]
    event = problem.events.get(kind=Event.Kind.REMINDED)
    assert (event.actor, event.at) == (None, moment(DEADLINE - timedelta(days=3), 6))


def test_it_flags_the_problem_overdue_the_day_after_the_deadline_once(problem):
    tick(DEADLINE)
    assert Notification.objects.filter(problem=problem, kind=Notification.Kind.OVERDUE).count() == 0

    tick(DEADLINE + timedelta(days=1))
    tick(DEADLINE + timedelta(days=1))
    tick(DEADLINE + timedelta(days=2))

    assert reminders(problem) == ["due_soon", "overdue"]
    assert notices(problem, Notification.Kind.OVERDUE) == ["dept.julu.power", "leader.julu"]
    problem.refresh_from_db()
    assert (problem.escalation, problem.on_weekly_agenda) == (Escalation.DEPARTMENT, False)


def test_it_escalates_to_the_leader_in_charge_and_puts_the_problem_on_the_weekly_agenda(problem):
    after = settings.KEYPROJECTS_ESCALATE_AFTER_DAYS
    tick(DEADLINE + timedelta(days=after - 1))
    problem.refresh_from_db()
    assert problem.escalation == Escalation.DEPARTMENT

    tick(DEADLINE + timedelta(days=after))

    problem.refresh_from_db()
    assert (problem.escalation, problem.on_weekly_agenda) == (Escalation.LEADER, True)
    assert escalations(problem) == [Escalation.LEADER]
    assert notices(problem, Notification.Kind.ESCALATED) == ["dept.julu.power", "leader.julu"]
    event = problem.events.get(kind=Event.Kind.ESCALATED)
    assert event.data == {"level": 1, "overdue_days": after}


def test_it_escalates_to_the_county_head_and_tells_the_office_after_twice_as_long(problem):
    after = settings.KEYPROJECTS_ESCALATE_AFTER_DAYS
    tick(DEADLINE + timedelta(days=after))

    tick(DEADLINE + timedelta(days=2 * after))

    problem.refresh_from_db()
    assert problem.escalation == Escalation.COUNTY_HEAD
    assert escalations(problem) == [Escalation.LEADER, Escalation.COUNTY_HEAD]
    assert notices(problem, Notification.Kind.ESCALATED) == [
        "dept.julu.power",
        "dept.julu.power",
        "leader.julu",
        "leader.julu",
        "office.julu",
    ]


def test_it_goes_no_higher_than_the_county_head_and_sends_nothing_twice(problem):
    after = settings.KEYPROJECTS_ESCALATE_AFTER_DAYS
    for days in range(-5, 4 * after):
        tick(DEADLINE + timedelta(days=days))
    sent = Notification.objects.filter(problem=problem).count()

    counts = tick(DEADLINE + timedelta(days=4 * after))

    assert counts == {"due_soon": 0, "overdue": 0, "escalated": 0}
    assert Notification.objects.filter(problem=problem).count() == sent
    assert reminders(problem) == ["due_soon", "overdue"]
    assert escalations(problem) == [Escalation.LEADER, Escalation.COUNTY_HEAD]


def test_it_jumps_straight_to_the_level_a_late_check_finds(problem):
    tick(DEADLINE + timedelta(days=2 * settings.KEYPROJECTS_ESCALATE_AFTER_DAYS + 3))

    problem.refresh_from_db()
    assert problem.escalation == Escalation.COUNTY_HEAD
    assert reminders(problem) == ["overdue"]  # the deadline had passed: no "due soon" any more
    assert escalations(problem) == [Escalation.COUNTY_HEAD]


def test_it_reads_how_long_to_wait_from_the_settings(problem, settings):
    settings.KEYPROJECTS_ESCALATE_AFTER_DAYS = 3

    tick(DEADLINE + timedelta(days=3))

    problem.refresh_from_db()
    assert problem.escalation == Escalation.LEADER


@pytest.mark.parametrize("status", [Status.RESOLVED, Status.CLOSED])
def test_it_leaves_resolved_and_closed_problems_alone(at, persona, status):
    with clock.frozen_at(moment(ACCEPTED_ON, 9)):
        problem = at(status, deadline=DEADLINE)

    tick(DEADLINE + timedelta(days=3 * settings.KEYPROJECTS_ESCALATE_AFTER_DAYS))

    problem.refresh_from_db()
    assert (problem.escalation, problem.on_weekly_agenda) == (Escalation.DEPARTMENT, False)
    assert reminders(problem) == []


def test_it_takes_the_problem_off_the_agenda_once_it_is_closed_out(problem, persona):
    tick(DEADLINE + timedelta(days=settings.KEYPROJECTS_ESCALATE_AFTER_DAYS))
    services.problem_resolve(actor=persona("leader.julu"), problem=problem, resolution="县长协调解决")

    services.problem_confirm(actor=persona("ent.liangshan"), problem=problem)

    problem.refresh_from_db()
    assert problem.on_weekly_agenda is False


def test_it_runs_the_check_from_the_daily_task(problem):
    with clock.frozen_at(moment(DEADLINE + timedelta(days=settings.KEYPROJECTS_ESCALATE_AFTER_DAYS), 6)):
        result = tasks.daily_problem_check.enqueue()

    assert result.return_value["escalated"] >= 1
    problem.refresh_from_db()
    assert problem.escalation == Escalation.LEADER
    assert "keyprojects.problems.tasks.daily_problem_check" in settings.KEYPROJECTS_PERIODIC_TASKS
