"""Registry pages: list with filters and totals, project page, forms for each action, map, export."""

from __future__ import annotations

import copy

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keyprojects.accounts import selectors as accounts_selectors
from keyprojects.accounts.permissions import scope_for
from keyprojects.core import clock
from keyprojects.core.forms import call_service, errors_to_messages
from keyprojects.core.spreadsheets import TABLE_FORMATS
from keyprojects.projects import export_jobs, exports, rules, selectors, services
from keyprojects.projects.filters import ProjectFilterSet
from keyprojects.projects.forms import (
    GuaranteeForm,
    HealthForm,
    MilestoneForm,
    PauseForm,
    ProjectForm,
    RebaselineForm,
    ResumeForm,
    StageForm,
    TemplateCopyForm,
    TemplateStepForm,
)
from keyprojects.projects.models import next_stage

PAGE_SIZE = 25


def _filtered(request: HttpRequest) -> ProjectFilterSet:
    """The list's filters as asked in the query string, over the projects the user reads."""
    return ProjectFilterSet(request.GET or None, user=request.user)


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    filterset = _filtered(request)
    projects = filterset.qs
    page = Paginator(projects, PAGE_SIZE).get_page(request.GET.get("page"))
    scope = scope_for(request.user)
    context = {
        "form": filterset.form,
        "page": page,
        "totals": selectors.project_totals(projects),
        "query": filterset.query(),
        "creatable_counties": [
            r
            for r in accounts_selectors.region_list(user=request.user)
            if r.is_county_level and scope.manages_region(r)
        ],
    }
    template = (
        "projects/_list_results.html" if request.headers.get("HX-Request") else "projects/project_list.html"
    )
    return render(request, template, context)


@login_required
def project_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The filtered list as a file at once; a list too long for one request goes to the task worker, and the
    user follows it on the export's page."""
    filterset = _filtered(request)
    if fmt in TABLE_FORMATS:
        rows = filterset.qs.count()
        if export_jobs.export_in_background(rows):
            job = export_jobs.export_job_start(
                actor=request.user, fmt=fmt, query=request.GET.urlencode(), rows_total=rows
            )
            return redirect("projects:export_job", pk=job.pk)
    return exports.project_list_response(filterset, fmt=fmt, user=request.user)


@login_required
def export_job(request: HttpRequest, pk: int) -> HttpResponse:
    """A background export's page: its progress (htmx polls the partial while it runs), then its file."""
    job = export_jobs.export_job_get(user=request.user, pk=pk)
    template = (
        "projects/_export_progress.html" if request.headers.get("HX-Request") else "projects/export_job.html"
    )
    return render(request, template, {"job": job})


@login_required
def export_job_file(request: HttpRequest, pk: int) -> FileResponse:
    """The file of a finished export, to the user who asked for it, while it is kept; 404 otherwise."""
    job = export_jobs.export_job_get(user=request.user, pk=pk)
    if not job.is_downloadable:
        raise Http404
    try:
        handle = job.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=job.file_name,
        content_type=TABLE_FORMATS[job.file_format],
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def project_detail(request: HttpRequest, county: str, code: str) -> HttpResponse:
    project = selectors.project_get(user=request.user, county=county, code=code)
    can_manage = scope_for(request.user).manages_region(project.county)
    parts = selectors.project_detail_parts(project=project)
    return render(
        request,
        "projects/project_detail.html",
        {
            "project": project,
            **parts,
            "milestone_chart": _milestone_chart(parts["milestones"]),
            "can_manage": can_manage,
            "stage_form": StageForm(initial={"date": clock.today(), "stage": next_stage(project.stage)}),
            "pause_form": PauseForm(initial={"date": clock.today()}),
            "resume_form": ResumeForm(initial={"date": clock.today()}),
            "health_form": HealthForm(
                initial={"health": project.health_override, "rationale": project.health_override_rationale}
            ),
        },
    )


HISTORY_PAGE_SIZE = 50


@login_required
def project_history(request: HttpRequest, county: str, code: str) -> HttpResponse:
    """Every version of the project, its milestones and guarantees, with the fields each changed."""
    project = selectors.project_get(user=request.user, county=county, code=code)
    found = selectors.project_history(project=project, unit=request.user.money_unit or "wan")
    page = Paginator(found, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "projects/project_history.html", {"project": project, "page": page})


def _milestone_chart(milestones) -> dict:
    """The milestones as a timeline: original baseline, current plan and actual date of each."""

    def iso(day):
        return day.isoformat() if day else None

    return {
        "names": [m.name for m in milestones],
        "series": [
            {"name": _("Original baseline"), "dates": [iso(m.original_baseline_date) for m in milestones]},
            {"name": _("Planned"), "dates": [iso(m.planned_date) for m in milestones]},
            {"name": _("Actual"), "dates": [iso(m.actual_date) for m in milestones]},
        ],
        "today": clock.today().isoformat(),
        "today_label": _("today"),
    }


def _manageable_county(request: HttpRequest, slug: str):
    county = accounts_selectors.region_get(user=request.user, slug=slug)
    if not county.is_county_level or not scope_for(request.user).manages_region(county):
        raise PermissionDenied
    return county


def _project_data(form: ProjectForm) -> services.ProjectData:
    data = dict(form.cleaned_data)
    data.pop("version", None)
    data.pop("is_public", None)  # not a field of the registry's data: the office's choice to publish it
    data["responsible_departments"] = tuple(data["responsible_departments"])
    return services.ProjectData(**data)


@login_required
def project_create(request: HttpRequest, county: str) -> HttpResponse:
    region = _manageable_county(request, county)
    form = ProjectForm(request.POST or None, county=region)
    if request.method == "POST" and form.is_valid():
        project = call_service(
            form,
            services.project_create,
            actor=request.user,
            county=region,
            data=_project_data(form),
            stage_date=clock.today(),
            is_public=form.cleaned_data["is_public"],
        )
        if project:
            messages.success(request, _("Key project %(code)s created.") % {"code": project.code})
            return redirect("projects:detail", county=region.slug, code=project.code)
    return render(request, "projects/project_form.html", {"form": form, "county": region, "project": None})


@login_required
def project_edit(request: HttpRequest, county: str, code: str) -> HttpResponse:
    project = selectors.project_get(user=request.user, county=county, code=code)
    _manageable_county(request, county)
    form = ProjectForm(request.POST or None, instance=copy.copy(project), county=project.county)
    if (
        request.method == "POST"
        and form.is_valid()
        and call_service(
            form,
            services.project_update,
            actor=request.user,
            project=project,
            data=_project_data(form),
            expected_version=form.cleaned_data.get("version"),
            is_public=form.cleaned_data["is_public"],
        )
    ):
        messages.success(request, _("Key project saved."))
        return redirect("projects:detail", county=county, code=project.code)
    return render(
        request, "projects/project_form.html", {"form": form, "county": project.county, "project": project}
    )


def _action(request: HttpRequest, county: str, code: str, form_class, service, arguments) -> HttpResponse:
    """POST-only actions on a project: validate the form, call the service, come back to the page."""
    project = selectors.project_get(user=request.user, county=county, code=code)
    if not scope_for(request.user).manages_region(project.county):
        raise PermissionDenied
    form = form_class(request.POST)
    if form.is_valid() and call_service(
        form, service, actor=request.user, project=project, **arguments(form.cleaned_data)
    ):
        messages.success(request, _("Saved."))
    else:
        errors_to_messages(request, form)
    return redirect("projects:detail", county=county, code=project.code)


@login_required
@require_POST
def project_stage(request: HttpRequest, county: str, code: str) -> HttpResponse:
    return _action(
        request,
        county,
        code,
        StageForm,
        services.project_change_stage,
        lambda d: {"stage": d["stage"], "on": d["date"], "note": d["note"]},
    )


@login_required
@require_POST
def project_pause(request: HttpRequest, county: str, code: str) -> HttpResponse:
    return _action(
        request,
        county,
        code,
        PauseForm,
        services.project_pause,
        lambda d: {"reason": d["reason"], "on": d["date"], "note": d["note"]},
    )


@login_required
@require_POST
def project_resume(request: HttpRequest, county: str, code: str) -> HttpResponse:
    return _action(request, county, code, ResumeForm, services.project_resume, lambda d: {"on": d["date"]})


@login_required
@require_POST
def project_health(request: HttpRequest, county: str, code: str) -> HttpResponse:
    return _action(
        request,
        county,
        code,
        HealthForm,
        services.project_override_health,
        lambda d: {"health": d["health"], "rationale": d["rationale"]},
    )


@login_required
def milestone_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit one milestone in place (htmx swaps the table row); plain POST + redirect without htmx."""
    milestone = selectors.milestone_get(user=request.user, pk=pk)
    project = milestone.project
    if not scope_for(request.user).manages_region(project.county):
        raise PermissionDenied
    is_htmx = bool(request.headers.get("HX-Request"))
    if request.method == "POST":
        form = MilestoneForm(request.POST)
        if form.is_valid() and call_service(
            form, services.milestone_update, actor=request.user, milestone=milestone, **form.cleaned_data
        ):
            milestone = selectors.milestone_get(user=request.user, pk=pk)
            if not is_htmx:
                messages.success(request, _("Milestone saved."))
                return redirect("projects:detail", county=project.county.slug, code=project.code)
            return render(request, "projects/_milestone_row.html", {"m": milestone, "can_manage": True})
    else:
        form = MilestoneForm(
            initial={"planned_date": milestone.planned_date, "actual_date": milestone.actual_date}
        )
    template = "projects/_milestone_form.html" if is_htmx else "projects/milestone_form.html"
    return render(request, template, {"m": milestone, "form": form, "project": project})


@login_required
def milestone_rebaseline(request: HttpRequest, pk: int) -> HttpResponse:
    milestone = selectors.milestone_get(user=request.user, pk=pk)
    project = milestone.project
    if not scope_for(request.user).manages_region(project.county):
        raise PermissionDenied
    form = RebaselineForm(request.POST or None, initial={"baseline_date": milestone.baseline_date})
    if (
        request.method == "POST"
        and form.is_valid()
        and call_service(
            form, services.milestone_rebaseline, actor=request.user, milestone=milestone, **form.cleaned_data
        )
    ):
        messages.success(request, _("Baseline changed; the original baseline is kept."))
        return redirect("projects:detail", county=project.county.slug, code=project.code)
    return render(
        request, "projects/rebaseline_form.html", {"m": milestone, "form": form, "project": project}
    )


@login_required
def guarantee_edit(request: HttpRequest, pk: int) -> HttpResponse:
    guarantee = selectors.guarantee_get(user=request.user, pk=pk)
    project = guarantee.project
    if not scope_for(request.user).manages_region(project.county):
        raise PermissionDenied
    form = GuaranteeForm(
        request.POST or None,
        initial={
            "status": guarantee.status,
            "needed_by": guarantee.needed_by,
            "delivered_on": guarantee.delivered_on,
        },
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and call_service(
            form, services.guarantee_update, actor=request.user, guarantee=guarantee, **form.cleaned_data
        )
    ):
        messages.success(request, _("Service guarantee saved."))
        return redirect("projects:detail", county=project.county.slug, code=project.code)
    return render(request, "projects/guarantee_form.html", {"g": guarantee, "form": form, "project": project})


@login_required
def project_map(request: HttpRequest) -> HttpResponse:
    filterset = _filtered(request)
    return render(
        request,
        "projects/project_map.html",
        {
            "form": filterset.form,
            "query": filterset.query(),
            "tile_url": settings.KEYPROJECTS_MAP_TILE_URL,
            "tile_attribution": settings.KEYPROJECTS_MAP_TILE_ATTRIBUTION,
        },
    )


@login_required
def project_geojson(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "type": "FeatureCollection",
            "features": selectors.map_points(_filtered(request).qs),
            "seats": selectors.map_seats(user=request.user),
        }
    )


@login_required
def health_rules(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "projects/rules.html",
        {
            "at_risk_days": rules.AT_RISK_WITHIN_DAYS,
            "red_reasons": rules.red_reasons(),
            "amber_reasons": rules.amber_reasons(),
        },
    )


@login_required
def template_list(request: HttpRequest, county: str) -> HttpResponse:
    region = accounts_selectors.region_get(user=request.user, slug=county)
    if not region.is_county_level:
        raise PermissionDenied
    if request.method == "POST":
        if not scope_for(request.user).manages_region(region):
            raise PermissionDenied
        form = TemplateCopyForm(request.POST)
        if form.is_valid() and call_service(
            form, services.template_copy_for_county, actor=request.user, county=region, **form.cleaned_data
        ):
            messages.success(request, _("The county now has its own template for this category."))
        else:
            errors_to_messages(request, form)
        return redirect("projects:templates", county=region.slug)
    return render(
        request,
        "projects/template_list.html",
        {
            "county": region,
            "overview": selectors.template_overview(county=region),
            "can_manage": scope_for(request.user).manages_region(region),
        },
    )


@login_required
def template_step_edit(request: HttpRequest, pk: int) -> HttpResponse:
    step = selectors.template_step_get(user=request.user, pk=pk)
    form = TemplateStepForm(
        request.POST or None,
        initial={
            "name_zh": step.name_zh,
            "name_en": step.name_en,
            "days_from_start": step.days_from_start,
            "time_limit_days": step.time_limit_days,
        },
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and call_service(
            form, services.template_step_update, actor=request.user, step=step, **form.cleaned_data
        )
    ):
        messages.success(
            request, _("Template step saved. New projects use it; existing milestones keep their dates.")
        )
        if step.county is None:  # the default template (administrators only) has no county page
            return redirect("projects:template_step_edit", pk=step.pk)
        return redirect("projects:templates", county=step.county.slug)
    return render(request, "projects/template_step_form.html", {"step": step, "form": form})
