"""Investment pages: dashboards of a county and of a city, the monthly report, the plan, the queue."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from keyprojects.accounts.context_processors import figures_region_slug
from keyprojects.accounts.models import Region
from keyprojects.accounts.permissions import scope_for
from keyprojects.core import clock
from keyprojects.core.errors import DomainError
from keyprojects.core.forms import call_service, errors_to_messages, query_errors_to_messages, query_year
from keyprojects.core.money import shown_amount, unit_label
from keyprojects.core.spreadsheets import export_response
from keyprojects.core.uploads import attachment_response
from keyprojects.investment import closing, exports, selectors, services
from keyprojects.investment.forms import (
    PeriodForm,
    PlanForm,
    ReasonForm,
    ReportForm,
    in_yuan,
)
from keyprojects.investment.models import AnnualPlan, MonthlyReport, ReportAttachment
from keyprojects.investment.workflow import REPORT_WORKFLOW, may_read_attachments
from keyprojects.projects import selectors as project_selectors
from keyprojects.projects.models import Project


def _period(
    request: HttpRequest, region: Region
) -> tuple[int, int, bool, PeriodForm, selectors.Period | None]:
    """The period asked for, else the default one (selectors.default_period), which the page names."""
    form = PeriodForm(request.GET or None)
    if form.is_bound and form.is_valid():
        year, month = form.cleaned_data["year"], form.cleaned_data["month"]
        return year, month, form.cleaned_data["unverified"], form, None
    if any(name in request.GET for name in form.fields):
        query_errors_to_messages(request, form)  # a refused period is said, then the default one shown
    default = selectors.region_default_period(region)
    form = PeriodForm(initial={"year": default.year, "month": default.through_month, "unverified": False})
    return default.year, default.through_month, False, form, default


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The user's own dashboard: their county, their city, or their province."""
    slug = figures_region_slug(scope_for(request.user))
    if slug is None:
        return redirect("investment:queue")
    return redirect("investment:dashboard", region=slug)


@login_required
def dashboard(request: HttpRequest, region: str) -> HttpResponse:
    """A city's page is its totals and the ranking of its units (what its units read of it too), a
    province's the same with its cities ranked first; a county's or a zone's is its figures in full, listing
    only the projects the user may open."""
    unit = selectors.figures_region_get(user=request.user, slug=region, ranking=True)
    year, month, unverified, form, default = _period(request, unit)
    context = {
        "region": unit,
        "form": form,
        "year": year,
        "month": month,
        "unverified": unverified,
        "default_period": default,
        "query": f"year={year}&month={month}" + ("&unverified=on" if unverified else ""),
        # The page above (a county's city, a zone's county), linked only when the user may open it.
        "parent": unit.parent if unit.parent and selectors.reads_ranking(request.user, unit.parent) else None,
    }
    if unit.kind == Region.Kind.PROVINCE:  # its cities ranked, then every county-level unit of them
        context["city_ranking"] = selectors.city_ranking(
            province=unit, year=year, through_month=month, include_unverified=unverified
        )
    if unit.kind in (Region.Kind.CITY, Region.Kind.PROVINCE):
        ranking = selectors.unit_ranking(
            city=unit, year=year, through_month=month, include_unverified=unverified
        )
        summaries = selectors.city_summaries(
            city=unit, year=year, through_month=month, include_unverified=unverified, ranking=ranking
        )
        context["chart_ranking"] = {
            "units": [row.region.name for row in ranking],
            "rates": [
                float(row.figures.completion_rate * 100) if row.figures.completion_rate else 0
                for row in ranking
            ],
            "name": _("Completion rate (%)"),
        }
        # A period not yet closed ranks missing (and, approved-only, unapproved) reports as zero: say how many.
        approval = selectors.unit_approval(city=unit, year=year, through_month=month)
        context.update(
            ranking=[
                (row, summaries[row.region.pk], selectors.reads_figures(request.user, row.region))
                for row in ranking
            ],
            pending_units=[
                (row.region, approval[row.region.pk])
                for row in ranking
                if row.region.pk in approval and approval[row.region.pk].pending
            ],
            pending_missing=sum(a.missing for a in approval.values()),
            pending_unapproved=sum(a.unapproved for a in approval.values()),
            totals=selectors.region_figures(
                region=unit, year=year, through_month=month, include_unverified=unverified
            ),
        )
        return render(request, "investment/city_dashboard.html", context)
    scope_q = selectors.region_key_projects(unit)
    projects = Project.objects.filter(scope_q)
    listed_q = selectors.dashboard_projects(user=request.user, region=unit)
    today = clock.today()
    state = selectors.reporting_state(projects=listed_q, year=year)
    missing = state.missing(selectors.due_months(year, today))
    missing_projects = {
        p.pk: p for p in Project.objects.filter(pk__in={p for p, _m in missing}).select_related("county")
    }
    context.update(
        summary=selectors.region_summary(
            region=unit, year=year, through_month=month, include_unverified=unverified
        ),
        series=selectors.monthly_series(projects=scope_q, year=year, include_unverified=unverified),
        stages=selectors.stage_level_counts(projects),
        behind=selectors.furthest_behind(Project.objects.filter(listed_q), year=year, through_month=month),
        missing=[(missing_projects[p], m) for p, m in missing][:50],
        missing_count=len(missing),
        projection=selectors.projections_by(
            group="county", projects=scope_q, year=year, through_month=month
        ).get(unit.pk),
        will_miss=selectors.projects_will_miss(projects=listed_q, year=year, through_month=month),
        breakdowns=[
            (
                title,
                selectors.breakdown_ranking(
                    unit=unit, group=group, year=year, through_month=month, include_unverified=unverified
                ),
            )
            for group, title in (
                ("zone", _("Development zones")),
                ("responsible_departments", _("Responsible departments")),
                ("leader_in_charge", _("Leaders in charge")),
            )
        ],
    )
    context["chart_series"] = {
        "months": [row["month"] for row in context["series"]],
        "through": month,
        "names": [_("Planned to date"), _("Completed to date"), _("Completed in the month")],
        # Months whose reports are not all approved are drawn apart: their figures may still change.
        "pending_names": [
            _("Completed to date (not yet approved)"),
            _("Completed in the month (not yet approved)"),
        ],
        "approved": [r["approval"].approved for r in context["series"]],
        "final": [r["final"] for r in context["series"]],
        "unit": unit_label("wan"),  # the unit of the numbers below, in the reader's language
        "planned_cum": [float(shown_amount(r["planned_cum"], "wan")) for r in context["series"]],
        "completed_cum": [float(shown_amount(r["completed_cum"], "wan")) for r in context["series"]],
        "completed": [float(shown_amount(r["completed"], "wan")) for r in context["series"]],
    }
    return render(request, "investment/county_dashboard.html", context)


@login_required
def series_download(request: HttpRequest, region: str, fmt: str) -> HttpResponse:
    """The data behind the dashboard chart, as a spreadsheet."""
    unit = selectors.figures_region_get(user=request.user, slug=region)
    year, _month, unverified, _form, _default = _period(request, unit)
    return export_response(
        fmt=fmt,
        filename=f"investment-{unit.slug}-{year}",
        table=exports.monthly_series_table(region=unit, year=year, unverified=unverified),
    )


@login_required
def ranking_download(request: HttpRequest, region: str, fmt: str) -> HttpResponse:
    city = selectors.figures_region_get(user=request.user, slug=region, ranking=True)
    if city.kind != Region.Kind.CITY:
        raise Http404
    year, month, unverified, _form, _default = _period(request, city)
    return export_response(
        fmt=fmt,
        filename=f"ranking-{city.slug}-{year}-{month:02d}",
        table=exports.unit_ranking_table(city=city, year=year, month=month, unverified=unverified),
    )


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    queue = selectors.report_queue(user=request.user)
    sections = [
        (_("To fill in or correct"), queue["to_fix"], "fix"),
        (_("To verify"), queue["to_verify"], "verify"),
        (_("To approve"), queue["to_approve"], "approve"),
    ]
    scope = scope_for(request.user)
    # Show only the sections that concern the user's roles.
    shown = [s for s in sections if s[1] or (s[2] == "fix" and scope.enterprise_ids)
             or (s[2] == "verify" and (scope.department_ids or scope.county_paths))
             or (s[2] == "approve" and scope.county_paths)]  # fmt: skip
    return render(request, "investment/queue.html", {"sections": shown})


def _project(request: HttpRequest, county: str, code: str) -> Project:
    return project_selectors.project_get(user=request.user, county=county, code=code)


@login_required
def report_detail(request: HttpRequest, county: str, code: str, year: int, month: int) -> HttpResponse:
    """The month's report: the enterprise fills it in, attaches its invoices and submits; others read the
    figures and the files, verify, return, approve, reopen."""
    project = _project(request, county, code)
    if not 1 <= month <= 12:
        raise Http404
    report = MonthlyReport.objects.filter(project=project, year=year, month=month).first()
    form = ReportForm(request.POST or None, request.FILES or None, initial=ReportForm.initial_from(report))
    if request.method == "POST":
        saved = form.is_valid() and call_service(
            form, services.report_save, actor=request.user, project=project, year=year, month=month,
            **form.service_arguments(),
        )  # fmt: skip
        if saved and form.cleaned_data.get("file"):
            call_service(
                form, services.report_attachment_add, actor=request.user, report=saved,
                upload=form.cleaned_data["file"],
            )  # fmt: skip
        if saved and not form.errors:
            if "submit" in request.POST and call_service(
                form, services.report_submit, actor=request.user, report=saved
            ):
                messages.success(request, _("Report submitted for verification."))
            elif "submit" not in request.POST:
                messages.success(request, _("Draft saved."))
            if not form.errors:
                return redirect("investment:report", county=county, code=code, year=year, month=month)
        if saved:  # the figures were kept, the file or the submission refused: the page says which
            messages.warning(request, _("The figures were saved as a draft."))
            report = saved
    plan = AnnualPlan.objects.filter(project=project, year=year).prefetch_related("months").first()
    planned = next((pm.amount for pm in plan.months.all() if pm.month == month), None) if plan else None
    history = (
        list(report.history.select_related("history_user").order_by("-history_date")[:20]) if report else []
    )
    # What the workflow lets this user do now; a month not reported yet is a draft to be filled in.
    actions = {
        step.name: step
        for step in REPORT_WORKFLOW.allowed(
            request.user, report or MonthlyReport(project=project, year=year, month=month)
        )
    }
    editable = "submit" in actions  # the figures are edited while they can be submitted
    if form.errors and not editable:
        # The form is not shown for a month closed to this user (approved, or not theirs to fill in): its
        # refusal would go unsaid, so the page says it as a message.
        errors_to_messages(request, form)
    can_read_files = may_read_attachments(request.user, project)
    return render(
        request,
        "investment/report.html",
        {
            "project": project,
            "report": report,
            "late": report is not None and closing.is_late(report),
            "year": year,
            "month": month,
            "planned": planned,
            "form": form,
            "editable": editable,
            "funding": [
                (MonthlyReport._meta.get_field(n).verbose_name, getattr(report, n))
                for n in MonthlyReport.FUNDING_FIELDS
            ]
            if report
            else [],
            "attachments": list(report.attachments.select_related("uploaded_by"))
            if report and can_read_files
            else [],
            "can_read_files": can_read_files,
            "actions": actions,
            "reason_form": ReasonForm(),
            "history": history,
        },
    )


@login_required
def report_history(request: HttpRequest, county: str, code: str, year: int, month: int) -> HttpResponse:
    """Every version of the month's report (and of its files, for whoever reads them), with the fields each
    changed."""
    project = _project(request, county, code)
    report = selectors.report_get(project=project, year=year, month=month)
    found = selectors.report_history(
        report=report,
        with_files=may_read_attachments(request.user, project),
        unit=request.user.money_unit or "wan",
    )
    page = Paginator(found, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "investment/report_history.html",
        {"project": project, "report": report, "year": year, "month": month, "page": page},
    )


HISTORY_PAGE_SIZE = 50


# Lazy: the messages are built once at import, and must be shown in the language of each request.
ACTIONS = {
    "verify": (services.report_verify, False, gettext_lazy("Report verified.")),
    "return": (services.report_return, True, gettext_lazy("Report returned to the enterprise.")),
    "approve": (services.report_approve, False, gettext_lazy("Report approved. The month is now locked.")),
    "reopen": (services.report_reopen, True, gettext_lazy("The month has been reopened for correction.")),
}


@login_required
@require_POST
def report_action(
    request: HttpRequest, county: str, code: str, year: int, month: int, action: str
) -> HttpResponse:
    project = _project(request, county, code)
    report = MonthlyReport.objects.filter(project=project, year=year, month=month).first()
    if report is None or action not in ACTIONS:
        raise Http404
    service, needs_reason, done = ACTIONS[action]
    form = ReasonForm(request.POST)
    form.is_valid()
    kwargs = {"reason": form.cleaned_data.get("reason", "")} if needs_reason else {}
    if call_service(form, service, actor=request.user, report=report, **kwargs):
        messages.success(request, done)
    else:
        errors_to_messages(request, form)
    target = request.POST.get("next")
    if target == "queue":
        return redirect("investment:queue")
    return redirect("investment:report", county=county, code=code, year=year, month=month)


@login_required
def plan_edit(request: HttpRequest, county: str, code: str, year: int) -> HttpResponse:
    project = _project(request, county, code)
    if not scope_for(request.user).manages_region(project.county):
        raise PermissionDenied
    plan = AnnualPlan.objects.filter(project=project, year=year).prefetch_related("months").first()
    # Months with an approved report keep their planned amount (the service refuses a change): no input.
    approved = services.plan_locked_months(project=project, year=year) if plan else set()
    locked = {pm.month: pm.amount for pm in plan.months.all() if pm.month in approved} if plan else {}
    form = PlanForm(request.POST or None, initial=PlanForm.initial_from(plan), locked=locked)
    if request.method == "POST" and form.is_valid():
        months = form.months_yuan()
        mode = form.cleaned_data["spread_mode"]
        if mode and form.cleaned_data["spread_total"] is not None:
            total = in_yuan(form.cleaned_data["spread_total"])
            months = services.spread(total, services.COUNTY_CURVE if mode == "curve" else None)
        if call_service(
            form, services.plan_save, actor=request.user, project=project, year=year, months=months,
            funding=form.funding_yuan(), reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        ):  # fmt: skip
            messages.success(request, _("Plan saved."))
            return redirect("investment:plan", county=county, code=code, year=year)
    return render(
        request,
        "investment/plan.html",
        {"project": project, "year": year, "plan": plan, "form": form},
    )


@login_required
def project_investment(request: HttpRequest, county: str, code: str) -> HttpResponse:
    project = _project(request, county, code)
    year = query_year(request) or clock.default_year()
    months = selectors.project_months(project=project, year=year)
    can_read_files = may_read_attachments(request.user, project)
    if can_read_files:
        files = selectors.attachment_counts(project=project, year=year)
        for row in months:
            row["files"] = files.get(row["month"], 0)
    return render(
        request,
        "investment/project.html",
        {
            "project": project,
            "year": year,
            "months": months,
            "year_figures": months[-1]["figures"],
            "can_read_files": can_read_files,
            "can_plan": scope_for(request.user).manages_region(project.county),
        },
    )


def _report_attachment(
    request: HttpRequest, county: str, code: str, year: int, month: int, pk: int
) -> ReportAttachment:
    """A file of a report the user may open, fetched through its report (404 for anything else)."""
    project = _project(request, county, code)
    attachment = (
        ReportAttachment.objects.filter(
            pk=pk, report__project=project, report__year=year, report__month=month
        )
        .select_related("report__project__county")
        .first()
    )
    if attachment is None:
        raise Http404
    return attachment


@login_required
def report_attachment_download(
    request: HttpRequest, county: str, code: str, year: int, month: int, pk: int
) -> FileResponse:
    """Files live outside the web root; they are served only here, to those who fill in or verify the report."""
    attachment = _report_attachment(request, county, code, year, month, pk)
    if not may_read_attachments(request.user, attachment.report.project):
        raise PermissionDenied
    return attachment_response(attachment)


@login_required
@require_POST
def report_attachment_delete(
    request: HttpRequest, county: str, code: str, year: int, month: int, pk: int
) -> HttpResponse:
    attachment = _report_attachment(request, county, code, year, month, pk)
    try:
        services.report_attachment_delete(actor=request.user, attachment=attachment)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("File removed."))
    return redirect("investment:report", county=county, code=code, year=year, month=month)
