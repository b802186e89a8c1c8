"""Annual plans, planned months and monthly reports with their workflow actions: the plan and report pages'
scope, checks and services, over the API. Money in yuan as decimal strings."""

from datetime import datetime
from decimal import Decimal
from typing import Literal

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate

from keyprojects.api.errors import field_refused, file_answer, refusals
from keyprojects.api.params import Id, Month, Pagination, Written, Year
from keyprojects.core.errors import DomainError, NotAllowed
from keyprojects.core.periods import month_name
from keyprojects.core.uploads import attachment_response
from keyprojects.investment import selectors, services
from keyprojects.investment.forms import PlanForm, ReasonForm, ReportForm
from keyprojects.investment.models import (
    AnnualPlan,
    FundingSplit,
    MonthlyReport,
    ReportAttachment,
    ReportStatus,
)
from keyprojects.investment.workflow import REPORT_WORKFLOW, is_office, may_fill
from keyprojects.projects import selectors as project_selectors
from keyprojects.projects.models import Project

router = Router(tags=["monthly reports"])

# An amount in yuan as the pages store it (the forms take 万元 with six places: whole fen, at most 14 digits
# before the point).
YUAN = forms.DecimalField(min_value=0, max_digits=16, decimal_places=2)
YUAN_OR_NONE = forms.DecimalField(min_value=0, max_digits=16, decimal_places=2, required=False)
YUAN_TEXT = 'An amount in yuan, as a decimal string ("1250000.00").'


# ---- what a client sends --------------------------------------------------------------------------------


class FundingIn(Schema):
    """Where the money comes from, in yuan; the sources must add up to the amount they split."""

    own_funds: str | None = Field(None, description=YUAN_TEXT)
    bank_loans: str | None = Field(None, description=YUAN_TEXT)
    special_bonds: str | None = Field(None, description=YUAN_TEXT)
    budget_funds: str | None = Field(None, description=YUAN_TEXT)
    other_funds: str | None = Field(None, description=YUAN_TEXT)


class PlanIn(Schema):
    months: list[str] = Field(description="The twelve planned amounts, January to December, in yuan.")
    funding: FundingIn | None = None
    reason: Written = Field("", description="Why the plan is revised: required when the year has a plan.")
    version: int | None = Field(
        None,
        ge=0,
        le=2**31 - 1,
        description="The plan's version as read (0: there was no plan). If it was saved since, nothing is "
        "saved and 409 is answered. Omitted: not checked.",
    )


class ReportIn(Schema):
    completed_investment: str = Field(description="Investment completed in the month, in yuan.")
    physical_progress: str = Field(description='Physical progress in percent, 0 to 100 ("42.5").')
    description: Written = ""
    funding: FundingIn | None = None
    version: int | None = Field(
        None,
        ge=0,
        le=2**31 - 1,
        description="The report's version as read (0: there was no report). If it was changed since, nothing "
        "is saved and 409 is answered. Omitted: not checked.",
    )


class ReportReasonIn(Schema):
    reason: Written = Field(description="Why: required.")


# ---- what it answers ------------------------------------------------------------------------------------


class FundingOut(Schema):
    own_funds: str
    bank_loans: str
    special_bonds: str
    budget_funds: str
    other_funds: str


class PlanMonthOut(Schema):
    month: int
    amount: str
    locked: bool = Field(description="The month's report is approved: its planned amount cannot change.")


class PlanOut(Schema):
    county: str
    project: str
    year: int
    version: int
    total: str
    spread_along_curve: bool
    funding: FundingOut
    months: list[PlanMonthOut]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_county(obj: AnnualPlan) -> str:
        return obj.project.county.slug

    @staticmethod
    def resolve_project(obj: AnnualPlan) -> str:
        return obj.project.code

    @staticmethod
    def resolve_total(obj: AnnualPlan) -> str:
        return str(sum((m.amount for m in obj.months.all()), Decimal("0.00")))

    @staticmethod
    def resolve_funding(obj: AnnualPlan) -> dict:
        return _funding_out(obj)

    @staticmethod
    def resolve_months(obj: AnnualPlan) -> list[dict]:
        locked = {r.month for r in obj.project.approved_reports if r.year == obj.year}
        return [
            {"month": m.month, "amount": str(m.amount), "locked": m.month in locked} for m in obj.months.all()
        ]


class ReportOut(Schema):
    id: int
    county: str
    project: str
    year: int
    month: int
    status: str
    version: int = Field(description="Taken anew by every change: send it back with an edit (PUT).")
    completed_investment: str
    physical_progress: str
    description: str
    funding: FundingOut
    submitted_at: datetime | None
    submitted_by: str | None
    verified_at: datetime | None
    verified_by: str | None
    approved_at: datetime | None
    approved_by: str | None
    return_reason: str
    reopen_reason: str

    @staticmethod
    def resolve_county(obj: MonthlyReport) -> str:
        return obj.project.county.slug

    @staticmethod
    def resolve_project(obj: MonthlyReport) -> str:
        return obj.project.code

    @staticmethod
    def resolve_completed_investment(obj: MonthlyReport) -> str:
        return str(obj.completed_investment)

    @staticmethod
    def resolve_physical_progress(obj: MonthlyReport) -> str:
        return str(obj.physical_progress)

    @staticmethod
    def resolve_funding(obj: MonthlyReport) -> dict:
        return _funding_out(obj)

    @staticmethod
    def resolve_submitted_by(obj: MonthlyReport) -> str | None:
        return obj.submitted_by.username if obj.submitted_by_id else None

    @staticmethod
    def resolve_verified_by(obj: MonthlyReport) -> str | None:
        return obj.verified_by.username if obj.verified_by_id else None

    @staticmethod
    def resolve_approved_by(obj: MonthlyReport) -> str | None:
        return obj.approved_by.username if obj.approved_by_id else None


class ReportDetailOut(ReportOut):
    actions: list[str] = Field(
        description="The workflow steps the user may take now (submit, verify, return, approve, reopen)."
    )


def _funding_out(obj: FundingSplit) -> dict:
    return {name: str(getattr(obj, name)) for name in FundingSplit.FUNDING_FIELDS}


def _detail(user, report: MonthlyReport) -> MonthlyReport:
    report.actions = [step.name for step in REPORT_WORKFLOW.allowed(user, report)]
    return report


# ---- checking what was sent, as the pages' forms do -----------------------------------------------------


def _checked(field: forms.Field, value, name: str, *, label: str | None = None):
    """`value` cleaned by a form field of the pages, or DomainError (400) naming `name`, in the user's
    language."""
    try:
        return field.clean(value)
    except ValidationError as exc:
        raise field_refused(name, " ".join(exc.messages), label=label) from None


def _funding(given: FundingIn | None) -> dict[str, Decimal]:
    """The funding split in yuan; {} when none was given (as the pages: a split not known)."""
    if given is None:
        return {}
    values = {
        name: _checked(YUAN_OR_NONE, getattr(given, name), name) or Decimal(0)
        for name in FundingSplit.FUNDING_FIELDS
    }
    return values if any(values.values()) else {}


def _filtered(rows, filters: Schema):
    """Plans or reports narrowed by the filters given: a county's slug, a project's code, a year, a month, a
    status (the scope is the selector's)."""
    lookups = {"county": "project__county__slug", "project": "project__code"}
    for name, value in filters.dict(exclude_none=True, exclude={"sort"}).items():
        rows = rows.filter(**{lookups.get(name, name): value})
    return rows


def _project(request: HttpRequest, county: str, code: str) -> Project:
    return project_selectors.project_get(user=request.auth, county=county, code=code)


# ---- plans ----------------------------------------------------------------------------------------------


PLAN_SORTS = {
    "project": ("project__county__path", "project__code", "year"),
    "-project": ("-project__county__path", "-project__code", "-year"),
    "year": ("year", "project__county__path", "project__code"),
    "-year": ("-year", "project__county__path", "project__code"),
    "updated_at": ("updated_at",),
    "-updated_at": ("-updated_at",),
}


class PlanFilterIn(Schema):
    county: str | None = Field(None, description="A county-level unit's slug.")
    project: str | None = Field(None, description="A project's code.")
    year: Year | None = None
    sort: Literal[tuple(PLAN_SORTS)] = Field("project", description="The order; a leading - reverses it.")  # type: ignore[valid-type]


@router.get(
    "/plans", response={200: list[PlanOut], **refusals(400)}, summary="Annual plans in my scope, filtered"
)
@paginate(Pagination)
def plan_list(request: HttpRequest, filters: Query[PlanFilterIn]):
    plans = _filtered(selectors.plan_list(user=request.auth), filters)
    return plans.order_by(*PLAN_SORTS[filters.sort], "pk")


@router.get(
    "/projects/{county}/{code}/plans/{year}",
    response={200: PlanOut, **refusals(400, 404)},
    summary="A project's plan of a year, with its twelve months",
)
def plan_detail(request: HttpRequest, county: str, code: str, year: Year):
    return selectors.plan_get(project=_project(request, county, code), year=year)


@router.put(
    "/projects/{county}/{code}/plans/{year}",
    response={200: PlanOut, **refusals(400, 403, 404, 409)},
    summary="Set or revise a project's plan of a year",
)
def plan_put(request: HttpRequest, county: str, code: str, year: Year, body: PlanIn):
    """The county project office's, as on the plan page: twelve months in yuan, an optional funding split
    adding up to their total, a reason for a revision. The months of an approved report keep their amount.
    A `version` older than the stored plan's answers 409 and saves nothing."""
    project = _project(request, county, code)
    if not is_office(request.auth, project):
        raise NotAllowed(_("Only the county project office can set investment plans."))
    if len(body.months) != 12:
        raise DomainError(_("A plan has twelve monthly amounts."), field="months")
    months = [
        _checked(YUAN, amount, "months", label=month_name(month))
        for month, amount in enumerate(body.months, start=1)
    ]
    reason = _checked(PlanForm.base_fields["reason"], body.reason, "reason")
    services.plan_save(
        actor=request.auth,
        project=project,
        year=year,
        months=months,
        funding=_funding(body.funding),
        reason=reason,
        expected_version=body.version,
    )
    return selectors.plan_get(project=project, year=year)


# ---- monthly reports ------------------------------------------------------------------------------------

SORTS = {
    "period": ("year", "month", "project__code"),
    "-period": ("-year", "-month", "project__code"),
    "project": ("project__code", "year", "month"),
    "-project": ("-project__code", "-year", "-month"),
    "status": ("status", "year", "month", "project__code"),
    "submitted_at": ("submitted_at", "project__code"),
    "-submitted_at": ("-submitted_at", "project__code"),
}


class ReportFilterIn(Schema):
    county: str | None = Field(None, description="A county-level unit's slug.")
    project: str | None = Field(None, description="A project's code.")
    year: Year | None = None
    month: Month | None = None
    status: ReportStatus | None = None
    sort: Literal[tuple(SORTS)] = Field("-period", description="The order; a leading - reverses it.")  # type: ignore[valid-type]


@router.get(
    "/reports",
    response={200: list[ReportOut], **refusals(400)},
    summary="Monthly reports in my scope, filtered",
)
@paginate(Pagination)
def report_list(request: HttpRequest, filters: Query[ReportFilterIn]):
    reports = selectors.report_list(user=request.auth).select_related(
        "submitted_by", "verified_by", "approved_by"
    )
    reports = _filtered(reports, filters)
    return reports.order_by(*SORTS[filters.sort], "pk")


@router.get(
    "/reports/{report_id}",
    response={200: ReportDetailOut, **refusals(400, 404)},
    summary="One monthly report, with the steps I may take",
)
def report_detail(request: HttpRequest, report_id: Id):
    return _detail(request.auth, selectors.report_get_by_id(user=request.auth, pk=report_id))


@router.get(
    "/projects/{county}/{code}/reports/{year}/{month}",
    response={200: ReportDetailOut, **refusals(400, 404)},
    summary="A project's report of a month",
)
def report_of_month(request: HttpRequest, county: str, code: str, year: Year, month: Month):
    report = selectors.report_get(project=_project(request, county, code), year=year, month=month)
    return _detail(request.auth, report)


@router.put(
    "/projects/{county}/{code}/reports/{year}/{month}",
    response={200: ReportDetailOut, **refusals(400, 403, 404, 409)},
    summary="Fill in or correct a month's report (a draft)",
)
def report_put(request: HttpRequest, county: str, code: str, year: Year, month: Month, body: ReportIn):
    """The enterprise's (or the county project office's), as on the report page, while the report is a draft
    or was returned: a report submitted, verified or approved answers 409, and so does a `version` older than
    the stored report's. Submit it with `POST /reports/{id}/submit`."""
    project = _project(request, county, code)
    if not may_fill(request.auth, project):
        raise NotAllowed(_("Only the enterprise or the county project office can fill in this report."))
    report = services.report_save(
        actor=request.auth,
        project=project,
        year=year,
        month=month,
        completed_investment=_checked(YUAN, body.completed_investment, "completed_investment"),
        physical_progress=_checked(
            ReportForm.base_fields["physical_progress"], body.physical_progress, "physical_progress"
        ),
        description=_checked(ReportForm.base_fields["description"], body.description, "description"),
        funding=_funding(body.funding),
        expected_version=body.version,
    )
    return _detail(request.auth, selectors.report_get_by_id(user=request.auth, pk=report.pk))


def _act(request: HttpRequest, report_id: int, service, **kwargs) -> MonthlyReport:
    report = selectors.report_get_by_id(user=request.auth, pk=report_id)
    service(actor=request.auth, report=report, **kwargs)
    return _detail(request.auth, selectors.report_get_by_id(user=request.auth, pk=report_id))


def _reason(body: ReportReasonIn) -> str:
    return _checked(ReasonForm.base_fields["reason"], body.reason, "reason")


ACTION_REFUSALS = {200: ReportDetailOut, **refusals(400, 403, 404, 409)}


@router.post(
    "/reports/{report_id}/submit", response=ACTION_REFUSALS, summary="Submit a report for verification"
)
def report_submit(request: HttpRequest, report_id: Id):
    """The enterprise's (or the office's), while a draft or returned; in another state 409."""
    return _act(request, report_id, services.report_submit)


@router.post("/reports/{report_id}/verify", response=ACTION_REFUSALS, summary="Verify a submitted report")
def report_verify(request: HttpRequest, report_id: Id):
    """A responsible department's or the county project office's."""
    return _act(request, report_id, services.report_verify)


@router.post(
    "/reports/{report_id}/return", response=ACTION_REFUSALS, summary="Return a report to the enterprise"
)
def report_return(request: HttpRequest, report_id: Id, body: ReportReasonIn):
    """A responsible department's or the county project office's, while submitted or verified; the reason is
    required."""
    return _act(request, report_id, services.report_return, reason=_reason(body))


@router.post("/reports/{report_id}/approve", response=ACTION_REFUSALS, summary="Approve a verified report")
def report_approve(request: HttpRequest, report_id: Id):
    """The county project office's: the month is then locked."""
    return _act(request, report_id, services.report_approve)


@router.post("/reports/{report_id}/reopen", response=ACTION_REFUSALS, summary="Reopen an approved month")
def report_reopen(request: HttpRequest, report_id: Id, body: ReportReasonIn):
    """The county project office's; the reason is required. The report goes back to a draft."""
    return _act(request, report_id, services.report_reopen, reason=_reason(body))


# ---- the files behind a month's figures: invoices, contracts, photos ------------------------------------


class ReportAttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    uploaded_by: str | None
    uploaded_at: datetime

    @staticmethod
    def resolve_name(obj: ReportAttachment) -> str:
        return obj.original_name

    @staticmethod
    def resolve_uploaded_by(obj: ReportAttachment) -> str | None:
        return obj.uploaded_by.username if obj.uploaded_by_id else None


@router.get(
    "/reports/{report_id}/attachments",
    response={200: list[ReportAttachmentOut], **refusals(400, 403, 404)},
    summary="A monthly report's files",
)
def report_attachment_list(request: HttpRequest, report_id: Id):
    """For those who fill in or verify the report (403 for its other readers), as on the report page."""
    report = selectors.report_get_by_id(user=request.auth, pk=report_id)
    return list(selectors.report_attachment_list(user=request.auth, report=report))


@router.post(
    "/reports/{report_id}/attachments",
    response={201: ReportAttachmentOut, **refusals(400, 403, 404, 409)},
    summary="Attach a file to a monthly report",
)
def report_attachment_add(request: HttpRequest, report_id: Id, file: File[UploadedFile]):
    """The enterprise's or the county project office's, while the report is a draft or was returned (409
    otherwise), checked as the page checks it: PDF, PNG, JPEG, Word (.docx) or Excel (.xlsx), what its bytes
    really are, within the size limit."""
    report = selectors.report_get_by_id(user=request.auth, pk=report_id)
    attachment = services.report_attachment_add(actor=request.auth, report=report, upload=file)
    return Status(201, selectors.report_attachment_get(user=request.auth, report=report, pk=attachment.pk))


@router.get(
    "/reports/{report_id}/attachments/{attachment_id}",
    response=refusals(400, 403, 404),
    openapi_extra=file_answer("The file, under the name it was uploaded with and its checked content type."),
    summary="Download one of a monthly report's files",
)
def report_attachment_download(request: HttpRequest, report_id: Id, attachment_id: Id):
    report = selectors.report_get_by_id(user=request.auth, pk=report_id)
    return attachment_response(
        selectors.report_attachment_get(user=request.auth, report=report, pk=attachment_id)
    )


@router.delete(
    "/reports/{report_id}/attachments/{attachment_id}",
    response={204: None, **refusals(400, 403, 404, 409)},
    summary="Remove a file from a monthly report",
)
def report_attachment_delete(request: HttpRequest, report_id: Id, attachment_id: Id):
    """The enterprise's or the county project office's, while the report is a draft or was returned (409
    otherwise); the report's history keeps the file's name and who removed it."""
    report = selectors.report_get_by_id(user=request.auth, pk=report_id)
    attachment = selectors.report_attachment_get(user=request.auth, report=report, pk=attachment_id)
    services.report_attachment_delete(actor=request.auth, attachment=attachment)
    return Status(204, None)
