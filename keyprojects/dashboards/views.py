"""The home page: each person's projects, reports and problems waiting for them, from every part of the domain."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from keyprojects.accounts import selectors as accounts_selectors
from keyprojects.accounts.permissions import scope_for
from keyprojects.investment import selectors as investment_selectors
from keyprojects.problems import selectors as problem_selectors
from keyprojects.projects import selectors as project_selectors
from keyprojects.projects.models import Project


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "memberships": accounts_selectors.membership_list_for(user=user),
        "scope": scope_for(user),
        "region_count": accounts_selectors.region_list(user=user).count(),
        "department_count": accounts_selectors.department_list(user=user).count(),
        "enterprise_count": accounts_selectors.enterprise_list(user=user).count(),
        "projects": project_selectors.project_totals(
            Project.objects.filter(project_selectors.project_scope_q(user))
        ),
        "work": {key: len(rows) for key, rows in problem_selectors.my_work(user=user).items()},
        "reports": {key: len(rows) for key, rows in investment_selectors.report_queue(user=user).items()},
    }
    return render(request, "dashboards/home.html", context)
