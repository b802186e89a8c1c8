"""Pages of the daily monitoring: the site's daily report form and the county's daily board."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from keyprojects.accounts.selectors import chosen_region
from keyprojects.core import clock
from keyprojects.core.errors import DomainError
from keyprojects.core.forms import query_errors_to_messages
from keyprojects.daily.forms import BoardForm, DailyReportForm
from keyprojects.daily.selectors import board_regions, daily_board, report_of_day
from keyprojects.daily.services import file_daily_report, may_file
from keyprojects.projects.selectors import project_get


@login_required
def report(request: HttpRequest, county: str, code: str) -> HttpResponse:
    """GET: today's report if filed, else the form; POST: file it (once, whatever the retries)."""
    project = project_get(user=request.user, county=county, code=code)
    if not may_file(request.user, project):
        raise PermissionDenied
    today = clock.today()
    if request.method == "POST":
        form = DailyReportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                filed = file_daily_report(
                    actor=request.user,
                    project=project,
                    day=data["day"],
                    workers=data["workers"],
                    machinery=data["machinery"],
                    work_today=data["work_today"],
                    plan_tomorrow=data["plan_tomorrow"],
                    weather_stoppage=data["weather_stoppage"],
                    note=data["note"],
                    idempotency_key=data["idempotency_key"],
                    photos=data["photos"],
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(
                    request, _("The daily report for %(day)s is filed.") % {"day": filed.date.isoformat()}
                )
                return redirect("daily:report", county=project.county.slug, code=project.code)
    else:
        form = DailyReportForm(initial={"day": today, "idempotency_key": DailyReportForm.new_key()})
    return render(
        request,
        "daily/report.html",
        {
            "project": project,
            "form": form,
            "today": today,
            "filed": report_of_day(project=project, day=today),
        },
    )


@login_required
def board(request: HttpRequest) -> HttpResponse:
    regions = list(board_regions(request.user))
    form = BoardForm(request.GET)
    if not form.is_valid():
        query_errors_to_messages(request, form)  # a refused choice is said, then the default one shown
    data = form.cleaned_data if form.is_valid() else {}
    region = chosen_region(regions, data.get("region"))
    day = data.get("date") or clock.today()
    return render(
        request,
        "daily/board.html",
        {
            "board": daily_board(region=region, day=day, user=request.user),
            "regions": regions,
            "region": region,
        },
    )
