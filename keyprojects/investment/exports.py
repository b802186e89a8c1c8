"""The investment figures of a dashboard as spreadsheets: the months of a region, the ranking of a city."""

from __future__ import annotations

from decimal import Decimal

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from keyprojects.accounts.models import Region
from keyprojects.core import clock
from keyprojects.core.money import yuan_in
from keyprojects.core.spreadsheets import DECIMAL, INTEGER, MONEY, Column, Table
from keyprojects.investment import selectors

# The dashboards show these figures in 万元, whatever the user's unit for the registry.
UNIT = "wan"


def _period_lines(*, unverified: bool) -> list[str]:
    return [
        _("Provincial and municipal key projects"),
        _("Including unverified reports") if unverified else _("Approved reports only"),
        _("As of %(date)s") % {"date": date_format(clock.today(), "DATE_FORMAT")},
    ]


def monthly_series_table(*, region: Region, year: int, unverified: bool) -> Table:
    """Planned and completed investment of each month of the year, as the county dashboard's chart."""
    series = selectors.monthly_series(
        projects=selectors.region_key_projects(region), year=year, include_unverified=unverified
    )
    return Table(
        title=_("Investment by month of %(region)s, %(year)s") % {"region": region.name, "year": year},
        sheet_name=_("Investment by month"),
        subtitle=_period_lines(unverified=unverified),
        columns=[
            Column(_("Month"), INTEGER),
            Column(_("Planned (10k yuan)"), MONEY),
            Column(_("Completed (10k yuan)"), MONEY),
            # Running sums: their total is the last row's, not a sum of the column.
            Column(_("Planned to date (10k yuan)"), MONEY, total=False),
            Column(_("Completed to date (10k yuan)"), MONEY, total=False),
        ],
        rows=[
            [
                row["month"],
                *(yuan_in(row[k], UNIT) for k in ("planned", "completed", "planned_cum", "completed_cum")),
            ]
            for row in series
        ],
    )


def unit_ranking_table(*, city: Region, year: int, month: int, unverified: bool) -> Table:
    """The units of a city ranked by completion rate, as the city dashboard shows them."""
    ranking = selectors.unit_ranking(city=city, year=year, through_month=month, include_unverified=unverified)
    return Table(
        title=_("Ranking of the units of %(city)s, January to month %(month)s of %(year)s")
        % {"city": city.name, "month": month, "year": year},
        sheet_name=_("Ranking"),
        subtitle=_period_lines(unverified=unverified),
        columns=[
            Column(_("Rank"), INTEGER),
            Column(_("Unit")),
            Column(_("Planned (10k yuan)"), MONEY),
            Column(_("Completed (10k yuan)"), MONEY),
            Column(_("Completion rate (%)"), DECIMAL),
            Column(_("Previous rank"), INTEGER),
            Column(_("Change"), INTEGER),
        ],
        rows=[
            [
                r.rank,
                r.region.name,
                yuan_in(r.figures.planned, UNIT),
                yuan_in(r.figures.completed, UNIT),
                r.figures.completion_rate * Decimal(100) if r.figures.completion_rate is not None else None,
                r.previous_rank,
                r.change,
            ]
            for r in ranking
        ],
    )
