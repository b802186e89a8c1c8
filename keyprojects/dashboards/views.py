"""The home page: each person's projects, reports and problems waiting for them, from every part of the domain."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from keyprojects.accounts import selectors as accounts_selectors
from keyprojects.accounts.permissions import scope_for
from keyprojects.bulletins.records import records
from keyprojects.core import periods
from keyprojects.investment import selectors as investment_selectors
from keyprojects.problems import selectors as problem_selectors
from keyprojects.projects import selectors as project_selectors
from keyprojects.projects.models import Project


def _records_card(user) -> dict | None:
    """This year's figures of the user's own region (the first whose figures they read in full) against the
    same period of each earlier stored year, for the "Compared with earlier years" card: a fixed number of
    queries (bulletins.records)."""
    regions = problem_selectors.statistics_regions(user=user)
    if not regions:
        return None
    region = regions[0]
    year, month = investment_selectors.period_for(region=region, year=None, through_month=None)
    found = records(region=region, year=year, month=month)
    return {
        "region": region,
        "span": periods.months_span(year, month),
        "years": [y for y, _value, _current in found[0].years()],
        "records": found,
    }


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
        "records_card": _records_card(user),
    }
    return render(request, "dashboards/home.html", context)
