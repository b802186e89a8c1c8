"""The OC4IDS 0.9 project package of a region's public projects (Open Contracting for Infrastructure Data).

Only projects an office marked public (`Project.is_public`) appear. Names and texts are the Chinese ones: the
official language, and OC4IDS has no field for a second one. Every code comes from the standard's codelists
(the closed ones — status, type, milestone status — strictly); the package is built in a fixed number of
queries whatever the number of projects.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time
from decimal import Decimal

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from keyprojects.accounts.models import Department, Region
from keyprojects.core import clock
from keyprojects.investment import selectors as investment
from keyprojects.investment.models import MonthlyReport, ReportStatus
from keyprojects.projects.models import Category, Milestone, MilestoneStatus, Project, Stage, StageChange
from keyprojects.projects.rules import milestones_with_status

OC4IDS_VERSION = "0.9"
# A project's id must begin with a registered OC4IDS project-identifier prefix: "oc4ids-" and six lowercase
# letters or digits (the validator checks the form). This one stands until the office registers its own
# with the OC4IDS helpdesk; the county and the code after it keep the id unique and stable.
PROJECT_ID_PREFIX = "oc4ids-kprjct-"
CURRENCY = "CNY"

# Regions that publish a package: a county-level unit its own projects, a city those of all its units.
PUBLISHING_KINDS = (*Region.COUNTY_LEVEL_KINDS, Region.Kind.CITY)

# projectStatus (closed): 签约 is the decision to develop, 前期 the preparation, 开工 and 在建 the construction
# ("implementation, also called construction"), 竣工 the handover, 投产 and 达效 the running of the asset
# ("maintenance, also called operation").
PROJECT_STATUS = {
    Stage.SIGNED: "identification",
    Stage.EARLY: "preparation",
    Stage.STARTED: "implementation",
    Stage.CONSTRUCTION: "implementation",
    Stage.COMPLETED: "completion",
    Stage.OPERATION: "maintenance",
    Stage.OUTPUT: "maintenance",
}
COMPLETED_STAGES = (Stage.COMPLETED, Stage.OPERATION, Stage.OUTPUT)

# projectSector (open): only where our category says which sector. Infrastructure (roads, water, heating),
# social services (schools, hospitals) and "other" do not: no sector is better than a wrong one.
PROJECT_SECTOR = {
    Category.INDUSTRY: ["economy"],
    Category.AGRICULTURE: ["economy"],
    Category.SERVICES: ["economy"],
    Category.ENERGY: ["energy"],
}

# projectType (closed): Chinese project names say what is done to an existing asset — 改扩建/扩能 (expand),
# 改造/提标/升级 (rehabilitate); anything else builds a new one.
PROJECT_TYPE_WORDS = (("expansion", ("扩建", "扩能", "扩产")), ("rehabilitation", ("改造", "提标", "升级")))

# milestoneType and milestoneCode (open) of the milestone steps the registry's templates use; a county's own
# step is a delivery milestone.
MILESTONE_KINDS = {
    "land_secured": ("preProcurement", None),
    "land_planning_permit": ("approval", "projectApproval"),
    "works_planning_permit": ("approval", "projectApproval"),
    "construction_permit": ("approval", "projectApproval"),
    "real_estate_certificate": ("approval", "projectApproval"),
    "construction_start": ("delivery", "commencement"),
    "topped_out": ("delivery", None),
    "completion_acceptance": ("delivery", "completion"),
    "trial_production": ("delivery", "commissioning"),
    "in_operation": ("delivery", None),
}
MILESTONE_STATUS = {MilestoneStatus.DONE: "met", MilestoneStatus.LATE: "notMet"}  # else "scheduled"

PERCENT = {"name": "percent", "scheme": "UNCEFACT", "id": "P1"}  # UN/CEFACT Recommendation 20


def publishing_region(slug: str) -> Region | None:
    """The region of that slug if it publishes a package (a county-level unit or a city), else None."""
    return Region.objects.filter(slug=slug, kind__in=PUBLISHING_KINDS).select_related("parent").first()


def public_projects(region: Region) -> QuerySet[Project]:
    return Project.objects.filter(is_public=True, county__path__startswith=region.path)


def nothing_published(region: Region) -> str | None:
    """Why the region has no package (none of its projects is public), in the reader's language; None when
    it has one."""
    if public_projects(region).exists():
        return None
    return _(
        "%(region)s has published no project yet: a county project office marks a project public on its "
        "edit form."
    ) % {"region": region.name}


def project_id(project: Project) -> str:
    return f"{PROJECT_ID_PREFIX}{project.county.slug}-{project.code}"


def project_package(region: Region, *, published_at: datetime, uri: str | None = None) -> dict:
    """The package of the region's public projects. `uri`: where it is published (the endpoint's address);
    without one, a URN naming the region's package. Callers first ask `nothing_published`: the schema wants at
    least one project, so a region without a public one has no package."""
    offices = _offices(region)
    period = investment.region_default_period(region)
    projects = _projects(region, year=period.year, through_month=period.through_month)
    return {
        "uri": uri or f"urn:keyprojects:oc4ids:{region.slug}",
        "publishedDate": _moment(published_at),
        "version": OC4IDS_VERSION,
        "publisher": {"name": offices.get(region.pk, region.name_zh)},
        "projects": [
            _project(p, offices=offices, year=period.year, through_month=period.through_month)
            for p in projects
        ],
    }


def _offices(region: Region) -> dict[int, str]:
    """{region pk: the name of its project office} for the region and the units under it: one query."""
    rows = Department.objects.filter(
        kind=Department.Kind.PROJECT_OFFICE, region__path__startswith=region.path
    ).order_by("region__path", "slug")
    offices: dict[int, str] = {}
    for region_id, name in rows.values_list("region_id", "name_zh"):
        offices.setdefault(region_id, name)
    return offices


def _projects(region: Region, *, year: int, through_month: int) -> list[Project]:
    """The public projects with all the package says of them: two queries (the projects, their milestones)."""
    approved = MonthlyReport.objects.filter(project=OuterRef("pk"), status=ReportStatus.APPROVED).order_by(
        "-year", "-month"
    )
    completed_on = StageChange.objects.filter(project=OuterRef("pk"), stage=Stage.COMPLETED).order_by(
        "-date", "-pk"
    )
    qs = (
        public_projects(region)
        .select_related("county__parent", "enterprise")
        .annotate(
            progress=Subquery(approved.values("physical_progress")[:1]),
            progress_year=Subquery(approved.values("year")[:1]),
            progress_month=Subquery(approved.values("month")[:1]),
            completed_on=Subquery(completed_on.values("date")[:1]),
        )
        .prefetch_related(_milestones_prefetch())
        .order_by("county__path", "code")
    )
    return list(investment.project_figures(qs, year=year, through_month=through_month))


def _milestones_prefetch() -> Prefetch:
    """Each project's milestones in order, with their status as the registry computes it."""
    milestones = milestones_with_status(Milestone.objects.order_by("order", "pk"), clock.today())
    return Prefetch("milestones", queryset=milestones, to_attr="ordered_milestones")


def _project(project: Project, *, offices: dict[int, str], year: int, through_month: int) -> dict:
    county = project.county
    authority_id = f"office-{county.slug}"
    enterprise_id = f"enterprise-{project.enterprise.slug}"
    out: dict = {
        "id": project_id(project),
        "updated": _moment(project.updated_at),
        "language": "zh",
        "title": project.name_zh,
        "publicAuthority": {"id": authority_id, "name": offices.get(county.pk, county.name_zh)},
    }
    if project.construction_content_zh.strip():
        out["description"] = project.construction_content_zh.strip()
    out["status"] = PROJECT_STATUS[project.stage]
    out["type"] = _project_type(project.name_zh)
    if project.category in PROJECT_SECTOR:
        out["sector"] = PROJECT_SECTOR[project.category]
    period = _period(project.start_date, project.planned_completion_date)
    if period:
        out["period"] = period
    out["budget"] = {"amount": _value(project.total_investment)}
    out["locations"] = [_location(project)]
    out["parties"] = [
        {"id": authority_id, "name": offices.get(county.pk, county.name_zh), "roles": ["publicAuthority"]},
        # The enterprise (项目单位) builds the project under the county's programme: the works' supplier.
        {"id": enterprise_id, "name": project.enterprise.name_zh, "roles": ["supplier"]},
    ]
    milestones = [_milestone(m) for m in project.ordered_milestones]
    if milestones:
        out["milestones"] = milestones
    forecasts, metrics = _progress(project, year=year, through_month=through_month)
    if forecasts:
        out["forecasts"] = forecasts
    if metrics:
        out["metrics"] = metrics
    if project.stage in COMPLETED_STAGES:
        completion: dict = {"finalValue": _value(project.total_investment)}
        if project.completed_on:
            completion["endDate"] = _day(project.completed_on)
        out["completion"] = completion
    return out


def _project_type(name: str) -> str:
    for code, words in PROJECT_TYPE_WORDS:
        if any(word in name for word in words):
            return code
    return "construction"


def _location(project: Project) -> dict:
    """The point where the project has coordinates (GeoJSON: longitude first), and its address: the street
    address where given, always the county and the city it lies in."""
    location: dict = {"id": "1"}
    if project.lat is not None and project.lng is not None:
        location["geometry"] = {"type": "Point", "coordinates": [float(project.lng), float(project.lat)]}
    address = {"locality": project.county.name_zh, "countryName": "中国"}
    if project.address.strip():
        address = {"streetAddress": project.address.strip(), **address}
    if project.county.parent is not None:
        address["region"] = project.county.parent.name_zh
    location["address"] = address
    return location


def _milestone(milestone: Milestone) -> dict:
    kind, code = MILESTONE_KINDS.get(milestone.code, ("delivery", None))
    out = {"id": milestone.code, "title": milestone.name_zh, "type": kind}
    if code:
        out["code"] = code
    out["dueDate"] = _day(milestone.planned_date)
    if milestone.actual_date:
        out["dateMet"] = _day(milestone.actual_date)
    out["status"] = MILESTONE_STATUS.get(milestone.status, "scheduled")
    return out


def _progress(project: Project, *, year: int, through_month: int) -> tuple[list[dict], list[dict]]:
    """(forecasts, metrics): the investment planned January through the month as the forecast of financial
    progress, what was completed by approved reports as its actual; the physical progress of the latest
    approved report."""
    forecasts, metrics = [], []
    ytd = _period(date(year, 1, 1), _month_end(year, through_month))
    if project.planned_cum:
        forecasts.append(_metric("financialProgress", "计划投资", f"{year}-{through_month:02d}", ytd,
                                 value=_value(project.planned_cum)))  # fmt: skip
    if project.planned_cum or project.completed_cum:
        metrics.append(_metric("financialProgress", "完成投资", f"{year}-{through_month:02d}", ytd,
                               value=_value(project.completed_cum)))  # fmt: skip
    if project.progress is not None:
        y, m = project.progress_year, project.progress_month
        month = _period(date(y, m, 1), _month_end(y, m))
        metrics.append(_metric("physicalProgress", "形象进度", f"{y}-{m:02d}", month,
                               measure=_number(project.progress), unit=PERCENT))  # fmt: skip
    return forecasts, metrics


def _metric(metric_id: str, title: str, observation_id: str, period: dict, **observation) -> dict:
    return {
        "id": metric_id,
        "title": title,
        "observations": [{"id": observation_id, "period": period, **observation}],
    }


def _period(start: date | None, end: date | None) -> dict:
    period = {}
    if start:
        period["startDate"] = _day(start)
    if end:
        period["endDate"] = _day(end)
    return period


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _value(amount: Decimal) -> dict:
    return {"amount": _number(amount), "currency": CURRENCY}


def _number(amount: Decimal) -> int | float:
    """A JSON number (the schema's type), whole where the amount is."""
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _day(day: date) -> str:
    """A date as the schema's date-time: its midnight in the county's time zone."""
    return _moment(timezone.make_aware(datetime.combine(day, time.min)))


def _moment(moment: datetime) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")
