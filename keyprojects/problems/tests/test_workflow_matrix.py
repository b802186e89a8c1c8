"""Every (state, role, step) of the problem workflow, generated from its declaration: a step the declaration
opens to a role in a state succeeds and reaches the declared state; every other is refused with the domain
error and changes nothing. A new step in the declaration is covered here as soon as it has a service."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.urls import reverse

from keyprojects.accounts.models import Department
from keyprojects.core import clock
from keyprojects.core.errors import Conflict, DomainError, NotAllowed
from keyprojects.core.workflow import SYSTEM
from keyprojects.problems import services
from keyprojects.problems.models import Event, Problem, Status
from keyprojects.problems.workflow import PROBLEM_WORKFLOW

ROLES = {
    "office": "office.julu",
    "leader": "leader.julu",
    "department": "dept.julu.power",
    "enterprise": "ent.liangshan",  # raised every problem here
    "city": "city.xingtai",
    "system": None,  # SYSTEM
}


def _steps() -> dict:
    """step → (service, its arguments beyond actor and problem)."""
    return {
        "accept": (
            services.problem_accept,
            lambda: {
                "lead_department": Department.objects.get(slug="julu-power"),
                "deadline": clock.today() + timedelta(days=10),
            },
        ),
        "return": (services.problem_return, lambda: {"reason": "请补充 / Add the load table"}),
        "decline": (services.problem_decline, lambda: {"reason": "企业内部事项 / The enterprise's own"}),
        "resubmit": (services.problem_resubmit, lambda: {"description": "已补充 / Added"}),
        "update": (services.problem_update, lambda: {"text": "已勘查 / Surveyed"}),
        "resolve": (services.problem_resolve, lambda: {"resolution": "已增容 / Capacity added"}),
        "confirm": (services.problem_confirm, dict),
        "reject": (services.problem_reject_resolution, lambda: {"reason": "仍不足 / Still short"}),
        "reopen": (services.problem_reopen, lambda: {"reason": "又断电 / Power cut again"}),
    }


STEPS = _steps()
CASES = list(itertools.product(PROBLEM_WORKFLOW.states, ROLES, [t.name for t in PROBLEM_WORKFLOW]))


def test_it_has_a_service_for_every_declared_step():
    assert set(STEPS) == set(PROBLEM_WORKFLOW.transitions)


# Who may take each step on a problem that ent.liangshan raised, the power-supply department leads and
# leader.julu is in charge of: the rules in words, against which the declaration is read.
WHO = {
    "accept": {"office", "system"},
    "return": {"office", "system"},
    "decline": {"office", "system"},
    "resubmit": {"enterprise", "system"},
    "update": {"office", "leader", "department", "system"},
    "resolve": {"office", "leader", "department", "system"},
    "confirm": {"enterprise", "system"},
    "reject": {"enterprise", "system"},
    "reopen": {"office", "enterprise", "system"},
}


def actor_of(persona, role: str):
    return SYSTEM if ROLES[role] is None else persona(ROLES[role])


@pytest.mark.parametrize(("state", "role", "name"), CASES)
def test_it_takes_exactly_the_declared_steps(persona, at, state, role, name):
    problem = at(state)
    actor = actor_of(persona, role)
    step = PROBLEM_WORKFLOW[name]
    service, arguments = STEPS[name]
    before = (problem.status, problem.version, problem.events.count())

    if state in step.sources and PROBLEM_WORKFLOW.may(step, actor, problem):
        service(actor=actor, problem=problem, **arguments())
        stored = Problem.objects.get(pk=problem.pk)
        assert stored.status == step.target
        assert problem.events.count() == before[2] + 1
        assert role in WHO[name], f"the declaration lets {role} {name}"
        return

    with pytest.raises(DomainError) as refused:
        service(actor=actor, problem=problem, **arguments())
    stored = Problem.objects.get(pk=problem.pk)
    assert (stored.status, stored.version, stored.events.count()) == before
    if PROBLEM_WORKFLOW.may(step, actor, problem):
        assert type(refused.value) is Conflict  # the state, not the person, is wrong (the API: 409)
        assert state not in step.sources
    else:
        assert isinstance(refused.value, NotAllowed)
        assert refused.value.message == str(step.refused)
        # Before acceptance nobody is assigned: those who will be are refused then, and only then.
        assert role not in WHO[name] or (name in ("update", "resolve") and state not in step.sources)


def test_it_refuses_an_actor_left_unnamed(at):
    problem = at(Status.REPORTED)

    with pytest.raises(TypeError):
        services.problem_decline(actor=None, problem=problem, reason="?")
    assert Problem.objects.get(pk=problem.pk).status == Status.REPORTED


def test_the_system_acts_without_a_person_on_the_timeline(at):
    problem = at(Status.REPORTED)

    services.problem_decline(actor=SYSTEM, problem=problem, reason="重复 / Duplicate")

    event = problem.events.get(kind=Event.Kind.DECLINED)
    assert event.actor is None


@pytest.mark.parametrize(
    ("state", "username", "offered"),
    [
        (Status.REPORTED, "office.julu", {"accept", "return", "decline"}),
        (Status.RETURNED, "office.julu", {"decline"}),
        (Status.RETURNED, "ent.liangshan", {"resubmit"}),
        (Status.IN_PROGRESS, "dept.julu.power", {"update", "resolve"}),
        (Status.RESOLVED, "ent.liangshan", {"confirm", "reject"}),
        (Status.RESOLVED, "office.julu", set()),
        (Status.CLOSED, "ent.liangshan", {"reopen"}),
    ],
)
def test_the_problem_page_offers_exactly_the_declared_steps(client, login, at, state, username, offered):
    problem = at(state)
    user = login(username)

    html = client.get(reverse("problems:detail", args=[problem.pk])).content.decode()

    shown = {
        t.name for t in PROBLEM_WORKFLOW if reverse("problems:action", args=[problem.pk, t.name]) in html
    }
    assert shown == offered == PROBLEM_WORKFLOW.names(user, problem)
