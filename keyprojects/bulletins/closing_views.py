"""The missing-reports board: a county office chases its month's reports, reminds the enterprises and closes
the month; the city office reads its counties' boards."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from keyprojects.accounts.models import Region, User
from keyprojects.accounts.permissions import paths_q, scope_for
from keyprojects.accounts.selectors import chosen_region
from keyprojects.bulletins import closing
from keyprojects.core import clock
from keyprojects.core.errors import DomainError
from keyprojects.core.forms import IdField, MonthField, YearField, query_errors_to_messages
from keyprojects.core.periods import month_of_year
from keyprojects.investment.closing import month_board
from keyprojects.investment.workflow import is_region_office

VIEWS = {"status": gettext_lazy("by status"), "department": gettext_lazy("by department"),
         "leader": gettext_lazy("by leader in charge")}  # fmt: skip


class BoardForm(forms.Form):
    region = forms.SlugField(label=gettext_lazy("County"), required=False)
    year = YearField(label=gettext_lazy("Year"), required=False)
    month = MonthField(label=gettext_lazy("Month"), required=False)
    view = forms.ChoiceField(label=gettext_lazy("Grouped"), choices=list(VIEWS.items()), required=False)


class RemindForm(forms.Form):
    project = IdField(required=False)  # one project's "Remind"; without it, every project not submitted


def board_regions(user: User) -> QuerySet[Region]:
    """The county-level units whose board the user reads: a county office its own, a city office its
    counties, an administrator all; nobody else any."""
    scope = scope_for(user)
    regions = Region.objects.filter(kind__in=Region.COUNTY_LEVEL_KINDS).order_by("path")
    return regions if scope.is_admin else regions.filter(paths_q(scope.office_paths, "path"))


def _region_get(user: User, slug: str) -> Region:
    region = board_regions(user).filter(slug=slug).first()
    if region is None:
        raise Http404
    return region


def _board_url(region: Region, year: int, month: int) -> str:
    query = urlencode({"region": region.slug, "year": year, "month": month})
    return f"{reverse('bulletins:board')}?{query}"


@login_required
def board(request: HttpRequest) -> HttpResponse:
    regions = list(board_regions(request.user))
    form = BoardForm(request.GET)
    if not form.is_valid():
        query_errors_to_messages(request, form)  # a refused choice is said, then the default one shown
    data = form.cleaned_data if form.is_valid() else {}
    region = chosen_region(regions, data.get("region"))
    year, month = clock.last_due_month()
    if data.get("year") and data.get("month"):
        year, month = data["year"], data["month"]
    view = data.get("view") or "status"
    month_board_ = month_board(region=region, year=year, month=month)
    return render(
        request,
        "bulletins/closing/board.html",
        {
            "board": month_board_,
            "regions": regions,
            "region": region,
            "year": year,
            "month": month,
            "period": month_of_year(year, month),
            "view": view,
            "views": VIEWS,
            "may_act": is_region_office(request.user, region),
            "grouped": {"department": month_board_.by_department, "leader": month_board_.by_leader}.get(
                view, list
            )(),
        },
    )


@login_required
@require_POST
def remind(request: HttpRequest, region: str, year: int, month: int) -> HttpResponse:
    unit = _region_get(request.user, region)
    if not is_region_office(request.user, unit):
        raise PermissionDenied
    form = RemindForm(request.POST)
    if not (form.is_valid() and 1 <= month <= 12):
        raise Http404
    project = form.cleaned_data["project"]
    try:
        notified = closing.remind_missing(
            actor=request.user, region=unit, year=year, month=month, projects=[project] if project else None
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if notified:
            messages.success(
                request,
                ngettext("%(n)d person was reminded.", "%(n)d people were reminded.", notified)
                % {"n": notified},
            )
        else:
            messages.warning(request, _("Nobody was reminded: no enterprise user to notify."))
    return redirect(_board_url(unit, year, month))


@login_required
def close_month(request: HttpRequest, region: str, year: int, month: int) -> HttpResponse:
    """GET: what closing would leave missing, and a confirmation; POST: close it."""
    unit = _region_get(request.user, region)
    if not is_region_office(request.user, unit):
        raise PermissionDenied
    if not 1 <= month <= 12:
        raise Http404
    if request.method == "POST":
        try:
            closing.month_close(actor=request.user, region=unit, year=year, month=month)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(month)s is closed.") % {"month": month_of_year(year, month)})
        return redirect(_board_url(unit, year, month))
    return render(
        request,
        "bulletins/closing/close.html",
        {
            "board": month_board(region=unit, year=year, month=month),
            "region": unit,
            "year": year,
            "month": month,
            "period": month_of_year(year, month),
            "board_url": _board_url(unit, year, month),
        },
    )
