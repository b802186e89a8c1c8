"""Investment figures: cumulative plans and completions, completion rates, rankings and projections.

Every figure is summed from stored plans and reports here, in a fixed number of queries, and every page,
export, bulletin and API endpoint reads it from here. By default only approved reports count; the
"including unverified" view adds submitted and verified ones.

The sums read `ProjectMonthFigures`, one row per project-month that the database keeps equal to the plans
and reports (see month_figures): a county's figures sum a few hundred of those rows instead of joining plans,
planned months and reports, and the approval of a month is two flags instead of a subquery per planned month.
What sums whole units — the rankings, a region's totals, the pending reports under a ranking and the closing
of a region's months — reads their roll-up per unit, level and month (`UnitMonthFigures`): a province's year
is ~6,500 of those rows where it is ~105,000 project-months.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext as _

from keyprojects.accounts.models import Department, Region, User
from keyprojects.accounts.permissions import scope_for
from keyprojects.core import clock
from keyprojects.core.errors import NotAllowed
from keyprojects.core.history import Version, merged, versions
from keyprojects.investment.models import (
    AnnualPlan,
    MonthClose,
    MonthlyReport,
    PlanMonth,
    ProjectMonthFigures,
    ReportAttachment,
    ReportStatus,
    UnitMonthFigures,
)
from keyprojects.investment.workflow import may_read_attachments, reports_allowed, reports_to_fix
from keyprojects.projects.models import Level, Project, Stage
from keyprojects.projects.selectors import KEY_LEVELS, project_scope_q

ZERO = Decimal("0.00")
RATE_PLACES = Decimal("0.0001")
MONEY = DecimalField(max_digits=18, decimal_places=2)


def counted_statuses(include_unverified: bool) -> tuple[str, ...]:
    if include_unverified:
        return (ReportStatus.SUBMITTED, ReportStatus.VERIFIED, ReportStatus.APPROVED)
    return (ReportStatus.APPROVED,)


def completed_column(include_unverified: bool) -> str:
    """The `ProjectMonthFigures` column of completed investment that counts the reports asked for."""
    return "completed_unverified" if include_unverified else "completed"


@dataclass(frozen=True)
class Figures:
    planned: Decimal = ZERO
    completed: Decimal = ZERO

    @property
    def completion_rate(self) -> Decimal | None:
        """Completed ÷ planned for the same months, to 4 places; None where nothing was planned."""
        if not self.planned:
            return None
        return (self.completed / self.planned).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)

    @property
    def gap(self) -> Decimal:
        return self.planned - self.completed

    @property
    def behind(self) -> bool:
        return self.completed < self.planned


def reads_figures(user: User, region: Region) -> bool:
    """Whether the user reads a region's figures in full (totals, monthly series, breakdowns by zone,
    department and leader, assistance statistics): offices and leaders read their own subtree, an
    administrator reads all. The project rows a page lists are narrower still: `dashboard_projects`."""
    scope = scope_for(user)
    if scope.is_admin:
        return True
    return any(region.path.startswith(p) for p in scope.office_paths + scope.leader_paths)


def reads_ranking(user: User, region: Region) -> bool:
    """Whether the user reads what a city publishes to its units: the city's totals and its units ranked by
    their totals. A county-level office or leader reads it for the city its unit belongs to — that is how a
    county sees its rank — but never another unit's projects or breakdowns."""
    if reads_figures(user, region):
        return True
    scope = scope_for(user)
    return region.kind == Region.Kind.CITY and any(
        p.startswith(region.path) for p in scope.office_paths + scope.leader_paths
    )


def figures_region_get(*, user: User, slug: str, ranking: bool = False) -> Region:
    """The region whose figures the user asks for, or 404.

    Without `ranking`, only a region the user reads in full (`reads_figures`). With it, also the city above
    the user's unit, for the pages that show nothing of it but its totals and the ranking of its units (the
    city dashboard, the ranking download, the API's summary and ranking). Everything else answers 404 —
    another unit of the city, another city, and the province: a county (or a city) compares itself with its
    peers on its city's ranking; no province ranking is published, so the province's figures are an
    administrator's only."""
    region = Region.objects.select_related("parent").filter(slug=slug).first()
    allowed = reads_ranking if ranking else reads_figures
    if region is None or not allowed(user, region):
        raise Http404
    return region


def dashboard_projects(*, user: User, region: Region) -> Q:
    """The key projects of a region that a page lists one by one (furthest behind, will miss, missing
    reports): only those the user may open, whatever the region whose totals the page shows."""
    return region_key_projects(region) & project_scope_q(user)


def figures_by(
    *,
    group: str,
    projects: Q,
    year: int,
    through_month: int,
    include_unverified: bool = False,
    first_month: int = 1,
) -> dict:
    """Planned and completed sums grouped by a project field (e.g. "county", "zone", "leader_in_charge",
    "responsible_departments"), over the projects matching `projects`: one query whatever the size. A group
    with nothing planned and nothing completed is left out, as one without plans or reports."""
    period = Q(year=year, month__gte=first_month, month__lte=through_month)
    figures = _figure_sums(period, projects, f"project__{group}", include_unverified)
    return {key: f for key, f in figures.items() if f.planned or f.completed}


def _figure_sums(period: Q, projects: Q, group: str, include_unverified: bool) -> dict:
    """Planned and completed sums of the project-months in `period` of the projects matching `projects`,
    grouped by `group` (a field of the figures: "month", "year", or "project__<field>"): one query."""
    rows = (
        ProjectMonthFigures.objects.filter(period & _prefixed(projects, "project__"))
        .values(group)
        .annotate(planned_sum=Sum("planned"), completed_sum=Sum(completed_column(include_unverified)))
        .order_by()
    )
    return {row[group]: _figures(row["planned_sum"], row["completed_sum"]) for row in rows}


def _figures(planned: Decimal | None, completed: Decimal | None) -> Figures:
    return Figures((planned or ZERO).quantize(ZERO), (completed or ZERO).quantize(ZERO))


def _prefixed(q: Q, prefix: str) -> Q:
    """Re-root a Q written against Project onto a related model (plan__project__…, project__…)."""
    new = Q()
    new.connector, new.negated = q.connector, q.negated
    for child in q.children:
        if isinstance(child, Q):
            new.children.append(_prefixed(child, prefix))
        else:
            key, value = child
            new.children.append((prefix + key, value))
    return new


def region_figures(
    *, region: Region, year: int, through_month: int, include_unverified: bool = False, levels=KEY_LEVELS
) -> Figures:
    """The figures of every project under a region (a province, a city, a county or a zone), summed: from the
    unit-months, except for a zone (the roll-up is per unit)."""
    if region.kind != Region.Kind.ZONE:
        totals = (
            _unit_months(region, levels)
            .filter(year=year, month__lte=through_month)
            .aggregate(planned_sum=Sum("planned"), completed_sum=Sum(completed_column(include_unverified)))
        )
        return _figures(totals["planned_sum"], totals["completed_sum"])
    per_county = figures_by(
        group="county",
        projects=Q(zone=region, level__in=levels),
        year=year,
        through_month=through_month,
        include_unverified=include_unverified,
    )
    return Figures(
        sum((f.planned for f in per_county.values()), ZERO),
        sum((f.completed for f in per_county.values()), ZERO),
    )


def _unit_months(region: Region, levels=KEY_LEVELS) -> QuerySet[UnitMonthFigures]:
    """The unit-months of the projects at `levels` under a province, a city or a county-level unit."""
    return UnitMonthFigures.objects.filter(unit__path__startswith=region.path, level__in=levels)


def _ranked_months(region: Region, year: int, through_month: int) -> QuerySet[UnitMonthFigures]:
    """The key-project unit-months, January through the month, of the units a ranking of `region` ranks."""
    return UnitMonthFigures.objects.filter(
        ranked_units_q(region, "unit__"), year=year, month__lte=through_month, level__in=KEY_LEVELS
    )


@dataclass(frozen=True)
class RankRow:
    unit: Region | Department | User  # a county-level unit, or a zone, department or leader of a county
    figures: Figures
    rank: int
    previous_rank: int | None

    @property
    def region(self) -> Region:
        return self.unit

    @property
    def name(self) -> str:
        return getattr(self.unit, "name", None) or str(self.unit)

    @property
    def change(self) -> int | None:
        """Places gained since last month (positive: moved up)."""
        return None if self.previous_rank is None else self.previous_rank - self.rank


def _tie_order(unit) -> str:
    """The last tie-breaker: the same in every language (a region's path, a department's slug, a username)."""
    for attribute in ("path", "slug", "username"):
        if value := getattr(unit, attribute, None):
            return value
    return str(unit.pk)


def _ranked(units: list, figures: dict) -> list[tuple]:
    """The one ranking rule of every ranking: highest completion rate first; ties broken by the larger
    completed amount, then by _tie_order. Units without a plan come last."""

    def key(unit):
        f = figures.get(unit.pk, Figures())
        rate = f.completion_rate
        return (rate is None, -(rate or 0), -f.completed, _tie_order(unit))

    return [(position, unit) for position, unit in enumerate(sorted(units, key=key), start=1)]


def stage_level_counts(projects: QuerySet[Project]) -> list[dict]:
    """How many projects stand at each stage, by level: one row per stage, in the chain's order."""
    counts = {
        (row["stage"], row["level"]): row["n"]
        for row in projects.order_by().values("stage", "level").annotate(n=Count("pk"))
    }
    return [
        {"stage": label, **{level: counts.get((stage, level), 0) for level in Level.values}}
        for stage, label in Stage.choices
    ]


def attachment_counts(*, project: Project, year: int) -> dict[int, int]:
    """How many files back each month's report of the year: month → count, in one query."""
    return dict(
        ReportAttachment.objects.filter(report__project=project, report__year=year)
        .values_list("report__month")
        .annotate(n=Count("pk"))
        .order_by()
    )


# What a county's key projects can be grouped by for its own rankings, and what each group is.
BREAKDOWN_GROUPS = {"zone": Region, "responsible_departments": Department, "leader_in_charge": User}


def breakdown_ranking(
    *, unit: Region, group: str, year: int, through_month: int, include_unverified: bool = False
) -> list[RankRow]:
    """A county's development zones, responsible departments or leaders in charge, ranked by the rule that
    ranks the units of a city (a project with two departments counts for both)."""
    if not unit.is_county_level:
        return []
    figures = figures_by(
        group=group,
        projects=region_key_projects(unit),
        year=year,
        through_month=through_month,
        include_unverified=include_unverified,
    )
    members = list(BREAKDOWN_GROUPS[group].objects.filter(pk__in=[k for k in figures if k is not None]))
    return [RankRow(member, figures[member.pk], rank, None) for rank, member in _ranked(members, figures)]


def projects_will_miss(*, projects: Q, year: int, through_month: int) -> list[tuple[Project, Projection]]:
    """Projects whose year will end below plan if the remaining months go as the last three did, the
    furthest below first."""
    projections = projections_by(group="pk", projects=projects, year=year, through_month=through_month)
    missing = {pk: p for pk, p in projections.items() if p.will_miss}
    rows = [
        (project, missing[project.pk])
        for project in Project.objects.filter(pk__in=missing).select_related("county")
    ]
    rows.sort(key=lambda row: (row[1].projected_rate or 0, row[0].code))
    return rows


def ranked_units_q(region: Region, prefix: str = "") -> Q:
    """The county-level units a ranking of `region` ranks (`prefix` re-roots the condition): a city's own
    units, a province's every city's units."""
    if region.kind == Region.Kind.CITY:
        return Q(**{f"{prefix}parent": region})
    return Q(**{f"{prefix}path__startswith": region.path})


def unit_ranking(
    *, city: Region, year: int, through_month: int, include_unverified: bool = False
) -> list[RankRow]:
    """The county-level units of a city (or of a province: all of its cities' units) ranked by completion
    rate of their provincial and municipal key projects through a month, with last month's rank beside it."""
    units = Region.objects.filter(ranked_units_q(city), kind__in=Region.COUNTY_LEVEL_KINDS)
    return _ranking(list(units.order_by("path")), "unit", city, year, through_month, include_unverified)


def city_ranking(
    *, province: Region, year: int, through_month: int, include_unverified: bool = False
) -> list[RankRow]:
    """The cities of a province ranked by the rule that ranks the units of a city."""
    cities = Region.objects.filter(parent=province, kind=Region.Kind.CITY).order_by("path")
    return _ranking(list(cities), "unit__parent", province, year, through_month, include_unverified)


def _ranking(
    units: list[Region], group: str, region: Region, year: int, through_month: int, include_unverified: bool
) -> list[RankRow]:
    """`units` ranked by the key-project figures of the unit-months under `region` grouped by `group` (the
    unit, or its city), with last month's rank: this month's and last month's sums in one pass."""
    completed = completed_column(include_unverified)
    before = Q(month__lte=through_month - 1)
    rows = (
        _ranked_months(region, year, through_month)
        .values(group)
        .annotate(
            planned_now=Sum("planned"),
            completed_now=Sum(completed),
            planned_before=Sum("planned", filter=before),
            completed_before=Sum(completed, filter=before),
        )
        .order_by()
    )
    current, previous = {}, {}
    for row in rows:
        current[row[group]] = _figures(row["planned_now"], row["completed_now"])
        previous[row[group]] = _figures(row["planned_before"], row["completed_before"])
    previous_rank = {}
    if through_month > 1:
        previous_rank = {unit.pk: rank for rank, unit in _ranked(units, previous)}
    return [
        RankRow(unit, current.get(unit.pk, Figures()), rank, previous_rank.get(unit.pk))
        for rank, unit in _ranked(units, current)
    ]


def cumulative_figures(*, year: int, through_month: int, include_unverified: bool = False) -> dict:
    """Expressions for a project queryset: planned and completed investment from January through the month
    (0 when there is none)."""

    def total(column: str):
        rows = (
            ProjectMonthFigures.objects.filter(project=OuterRef("pk"), year=year, month__lte=through_month)
            .order_by()
            .values("project")
            .annotate(total=Sum(column))
            .values("total")
        )
        return Coalesce(Subquery(rows, output_field=MONEY), Value(ZERO), output_field=MONEY)

    return {"planned": total("planned"), "completed": total(completed_column(include_unverified))}


def project_figures(
    qs: QuerySet[Project], *, year: int, through_month: int, include_unverified: bool = False
) -> QuerySet[Project]:
    """Annotate each project with planned_cum and completed_cum (January through the month)."""
    figures = cumulative_figures(
        year=year, through_month=through_month, include_unverified=include_unverified
    )
    return qs.annotate(planned_cum=figures["planned"], completed_cum=figures["completed"])


def projects_behind(qs: QuerySet[Project], *, year: int, through_month: int) -> QuerySet[Project]:
    """The projects of `qs` that completed less than planned January through the month, the furthest behind
    (the largest gap) first: filtered and ordered in the database."""
    return (
        project_figures(qs, year=year, through_month=through_month)
        .filter(planned_cum__gt=0, completed_cum__lt=F("planned_cum"))
        .annotate(gap=ExpressionWrapper(F("planned_cum") - F("completed_cum"), output_field=MONEY))
        .order_by("-gap", "code")
    )


def furthest_behind(
    qs: QuerySet[Project], *, year: int, through_month: int, limit: int | None = 10
) -> list[Project]:
    """The `limit` projects furthest behind their plan (all of them with None), each with its `figures`."""
    behind = projects_behind(qs, year=year, through_month=through_month).select_related(
        "county", "enterprise"
    )
    rows = list(behind[:limit] if limit is not None else behind)
    for p in rows:
        p.figures = Figures(p.planned_cum, p.completed_cum)
    return rows


@dataclass(frozen=True)
class Projection:
    planned_year: Decimal
    completed_to_date: Decimal
    projected_completed: Decimal

    @property
    def projected_rate(self) -> Decimal | None:
        if not self.planned_year:
            return None
        return (self.projected_completed / self.planned_year).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)

    @property
    def will_miss(self) -> bool:
        return self.projected_completed < self.planned_year


def projection(
    *, to_date: Figures, last_three: Figures, planned_year: Decimal, planned_rest: Decimal
) -> Projection:
    """If the remaining months go as the last three did: the rest of the plan is met at the rate
    (completed ÷ planned) of the last three months."""
    pace = (last_three.completed / last_three.planned) if last_three.planned else Decimal(1)
    return Projection(
        planned_year, to_date.completed, (to_date.completed + planned_rest * pace).quantize(ZERO)
    )


def projections_by(*, group: str, projects: Q, year: int, through_month: int) -> dict:
    """Year-end projection per group (project pk, county, …) in four grouped queries."""
    to_date = figures_by(group=group, projects=projects, year=year, through_month=through_month)
    last_three = figures_by(group=group, projects=projects, year=year, through_month=through_month,
                            first_month=max(1, through_month - 2))  # fmt: skip
    whole = figures_by(group=group, projects=projects, year=year, through_month=12)
    result = {}
    for key, year_figures in whole.items():
        done = to_date.get(key, Figures())
        result[key] = projection(
            to_date=done,
            last_three=last_three.get(key, Figures()),
            planned_year=year_figures.planned,
            planned_rest=year_figures.planned - done.planned,
        )
    return result


@dataclass(frozen=True)
class RegionSummary:
    region: Region
    year: int
    through_month: int
    counts: dict[str, int]
    early_stage_provincial: int
    total_investment: Decimal
    figures: Figures
    rank_in_city: int | None
    units_in_city: int | None


def _count_annotations() -> dict:
    return {
        "provincial": Count("pk", filter=Q(level=Level.PROVINCIAL)),
        "municipal": Count("pk", filter=Q(level=Level.MUNICIPAL)),
        "county_level": Count("pk", filter=Q(level=Level.COUNTY)),
        "early_stage_provincial": Count("pk", filter=Q(level=Level.PROVINCIAL, stage=Stage.EARLY)),
        "total": Sum("total_investment", filter=Q(level__in=KEY_LEVELS)),
    }


def _summary(region, year, through_month, counts: dict, figures: Figures, rank, units) -> RegionSummary:
    return RegionSummary(
        region=region,
        year=year,
        through_month=through_month,
        counts={k: counts.get(k, 0) for k in ("provincial", "municipal", "county_level")},
        early_stage_provincial=counts.get("early_stage_provincial", 0),
        total_investment=(counts.get("total") or ZERO).quantize(ZERO),
        figures=figures,
        rank_in_city=rank,
        units_in_city=units,
    )


def city_summaries(
    *,
    city: Region,
    year: int,
    through_month: int,
    include_unverified: bool = False,
    ranking: list[RankRow] | None = None,
) -> dict[int, RegionSummary]:
    """The summary of every county-level unit of a city, keyed by region pk, in five queries (one when
    the caller already holds the city's ranking for the same period)."""
    if ranking is None:
        ranking = unit_ranking(
            city=city, year=year, through_month=through_month, include_unverified=include_unverified
        )
    counts = {
        row["county"]: row
        for row in Project.objects.filter(ranked_units_q(city, "county__"))
        .values("county")
        .annotate(**_count_annotations())
        .order_by()
    }
    return {
        row.region.pk: _summary(
            row.region,
            year,
            through_month,
            counts.get(row.region.pk, {}),
            row.figures,
            row.rank,
            len(ranking),
        )
        for row in ranking
    }


def region_summary(
    *, region: Region, year: int, through_month: int, include_unverified: bool = False
) -> RegionSummary:
    """What the city compares: counts, investment and completion of a region's key projects."""
    if region.is_county_level and region.parent_id:
        return city_summaries(
            city=region.parent, year=year, through_month=through_month, include_unverified=include_unverified
        )[region.pk]
    projects = (
        Project.objects.filter(zone=region)
        if region.kind == Region.Kind.ZONE
        else Project.objects.filter(county__path__startswith=region.path)
    )
    figures = region_figures(
        region=region, year=year, through_month=through_month, include_unverified=include_unverified
    )
    return _summary(
        region, year, through_month, projects.aggregate(**_count_annotations()), figures, None, None
    )


@dataclass(frozen=True)
class Approval:
    """How far the reports behind a group's figures are approved: of the `planned` project-months (a planned
    amount > 0), `missing` have no submitted, verified or approved report and `unapproved` have one not yet
    approved. Approved-only figures count both as zero; "including unverified" counts the latter."""

    planned: int = 0
    missing: int = 0
    unapproved: int = 0

    @property
    def pending(self) -> int:
        return self.missing + self.unapproved

    @property
    def approved(self) -> bool:
        """Every planned report approved (a group with nothing planned has nothing approved: not final)."""
        return self.planned > 0 and not self.pending


def approval_by(*, group: str, projects: Q, year: int, first_month: int = 1, through_month: int = 12) -> dict:
    """`Approval` per group of planned months — "month", or a project field prefixed "project__" — in one
    grouped query."""
    rows = (
        ProjectMonthFigures.objects.filter(
            Q(year=year, month__gte=first_month, month__lte=through_month, planned__gt=0)
            & _prefixed(projects, "project__")
        )
        .values(group)
        .annotate(
            planned_months=Count("pk"),
            missing=Count("pk", filter=Q(reported=False)),
            unapproved=Count("pk", filter=Q(reported=True, approved=False)),
        )
        .order_by()
    )
    return {row[group]: Approval(row["planned_months"], row["missing"], row["unapproved"]) for row in rows}


def unit_approval(*, city: Region, year: int, through_month: int) -> dict[int, Approval]:
    """`Approval` of each county-level unit's key-project reports, January through the month: what a ranking
    of a period not yet closed counts as zero (one query over the unit-months)."""
    rows = (
        _ranked_months(city, year, through_month)
        .filter(planned_months__gt=0)
        .values("unit")
        .annotate(
            planned=Sum("planned_months"), reported=Sum("reported_months"), approved=Sum("approved_months")
        )
        .order_by()
    )
    return {
        row["unit"]: Approval(
            row["planned"], row["planned"] - row["reported"], row["reported"] - row["approved"]
        )
        for row in rows
    }


def monthly_series(*, projects: Q, year: int, include_unverified: bool = False) -> list[dict]:
    """Planned and completed per month of a year (and cumulative), for a chart and its table; each month
    with its `approval`, and `final` while it and every month before it are approved (a cumulative figure
    is only as final as its months)."""
    by_month = _figure_sums(Q(year=year), projects, "month", include_unverified)
    approval = approval_by(group="month", projects=projects, year=year)
    series, cum_p, cum_c, final = [], ZERO, ZERO, True
    for month in range(1, 13):
        month_figures = by_month.get(month, Figures())
        p, c = month_figures.planned, month_figures.completed
        cum_p, cum_c = cum_p + p, cum_c + c
        month_approval = approval.get(month, Approval())
        final = final and month_approval.approved
        series.append(
            {
                "month": month,
                "planned": p,
                "completed": c,
                "planned_cum": cum_p,
                "completed_cum": cum_c,
                "approval": month_approval,
                "final": final,
            }
        )
    return series


@dataclass(frozen=True)
class ReportingState:
    """Which planned months have reports: the basis for "missing" flags."""

    planned: set  # {(project_id, month)} with a planned amount > 0
    reported: set  # submitted, verified or approved
    approved: set

    def missing(self, due_months: int) -> list[tuple[int, int]]:
        return sorted((p, m) for p, m in self.planned - self.reported if m <= due_months)


def reporting_state(*, projects: Q, year: int) -> ReportingState:
    rows = ProjectMonthFigures.objects.filter(
        Q(year=year) & (Q(planned__gt=0) | Q(reported=True)) & _prefixed(projects, "project__")
    ).values_list("project", "month", "planned", "reported", "approved")
    planned = {(p, m) for p, m, amount, _reported, _approved in rows if amount > 0}
    reported = {(p, m) for p, m, _amount, was_reported, _approved in rows if was_reported}
    approved = {(p, m) for p, m, _amount, _reported, was_approved in rows if was_approved}
    return ReportingState(planned, reported, approved)


def latest_closed_month(*, projects: Q | None, year: int, region: Region | None, months: int) -> int | None:
    """The last of the first `months` months up to which every planned month of every project has an approved
    report, or which the county office (`region`, a county-level unit) closed with reports missing. A month
    without a single planned report has nothing to close: a year not yet planned shows open. One row per
    month comes back (planned and approved project-months counted in the database). `projects` None: the key
    projects of `region` (not a zone), counted from the unit-months."""
    if projects is None:
        rows = (
            _unit_months(region)
            .filter(year=year, planned_months__gt=0)
            .values("month")
            .annotate(planned_months=Sum("planned_months"), approved_months=Sum("approved_months"))
            .order_by()
        )
    else:
        rows = (
            ProjectMonthFigures.objects.filter(Q(year=year, planned__gt=0) & _prefixed(projects, "project__"))
            .values("month")
            .annotate(planned_months=Count("pk"), approved_months=Count("pk", filter=Q(approved=True)))
            .order_by()
        )
    by_month = {row["month"]: row for row in rows}
    closed_on_purpose = set()
    if region is not None and region.is_county_level:
        closed_on_purpose = set(
            MonthClose.objects.filter(region=region, year=year).values_list("month", flat=True)
        )
    closed = None
    for month in range(1, months + 1):
        row = by_month.get(month)
        if month not in closed_on_purpose and (row is None or row["approved_months"] < row["planned_months"]):
            break
        closed = month
    return closed


def due_months(year: int, today: date) -> int:
    """How many months of the year are past their reporting deadline today (0–12)."""
    return sum(1 for month in range(1, 13) if clock.report_deadline(year, month) < today)


@dataclass(frozen=True)
class Period:
    """The months a page shows: January through `through_month` of `year`.

    `closed` is the latest month whose reports are all approved (None when no month is yet); a page names
    the month it shows, and says so when it shows a month that is not closed."""

    year: int
    through_month: int
    closed: int | None


def region_key_projects(region: Region) -> Q:
    """The provincial and municipal key projects under a region (a province, city, county or zone)."""
    if region.kind == Region.Kind.ZONE:
        return Q(zone=region, level__in=KEY_LEVELS)
    return Q(county__path__startswith=region.path, level__in=KEY_LEVELS)


def period_for(*, region: Region, year: int | None, through_month: int | None) -> tuple[int, int]:
    """The year and month asked for, the missing parts taken from the region's default period (a year
    other than the default one is shown whole)."""
    if year is not None and through_month is not None:
        return year, through_month
    default = region_default_period(region)
    year = default.year if year is None else year
    if through_month is None:
        through_month = default.through_month if year == default.year else 12
    return year, through_month


def region_default_period(region: Region) -> Period:
    """The default period of a region's key projects (a zone's read from its projects, any other region's
    from its unit-months)."""
    projects = region_key_projects(region) if region.kind == Region.Kind.ZONE else None
    return default_period(projects=projects, region=region)


def default_period(*, projects: Q | None, region: Region | None = None) -> Period:
    """What a page, export or API call shows when no period is asked for: the calendar year of the last
    month whose reports were due, through its latest closed month (else through the last due month).

    A finished month may close before its deadline, when every report of it is approved early. `region`: the
    county-level unit whose months closed on purpose (MonthClose) count as closed too."""
    today = clock.today()
    year = clock.default_year()
    finished = 12 if year < today.year else today.month - 1
    closed = latest_closed_month(projects=projects, year=year, region=region, months=finished)
    return Period(year=year, through_month=closed or max(due_months(year, today), 1), closed=closed)


def report_list(*, user: User) -> QuerySet[MonthlyReport]:
    """Monthly reports of the projects the user may read."""
    visible = Project.objects.filter(project_scope_q(user)).values("pk")
    return MonthlyReport.objects.filter(project__in=visible).select_related(
        "project__county", "project__enterprise"
    )


def report_get_by_id(*, user: User, pk: int) -> MonthlyReport:
    """A report of a project the user may read, by its id (the API's address of a report), or 404."""
    report = report_list(user=user).filter(pk=pk).first()
    if report is None:
        raise Http404
    return report


def _with_locked_months(plans: QuerySet[AnnualPlan]) -> QuerySet[AnnualPlan]:
    """Plans with their months and, on their project, its approved reports (`approved_reports`), whose months
    keep their planned amount (services.plan_locked_months): two queries for any number of plans."""
    approved = MonthlyReport.objects.filter(status=ReportStatus.APPROVED).only("project_id", "year", "month")
    return plans.select_related("project__county").prefetch_related(
        "months", Prefetch("project__monthly_reports", queryset=approved, to_attr="approved_reports")
    )


def plan_list(*, user: User) -> QuerySet[AnnualPlan]:
    """Annual plans of the projects the user may read, each with its months and locked months."""
    visible = Project.objects.filter(project_scope_q(user)).values("pk")
    return _with_locked_months(AnnualPlan.objects.filter(project__in=visible))


def plan_get(*, project: Project, year: int) -> AnnualPlan:
    """The project's plan of the year with its months, or 404. The caller has fetched the project through
    project_get."""
    plan = _with_locked_months(AnnualPlan.objects.filter(project=project, year=year)).first()
    if plan is None:
        raise Http404
    return plan


def report_queue(*, user: User) -> dict[str, list[MonthlyReport]]:
    """What waits for this user: reports to fix or submit, to verify, to approve — as the report workflow's
    declaration says (investment/workflow.py)."""
    reports = report_list(user=user).order_by("year", "month", "project__code")
    return {
        "to_fix": list(reports_to_fix(user, reports)),
        "to_verify": list(reports_allowed("verify", user, reports)),
        "to_approve": list(reports_allowed("approve", user, reports)),
    }


def project_months(*, project: Project, year: int) -> list[dict]:
    """A project's twelve months: planned, reported, status — for its investment page (two queries)."""
    planned = {pm.month: pm.amount for pm in PlanMonth.objects.filter(plan__project=project, plan__year=year)}
    reports = {r.month: r for r in MonthlyReport.objects.filter(project=project, year=year)}
    rows, cum_p, cum_c = [], ZERO, ZERO
    for month in range(1, 13):
        report = reports.get(month)
        cum_p += planned.get(month, ZERO)
        if report is not None and report.status == ReportStatus.APPROVED:
            cum_c += report.completed_investment
        rows.append(
            {
                "month": month,
                "planned": planned.get(month),
                "report": report,
                "figures": Figures(cum_p, cum_c),
            }
        )
    return rows


def figures_by_year(
    *, region: Region, through_year: int, through_month: int, include_unverified: bool = False
) -> dict[int, Figures]:
    """Planned and completed investment of a region's key projects (a province, a city or a county-level unit),
    January through `through_month` of every stored year up to `through_year` (the same period of each year):
    year → Figures, for every year with a plan or a counted report. One grouped query over the unit-months,
    whatever the number of years."""
    rows = (
        _unit_months(region)
        .filter(year__lte=through_year, month__lte=through_month)
        .values("year")
        .annotate(planned_sum=Sum("planned"), completed_sum=Sum(completed_column(include_unverified)))
        .order_by()
    )
    figures = {row["year"]: _figures(row["planned_sum"], row["completed_sum"]) for row in rows}
    return {
        year: figures[year] for year in sorted(figures) if figures[year].planned or figures[year].completed
    }


def report_get(*, project: Project, year: int, month: int) -> MonthlyReport:
    """The project's report of the month, or 404. The caller has fetched the project through project_get."""
    report = MonthlyReport.objects.filter(project=project, year=year, month=month).first()
    if report is None:
        raise Http404
    return report


def report_history(*, report: MonthlyReport, with_files: bool, unit: str = "wan") -> list[Version]:
    """The report's versions (and, for whoever may read them, its files' arrivals and removals), newest first,
    each with the fields it changed (old → new), who, when, from which address and why; a fixed number of
    queries."""
    timelines = [
        versions(
            report.history.select_related("history_user"),
            subject=lambda r: _("Monthly report"),
            money_fields=(
                "completed_investment",
                *MonthlyReport.FUNDING_FIELDS,
            ),
            hidden_fields=("project", "year", "month"),
            unit=unit,
        )
    ]
    if with_files:
        timelines.append(
            versions(
                ReportAttachment.history.filter(report_id=report.pk).select_related("history_user"),
                subject=lambda r: _("File: %(name)s") % {"name": r.original_name},
                hidden_fields=("report", "token", "file", "content_type", "uploaded_by", "uploaded_at"),
            )
        )
    return merged(*timelines)


def report_attachment_list(*, user: User, report: MonthlyReport) -> QuerySet[ReportAttachment]:
    """The files of a report the user reads: for those who fill it in or verify it (NotAllowed otherwise)."""
    _require_attachment_reader(user, report)
    return report.attachments.select_related("uploaded_by").order_by("uploaded_at", "pk")


def report_attachment_get(*, user: User, report: MonthlyReport, pk: int) -> ReportAttachment:
    """One of a report's files, for those who may read them; 404 for a file of another report."""
    attachment = report_attachment_list(user=user, report=report).filter(pk=pk).first()
    if attachment is None:
        raise Http404
    attachment.report = report
    return attachment


def _require_attachment_reader(user: User, report: MonthlyReport) -> None:
    if not may_read_attachments(user, report.project):
        raise NotAllowed(_("Only those who fill in or verify the report may read its files."))
