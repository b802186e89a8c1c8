"""Registry import pages: upload, column mapping, the job's progress and report, the template download."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keyprojects.accounts import selectors as accounts_selectors
from keyprojects.accounts.models import Region
from keyprojects.core.errors import DomainError
from keyprojects.core.forms import call_service
from keyprojects.core.permissions import scope_for
from keyprojects.core.spreadsheets import XLSX_TYPE, table_response
from keyprojects.projects import importing, selectors
from keyprojects.projects.forms import ImportMappingForm, ImportUploadForm
from keyprojects.projects.models import ImportJob

RECENT_JOBS = 10
SHOWN_ERRORS = 200


def _managed_county(request: HttpRequest, slug: str) -> Region:
    """The county, if the user may import into it: 404 outside what they see, 403 if they only read it."""
    county = accounts_selectors.region_get(user=request.user, slug=slug)
    if not county.is_county_level or not scope_for(request.user).manages_region(county):
        raise PermissionDenied
    return county


@login_required
def import_upload(request: HttpRequest, county: str) -> HttpResponse:
    region = _managed_county(request, county)
    importing.import_fail_stale(county=region)  # a job whose worker died reads failed, not "writing…"
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = call_service(
            form, importing.import_create, actor=request.user, county=region, upload=form.cleaned_data["file"]
        )
        if job:
            return redirect("projects:import_job", pk=job.pk)
    return render(
        request,
        "projects/import_upload.html",
        {
            "county": region,
            "form": form,
            "jobs": selectors.import_job_list(user=request.user, county=region)[:RECENT_JOBS],
            "max_bytes": settings.KEYPROJECTS_IMPORT_MAX_BYTES,
            "max_rows": settings.KEYPROJECTS_IMPORT_MAX_ROWS,
            "columns": importing.COLUMNS,
        },
    )


@login_required
def import_template(request: HttpRequest, county: str) -> HttpResponse:
    _managed_county(request, county)
    english = request.GET.get("english") == "1"
    response = HttpResponse(importing.template_xlsx(english_row=english), content_type=XLSX_TYPE)
    name = "key-projects-template-en.xlsx" if english else "key-projects-template.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def import_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.import_job_get(user=request.user, pk=pk)
    if job.status != ImportJob.Status.PENDING:
        return redirect("projects:import_job", pk=job.pk)
    form = ImportMappingForm(
        request.POST or None,
        columns=job.columns,
        field_choices=importing.field_choices(),
        mapping=job.mapping,
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and call_service(form, importing.import_map, actor=request.user, job=job, mapping=form.mapping())
    ):
        return redirect("projects:import_job", pk=job.pk)
    return render(request, "projects/import_mapping.html", {"job": job, "form": form})


@login_required
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    """The job's page; htmx polls it every second for the progress partial while the job runs."""
    job = selectors.import_job_get(user=request.user, pk=pk)
    if job.is_running:
        importing.import_fail_stale(job=job)
    if job.status == ImportJob.Status.PENDING and not request.headers.get("HX-Request"):
        return redirect("projects:import_mapping", pk=job.pk)
    context = {"job": job, "errors": job.error_report[:SHOWN_ERRORS], "shown_errors": SHOWN_ERRORS}
    template = (
        "projects/_import_progress.html" if request.headers.get("HX-Request") else "projects/import_job.html"
    )
    return render(request, template, context)


@login_required
@require_POST
def import_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Run again an import that stopped without finishing (its worker died, or an unexpected error)."""
    job = selectors.import_job_get(user=request.user, pk=pk)
    try:
        importing.import_retry(actor=request.user, job=job)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("projects:import_job", pk=job.pk)


@login_required
def import_errors(request: HttpRequest, pk: int) -> HttpResponse:
    """The error report as a workbook: row, column, value and reason, to work through beside the file."""
    job = selectors.import_job_get(user=request.user, pk=pk)
    return table_response(
        fmt="xlsx",
        filename=f"import-{job.pk}-problems",
        title=_("Import problems"),
        headers=[_("Row"), _("Column"), _("Value"), _("Reason")],
        rows=importing.report_rows(job),
    )
