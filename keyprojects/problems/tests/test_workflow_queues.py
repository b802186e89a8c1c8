""" "My work" lists problems by the workflow's rules written as conditions (problems/workflow.py WHERE); each
condition must pick exactly the problems on which PROBLEM_WORKFLOW.allowed() offers the step, for everyone."""

from __future__ import annotations

import pytest

from keyprojects.accounts.models import User
from keyprojects.core.workflow import SYSTEM
from keyprojects.problems import selectors
from keyprojects.problems.models import Problem, Status
from keyprojects.problems.workflow import PROBLEM_WORKFLOW, problems_allowed

PEOPLE = [
    "office.julu",
    "leader.julu",
    "dept.julu.power",
    "dept.julu.bank",
    "ent.liangshan",
    "ent.newera",
    "city.xingtai",
]


def julu_problems():
    return Problem.objects.filter(project__county__slug="julu").select_related("project__county")


@pytest.mark.django_db
def test_the_demo_has_problems_in_every_state_the_steps_start_from():
    states = set(julu_problems().values_list("status", flat=True))
    assert {Status.REPORTED, Status.RETURNED, Status.ACCEPTED, Status.RESOLVED, Status.CLOSED} <= states


@pytest.mark.django_db
@pytest.mark.parametrize("username", PEOPLE)
@pytest.mark.parametrize("step", [t.name for t in PROBLEM_WORKFLOW])
def test_the_condition_picks_the_problems_the_declaration_allows(username, step):
    user = User.objects.get(username=username)
    candidates = julu_problems()

    by_condition = set(problems_allowed(step, user, candidates).values_list("pk", flat=True))
    by_declaration = {p.pk for p in candidates if step in PROBLEM_WORKFLOW.names(user, p)}

    assert by_condition == by_declaration


@pytest.mark.django_db
def test_the_system_may_take_every_step():
    for transition in PROBLEM_WORKFLOW:
        expected = set(julu_problems().filter(status__in=transition.sources).values_list("pk", flat=True))
        assert (
            set(problems_allowed(transition.name, SYSTEM, julu_problems()).values_list("pk", flat=True))
            == expected
        )


@pytest.mark.django_db
@pytest.mark.parametrize("username", PEOPLE)
def test_my_work_holds_what_each_step_allows(username):
    user = User.objects.get(username=username)

    work = selectors.my_work(user=user)

    for section, step in (
        ("to_accept", "accept"),
        ("to_handle", "update"),
        ("to_confirm", "confirm"),
        ("to_complete", "resubmit"),
    ):
        assert all(step in PROBLEM_WORKFLOW.names(user, p) for p in work[section]), section
