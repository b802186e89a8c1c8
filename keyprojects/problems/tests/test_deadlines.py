"""Days to a deadline are counted between the county's local dates (Asia/Shanghai), at midnight and across
month ends, and the reminders say the true number; a reopened problem gets a new deadline from the office and
its escalation starts again from it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import translation

from keyprojects.accounts.models import User
from keyprojects.core import clock
from keyprojects.core.errors import DomainError, NotAllowed
from keyprojects.problems import selectors, services
from keyprojects.problems.models import Escalation, Event, Notification, Problem, Status

JULU = ZoneInfo("Asia/Shanghai")
DUE_SOON, OVERDUE = Notification.Kind.DUE_SOON, Notification.Kind.OVERDUE


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def local(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=JULU)


def travel(moment: datetime):
    return time_machine.travel(moment, tick=False)


# ---- days left, in the county's own date ----------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "deadline", "days"),
    [
        (utc(2026, 3, 31, 15, 30), date(2026, 4, 3), 3),  # 23:30 on 31 March in Julu
        (utc(2026, 3, 31, 16, 30), date(2026, 4, 3), 2),  # 00:30 on 1 April in Julu, still 31 March in UTC
        (utc(2027, 1, 31, 15, 30), date(2027, 2, 2), 2),
        (utc(2027, 1, 31, 16, 30), date(2027, 2, 2), 1),
        (utc(2027, 2, 28, 15, 30), date(2027, 3, 1), 1),  # 2027 has no 29 February
        (utc(2027, 2, 28, 16, 30), date(2027, 3, 1), 0),
        (utc(2026, 12, 31, 15, 30), date(2027, 1, 1), 1),
        (utc(2026, 12, 31, 16, 30), date(2027, 1, 1), 0),
        (utc(2027, 3, 1, 16, 30), date(2027, 2, 28), -2),  # 2 March in Julu: two days late
    ],
)
def test_it_counts_the_days_to_a_deadline_between_the_county_s_local_dates(moment, deadline, days):
    with travel(moment):
        assert clock.today() == moment.astimezone(JULU).date()
        assert selectors.days_until(deadline) == days


@pytest.fixture
def addresses(db) -> None:
    User.objects.filter(username="dept.julu.power").update(email="power@julu.example", language="en")


@pytest.mark.parametrize(
    ("moment", "deadline", "kind", "days", "headline"),
    [
        (utc(2026, 3, 31, 15, 30), date(2026, 4, 3), DUE_SOON, 3, "a deadline is 3 days away"),
        (utc(2026, 3, 31, 16, 30), date(2026, 4, 3), DUE_SOON, 2, "a deadline is 2 days away"),
        (utc(2027, 1, 31, 16, 30), date(2027, 2, 2), DUE_SOON, 1, "a deadline is 1 day away"),
        (utc(2027, 2, 28, 15, 30), date(2027, 3, 1), DUE_SOON, 1, "a deadline is 1 day away"),
        (utc(2027, 2, 28, 16, 30), date(2027, 3, 1), DUE_SOON, 0, "a deadline is today"),
        (utc(2026, 12, 31, 16, 30), date(2027, 1, 1), DUE_SOON, 0, "a deadline is today"),
        (utc(2027, 1, 1, 16, 30), date(2027, 1, 1), OVERDUE, 1, "a problem is overdue by 1 day"),
        (utc(2026, 4, 4, 16, 30), date(2026, 4, 3), OVERDUE, 2, "a problem is overdue by 2 days"),
    ],
)
def test_it_says_in_the_reminder_how_many_days_there_really_are(
    at, addresses, django_capture_on_commit_callbacks, moment, deadline, kind, days, headline
):
    with travel(moment - timedelta(days=10)):
        problem = at(Status.IN_PROGRESS, deadline=deadline)

    with travel(moment), django_capture_on_commit_callbacks(execute=True):
        services.problems_tick()

    notices = list(Notification.objects.filter(problem=problem, kind=kind))
    assert notices
    assert {n.days for n in notices} == {days}
    with translation.override("en"):
        assert {n.headline() for n in notices} == {headline}
    [message] = [m for m in mail.outbox if m.to == ["power@julu.example"] and f"#{problem.pk} " in m.body]
    assert message.subject == f"Keyprojects: {headline}"
    assert message.body.startswith(headline)


def test_it_shows_the_days_left_on_the_problem_s_page_by_the_county_s_date(client, login, at):
    with travel(local(date(2026, 3, 25))):
        problem = at(Status.IN_PROGRESS, deadline=date(2026, 4, 3))

    seen = []
    for moment in (utc(2026, 3, 31, 15, 30), utc(2026, 3, 31, 16, 30), utc(2026, 4, 2, 16, 30)):
        with travel(moment):
            login("office.julu")
            page = client.get(reverse("problems:detail", args=[problem.pk]))
        seen.append((page.context["days_left"], page.context["days_late"], page.context["overdue"]))
    with travel(utc(2026, 4, 3, 16, 30)):
        login("office.julu")
        page = client.get(reverse("problems:detail", args=[problem.pk]))
    seen.append((page.context["days_left"], page.context["days_late"], page.context["overdue"]))

    assert seen == [(3, None, False), (2, None, False), (0, None, False), (None, 1, True)]
    assert 'data-testid="days-left"' in page.content.decode()


# ---- reopening -------------------------------------------------------------------------------------

AFTER = settings.KEYPROJECTS_ESCALATE_AFTER_DAYS
DEADLINE = date(2026, 3, 10)
CLOSED_ON = DEADLINE + timedelta(days=2 * AFTER + 1)
REOPENED_ON = CLOSED_ON + timedelta(days=4)
NEW_DEADLINE = REOPENED_ON + timedelta(days=14)


def tick(day: date) -> None:
    with travel(local(day, 6)):
        services.problems_tick()


@pytest.fixture
def closed(persona, at) -> Problem:
    """Escalated to the county head while overdue, then solved late and closed out."""
    with travel(local(DEADLINE - timedelta(days=9))):
        problem = at(Status.IN_PROGRESS, deadline=DEADLINE)
    tick(DEADLINE + timedelta(days=2 * AFTER))
    with travel(local(CLOSED_ON)):
        services.problem_resolve(actor=persona("dept.julu.power"), problem=problem, resolution="已增容")
        services.problem_confirm(actor=persona("ent.liangshan"), problem=problem)
    problem.refresh_from_db()
    assert (problem.status, problem.escalation) == (Status.CLOSED, Escalation.COUNTY_HEAD)
    return problem


def reopen(persona, problem: Problem, username: str = "office.julu", **kwargs) -> Problem:
    with travel(local(REOPENED_ON)):
        return services.problem_reopen(
            actor=persona(username), problem=problem, reason="又停电了 / Power cut again", **kwargs
        )


@pytest.mark.parametrize("deadline", [None, REOPENED_ON - timedelta(days=1)])
def test_it_asks_the_office_for_a_deadline_not_in_the_past_once_the_old_one_has_passed(
    persona, closed, deadline
):
    with pytest.raises(DomainError) as refused:
        reopen(persona, closed, deadline=deadline)

    assert refused.value.field == "deadline"
    closed.refresh_from_db()
    assert (closed.status, closed.deadline) == (Status.CLOSED, DEADLINE)


def test_it_reopens_with_the_new_deadline_and_starts_the_escalation_again_from_it(persona, closed):
    reopen(persona, closed, deadline=NEW_DEADLINE)

    closed.refresh_from_db()
    assert (closed.status, closed.deadline) == (Status.IN_PROGRESS, NEW_DEADLINE)
    assert (closed.escalation, closed.on_weekly_agenda) == (Escalation.DEPARTMENT, False)
    assert closed.events.last().data == {"deadline": str(NEW_DEADLINE)}
    with travel(local(REOPENED_ON)):
        assert not selectors.is_overdue(closed)

    def since_reopened(kind: str) -> list[int | None]:
        return list(
            Notification.objects.filter(
                problem=closed, kind=kind, created_at__gte=local(REOPENED_ON)
            ).values_list("days", flat=True)
        )

    tick(REOPENED_ON + timedelta(days=1))
    closed.refresh_from_db()
    assert closed.escalation == Escalation.DEPARTMENT
    assert since_reopened(OVERDUE) == since_reopened(Notification.Kind.ESCALATED) == []

    tick(NEW_DEADLINE - timedelta(days=3))
    tick(NEW_DEADLINE + timedelta(days=1))
    closed.refresh_from_db()
    assert set(since_reopened(DUE_SOON)) == {3}
    assert set(since_reopened(OVERDUE)) == {1}
    assert closed.escalation == Escalation.DEPARTMENT

    tick(NEW_DEADLINE + timedelta(days=AFTER))
    closed.refresh_from_db()
    assert closed.escalation == Escalation.LEADER


def test_it_keeps_the_deadline_when_it_still_stands(persona, at):
    deadline = date(2026, 4, 30)
    with travel(local(date(2026, 3, 25))):
        problem = at(Status.CLOSED, deadline=deadline)

    reopen(persona, problem, username="ent.liangshan")

    problem.refresh_from_db()
    assert (problem.status, problem.deadline) == (Status.IN_PROGRESS, deadline)


def test_it_sends_the_raiser_to_the_office_for_a_new_deadline(persona, closed):
    with pytest.raises(DomainError) as refused:
        reopen(persona, closed, username="ent.liangshan")
    assert refused.value.field == "deadline"
    with pytest.raises(NotAllowed):
        reopen(persona, closed, username="ent.liangshan", deadline=NEW_DEADLINE)

    closed.refresh_from_db()
    assert closed.status == Status.CLOSED


def test_it_asks_for_the_new_deadline_on_the_problem_s_page(client, login, closed):
    url = reverse("problems:detail", args=[closed.pk])
    action = reverse("problems:action", args=[closed.pk, "reopen"])
    with travel(local(REOPENED_ON)):
        login("ent.liangshan")
        assert "deadline" not in client.get(url).context["reopen_form"].fields
        login("office.julu")
        form = client.get(url).context["reopen_form"]
        assert form.initial["deadline"] == REOPENED_ON + timedelta(days=15)

        refused = client.post(action, {"reason": "又停电了"}, follow=True)
        closed.refresh_from_db()
        assert closed.status == Status.CLOSED
        assert len(list(refused.context["messages"])) == 1

        client.post(action, {"reason": "又停电了", "deadline": NEW_DEADLINE.isoformat()})

    closed.refresh_from_db()
    assert (closed.status, closed.deadline, closed.escalation) == (
        Status.IN_PROGRESS,
        NEW_DEADLINE,
        Escalation.DEPARTMENT,
    )
    assert closed.events.filter(kind=Event.Kind.REOPENED).get().text == "又停电了"
