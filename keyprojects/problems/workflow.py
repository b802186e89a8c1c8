"""The problem workflow, declared once: report → accept and assign → progress → resolve → confirm (销号).

Who may take each step is said here, with the refusal they get otherwise; the services check through this
declaration and the problem page offers what `PROBLEM_WORKFLOW.allowed(user, problem)` returns.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import User
from keyprojects.accounts.permissions import scope_for
from keyprojects.core.workflow import SYSTEM, Transition, Workflow
from keyprojects.problems.models import OPEN_STATUSES, Problem, RaisedAs, Status
from keyprojects.projects.models import Project

# ---- who may act -------------------------------------------------------------------------------


def is_office(actor, problem_or_project) -> bool:
    project = getattr(problem_or_project, "project", problem_or_project)
    return actor is SYSTEM or scope_for(actor).manages_region(project.county)


def raiser_role(actor: User, project: Project) -> RaisedAs | None:
    """The role in which the actor may raise a problem on this project, or None."""
    scope = scope_for(actor)
    if scope.manages_region(project.county):
        return RaisedAs.OFFICE
    if project.enterprise_id in scope.enterprise_ids:
        return RaisedAs.ENTERPRISE
    if project.leader_in_charge_id == actor.pk:
        return RaisedAs.LEADER
    if scope.department_ids and project.responsible_departments.filter(pk__in=scope.department_ids).exists():
        return RaisedAs.DEPARTMENT
    return None


def is_assigned(actor, problem: Problem) -> bool:
    """The lead and supporting departments, the leader in charge, and the county office."""
    if is_office(actor, problem):
        return True
    if problem.leader_in_charge_id == actor.pk:
        return True
    ids = scope_for(actor).department_ids
    return bool(ids) and (
        problem.lead_department_id in ids or problem.supporting_departments.filter(pk__in=ids).exists()
    )


def is_raiser(actor, problem: Problem) -> bool:
    """Whoever raised it confirms it: the same person, or their enterprise, or their county office."""
    if actor is SYSTEM or actor.pk == problem.raised_by_id:
        return True
    scope = scope_for(actor)
    if problem.raised_as == RaisedAs.ENTERPRISE:
        return problem.project.enterprise_id in scope.enterprise_ids
    if problem.raised_as == RaisedAs.OFFICE:
        return scope.manages_region(problem.project.county)
    return False


def is_office_or_raiser(actor, problem: Problem) -> bool:
    return is_office(actor, problem) or is_raiser(actor, problem)


# ---- the declaration ---------------------------------------------------------------------------

PROBLEM_WORKFLOW = Workflow(
    Transition(
        "accept", (Status.REPORTED,), Status.ACCEPTED, is_office,
        refused=_("Only the county project office can accept and assign problems."), label=_("Accept"),
    ),
    Transition(
        "return", (Status.REPORTED,), Status.RETURNED, is_office,
        refused=_("Only the county project office can return a reported problem."),
        label=_("Return for more information"),
    ),
    Transition(
        "decline", (Status.REPORTED, Status.RETURNED), Status.DECLINED, is_office,
        refused=_("Only the county project office can decline a problem."), label=_("Decline"),
    ),
    Transition(
        "resubmit", (Status.RETURNED,), Status.REPORTED, is_raiser,
        refused=_("Only the person who raised the problem can resubmit it."), label=_("Resubmit"),
    ),
    # The first progress note moves an accepted problem to "in progress"; later ones keep it there.
    Transition(
        "update", OPEN_STATUSES, Status.IN_PROGRESS, is_assigned,
        refused=_("Only those assigned to the problem can post progress."), label=_("Post progress"),
    ),
    Transition(
        "resolve", OPEN_STATUSES, Status.RESOLVED, is_assigned,
        refused=_("Only those assigned to the problem can resolve it."), label=_("Mark as resolved"),
    ),
    Transition(
        "confirm", (Status.RESOLVED,), Status.CLOSED, is_raiser,
        refused=_("Only the person who raised the problem can confirm that it is solved."),
        label=_("Confirm and close out"),
    ),
    Transition(
        "reject", (Status.RESOLVED,), Status.IN_PROGRESS, is_raiser,
        refused=_("Only the person who raised the problem can refuse its resolution."), label=_("Not solved"),
    ),
    Transition(
        "reopen", (Status.CLOSED,), Status.IN_PROGRESS, is_office_or_raiser,
        refused=_("Only the county project office or the person who raised it can reopen a problem."),
        label=_("Reopen"),
    ),
    wrong_status=_("This cannot be done while the problem is %(status)s."),
)  # fmt: skip


# ---- the same rules as conditions on problems -------------------------------------------------------------
# "My work" lists what waits for a person among hundreds of problems: asking allowed() of each would be a query
# per row, so each rule is also written as a condition, here beside the predicate it restates;
# test_workflow_queues checks that they agree.


def _office_q(actor) -> Q:
    scope = scope_for(actor)
    return scope.managed_q("project__county__path")


def _assigned_q(actor) -> Q:
    ids = scope_for(actor).department_ids
    assigned = _office_q(actor) | Q(leader_in_charge_id=actor.pk)
    if ids:
        supported = Problem.supporting_departments.through.objects.filter(department_id__in=ids)
        assigned |= Q(lead_department_id__in=ids) | Q(pk__in=supported.values("problem_id"))
    return assigned


def _raiser_q(actor) -> Q:
    enterprises = scope_for(actor).enterprise_ids
    return (
        Q(raised_by_id=actor.pk)
        | Q(raised_as=RaisedAs.ENTERPRISE, project__enterprise_id__in=enterprises)
        | Q(raised_as=RaisedAs.OFFICE) & _office_q(actor)
    )


WHERE: dict[str, Callable[..., Q]] = {
    "accept": _office_q,
    "return": _office_q,
    "decline": _office_q,
    "resubmit": _raiser_q,
    "update": _assigned_q,
    "resolve": _assigned_q,
    "confirm": _raiser_q,
    "reject": _raiser_q,
    "reopen": lambda actor: _office_q(actor) | _raiser_q(actor),
}


def problems_allowed(name: str, actor, problems: QuerySet[Problem]) -> QuerySet[Problem]:
    """The problems among `problems` on which `actor` may take the step `name` now: what
    PROBLEM_WORKFLOW.allowed() says of each, in one query."""
    transition = PROBLEM_WORKFLOW[name]
    condition = Q() if actor is SYSTEM else WHERE[name](actor)
    return problems.filter(condition, status__in=transition.sources)
