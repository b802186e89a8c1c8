"""Reads of the registry, filtered by the asking user's scope and the list filters."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Case, Count, IntegerField, Min, Q, QuerySet, Sum, Value, When
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from keyprojects.accounts.models import Region, User
from keyprojects.accounts.permissions import paths_q, scope_for
from keyprojects.core import clock
from keyprojects.core.bilingual import in_active_language
from keyprojects.core.history import Version, merged, versions
from keyprojects.projects.models import (
    STAGE_ORDER,
    Category,
    GuaranteeKind,
    ImportJob,
    Level,
    Milestone,
    MilestoneTemplateStep,
    Project,
    ServiceGuarantee,
    Stage,
    StageChange,
)
from keyprojects.projects.rules import milestones_with_status, projects_with_health

KEY_LEVELS = (Level.PROVINCIAL, Level.MUNICIPAL)  # the set the city compares across counties


def project_scope_q(user: User) -> Q:
    """Which projects a user may read: their offices' subtrees, the projects they lead, their
    departments' projects and their enterprises' projects."""
    scope = scope_for(user)
    if scope.is_admin:
        return Q()
    q = paths_q(scope.office_paths, "county__path") | Q(enterprise_id__in=scope.enterprise_ids)
    if scope.has_role("leader"):
        q |= Q(leader_in_charge_id=user.pk)
    if scope.department_ids:
        through = Project.responsible_departments.through
        q |= Q(pk__in=through.objects.filter(department_id__in=scope.department_ids).values("project_id"))
    return q


# Each order ends on the primary key: rows that tie (a name, an amount) keep one order from page to page.
SORTS = {
    "code": ("county__path", "code", "pk"),
    "-code": ("-county__path", "-code", "pk"),
    "name": ("name_zh", "pk"),
    "-name": ("-name_zh", "pk"),
    "investment": ("total_investment", "code", "pk"),
    "-investment": ("-total_investment", "code", "pk"),
    "stage": ("stage_order", "code", "pk"),
    "-stage": ("-stage_order", "code", "pk"),
    "start": ("start_date", "code", "pk"),
    "-start": ("-start_date", "code", "pk"),
    "health": ("health_rank", "code", "pk"),
    "-health": ("-health_rank", "code", "pk"),
}


def search_q(term: str) -> Q:
    """Projects whose code, name or enterprise's name holds the term, in either language, in any case."""
    return (
        Q(name_zh__icontains=term)
        | Q(name_en__icontains=term)
        | Q(code__icontains=term)
        | Q(enterprise__name_zh__icontains=term)
        | Q(enterprise__name_en__icontains=term)
    )


def project_list(*, user: User) -> QuerySet[Project]:
    """The projects the user reads, with their health, late milestones and the ranks SORTS orders by, in
    code order. The list's filters are projects.filters.ProjectFilterSet, built on this."""
    qs = projects_with_health(Project.objects.filter(project_scope_q(user)), clock.today())
    # Ranks to order by, never shown: aliases, in the SQL only when a sort names them.
    qs = qs.alias(
        stage_order=Case(
            *[When(stage=s, then=Value(i)) for s, i in STAGE_ORDER.items()], output_field=IntegerField()
        ),
        health_rank=Case(
            When(health="green", then=Value(0)),
            When(health="amber", then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        ),
    )
    return qs.select_related("county", "zone", "enterprise", "leader_in_charge").order_by(*SORTS["code"])


@dataclass(frozen=True)
class ProjectTotals:
    count: int
    total_investment: Decimal
    by_level: dict[str, int]


def stage_moves(projects: QuerySet[Project], *, year: int, month: int) -> dict[str, int]:
    """How many of the projects started construction (开工) and were completed (竣工) in a month, by the dates
    of their recorded stage changes: a project counts once for each, however often it was recorded."""
    moved = StageChange.objects.filter(project__in=projects.values("pk"), date__year=year, date__month=month)
    counts = moved.aggregate(
        started=Count("project", filter=Q(stage=Stage.STARTED), distinct=True),
        completed=Count("project", filter=Q(stage=Stage.COMPLETED), distinct=True),
    )
    return {"started": counts["started"], "completed": counts["completed"]}


def project_totals(qs: QuerySet[Project]) -> ProjectTotals:
    """Count and investment of a filtered set, in one query."""
    agg = qs.order_by().aggregate(
        count=Count("pk", distinct=True),
        total=Sum("total_investment"),
        **{f"n_{lvl}": Count("pk", filter=Q(level=lvl), distinct=True) for lvl in Level.values},
    )
    return ProjectTotals(
        count=agg["count"],
        total_investment=(agg["total"] or Decimal("0")).quantize(Decimal("0.01")),
        by_level={lvl: agg[f"n_{lvl}"] for lvl in Level.values},
    )


def project_get(*, user: User, county: str, code: str) -> Project:
    try:
        return project_list(user=user).get(county__slug=county, code=code)
    except Project.DoesNotExist as exc:
        raise Http404 from exc


def project_detail_parts(*, project: Project) -> dict:
    """Everything the project page shows beside the project row, in a fixed number of queries."""
    today = clock.today()
    return {
        "milestones": list(milestones_with_status(project.milestones.all(), today)),
        "guarantees": list(guarantee_list(project=project)),
        "departments": list(project.responsible_departments.select_related("region")),
        "stage_changes": list(project.stage_changes.select_related("recorded_by")),
        "history": list(project.history.select_related("history_user").order_by("-history_date")[:30]),
    }


def milestone_get(*, user: User, pk: int) -> Milestone:
    try:
        return milestones_with_status(
            Milestone.objects.filter(project__in=project_list(user=user).values("pk")).select_related(
                "project__county"
            ),
            clock.today(),
        ).get(pk=pk)
    except Milestone.DoesNotExist as exc:
        raise Http404 from exc


def guarantee_list(*, project: Project) -> QuerySet[ServiceGuarantee]:
    """A project's service guarantees, by kind. The caller has fetched the project through project_get."""
    return ServiceGuarantee.objects.filter(project=project).order_by("kind")


def guarantee_get(*, user: User, pk: int) -> ServiceGuarantee:
    try:
        return (
            ServiceGuarantee.objects.filter(project__in=project_list(user=user).values("pk"))
            .select_related("project__county")
            .get(pk=pk)
        )
    except ServiceGuarantee.DoesNotExist as exc:
        raise Http404 from exc


def early_stage_provincial_ranking(*, city: Region) -> list[tuple[Region, int]]:
    """County-level units of a city by their number of provincial key projects in the early stage."""
    units = (
        Region.objects.filter(parent=city, kind__in=Region.COUNTY_LEVEL_KINDS)
        .annotate(
            early_provincial=Count(
                "projects", filter=Q(projects__level=Level.PROVINCIAL, projects__stage=Stage.EARLY)
            )
        )
        .order_by("-early_provincial", "path")
    )
    return [(u, u.early_provincial) for u in units]


def template_steps_for(*, county: Region, category: str) -> list[MilestoneTemplateStep]:
    """The county's own template for the category if it has one, else the default template."""
    own = list(MilestoneTemplateStep.objects.filter(county=county, category=category).order_by("order"))
    if own:
        return own
    return list(
        MilestoneTemplateStep.objects.filter(county__isnull=True, category=category).order_by("order")
    )


def template_overview(*, county: Region) -> list[dict]:
    """Per category: the steps in force for the county and whether they are its own copy (two queries)."""
    steps = list(
        MilestoneTemplateStep.objects.filter(Q(county=county) | Q(county__isnull=True)).order_by(
            "category", "order"
        )
    )
    overview = []
    for category, label in Category.choices:
        own = [s for s in steps if s.category == category and s.county_id == county.pk]
        default = [s for s in steps if s.category == category and s.county_id is None]
        overview.append({"category": category, "label": label, "own": bool(own), "steps": own or default})
    return overview


def template_step_get(*, user: User, pk: int) -> MilestoneTemplateStep:
    scope = scope_for(user)
    qs = MilestoneTemplateStep.objects.select_related("county")
    if not scope.is_admin:
        qs = qs.filter(paths_q(scope.county_paths, "county__path"))
    try:
        return qs.get(pk=pk)
    except MilestoneTemplateStep.DoesNotExist as exc:
        raise Http404 from exc


def map_points(qs: QuerySet[Project]) -> list[dict]:
    """GeoJSON features of the projects that have coordinates, each with its page's address (reverse() knows
    how to carry every stored code, which the map's script would not)."""
    features = []
    for p in qs.exclude(lat__isnull=True).exclude(lng__isnull=True):
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [float(p.lng), float(p.lat)]},
                "properties": {
                    "code": p.code,
                    "county": p.county.slug,
                    "url": reverse("projects:detail", args=[p.county.slug, p.code]),
                    "name": p.name,
                    "level": p.get_level_display(),
                    "stage": p.get_stage_display(),
                    "health": p.health,
                    "total_investment": str(p.total_investment),
                },
            }
        )
    return features


def map_seats(*, user: User) -> list[dict]:
    """Seats of the county-level units and zones the user's office covers: landmarks for a map without tiles."""
    scope = scope_for(user)
    regions = Region.objects.filter(
        kind__in=(*Region.COUNTY_LEVEL_KINDS, Region.Kind.ZONE),
        seat_lat__isnull=False,
        seat_lng__isnull=False,
    )
    if not scope.is_admin:
        regions = regions.filter(
            paths_q(scope.office_paths + scope.leader_paths + scope.department_paths, "path")
        )
    return [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [float(r.seat_lng), float(r.seat_lat)]},
            "properties": {"name": r.name, "kind": r.kind},
        }
        for r in regions
    ]


def import_job_list(*, user: User, county: Region | None = None) -> QuerySet[ImportJob]:
    """Registry imports of the counties the user manages: only their county offices and administrators."""
    scope = scope_for(user)
    qs = ImportJob.objects.select_related("county__parent", "uploaded_by")
    if not scope.is_admin:
        qs = qs.filter(paths_q(scope.county_paths, "county__path"))
    if county is not None:
        qs = qs.filter(county=county)
    return qs


def import_job_get(*, user: User, pk: int) -> ImportJob:
    try:
        return import_job_list(user=user).get(pk=pk)
    except ImportJob.DoesNotExist as exc:
        raise Http404 from exc


# ---- the registry as it stood in earlier years ------------------------------------------------------


def _registry_entries(projects: Q, group: str | None):
    """(group value, level, the day the project entered the registry) of each project matching `projects`,
    in one query: the day is its first recorded stage (project_create records the stage it is registered
    at, usually the signing), else the day it was created."""
    rows = (
        Project.objects.filter(projects)
        .annotate(entered=Min("stage_changes__date"))
        .values_list(group or "pk", "level", "entered", "created_at")
        .order_by()
    )
    for key, level, entered, created_at in rows:
        yield key, level, entered or timezone.localdate(created_at)


def _counts_by_year(entries, through_year: int, through_month: int) -> dict[int, dict[str, int]]:
    days = [(level, entered) for level, entered in entries]
    if not days:
        return {}
    first = min(entered.year for _level, entered in days)
    counts = {}
    for year in range(first, through_year + 1):
        end = _period_end(year, through_month)
        by_level = dict.fromkeys(Level.values, 0)
        for level, entered in days:
            if entered <= end:
                by_level[level] += 1
        by_level["total"] = sum(by_level.values())
        counts[year] = by_level
    return counts


def _period_end(year: int, month: int) -> date:
    return date(year, 12, 31) if month == 12 else date(year, month + 1, 1) - timedelta(days=1)


def key_projects_by_year(
    *, projects: Q, through_year: int, through_month: int = 12
) -> dict[int, dict[str, int]]:
    """How many of the projects matching `projects` (e.g. a region's provincial and municipal key projects,
    investment.selectors.region_key_projects) the registry held at the end of `through_month` of each year,
    from the year the first of them entered it through `through_year`: year → {level: count, "total": n}.

    A region's key projects in a year, through a month, are those that had entered the registry by the end
    of that month (the day of their first recorded stage). The registry keeps a project once listed (a
    completed one stays, as the bulletin's overall situation counts it) and stores no list per year, so the
    list of an earlier year's same period is read from these dated entries; a project counts at the level it
    has today. One query, whatever the number of years."""
    entries = [(level, entered) for _key, level, entered in _registry_entries(projects, None)]
    return _counts_by_year(entries, through_year, through_month)


def key_projects_by_unit_and_year(
    *, projects: Q, through_year: int, through_month: int = 12
) -> dict[int, dict[int, dict[str, int]]]:
    """key_projects_by_year for each county-level unit: unit pk → year → counts, in one query."""
    by_unit = defaultdict(list)
    for county, level, entered in _registry_entries(projects, "county"):
        by_unit[county].append((level, entered))
    return {
        county: _counts_by_year(entries, through_year, through_month) for county, entries in by_unit.items()
    }


# The amounts of a project shown as money on its history page (its coordinates and land area are not).
PROJECT_MONEY_FIELDS = ("total_investment", "expected_annual_output")


def project_history(*, project: Project, unit: str = "wan") -> list[Version]:
    """The versions of the project, its milestones and its service guarantees in one timeline, newest first,
    each with the fields it changed (old → new), who, when, from which address and why. Five queries,
    whatever the number of versions. The caller has fetched the project through project_get (its scope)."""
    kinds = dict(GuaranteeKind.choices)
    return merged(
        versions(
            project.history.select_related("history_user"),
            subject=lambda r: _("Key project %(code)s") % {"code": r.code},
            money_fields=PROJECT_MONEY_FIELDS,
            unit=unit,
        ),
        versions(
            Milestone.history.filter(project_id=project.pk).select_related("history_user"),
            subject=lambda r: _("Milestone: %(name)s") % {"name": in_active_language(r.name_zh, r.name_en)},
            hidden_fields=("project",),
        ),
        versions(
            ServiceGuarantee.history.filter(project_id=project.pk).select_related("history_user"),
            subject=lambda r: _("Service guarantee: %(kind)s") % {"kind": kinds.get(r.kind, r.kind)},
            hidden_fields=("project",),
        ),
    )
