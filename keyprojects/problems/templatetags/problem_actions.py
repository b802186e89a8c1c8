"""What a page offers about problems, decided by the same checks as the views that carry it out: a page of a
lower app (a project's) asks here instead of importing the problem rules."""

from __future__ import annotations

from django import template

from keyprojects.problems.selectors import is_escalated, is_overdue
from keyprojects.problems.workflow import raiser_role
from keyprojects.projects.models import Project

register = template.Library()


@register.simple_tag(takes_context=True)
def may_raise_problem(context: template.Context, project: Project) -> bool:
    """Whether "Report a problem" leads anywhere for this user: problems:report answers 403 otherwise."""
    request = context.get("request")
    return request is not None and raiser_role(request.user, project) is not None


@register.filter
def overdue_on(problem, today) -> bool:
    """{% if problem|overdue_on:today %}: the one overdue rule (selectors.is_overdue), not a copy of it."""
    return is_overdue(problem, today)


@register.filter
def escalated(problem) -> bool:
    """{% if problem|escalated %}: escalated and still open (selectors.is_escalated)."""
    return is_escalated(problem)
