"""Import pages: upload, sheet/columns/units, the preview and its confirmation, progress, the report, the template."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

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
from keyprojects.accounts.permissions import scope_for
from keyprojects.core.errors import DomainError
from keyprojects.core.forms import call_service
from keyprojects.core.spreadsheets import XLSX_TYPE, table_response
from keyprojects.imports import checking, importers, jobs, runs, template
from keyprojects.imports.cells import unit_label
from keyprojects.imports.columns import COLUMNS
from keyprojects.imports.forms import MappingForm, MonthlyUploadForm, SheetForm, UploadForm
from keyprojects.imports.layout import skip_reasons
from keyprojects.investment.models import ReportStatus
from keyprojects.projects import selectors
from keyprojects.projects.models import ImportJob

RECENT_JOBS = 10
SHOWN_ERRORS = 200


def _managed_county(request: HttpRequest, slug: str) -> Region:
    """The county, if the user may import into it: 404 outside what they see, 403 if they only read it."""
    county = accounts_selectors.region_get(user=request.user, slug=slug)
    if not county.is_county_level or not scope_for(request.user).manages_region(county):
        raise PermissionDenied
    return county


def _upload(request: HttpRequest, county: str, kind: str, form_class: type[UploadForm]) -> HttpResponse:
    region = _managed_county(request, county)
    runs.import_fail_stale(county=region)  # a job whose worker died reads failed, not "writing…"
    form = form_class(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        options = {k: v for k, v in form.cleaned_data.items() if k != "file"}
        job = call_service(
            form,
            jobs.import_create,
            actor=request.user,
            county=region,
            upload=form.cleaned_data["file"],
            kind=kind,
            **options,
        )
        if job:
            return redirect("imports:job", pk=job.pk)
    return render(
        request,
        "imports/import_upload.html",
        {
            "county": region,
            "form": form,
            "kind": kind,
            "jobs": selectors.import_job_list(user=request.user, county=region)[:RECENT_JOBS],
            "max_bytes": settings.KEYPROJECTS_IMPORT_MAX_BYTES,
            "max_rows": settings.KEYPROJECTS_IMPORT_MAX_ROWS,
            "columns": COLUMNS,
        },
    )


@login_required
def import_upload(request: HttpRequest, county: str) -> HttpResponse:
    return _upload(request, county, ImportJob.Kind.REGISTRY, UploadForm)


@login_required
def monthly_upload(request: HttpRequest, county: str) -> HttpResponse:
    return _upload(request, county, ImportJob.Kind.MONTHLY, MonthlyUploadForm)


@login_required
def import_template(request: HttpRequest, county: str) -> HttpResponse:
    _managed_county(request, county)
    english = request.GET.get("english") == "1"
    response = HttpResponse(template.template_xlsx(english_row=english), content_type=XLSX_TYPE)
    name = "key-projects-template-en.xlsx" if english else "key-projects-template.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def import_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.import_job_get(user=request.user, pk=pk)
    if job.status != ImportJob.Status.PENDING:
        return redirect("imports:job", pk=job.pk)
    importer = importers.importer_for(job.kind)
    sheet_form = SheetForm(job=job)
    if request.method == "POST" and "sheet" in request.POST:
        sheet_form = SheetForm(request.POST, job=job)
        if sheet_form.is_valid() and call_service(
            sheet_form,
            jobs.import_choose_sheet,
            actor=request.user,
            job=job,
            sheet_index=sheet_form.cleaned_data["sheet"],
        ):
            return redirect("imports:mapping", pk=job.pk)
        form = MappingForm(job=job, columns=importer.columns)
    else:
        form = MappingForm(request.POST or None, job=job, columns=importer.columns)
        if (
            request.method == "POST"
            and form.is_valid()
            and call_service(
                form,
                jobs.import_configure,
                actor=request.user,
                job=job,
                mapping=form.mapping(),
                units=form.units(),
                options=form.options(),
            )
        ):
            return redirect("imports:job", pk=job.pk)
    return render(
        request,
        "imports/import_mapping.html",
        {
            "job": job,
            "form": form,
            "sheet_form": sheet_form,
            "sheet_name": job.sheets[job.sheet_index]["name"] if job.sheet_index < len(job.sheets) else "",
        },
    )


@login_required
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    """The job's page: the preview to confirm, or the outcome; htmx polls the progress partial while it runs."""
    job = selectors.import_job_get(user=request.user, pk=pk)
    if job.is_running:
        runs.import_fail_stale(job=job)
    polled = bool(request.headers.get("HX-Request"))
    if job.status == ImportJob.Status.PENDING and not polled:
        return redirect("imports:mapping", pk=job.pk)
    context = {
        "job": job,
        "preview": job.preview,
        "skipped": checking.skipped_rows(job),
        "errors": job.error_report[:SHOWN_ERRORS],
        "shown_errors": SHOWN_ERRORS,
        **_preview_context(job),
    }
    if polled:
        response = render(request, "imports/_import_progress.html", context)
        if not job.is_running:
            # The run is over: the whole page is loaded again, to show the preview or the outcome.
            response["HX-Refresh"] = "true"
        return response
    return render(request, "imports/import_job.html", context)


def _preview_context(job: ImportJob) -> dict:
    """The preview laid out for reading: each total with its unit's factor beside it, the total rows' figures
    with thousands separators, and the suspicious updates apart from the others."""
    preview = job.preview
    factors = {
        job.columns[int(index)]["header"]: int(factor)
        for index, factor in job.options.get("units", {}).items()
        if int(index) < len(job.columns)
    }
    totals = []
    for total in preview.get("totals", []):
        factor = factors.get(total["column"])
        totals.append(
            {
                **total,
                "factor": factor,
                "factor_text": f"{factor:,}" if factor else "?",
                "unit": unit_label(factor) or total["unit"],  # in the reader's language
            }
        )
    kinds = skip_reasons()
    checks = [
        {
            **check,
            "kind_label": kinds.get(check["kind"], check["kind"]),
            "stated": _figure(check["stated"], money=bool(check["column"])),
            "summed": _figure(check["summed"], money=bool(check["column"])),
        }
        for check in preview.get("checks", [])
    ]
    updates = preview.get("update", [])
    suspicious = {row["row"] for row in updates if row.get("suspicious")}
    return {
        "totals": totals,
        "checks": checks,
        "mismatches": sum(1 for check in checks if not check["ok"]),
        "updates": [row for row in updates if not row.get("suspicious")],
        "suspicious": [row for row in updates if row.get("suspicious")],
        "left_out": len(suspicious - set(job.options.get("confirmed", []))),
        "report_status": dict(ReportStatus.choices).get(preview.get("report_status"), ""),
        "has_plan": "annual_plan" in job.mapping.values(),
    }


def _figure(text: str, *, money: bool) -> str:
    """A figure the preview stores plain ("183480.50"), with thousands separators for reading."""
    try:
        number = Decimal(text)
    except (InvalidOperation, TypeError):
        return text
    return f"{number:,.2f}" if money else f"{number:,}"


@login_required
@require_POST
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Write what the preview showed; each suspicious update only if its box is ticked."""
    job = selectors.import_job_get(user=request.user, pk=pk)
    confirmed = {int(r) for r in request.POST.getlist("confirm_row") if r.isdigit()}
    try:
        runs.import_confirm(actor=request.user, job=job, confirmed_rows=confirmed)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("imports:job", pk=job.pk)


@login_required
@require_POST
def import_remap(request: HttpRequest, pk: int) -> HttpResponse:
    """Back to the columns and units, to correct a wrongly mapped column without uploading again."""
    job = selectors.import_job_get(user=request.user, pk=pk)
    try:
        jobs.import_remap(actor=request.user, job=job)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("imports:job", pk=job.pk)
    return redirect("imports:mapping", pk=job.pk)


@login_required
@require_POST
def import_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Run again an import that stopped without finishing (its worker died, or an unexpected error)."""
    job = selectors.import_job_get(user=request.user, pk=pk)
    try:
        jobs.import_retry(actor=request.user, job=job)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("imports:job", pk=job.pk)


@login_required
def import_errors(request: HttpRequest, pk: int) -> HttpResponse:
    """The error report as a workbook: row, column, value and reason, to work through beside the file."""
    job = selectors.import_job_get(user=request.user, pk=pk)
    return table_response(
        fmt="xlsx",
        filename=f"import-{job.pk}-problems",
        title=_("Import problems"),
        headers=[_("Row"), _("Column"), _("Value"), _("Reason")],
        rows=checking.report_rows(job),
    )
