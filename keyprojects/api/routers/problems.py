"""The problem list over the API: assistance statistics and problems, under the pages' scope."""

from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from keyprojects.api.filters import filtered, filterset_schema
from keyprojects.api.params import Pagination, Year
from keyprojects.core import clock
from keyprojects.investment.selectors import figures_region_get
from keyprojects.problems import selectors
from keyprojects.problems.filters import ProblemFilterSet

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


@router.get("/problems/summary", response=SummaryOut, summary="Assistance statistics of a region and year")
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


@router.get("/problems", response=list[ProblemOut], summary="Problems in my scope, filtered")
@paginate(Pagination)
def problem_list(request: HttpRequest, filters: Query[ProblemFilterIn]):
    return filtered(ProblemFilterSet, filters, user=request.auth)


@router.get("/problems/{problem_id}", response=ProblemOut, summary="One problem")
def problem_detail(request: HttpRequest, problem_id: int):
    return selectors.problem_get(user=request.auth, pk=problem_id)
