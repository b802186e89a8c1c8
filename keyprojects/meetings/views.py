from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keyprojects.core import clock
from keyprojects.core.errors import DomainError
from keyprojects.core.forms import call_service, errors_to_messages
from keyprojects.meetings import selectors, services
from keyprojects.meetings.forms import DecisionForm, DoneForm
from keyprojects.meetings.word import pack_docx as render_docx


def _week(value: str) -> date:
    """The Monday named in the URL (ISO date); 404 for anything else."""
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise Http404 from exc
    if day.weekday() != 0 or not clock.MIN_YEAR <= day.year <= clock.MAX_YEAR:
        raise Http404
    return day


@login_required
def current(request: HttpRequest, county: str) -> HttpResponse:
    region = selectors.meeting_county_get(user=request.user, slug=county)
    return redirect("meetings:week", region.slug, selectors.monday_of(clock.today()).isoformat())


@login_required
def week(request: HttpRequest, county: str, week: str, form: DecisionForm | None = None) -> HttpResponse:
    region = selectors.meeting_county_get(user=request.user, slug=county)
    week_start = _week(week)
    meeting = selectors.meeting_get(county=region, week_start=week_start)
    decisions = selectors.decision_list(meeting=meeting)
    today = clock.today()
    office = services.is_office(request.user, region)
    can_record = office
    return render(
        request,
        "meetings/week.html",
        {
            "county": region,
            "meeting": meeting,
            "pack": selectors.weekly_pack(county=region, week_start=week_start),
            "decisions": [
                (
                    d,
                    selectors.decision_state(d, today),
                    office or services.is_owner(request.user, d),
                )
                for d in decisions
            ],
            "form": form or (DecisionForm.for_county(region) if can_record else None),
            "done_form": DoneForm(),
            "can_record": can_record,
            "previous_week": week_start.fromordinal(week_start.toordinal() - 7).isoformat(),
            "next_week": week_start.fromordinal(week_start.toordinal() + 7).isoformat(),
        },
    )


@login_required
def pack_docx(request: HttpRequest, county: str, week: str) -> HttpResponse:
    region = selectors.meeting_county_get(user=request.user, slug=county)
    week_start = _week(week)
    pack = selectors.weekly_pack(county=region, week_start=week_start)
    decisions = selectors.decision_list(meeting=selectors.meeting_get(county=region, week_start=week_start))
    response = HttpResponse(
        render_docx(pack, decisions=decisions),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="meeting-{region.slug}-{week_start:%Y-%m-%d}.docx"'
    )
    return response


@login_required
@require_POST
def decision_add(request: HttpRequest, county: str, week: str) -> HttpResponse:
    region = selectors.meeting_county_get(user=request.user, slug=county)
    week_start = _week(week)
    if not services.is_office(request.user, region):
        raise PermissionDenied
    form = DecisionForm.for_county(region, request.POST)
    if form.is_valid():
        try:
            meeting = services.meeting_for_week(actor=request.user, county=region, week_start=week_start)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("meetings:week", region.slug, week_start.isoformat())
        if call_service(form, services.record_decision, actor=request.user, meeting=meeting, **form.chosen()):
            messages.success(request, _("The decision was recorded."))
            return redirect("meetings:week", region.slug, week_start.isoformat())
    response = week(request, county, week, form=form)
    response.status_code = 400
    return response


@login_required
@require_POST
def decision_done(request: HttpRequest, pk: int) -> HttpResponse:
    decision = selectors.decision_get(user=request.user, pk=pk)
    meeting = decision.meeting
    form = DoneForm(request.POST)
    if form.is_valid() and call_service(
        form,
        services.mark_decision_done,
        actor=request.user,
        decision=decision,
        note=form.cleaned_data["note"],
    ):
        messages.success(request, _("The decision is done."))
    else:
        errors_to_messages(request, form)
    return redirect("meetings:week", meeting.county.slug, meeting.week_start.isoformat())
