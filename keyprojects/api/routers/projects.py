"""The registry over the API: the same filters, scope and figures as the list page."""

from datetime import date
from decimal import Decimal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from keyprojects.api.errors import refusals
from keyprojects.api.filters import filtered, filterset_schema
from keyprojects.api.params import Pagination
from keyprojects.projects import selectors
from keyprojects.projects.filters import ProjectFilterSet
from keyprojects.projects.models import Project

router = Router(tags=["projects"])


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
    code: str
    name_zh: str
    name_en: str
    original_baseline_date: date
    baseline_date: date
    planned_date: date
    actual_date: date | None
    status: str


class ProjectDetailOut(ProjectOut):
    construction_content_zh: str
    construction_content_en: str
    expected_annual_output: Decimal | None
    responsible_departments: list[str]
    milestones: list[MilestoneOut]

    @staticmethod
    def resolve_responsible_departments(obj: Project) -> list[str]:
        return [d.slug for d in obj.detail_parts["departments"]]

    @staticmethod
    def resolve_milestones(obj: Project) -> list:
        return obj.detail_parts["milestones"]


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
    project = selectors.project_get(user=request.auth, county=county, code=code)
    project.detail_parts = selectors.project_detail_parts(project=project)
    return project
