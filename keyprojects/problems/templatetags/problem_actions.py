"""What a page offers about problems, decided by the same checks as the views that carry it out: a page of a
lower app (a project's) asks here instead of importing the problem rules."""

from __future__ import annotations

from django import template

from keyprojects.problems import services
from keyprojects.projects.models import Project

register = template.Library()


@register.simple_tag(takes_context=True)
def may_raise_problem(context: template.Context, project: Project) -> bool:
    """Whether "Report a problem" leads anywhere for this user: problems:report answers 403 otherwise."""
    request = context.get("request")
    return request is not None and services.raiser_role(request.user, project) is not None
