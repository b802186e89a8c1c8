"""Problem pages: my work, the list, one problem with its timeline and actions, statistics."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from keyprojects.accounts.models import User
from keyprojects.accounts.permissions import scope_for
from keyprojects.core import clock
from keyprojects.core.errors import DomainError
from keyprojects.core.forms import call_service, errors_to_messages, query_year
from keyprojects.core.uploads import attachment_response
from keyprojects.investment import selectors as investment_selectors
from keyprojects.problems import delivery, exports, selectors, services
from keyprojects.problems.filters import ProblemFilterSet
from keyprojects.problems.forms import (
    AcceptForm,
    AttachmentForm,
    ProblemForm,
    ReopenForm,
    TextForm,
)
from keyprojects.problems.models import OPEN_STATUSES, Category, Status
from keyprojects.problems.workflow import PROBLEM_WORKFLOW, is_assigned, is_office, is_raiser, raiser_role
from keyprojects.projects import selectors as project_selectors

PAGE_SIZE = 30


@login_required
def my_work(request: HttpRequest) -> HttpResponse:
    work = selectors.my_work(user=request.user)
    reports = investment_selectors.report_queue(user=request.user)
    return render(
        request,
        "problems/my_work.html",
        {
            **work,
            "reports_waiting": sum(len(v) for v in reports.values()),
            "notifications": selectors.unread_notifications(user=request.user),
            "failed_deliveries": selectors.delivery_failures(user=request.user).count()
            if selectors.watches_deliveries(request.user)
            else None,
            "today": clock.today(),
        },
    )


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    services.notifications_mark_read(user=request.user)
    return redirect("problems:my_work")


def _filtered(request: HttpRequest) -> ProblemFilterSet:
    """The list's filters as asked in the query string, over the problems the user reads."""
    return ProblemFilterSet(request.GET or None, user=request.user)


@login_required
def problem_list(request: HttpRequest) -> HttpResponse:
    filterset = _filtered(request)
    problems = filterset.qs
    page = Paginator(problems, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": filterset.form,
        "page": page,
        "counts": selectors.problem_counts(problems),
        "query": filterset.query(),
        "statistics_regions": selectors.statistics_regions(user=request.user),
        "today": clock.today(),
    }
    # htmx swaps the filters and the results in place (the URL follows, hx-push-url); a page restored from
    # history without htmx's copy of it is asked for whole.
    partial = request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request")
    response = render(request, "problems/_list.html" if partial else "problems/problem_list.html", context)
    patch_vary_headers(response, ["HX-Request", "HX-History-Restore-Request"])
    return response


@login_required
def problem_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The filtered list as .xlsx or .csv: the same filters, the same scope as the page."""
    return exports.problem_list_response(_filtered(request), fmt=fmt, user=request.user)


@login_required
def problem_report(request: HttpRequest, county: str, code: str) -> HttpResponse:
    project = project_selectors.project_get(user=request.user, county=county, code=code)
    if raiser_role(request.user, project) is None:
        raise PermissionDenied
    form = ProblemForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        problem = call_service(
            form, services.problem_report, actor=request.user, project=project, **form.service_arguments()
        )
        if problem and form.cleaned_data.get("file"):
            call_service(
                form,
                services.attachment_add,
                actor=request.user,
                problem=problem,
                upload=form.cleaned_data["file"],
            )
        if problem and not form.errors:
            messages.success(
                request, _("Problem #%(id)s reported to the project office.") % {"id": problem.pk}
            )
            return redirect("problems:detail", pk=problem.pk)
        if problem:  # saved, but the attachment was refused: say so on the problem's page
            errors_to_messages(request, form)
            return redirect("problems:detail", pk=problem.pk)
    return render(request, "problems/problem_form.html", {"form": form, "project": project})


@login_required
def problem_history(request: HttpRequest, pk: int) -> HttpResponse:
    """Every version of the problem, with the fields each changed."""
    problem = selectors.problem_get(user=request.user, pk=pk)
    found = selectors.problem_history(problem=problem, unit=request.user.money_unit or "wan")
    page = Paginator(found, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "problems/problem_history.html", {"problem": problem, "page": page})


HISTORY_PAGE_SIZE = 50


@login_required
def problem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    problem = selectors.problem_get(user=request.user, pk=pk)
    user = request.user
    # What the workflow lets this user do now, by step name: the page offers those forms and no others.
    actions = {step.name: step for step in PROBLEM_WORKFLOW.allowed(user, problem)}
    days_left = (
        selectors.days_until(problem.deadline)
        if problem.deadline and problem.status in OPEN_STATUSES
        else None
    )
    return render(
        request,
        "problems/problem_detail.html",
        {
            "problem": problem,
            # A department helping with a problem may not see the project's page: no link that ends in 404.
            "may_open_project": project_selectors.project_list(user=user)
            .filter(pk=problem.project_id)
            .exists(),
            "timeline": selectors.problem_timeline(problem),
            "attachments": list(problem.attachments.all()),
            "supporting": list(problem.supporting_departments.all()),
            "overdue": selectors.is_overdue(problem),
            "days_left": days_left if days_left is not None and days_left >= 0 else None,
            "days_late": -days_left if days_left is not None and days_left < 0 else None,
            "actions": actions,
            "reopen_form": ReopenForm(problem=problem, office=is_office(user, problem))
            if "reopen" in actions
            else None,
            "can_attach": is_assigned(user, problem) or is_raiser(user, problem),
            "accept_form": AcceptForm(
                county=problem.project.county,
                initial={"leader_in_charge": problem.project.leader_in_charge_id},
            )
            if "accept" in actions
            else None,
            "text_form": TextForm(),
            "attachment_form": AttachmentForm(),
        },
    )


# action: (service, the argument the posted text goes to, message). Lazy messages: the table is built
# once at import, and each request shows them in its own language.
ACTIONS = {
    "update": (services.problem_update, "text", gettext_lazy("Progress posted.")),
    "resolve": (
        services.problem_resolve,
        "resolution",
        gettext_lazy("Marked as resolved; the person who raised it is asked to confirm."),
    ),
    "confirm": (services.problem_confirm, None, gettext_lazy("Confirmed: the problem is closed out.")),
    "reject": (services.problem_reject_resolution, "reason", gettext_lazy("Sent back to those assigned.")),
    "return": (services.problem_return, "reason", gettext_lazy("Returned for more information.")),
    "decline": (services.problem_decline, "reason", gettext_lazy("Problem declined.")),
    "resubmit": (services.problem_resubmit, "description", gettext_lazy("Problem resubmitted.")),
}


@login_required
@require_POST
def problem_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    problem = selectors.problem_get(user=request.user, pk=pk)
    if action in ("accept", "reopen"):  # steps with a form of their own, named like the service's arguments
        if action == "accept":
            form = AcceptForm(request.POST, county=problem.project.county)
            service, done = services.problem_accept, _("Accepted and assigned.")
        else:
            form = ReopenForm(request.POST, problem=problem, office=is_office(request.user, problem))
            service, done = services.problem_reopen, _("Problem reopened.")
        if form.is_valid() and call_service(
            form, service, actor=request.user, problem=problem, **form.cleaned_data
        ):
            messages.success(request, done)
        else:
            errors_to_messages(request, form)
        return redirect("problems:detail", pk=pk)
    if action not in ACTIONS:
        raise Http404
    service, argument, done = ACTIONS[action]
    form = TextForm(request.POST) if argument else TextForm({"text": "-"})
    if form.is_valid():
        kwargs = {argument: form.cleaned_data["text"]} if argument else {}
        if call_service(form, service, actor=request.user, problem=problem, **kwargs):
            messages.success(request, done)
            return redirect("problems:detail", pk=pk)
    errors_to_messages(request, form)
    return redirect("problems:detail", pk=pk)


@login_required
@require_POST
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    problem = selectors.problem_get(user=request.user, pk=pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid() and call_service(
        form, services.attachment_add, actor=request.user, problem=problem, upload=form.cleaned_data["file"]
    ):
        messages.success(request, _("File attached."))
    else:
        errors_to_messages(request, form)
    return redirect("problems:detail", pk=pk)


@login_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """Files live outside the web root and are served only to users who may read the problem."""
    attachment = selectors.attachment_get(user=request.user, pk=pk)
    return attachment_response(attachment)


@login_required
def statistics(request: HttpRequest, region: str) -> HttpResponse:
    """A region's assistance statistics, for those who read its figures in full: a city's list the
    departments of every county, so a county-level user reads its own unit's only (its city answers 404)."""
    from keyprojects.investment.selectors import figures_region_get

    unit = figures_region_get(user=request.user, slug=region)
    year = query_year(request) or clock.default_year()
    stats = selectors.problem_statistics(region=unit, year=year)
    category_rows = [(label, stats.by_category[code]) for code, label in Category.choices]
    return render(
        request, "problems/statistics.html", {"stats": stats, "year": year, "category_rows": category_rows}
    )


@login_required
def leader_page(request: HttpRequest, username: str) -> HttpResponse:
    leader = User.objects.filter(username=username).first()
    if leader is None:
        raise Http404
    overview = selectors.leader_overview(user=request.user, leader=leader)
    if not overview["projects"] and not overview["problems"] and leader != request.user:
        raise Http404  # nothing of this leader is within the asking user's scope
    return render(request, "problems/leader.html", {"leader": leader, **overview, "today": clock.today()})


@login_required
def department_page(request: HttpRequest, slug: str) -> HttpResponse:
    from keyprojects.accounts.selectors import department_get

    department = department_get(user=request.user, slug=slug)
    problems = selectors.problem_list(user=request.user).filter(selectors.department_q(Q(pk=department.pk)))
    scope = scope_for(request.user)
    return render(
        request,
        "problems/department.html",
        {
            "department": department,
            "open_problems": [p for p in problems if p.status in (*OPEN_STATUSES, Status.RESOLVED)],
            "closed_count": sum(1 for p in problems if p.status == Status.CLOSED),
            "projects": list(
                department.projects.filter(
                    pk__in=project_selectors.project_list(user=request.user).values("pk")
                ).select_related("county")
            ),
            "is_member": department.pk in scope.department_ids,
            "today": clock.today(),
        },
    )


@login_required
def deliveries(request: HttpRequest) -> HttpResponse:
    """Notices that could not be sent by e-mail or to a chat robot: failed and waiting, or given up."""
    if not selectors.watches_deliveries(request.user):
        raise PermissionDenied
    attempts = selectors.delivery_failures(user=request.user)
    page = Paginator(attempts, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "problems/deliveries.html", {"page": page})


@login_required
@require_POST
def delivery_retry(request: HttpRequest, pk: int) -> HttpResponse:
    if not selectors.watches_deliveries(request.user):
        raise PermissionDenied
    attempt = selectors.delivery_attempt_get(user=request.user, pk=pk)
    try:
        delivery.delivery_retry_now(actor=request.user, attempt=attempt)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The delivery will be tried again in a moment."))
    return redirect("problems:deliveries")
