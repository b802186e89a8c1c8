"""The problem list over the API: assistance statistics, problems and their workflow, timelines and files,
under the pages' scope and with the pages' checks."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate

from keyprojects.api.errors import file_answer, form_checked, refusals
from keyprojects.api.filters import filtered, filterset_schema
from keyprojects.api.params import Id, Pagination, Written, Year
from keyprojects.core import clock
from keyprojects.core.errors import NotAllowed
from keyprojects.core.uploads import attachment_response
from keyprojects.investment.selectors import figures_region_get
from keyprojects.problems import selectors, services
from keyprojects.problems.filters import ProblemFilterSet
from keyprojects.problems.forms import AcceptForm, ProblemForm, ReopenForm, TextForm
from keyprojects.problems.models import Category, Problem, Severity, Side
from keyprojects.problems.workflow import PROBLEM_WORKFLOW, is_assigned, is_office, is_raiser, raiser_role
from keyprojects.projects import selectors as project_selectors

router = Router(tags=["problems"])


class SummaryOut(Schema):
    region: str
    year: int
    projects_helped: int
    problems_raised: int
    problems_solved: int
    open: int
    overdue: int
    escalated: int
    median_days_to_solve: float | None
    average_days_to_solve: float | None
    by_category: dict[str, dict[str, int]]
    by_department: list[dict]


# The problem list page's filters, as query parameters.
ProblemFilterIn = filterset_schema(ProblemFilterSet, name="ProblemFilterQuery")


class ProblemOut(Schema):
    id: int
    project: str
    county: str
    title: str = Field(description="In the request's language (Accept-Language), or the other one.")
    title_zh: str
    title_en: str
    category: str
    side: str
    severity: str
    status: str
    amount: Decimal | None
    raised_at: datetime
    lead_department: str | None
    leader_in_charge: str | None
    deadline: date | None
    escalation: int

    @staticmethod
    def resolve_project(obj) -> str:
        return obj.project.code

    @staticmethod
    def resolve_county(obj) -> str:
        return obj.project.county.slug

    @staticmethod
    def resolve_lead_department(obj) -> str | None:
        return obj.lead_department.slug if obj.lead_department_id else None

    @staticmethod
    def resolve_leader_in_charge(obj) -> str | None:
        return obj.leader_in_charge.username if obj.leader_in_charge_id else None


@router.get(
    "/problems/summary",
    response={200: SummaryOut, **refusals(400, 404)},
    summary="Assistance statistics of a region and year",
)
def problem_summary(request: HttpRequest, region: str, year: Year | None = None):
    """Without a year: the year of the last month whose reports were due, as the pages show. Only for a
    region whose figures the user reads in full, as the statistics page (a county-level user: its own unit)."""
    unit = figures_region_get(user=request.auth, slug=region)
    year = clock.default_year() if year is None else year
    stats = selectors.problem_statistics(region=unit, year=year)
    return {
        "region": unit.slug,
        "year": year,
        "projects_helped": stats.projects_helped,
        "problems_raised": stats.problems_raised,
        "problems_solved": stats.problems_solved,
        "open": stats.open,
        "overdue": stats.overdue,
        "escalated": stats.escalated,
        "median_days_to_solve": stats.median_days_to_solve,
        "average_days_to_solve": stats.average_days_to_solve,
        "by_category": stats.by_category,
        "by_department": [
            {
                "department": d["department"].slug,
                "assigned": d["assigned"],
                "solved": d["solved"],
                "on_time_rate": None if d["on_time_rate"] is None else round(d["on_time_rate"], 4),
            }
            for d in stats.by_department
        ],
    }


@router.get(
    "/problems", response={200: list[ProblemOut], **refusals(400)}, summary="Problems in my scope, filtered"
)
@paginate(Pagination)
def problem_list(request: HttpRequest, filters: Query[ProblemFilterIn]):
    return filtered(ProblemFilterSet, filters, user=request.auth)


# ---- one problem -----------------------------------------------------------------------------------------

Version = Id | None
VERSION = Field(
    None, description="The problem's version as you read it: refused (409) if it was saved since. Optional."
)


class ProblemDetailOut(ProblemOut):
    description: str
    description_zh: str
    description_en: str
    resolution_zh: str
    resolution_en: str
    raised_by: str
    raised_as: str
    supporting_departments: list[str]
    accepted_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    on_weekly_agenda: bool
    overdue: bool
    version: int
    actions: list[str] = Field(
        description="The workflow steps you may take now, as the problem's page offers them "
        "(POST /problems/{id}/<step>)."
    )
    may_attach: bool = Field(description="Whether you may add files (POST /problems/{id}/attachments).")

    @staticmethod
    def resolve_raised_by(obj: Problem) -> str:
        return obj.raised_by.username

    @staticmethod
    def resolve_supporting_departments(obj: Problem) -> list[str]:
        return [d.slug for d in obj.supporting_departments.all()]

    @staticmethod
    def resolve_overdue(obj: Problem) -> bool:
        return selectors.is_overdue(obj)


def _detail(request: HttpRequest, problem_id: int) -> Problem:
    """The problem as the user reads it (404 outside their scope), with what they may do on it now."""
    problem = selectors.problem_get(user=request.auth, pk=problem_id)
    problem.actions = [step.name for step in PROBLEM_WORKFLOW.allowed(request.auth, problem)]
    problem.may_attach = is_assigned(request.auth, problem) or is_raiser(request.auth, problem)
    return problem


@router.get(
    "/problems/{problem_id}",
    response={200: ProblemDetailOut, **refusals(400, 404)},
    summary="One problem, with the steps I may take",
)
def problem_detail(request: HttpRequest, problem_id: Id):
    return _detail(request, problem_id)


class ProblemIn(Schema):
    # No NUL character: PostgreSQL refuses one in a query (the lookup would fail, not answer 404).
    county: str = Field(
        pattern=r"^[^\x00]{1,100}$", description="The project's county-level unit (its slug)."
    )
    project: str = Field(pattern=r"^[^\x00]{1,100}$", description="The project's code.")
    title_zh: Written = ""
    title_en: Written = Field("", description="A title in at least one language.")
    description_zh: Written = ""
    description_en: Written = Field("", description="A description in at least one language.")
    category: Literal[tuple(Category.values)]
    side: Literal[tuple(Side.values)]
    severity: Literal[tuple(Severity.values)] = Severity.MEDIUM.value
    amount: Decimal | None = Field(
        None, ge=0, max_digits=16, decimal_places=2, description="Yuan; needed for a financing problem."
    )


@router.post(
    "/problems",
    response={201: ProblemDetailOut, **refusals(400, 403, 404)},
    summary="Raise a problem on a project",
)
def problem_raise(request: HttpRequest, body: ProblemIn):
    """As the project's problem form: by its county office, its enterprise, its leader in charge or one of its
    responsible departments (403 otherwise); the office is notified. Attach files afterwards."""
    project = project_selectors.project_get(user=request.auth, county=body.county, code=body.project)
    if raiser_role(request.auth, project) is None:
        raise NotAllowed(_("You may not raise problems on this project."))
    fields = ("title_zh", "title_en", "description_zh", "description_en", "category", "side", "severity")
    form = ProblemForm({name: getattr(body, name) for name in fields})
    form_checked(form)
    arguments = form.service_arguments() | {"amount": body.amount}  # the form's amount is in 万元; ours yuan
    problem = services.problem_report(actor=request.auth, project=project, **arguments)
    return Status(201, _detail(request, problem.pk))


# ---- the workflow: one operation per step the problem's page offers -------------------------------------

STEP_REFUSALS = refusals(400, 403, 404, 409)


def _written(value: str, argument: str) -> str:
    """A step's text, checked as the page's note box checks it, refusals naming `argument`."""
    return form_checked(TextForm({"text": value}), names={"text": argument})["text"]


def _step(request: HttpRequest, problem_id: int, service, *, version: int | None, **arguments):
    """Take a step through its service (403: not yours to take; 409: not in this state, or saved since
    `version`) and answer the problem as it now stands."""
    problem = selectors.problem_get(user=request.auth, pk=problem_id)
    service(actor=request.auth, problem=problem, expected_version=version, **arguments)
    return _detail(request, problem_id)


class AcceptIn(Schema):
    lead_department: str = Field(description="A department of the problem's city (its slug).")
    supporting_departments: list[str] = Field(default_factory=list, max_length=200)
    leader_in_charge: str | None = Field(
        None, description="A leader of the county (user name); default: the project's."
    )
    deadline: date
    version: Version = VERSION


@router.post(
    "/problems/{problem_id}/accept",
    response={200: ProblemDetailOut, **STEP_REFUSALS},
    summary="Accept and assign",
)
def problem_accept(request: HttpRequest, problem_id: Id, body: AcceptIn):
    """The county office accepts a reported problem: a lead department, supporting ones, the leader in charge
    and a deadline (not in the past); those assigned are notified."""
    problem = selectors.problem_get(user=request.auth, pk=problem_id)
    form = AcceptForm(county=problem.project.county)
    departments = {d.slug: d.pk for d in form.fields["lead_department"].queryset}
    leader = body.leader_in_charge
    if leader:  # a user name the form does not offer is refused as its choice
        found = form.fields["leader_in_charge"].queryset.filter(username=leader).values_list("pk", flat=True)
        leader = found.first() or leader
    form = AcceptForm(
        {
            "lead_department": departments.get(body.lead_department, body.lead_department),
            "supporting_departments": [departments.get(s, s) for s in body.supporting_departments],
            "leader_in_charge": leader or "",
            "deadline": body.deadline.isoformat(),
        },
        county=problem.project.county,
    )
    return _step(request, problem_id, services.problem_accept, version=body.version, **form_checked(form))


class ReasonIn(Schema):
    reason: Written
    version: Version = VERSION


class ProgressIn(Schema):
    text: Written = Field(description="What was done.")
    version: Version = VERSION


class ResolveIn(Schema):
    resolution: Written = Field(description="What was done to solve it.")
    version: Version = VERSION


class ResubmitIn(Schema):
    description: Written = Field(description="More information: it replaces the description in its language.")
    version: Version = VERSION


class VersionIn(Schema):
    version: Version = VERSION


@router.post(
    "/problems/{problem_id}/return",
    response={200: ProblemDetailOut, **STEP_REFUSALS},
    summary="Return a reported problem for more information",
)
def problem_return(request: HttpRequest, problem_id: Id, body: ReasonIn):
    reason = _written(body.reason, "reason")
    return _step(request, problem_id, services.problem_return, version=body.version, reason=reason)


@router.post(
    "/problems/{problem_id}/decline",
    response={200: ProblemDetailOut, **STEP_REFUSALS},
    summary="Decline a problem",
)
def problem_decline(request: HttpRequest, problem_id: Id, body: ReasonIn):
    reason = _written(body.reason, "reason")
    return _step(request, problem_id, services.problem_decline, version=body.version, reason=reason)


@router.post(
    "/problems/{problem_id}/resubmit",
    response={200: ProblemDetailOut, **STEP_REFUSALS},
    summary="Resubmit a returned problem with more information",
)
def problem_resubmit(request: HttpRequest, problem_id: Id, body: ResubmitIn):
    description = _written(body.description, "description")
    return _step(
        request, problem_id, services.problem_resubmit, version=body.version, description=description
    )


@router.post(
    "/problems/{problem_id}/update",
    response={200: ProblemDetailOut, **STEP_REFUSALS},
    summary="Post progress",
)
def problem_update(request: HttpRequest, problem_id: Id, body: ProgressIn):
    """A dated note by anyone assigned; the first one moves an accepted problem to "in progress"."""
    text = _written(body.text, "text")
    return _step(request, problem_id, services.problem_update, version=body.version, text=text)


@router.post(
    "/problems/{problem_id}/resolve",
    response={200: ProblemDetailOut, **STEP_REFUSALS},
    summary="Mark as resolved",
)
def problem_resolve(request: HttpRequest, problem_id: Id, body: ResolveIn):
    """By those assigned; whoever raised it is asked to confirm."""
    resolution = _written(body.resolution, "resolution")
    return _step(request, problem_id, services.problem_resolve, version=body.version, resolution=resolution)


@router.post(
    "/problems/{problem_id}/confirm",
    response={200: ProblemDetailOut, **STEP_REFUSALS},
    summary="Confirm the resolution and close out",
)
def problem_confirm(request: HttpRequest, problem_id: Id, body: VersionIn):
    """By whoever raised it (the same person, their enterprise or their county office): closed out (销号)."""
    return _step(request, problem_id, services.problem_confirm, version=body.version)


@router.post(
    "/problems/{problem_id}/reject",
    response={200: ProblemDetailOut, **STEP_REFUSALS},
    summary="Refuse the resolution: not solved",
)
def problem_reject(request: HttpRequest, problem_id: Id, body: ReasonIn):
    reason = _written(body.reason, "reason")
    return _step(request, problem_id, services.problem_reject_resolution, version=body.version, reason=reason)


class ReopenIn(Schema):
    reason: Written
    deadline: date | None = Field(
        None,
        description="The county office's new deadline: needed once the old one has passed. Others may not set one.",
    )
    version: Version = VERSION


@router.post(
    "/problems/{problem_id}/reopen",
    response={200: ProblemDetailOut, **STEP_REFUSALS},
    summary="Reopen a closed problem",
)
def problem_reopen(request: HttpRequest, problem_id: Id, body: ReopenIn):
    """Back to those assigned, the escalation starting again from the deadline."""
    problem = selectors.problem_get(user=request.auth, pk=problem_id)
    office = is_office(request.auth, problem)
    data = {"reason": body.reason, "deadline": body.deadline.isoformat() if body.deadline else ""}
    cleaned = form_checked(ReopenForm(data, problem=problem, office=office))
    # The page offers no deadline to others; one sent anyway goes to the service, which refuses it (403).
    deadline = cleaned.get("deadline") if office else body.deadline
    return _step(
        request,
        problem_id,
        services.problem_reopen,
        version=body.version,
        reason=cleaned["reason"],
        deadline=deadline,
    )


# ---- the timeline and the files ------------------------------------------------------------------------


class EventOut(Schema):
    id: int
    at: datetime
    kind: str
    actor: str | None = Field(description="A user name; none for the system.")
    text: str
    text_zh: str
    text_en: str
    data: dict

    @staticmethod
    def resolve_actor(obj) -> str | None:
        return obj.actor.username if obj.actor_id else None


@router.get(
    "/problems/{problem_id}/events",
    response={200: list[EventOut], **refusals(400, 404)},
    summary="A problem's timeline, oldest first",
)
def problem_events(request: HttpRequest, problem_id: Id):
    return selectors.problem_timeline(selectors.problem_get(user=request.auth, pk=problem_id))


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    uploaded_by: str
    uploaded_at: datetime

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.original_name

    @staticmethod
    def resolve_uploaded_by(obj) -> str:
        return obj.uploaded_by.username


@router.get(
    "/problems/{problem_id}/attachments",
    response={200: list[AttachmentOut], **refusals(400, 404)},
    summary="A problem's files",
)
def attachment_list(request: HttpRequest, problem_id: Id):
    return selectors.attachment_list(selectors.problem_get(user=request.auth, pk=problem_id))


@router.post(
    "/problems/{problem_id}/attachments",
    response={201: AttachmentOut, **refusals(400, 403, 404)},
    summary="Attach a file to a problem",
)
def attachment_add(request: HttpRequest, problem_id: Id, file: File[UploadedFile]):
    """By those raising or handling the problem (403 otherwise), checked as the page checks it: PDF, PNG,
    JPEG, Word (.docx) or Excel (.xlsx), what its bytes really are, within the size limit."""
    problem = selectors.problem_get(user=request.auth, pk=problem_id)
    attachment = services.attachment_add(actor=request.auth, problem=problem, upload=file)
    attachment.uploaded_by = request.auth
    return Status(201, attachment)


FILE_DOWNLOAD = file_answer("The file, under the name it was uploaded with and its checked content type.")


@router.get(
    "/problems/{problem_id}/attachments/{attachment_id}",
    response=refusals(400, 404),
    openapi_extra=FILE_DOWNLOAD,
    summary="Download one of a problem's files",
)
def attachment_download(request: HttpRequest, problem_id: Id, attachment_id: Id):
    attachment = selectors.attachment_get(user=request.auth, pk=attachment_id)
    if attachment.problem_id != problem_id:
        raise Http404
    return attachment_response(attachment)
