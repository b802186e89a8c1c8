"""Pages of the daily monitoring: the site's daily report form, the county's daily board and its photos."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

from keyprojects.accounts.selectors import chosen_region
from keyprojects.core import clock
from keyprojects.core.errors import DomainError
from keyprojects.core.forms import query_errors_to_messages
from keyprojects.daily.forms import BoardForm, DailyReportForm
from keyprojects.daily.selectors import board_regions, daily_board, photo_get, report_of_day
from keyprojects.daily.services import file_daily_report, may_file
from keyprojects.daily.site import keep_offline, site_strings
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
            try:
                filed = file_daily_report(
                    actor=request.user,
                    project=project,
                    **form.service_arguments(),
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
    return keep_offline(
        render(
            request,
            "daily/report.html",
            {
                "project": project,
                "form": form,
                "today": today,
                "filed": report_of_day(project=project, day=today),
                "site_strings": site_strings(),
            },
        )
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


PHOTO_MAX_AGE = 24 * 3600


@login_required
def photo(request: HttpRequest, pk: int) -> FileResponse:
    """A site photo, shown in the page (the server re-encoded it as JPEG when it was filed), only to those who
    read its project's daily reports; 404 to anyone else."""
    shown = photo_get(user=request.user, pk=pk)
    try:
        handle = shown.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc  # a row whose file is gone: nothing to show
    response = FileResponse(handle, content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    # A photo never changes (its stored name is a fresh token); private, as every page behind the login.
    patch_cache_control(response, private=True, max_age=PHOTO_MAX_AGE)
    return response
