"""Two people acting on one problem at the same moment: one action takes effect, the other is refused with
who changed the problem and when; every save takes the problem's next version.

The real race (two threads, two connections) runs on PostgreSQL only; the same refusals are shown on both
databases by acting on an instance read before someone else's action (a page opened earlier).
"""

from __future__ import annotations

import time
from datetime import timedelta
from functools import partial

import pytest
from django.utils import timezone, translation

from keyprojects.accounts.models import Department, User
from keyprojects.core import clock
from keyprojects.core.errors import DomainError
from keyprojects.core.models import AuditEntry
from keyprojects.core.tests import racing
from keyprojects.core.tests.racing import changed_by, committed, needs_row_locks, race
from keyprojects.problems import services
from keyprojects.problems.models import Category, Event, Problem, Side, Status
from keyprojects.problems.tests.conftest import julu_project


def step(service, **arguments):
    return lambda actor, problem: service(actor=actor, problem=problem, **arguments)


def accept(actor: User, problem: Problem) -> Problem:
    return services.problem_accept(
        actor=actor,
        problem=problem,
        lead_department=Department.objects.get(slug="julu-power"),
        deadline=clock.today() + timedelta(days=10),
    )


# Who takes each action: the office accepts, returns, declines and reopens; the department works on it;
# the enterprise that raised it resubmits it, confirms or refuses the resolution.
ACTIONS = {
    "accept": ("office.julu", accept),
    "return": ("office.julu", step(services.problem_return, reason="请补充")),
    "decline": ("office.julu", step(services.problem_decline, reason="企业内部事项")),
    "resubmit": ("ent.liangshan", step(services.problem_resubmit, description="补充")),
    "update": ("dept.julu.power", step(services.problem_update, text="已勘查")),
    "resolve": ("dept.julu.power", step(services.problem_resolve, resolution="已增容")),
    "confirm": ("ent.liangshan", step(services.problem_confirm)),
    "reject": ("ent.liangshan", step(services.problem_reject_resolution, reason="仍不足")),
    "reopen": ("office.julu", step(services.problem_reopen, reason="再次断电")),
}


# ---- a page opened before someone else acted (both databases) ------------------------------------


@pytest.mark.parametrize(
    "status, first, second",
    [
        (Status.REPORTED, "accept", "decline"),
        (Status.REPORTED, "decline", "accept"),
        (Status.REPORTED, "return", "return"),
        (Status.RETURNED, "resubmit", "resubmit"),
        (Status.ACCEPTED, "resolve", "update"),
        (Status.IN_PROGRESS, "resolve", "resolve"),
        (Status.RESOLVED, "confirm", "reject"),
        (Status.RESOLVED, "reject", "confirm"),
        (Status.CLOSED, "reopen", "reopen"),
    ],
)
def test_it_refuses_an_action_on_a_stale_problem_and_says_who_changed_it_and_when(
    at, persona, status, first, second
):
    problem = at(status)
    stale = Problem.objects.select_related("project__county").get(pk=problem.pk)
    (first_user, first_action), (second_user, second_action) = ACTIONS[first], ACTIONS[second]
    first_action(persona(first_user), problem)
    events = problem.events.count()

    with translation.override("en"), pytest.raises(DomainError) as refused:
        second_action(persona(second_user), stale)

    stored = Problem.objects.get(pk=problem.pk)
    assert stored.status == problem.status != status
    assert refused.value.message == changed_by(persona(first_user), stored)
    assert stale.status == stored.status  # the caller's instance now shows what is stored
    assert problem.events.count() == events


def test_it_still_refuses_a_wrong_action_on_a_fresh_problem_without_blaming_anyone(at, persona):
    problem = at(Status.REPORTED)

    with translation.override("en"), pytest.raises(DomainError) as refused:
        services.problem_confirm(actor=persona("ent.liangshan"), problem=problem)

    assert refused.value.message == "This cannot be done while the problem is reported."


def test_it_takes_the_next_version_on_every_save(at, persona):
    problem = at(Status.REPORTED)
    assert problem.version == 1

    problem = at(Status.CLOSED)  # accepted, in progress, resolved, confirmed

    assert problem.version == Problem.objects.get(pk=problem.pk).version == 5


def test_it_reminds_from_the_stored_problem_not_from_the_list_read_before(at, persona, monkeypatch):
    """The daily check reads its list first; a problem resolved after that is left alone."""
    problem = at(Status.IN_PROGRESS, deadline=clock.today() + timedelta(days=1))
    lock_fresh = services.lock_fresh
    resolved = []

    def resolved_just_before(instance):
        if instance.pk == problem.pk and not resolved:
            resolved.append(instance.status)  # what the daily check's list says
            ACTIONS["resolve"][1](persona("dept.julu.power"), Problem.objects.get(pk=problem.pk))
        return lock_fresh(instance)

    monkeypatch.setattr(services, "lock_fresh", resolved_just_before)

    services.problems_tick()

    assert resolved == [Status.IN_PROGRESS]
    assert not problem.events.filter(kind=Event.Kind.REMINDED).exists()


# ---- a real race: two threads, two connections (PostgreSQL) ----------------------------------------


def _rows() -> dict[str, int]:
    return {
        "problems": Problem.objects.count(),
        "problem history": Problem.history.count(),
        "events": Event.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


@pytest.fixture
def reported(django_db_setup, django_db_blocker, monkeypatch):
    """A problem just reported on a demo project, committed (the threads must see it) and deleted again with
    its history, events and audit entries. No notices are sent; the first to act holds its lock a moment
    longer, so that the second surely arrives while it is held."""
    record = services.audit_record

    def slow_record(**kwargs):
        time.sleep(0.3)
        return record(**kwargs)

    monkeypatch.setattr(services, "audit_record", slow_record)
    monkeypatch.setattr(services, "notify", lambda *args, **kwargs: [])
    with committed(django_db_blocker, _rows):
        project = julu_project(enterprise__slug="liangshan", responsible_departments__slug="julu-power")
        problem = Problem.objects.create(
            project=project, title_zh="施工临时用电容量不足", description_zh="影响设备调试", category=Category.ELECTRICITY,
            side=Side.OUTSIDE, raised_by=User.objects.get(username="ent.liangshan"), raised_as="enterprise",
            raised_at=timezone.now(),
        )  # fmt: skip
        try:
            yield problem
        finally:
            Problem.objects.filter(pk=problem.pk).delete()
            Problem.history.filter(id=problem.pk).delete()
            racing.forget_audit_entries("problems.problem", problem.pk)


# A racer: reads the problem as its page did, then takes the step.
acting = partial(racing.acting, Problem, ACTIONS)


@needs_row_locks
@pytest.mark.parametrize("actions", [("accept", "decline"), ("accept", "accept"), ("accept", "return")])
def test_it_lets_exactly_one_of_two_simultaneous_actions_take_effect(reported, actions):
    outcomes = race(acting(actions[0], reported.pk), acting(actions[1], reported.pk))

    won = [o for o in outcomes if isinstance(o, Problem)]
    lost = [o for o in outcomes if isinstance(o, DomainError)]
    assert (len(won), len(lost)) == (1, 1), outcomes
    stored = Problem.objects.get(pk=reported.pk)
    assert (stored.status, stored.version) == (won[0].status, 2)
    assert lost[0].message == changed_by(User.objects.get(username="office.julu"), stored)
    assert stored.events.count() == 1
    assert AuditEntry.objects.filter(target_type="problems.problem", target_id=str(reported.pk)).count() == 1
