"""Investment figures over the API: a unit's summary and a city's ranking, under the pages' scope."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema

from keyprojects.api.errors import refusals
from keyprojects.api.params import Month, Year
from keyprojects.core.errors import DomainError
from keyprojects.investment import selectors

router = Router(tags=["investment"])


class FiguresSummaryOut(Schema):
    region: str
    name: str
    year: int
    through_month: int
    projects: int
    provincial: int
    municipal: int
    county_level: int
    early_stage_provincial: int
    total_investment: str
    planned: str
    completed: str
    completion_rate: str | None
    gap: str
    rank_in_city: int | None
    units_in_city: int | None
    include_unverified: bool


class RankingRowOut(FiguresSummaryOut):
    rank: int
    previous_rank: int | None
    change: int | None


def _summary_out(summary: selectors.RegionSummary, include_unverified: bool) -> dict:
    f = summary.figures
    rate = f.completion_rate
    return {
        "region": summary.region.slug,
        "name": summary.region.name,
        "year": summary.year,
        "through_month": summary.through_month,
        "projects": summary.counts["provincial"] + summary.counts["municipal"],
        "provincial": summary.counts["provincial"],
        "municipal": summary.counts["municipal"],
        "county_level": summary.counts["county_level"],
        "early_stage_provincial": summary.early_stage_provincial,
        "total_investment": str(summary.total_investment),
        "planned": str(f.planned),
        "completed": str(f.completed),
        "completion_rate": None if rate is None else str(rate),
        "gap": str(f.gap),
        "rank_in_city": summary.rank_in_city,
        "units_in_city": summary.units_in_city,
        "include_unverified": include_unverified,
    }


@router.get(
    "/investment/summary",
    response={200: FiguresSummaryOut, **refusals(400, 404)},
    summary="Key-project figures of a unit through a month",
)
def investment_summary(
    request: HttpRequest,
    region: str,
    year: Year | None = None,
    through_month: Month | None = None,
    include_unverified: bool = False,
):
    """Without a year or month: the region's default period (the year of the last month whose reports
    were due, through its latest closed month), as the pages show. A county-level user asks for its own unit
    and zones, or for its city's totals (what the city's ranking shows); any other region answers 404."""
    unit = selectors.figures_region_get(user=request.auth, slug=region, ranking=True)
    year, through_month = selectors.period_for(region=unit, year=year, through_month=through_month)
    summary = selectors.region_summary(
        region=unit, year=year, through_month=through_month, include_unverified=include_unverified
    )
    return _summary_out(summary, include_unverified)


@router.get(
    "/investment/ranking",
    response={200: list[RankingRowOut], **refusals(400, 404)},
    summary="A city's units ranked by completion rate",
)
def investment_ranking(
    request: HttpRequest,
    region: str,
    year: Year | None = None,
    through_month: Month | None = None,
    include_unverified: bool = False,
):
    """Without a year or month: the city's default period, as the pages show."""
    city = selectors.figures_region_get(user=request.auth, slug=region, ranking=True)
    if city.kind != city.Kind.CITY:
        raise DomainError(
            _("Rankings compare the units of a city: give a city's slug as the region."), field="region"
        )
    year, through_month = selectors.period_for(region=city, year=year, through_month=through_month)
    rows = []
    ranking = selectors.unit_ranking(
        city=city, year=year, through_month=through_month, include_unverified=include_unverified
    )
    summaries = selectors.city_summaries(
        city=city,
        year=year,
        through_month=through_month,
        include_unverified=include_unverified,
        ranking=ranking,
    )
    for row in ranking:
        out = _summary_out(summaries[row.region.pk], include_unverified)
        out.update(rank=row.rank, previous_rank=row.previous_rank, change=row.change, rank_in_city=row.rank)
        rows.append(out)
    return rows
