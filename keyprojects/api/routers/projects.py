"""The registry over the API: the same filters, scope and figures as the list page, and every change the project
pages make (create, edit, stage, pause, resume, health, milestones, service guarantees) with the pages' forms,
checks and services."""

import copy
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from keyprojects.accounts import selectors as accounts_selectors
from keyprojects.accounts.models import Region
from keyprojects.accounts.permissions import scope_for
from keyprojects.api.errors import field_refused, form_checked, refusals
from keyprojects.api.filters import filtered, filterset_schema
from keyprojects.api.params import Id, Pagination, Written
from keyprojects.core import clock
from keyprojects.core.errors import DomainError, NotAllowed
from keyprojects.core.history import Version
from keyprojects.projects import selectors, services
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
from keyprojects.projects.models import (
    Category,
    GuaranteeStatus,
    Health,
    Level,
    Milestone,
    MilestoneTemplateStep,
    PauseReason,
    Project,
    ServiceGuarantee,
    Stage,
    StageChange,
)

router = Router(tags=["projects"])
# The type of a field named `date` (as the pages' forms name it), which would hide the type in its class.
Day = date


# The list page's filters and order, as query parameters.
ProjectFilterIn = filterset_schema(ProjectFilterSet, name="ProjectFilterQuery")


class ProjectOut(Schema):
    code: str
    county: str
    name_zh: str
    name_en: str
    level: str
    category: str
    stage: str
    enterprise: str
    zone: str | None
    total_investment: Decimal
    land_area_mu: Decimal | None
    lat: Decimal | None
    lng: Decimal | None
    start_date: date | None
    planned_completion_date: date | None
    leader_in_charge: str | None
    paused_since: date | None
    health: str
    health_computed: str
    late_milestones: int

    @staticmethod
    def resolve_county(obj: Project) -> str:
        return obj.county.slug

    @staticmethod
    def resolve_enterprise(obj: Project) -> str:
        return obj.enterprise.slug

    @staticmethod
    def resolve_zone(obj: Project) -> str | None:
        return obj.zone.slug if obj.zone_id else None

    @staticmethod
    def resolve_leader_in_charge(obj: Project) -> str | None:
        return obj.leader_in_charge.username if obj.leader_in_charge_id else None


class MilestoneOut(Schema):
    id: int = Field(description="For PUT /milestones/{id} and POST /milestones/{id}/rebaseline.")
    code: str
    name_zh: str
    name_en: str
    original_baseline_date: date
    baseline_date: date
    planned_date: date
    actual_date: date | None
    status: str


class ServiceGuaranteeOut(Schema):
    id: int = Field(description="For PUT /guarantees/{id}.")
    kind: str
    status: str
    needed_by: date | None
    delivered_on: date | None


class ProjectStageChangeOut(Schema):
    stage: str
    date: Day
    note: str
    recorded_by: str | None = Field(description="A user name; none for the system.")
    recorded_at: datetime

    @staticmethod
    def resolve_recorded_by(obj: StageChange) -> str | None:
        return obj.recorded_by.username if obj.recorded_by_id else None


class ProjectDetailOut(ProjectOut):
    version: int = Field(description="Send it back with PUT: a project saved since answers 409.")
    address: str
    construction_content_zh: str
    construction_content_en: str
    expected_annual_output: Decimal | None
    responsible_departments: list[str]
    is_public: bool
    stage_since: date | None
    pause_reason: str
    pause_note: str
    health_override: str = Field(description="The rating given by hand; empty: the computed one stands.")
    health_override_rationale: str
    may_manage: bool = Field(
        description="Whether you may change the project, its milestones and its service guarantees."
    )
    milestones: list[MilestoneOut]
    guarantees: list[ServiceGuaranteeOut]
    stage_changes: list[ProjectStageChangeOut]

    @staticmethod
    def resolve_responsible_departments(obj: Project) -> list[str]:
        return [d.slug for d in obj.detail_parts["departments"]]

    @staticmethod
    def resolve_milestones(obj: Project) -> list:
        return obj.detail_parts["milestones"]

    @staticmethod
    def resolve_guarantees(obj: Project) -> list:
        return obj.detail_parts["guarantees"]

    @staticmethod
    def resolve_stage_changes(obj: Project) -> list:
        return obj.detail_parts["stage_changes"]


class TotalsOut(Schema):
    count: int
    total_investment: Decimal
    by_level: dict[str, int]


@router.get(
    "/projects",
    response={200: list[ProjectOut], **refusals(400)},
    summary="Key projects in my scope, filtered",
)
@paginate(Pagination)
def project_list(request: HttpRequest, filters: Query[ProjectFilterIn]):
    return filtered(ProjectFilterSet, filters, user=request.auth)


@router.get(
    "/projects/totals",
    response={200: TotalsOut, **refusals(400)},
    summary="Count and investment of the filtered set",
)
def project_totals(request: HttpRequest, filters: Query[ProjectFilterIn]):
    totals = selectors.project_totals(filtered(ProjectFilterSet, filters, user=request.auth))
    return {"count": totals.count, "total_investment": totals.total_investment, "by_level": totals.by_level}


@router.get(
    "/projects/{county}/{code}",
    response={200: ProjectDetailOut, **refusals(404)},
    summary="One key project with its milestones",
)
def project_detail(request: HttpRequest, county: str, code: str):
    return _detail(request, selectors.project_get(user=request.auth, county=county, code=code))


def _detail(request: HttpRequest, project: Project) -> Project:
    """The project as its page shows it, with whether the user may change it."""
    project.detail_parts = selectors.project_detail_parts(project=project)
    project.may_manage = scope_for(request.auth).manages_region(project.county)
    return project


def _reread(request: HttpRequest, project: Project) -> Project:
    """After a write: the project read again through the scope, with its health and figures as now stored."""
    return _detail(
        request, selectors.project_get(user=request.auth, county=project.county.slug, code=project.code)
    )


# ---- changing a project: the checks of the project pages ------------------------------------------------

WRITE_REFUSALS = refusals(400, 403, 404, 409)
DECIMAL_TEXT = 'A decimal string ("1250000.00").'


def _require_manage(request: HttpRequest, county: Region) -> None:
    """As the pages: those who read a project but do not manage its county (its enterprise, leader,
    departments, the city) are refused (403) before what they sent is looked at."""
    if not county.is_county_level or not scope_for(request.auth).manages_region(county):
        raise NotAllowed(_("You may not change key projects of %(county)s.") % {"county": county.name})


def _managed_project(request: HttpRequest, county: str, code: str) -> Project:
    project = selectors.project_get(user=request.auth, county=county, code=code)
    _require_manage(request, project.county)
    return project


def _saved(service, **arguments):
    """The service's answer; a model rule its full_clean refuses (a code the county already uses) is a 400
    as the page shows it on its form, naming the field when there is one."""
    try:
        return service(**arguments)
    except ValidationError as exc:
        errors = getattr(exc, "message_dict", {forms.forms.NON_FIELD_ERRORS: exc.messages})
        field, messages = next(iter(errors.items()))
        if field == forms.forms.NON_FIELD_ERRORS:
            raise DomainError(" ".join(messages)) from None
        raise field_refused(field, " ".join(messages)) from None


def _form_data(values: dict) -> dict:
    """A body as the page's form posts it: dates as ISO text, nothing as an empty field."""
    return {
        name: "" if value is None else value.isoformat() if isinstance(value, date) else value
        for name, value in values.items()
    }


class ProjectIn(Schema):
    code: Written = Field(description="Unique within the county: letters, digits, “-”, “_” and “.”.")
    name_zh: Written
    name_en: Written
    level: Literal[tuple(Level.values)]  # type: ignore[valid-type]
    category: Literal[("", *Category.values)] = ""  # type: ignore[valid-type]
    enterprise: Written = Field(description="An enterprise registered in the county (its slug).")
    zone: Written | None = Field(None, description="A development zone of the county (its slug).")
    total_investment: Written = Field(description="In yuan. " + DECIMAL_TEXT)
    land_area_mu: Written | None = Field(None, description="In mu. " + DECIMAL_TEXT)
    address: Written = ""
    lat: Written | None = Field(None, description=DECIMAL_TEXT)
    lng: Written | None = Field(None, description=DECIMAL_TEXT)
    construction_content_zh: Written = ""
    construction_content_en: Written = ""
    expected_annual_output: Written | None = Field(None, description="In yuan. " + DECIMAL_TEXT)
    start_date: date | None = Field(None, description="Milestones are planned from it by the template.")
    planned_completion_date: date | None = None
    leader_in_charge: Written | None = Field(None, description="A leader of the county (user name).")
    responsible_departments: list[Written] = Field(
        default_factory=list, max_length=200, description="Departments of the county (their slugs)."
    )
    is_public: bool = Field(False, description="Published in the open data (OC4IDS) without log-in.")


class ProjectUpdateIn(ProjectIn):
    version: Id | None = Field(
        None,
        description="The project's version as you read it: refused (409) if it was saved since. Optional.",
    )


# The API names related objects as it shows them (slugs, user names), not by the ids a page's <select> posts.
PROJECT_FORM_KEYS = {
    "enterprise": "slug",
    "zone": "slug",
    "leader_in_charge": "username",
    "responsible_departments": "slug",
}


def _project_form(body: ProjectIn, county: Region, project: Project | None = None) -> dict:
    """The body checked by the project page's form: its cleaned data, or 400 naming the field refused."""
    instance = copy.copy(project) if project is not None else None
    form = ProjectForm(_form_data(body.model_dump()), instance=instance, county=county)
    for name, key in PROJECT_FORM_KEYS.items():
        form.fields[name].to_field_name = key
    return form_checked(form)


def _project_data(cleaned: dict) -> services.ProjectData:
    data = {k: v for k, v in cleaned.items() if k not in ("version", "is_public")}
    data["responsible_departments"] = tuple(data["responsible_departments"])
    return services.ProjectData(**data)


@router.post(
    "/projects/{county}",
    response={201: ProjectDetailOut, **refusals(400, 403, 404)},
    summary="Register a key project in a county",
)
def project_create(request: HttpRequest, county: str, body: ProjectIn):
    """The county project office's (or an administrator's), as the new-project page: checked by its form,
    registered at the "signed" stage today, with its service guarantees and, given a start date, its
    milestones from the county's template."""
    region = accounts_selectors.region_get(user=request.auth, slug=county)
    _require_manage(request, region)
    cleaned = _project_form(body, region)
    project = _saved(
        services.project_create,
        actor=request.auth,
        county=region,
        data=_project_data(cleaned),
        stage_date=clock.today(),
        is_public=cleaned["is_public"],
    )
    return Status(201, _reread(request, project))


@router.put(
    "/projects/{county}/{code}",
    response={200: ProjectDetailOut, **WRITE_REFUSALS},
    summary="Edit a key project",
)
def project_update(request: HttpRequest, county: str, code: str, body: ProjectUpdateIn):
    """Every field as the edit page sends them (one left out is emptied). With `version`: if the project was
    saved since, nothing is saved and 409 is answered."""
    project = _managed_project(request, county, code)
    cleaned = _project_form(body, project.county, project)
    _saved(
        services.project_update,
        actor=request.auth,
        project=project,
        data=_project_data(cleaned),
        expected_version=cleaned.get("version"),
        is_public=cleaned["is_public"],
    )
    return _reread(request, project)


# ---- the project page's actions ------------------------------------------------------------------------


class ProjectStageIn(Schema):
    stage: Literal[tuple(Stage.values)]  # type: ignore[valid-type]
    date: Day | None = Field(None, description="The day it moved; default today.")
    note: Written = Field("", description="Why: required to move back along the stage chain.")


class ProjectPauseIn(Schema):
    reason: Literal[tuple(PauseReason.values)]  # type: ignore[valid-type]
    date: Day | None = Field(None, description="Paused since; default today.")
    note: Written = Field("", description="Required for the reason “other”.")


class ProjectResumeIn(Schema):
    date: Day | None = Field(None, description="Resumed on; default today.")


class ProjectHealthIn(Schema):
    health: Literal[("", *Health.values)] = Field(  # type: ignore[valid-type]
        "", description="The rating given by hand; empty: use the computed rating."
    )
    rationale: Written = Field("", description="Required to give a rating.")


def _act(request: HttpRequest, county: str, code: str, form_class, values: dict, service, arguments):
    """An action of the project page: its form checks what was sent (400), its service acts (403, 409 when
    the project's state refuses it), and the project is answered as it now stands."""
    project = _managed_project(request, county, code)
    cleaned = form_checked(form_class(_form_data(values)))
    service(actor=request.auth, project=project, **arguments(cleaned))
    return _reread(request, project)


def _today_unless(day: date | None) -> date:
    return clock.today() if day is None else day


@router.post(
    "/projects/{county}/{code}/stage",
    response={200: ProjectDetailOut, **refusals(400, 403, 404)},
    summary="Move a project along the stage chain",
)
def project_stage(request: HttpRequest, county: str, code: str, body: ProjectStageIn):
    """Not before the current stage began; moving back needs a note."""
    values = {"stage": body.stage, "date": _today_unless(body.date), "note": body.note}
    return _act(
        request,
        county,
        code,
        StageForm,
        values,
        services.project_change_stage,
        lambda d: {"stage": d["stage"], "on": d["date"], "note": d["note"]},
    )


@router.post(
    "/projects/{county}/{code}/pause",
    response={200: ProjectDetailOut, **WRITE_REFUSALS},
    summary="Pause a project",
)
def project_pause(request: HttpRequest, county: str, code: str, body: ProjectPauseIn):
    """A project already paused answers 409."""
    values = {"reason": body.reason, "date": _today_unless(body.date), "note": body.note}
    return _act(
        request,
        county,
        code,
        PauseForm,
        values,
        services.project_pause,
        lambda d: {"reason": d["reason"], "on": d["date"], "note": d["note"]},
    )


@router.post(
    "/projects/{county}/{code}/resume",
    response={200: ProjectDetailOut, **WRITE_REFUSALS},
    summary="Resume a paused project",
)
def project_resume(request: HttpRequest, county: str, code: str, body: ProjectResumeIn):
    """A project not paused answers 409; a day before it was paused, 400."""
    values = {"date": _today_unless(body.date)}
    return _act(
        request, county, code, ResumeForm, values, services.project_resume, lambda d: {"on": d["date"]}
    )


@router.post(
    "/projects/{county}/{code}/health",
    response={200: ProjectDetailOut, **refusals(400, 403, 404)},
    summary="Give a health rating by hand, or clear it",
)
def project_health(request: HttpRequest, county: str, code: str, body: ProjectHealthIn):
    """A rating given needs a written rationale; an empty one brings back the computed rating."""
    return _act(
        request,
        county,
        code,
        HealthForm,
        {"health": body.health, "rationale": body.rationale},
        services.project_override_health,
        lambda d: {"health": d["health"], "rationale": d["rationale"]},
    )


# ---- the history page ------------------------------------------------------------------------------------


class ProjectFieldChangeOut(Schema):
    field: str = Field(description="The field's name, in the user's language.")
    before: str = Field(description="As the history page shows it; empty for an object created.")
    after: str


class ProjectVersionOut(Schema):
    at: datetime
    by: str | None = Field(description="A user name; none for the system.")
    address: str | None = Field(description="The address the change came from, when recorded.")
    reason: str
    kind: Literal["created", "changed", "deleted"]
    kind_label: str
    subject: str = Field(description="What changed: the project, one of its milestones or guarantees.")
    changes: list[ProjectFieldChangeOut]

    @staticmethod
    def resolve_at(obj: Version) -> datetime:
        return obj.when

    @staticmethod
    def resolve_by(obj: Version) -> str | None:
        return obj.who.username if obj.who is not None else None

    @staticmethod
    def resolve_kind(obj: Version) -> str:
        return {"+": "created", "~": "changed", "-": "deleted"}[obj.kind]

    @staticmethod
    def resolve_changes(obj: Version) -> list[dict]:
        return [{"field": c.label, "before": c.old, "after": c.new} for c in obj.changes]


@router.get(
    "/projects/{county}/{code}/history",
    response={200: list[ProjectVersionOut], **refusals(400, 404)},
    summary="Every change to a project, its milestones and guarantees, newest first",
)
@paginate(Pagination)
def project_history(request: HttpRequest, county: str, code: str):
    """As the history page: who, when, from which address and why, with each field before and after (money
    in the user's unit)."""
    project = selectors.project_get(user=request.auth, county=county, code=code)
    return selectors.project_history(project=project, unit=request.auth.money_unit or "wan")


# ---- milestones and service guarantees ---------------------------------------------------------------------


class MilestoneUpdateIn(Schema):
    planned_date: date
    actual_date: date | None = Field(None, description="Not in the future; none: not reached yet.")
    reason: Written = Field("", description="Why the plan moved: required when planned_date changes.")


class MilestoneRebaselineIn(Schema):
    baseline_date: date
    reason: Written = Field(description="Why: required.")


def _managed_milestone(request: HttpRequest, milestone_id: int) -> Milestone:
    milestone = selectors.milestone_get(user=request.auth, pk=milestone_id)
    _require_manage(request, milestone.project.county)
    return milestone


@router.put(
    "/milestones/{milestone_id}",
    response={200: MilestoneOut, **refusals(400, 403, 404)},
    summary="Move a milestone's plan or record its actual date",
)
def milestone_update(request: HttpRequest, milestone_id: Id, body: MilestoneUpdateIn):
    """As the project page's milestone row."""
    milestone = _managed_milestone(request, milestone_id)
    cleaned = form_checked(MilestoneForm(_form_data(body.model_dump())))
    services.milestone_update(actor=request.auth, milestone=milestone, **cleaned)
    return selectors.milestone_get(user=request.auth, pk=milestone_id)


@router.post(
    "/milestones/{milestone_id}/rebaseline",
    response={200: MilestoneOut, **refusals(400, 403, 404)},
    summary="Reset a milestone's baseline",
)
def milestone_rebaseline(request: HttpRequest, milestone_id: Id, body: MilestoneRebaselineIn):
    """The county project office's only; the original baseline is kept."""
    milestone = _managed_milestone(request, milestone_id)
    cleaned = form_checked(RebaselineForm(_form_data(body.model_dump())))
    services.milestone_rebaseline(actor=request.auth, milestone=milestone, **cleaned)
    return selectors.milestone_get(user=request.auth, pk=milestone_id)


class ServiceGuaranteeIn(Schema):
    status: Literal[tuple(GuaranteeStatus.values)]  # type: ignore[valid-type]
    needed_by: date | None = None
    delivered_on: date | None = Field(None, description="Required when delivered.")


@router.get(
    "/projects/{county}/{code}/guarantees",
    response={200: list[ServiceGuaranteeOut], **refusals(404)},
    summary="A project's service guarantees (water, electricity, roads, gas, network)",
)
def guarantee_list(request: HttpRequest, county: str, code: str):
    project = selectors.project_get(user=request.auth, county=county, code=code)
    return selectors.guarantee_list(project=project)


@router.put(
    "/guarantees/{guarantee_id}",
    response={200: ServiceGuaranteeOut, **refusals(400, 403, 404)},
    summary="Update a service guarantee",
)
def guarantee_update(request: HttpRequest, guarantee_id: Id, body: ServiceGuaranteeIn):
    """As the guarantee page: a delivered service needs its delivery date."""
    guarantee: ServiceGuarantee = selectors.guarantee_get(user=request.auth, pk=guarantee_id)
    _require_manage(request, guarantee.project.county)
    cleaned = form_checked(GuaranteeForm(_form_data(body.model_dump())))
    return _saved(services.guarantee_update, actor=request.auth, guarantee=guarantee, **cleaned)


# ---- the milestone templates a county plans its projects' milestones from ------------------------------


class TemplateStepOut(Schema):
    id: int
    code: str
    order: int
    name_zh: str
    name_en: str
    days_from_start: int = Field(description="Days from the project's start; negative: before construction.")
    time_limit_days: int | None
    county: str | None = Field(
        description="The county's slug for its own copy; none for the default template."
    )

    @staticmethod
    def resolve_county(obj: MilestoneTemplateStep) -> str | None:
        return obj.county.slug if obj.county_id else None


class TemplateOut(Schema):
    category: str
    own: bool = Field(description="The county's own copy (editable); else the default template, as in force.")
    steps: list[TemplateStepOut]


class TemplateCopyIn(Schema):
    category: Literal[tuple(Category.values)]  # type: ignore[valid-type]


class TemplateStepIn(Schema):
    name_zh: Written
    name_en: Written
    days_from_start: int
    time_limit_days: int | None = None


def _template_county(request: HttpRequest, county: str) -> Region:
    region = accounts_selectors.region_get(user=request.auth, slug=county)
    if not region.is_county_level:
        raise Http404  # templates are a county-level unit's
    return region


@router.get(
    "/templates/{county}",
    response={200: list[TemplateOut], **refusals(404)},
    summary="The milestone templates in force in a county, by category",
)
def template_list(request: HttpRequest, county: str):
    return selectors.template_overview(county=_template_county(request, county))


@router.post(
    "/templates/{county}",
    response={201: list[TemplateOut], **refusals(400, 403, 404, 409)},
    summary="Give a county its own copy of a category's template",
)
def template_copy(request: HttpRequest, county: str, body: TemplateCopyIn):
    """The county project office's; a county that has its own copy already answers 409."""
    region = _template_county(request, county)
    _require_manage(request, region)
    data = form_checked(TemplateCopyForm({"category": body.category}))
    services.template_copy_for_county(actor=request.auth, county=region, **data)
    return Status(201, selectors.template_overview(county=region))


@router.put(
    "/templates/steps/{step_id}",
    response={200: TemplateStepOut, **refusals(400, 403, 404)},
    summary="Change a step of a county's template",
)
def template_step_update(request: HttpRequest, step_id: Id, body: TemplateStepIn):
    """Its names and days; new projects use it, existing milestones keep their dates. The default template
    is changed by administrators only (403)."""
    step = selectors.template_step_get(user=request.auth, pk=step_id)
    data = form_checked(TemplateStepForm(_form_data(body.model_dump())))
    return services.template_step_update(actor=request.auth, step=step, **data)
