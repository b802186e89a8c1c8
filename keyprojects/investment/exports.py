"""The investment figures of a dashboard as spreadsheets: the months of a region, the ranking of a city."""

from __future__ import annotations

from decimal import Decimal

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from keyprojects.accounts.models import Region
from keyprojects.core import clock
from keyprojects.core.money import shown_amount, unit_label
from keyprojects.core.periods import months_span
from keyprojects.core.spreadsheets import DECIMAL, INTEGER, MONEY, Column, Table
from keyprojects.investment import selectors

# The dashboards show these figures in 万元 (millions in English), whatever the user's unit for the registry.
UNIT = "wan"


def _unit() -> dict[str, str]:
    """The unit of the money columns, from the same place as their numbers (shown_amount)."""
    return {"unit": unit_label(UNIT)}


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
        title=_("Monthly investment in %(region)s, %(year)s") % {"region": region.name, "year": year},
        sheet_name=_("Investment by month"),
        subtitle=_period_lines(unverified=unverified),
        columns=[
            Column(_("Month"), INTEGER),
            Column(_("Planned (%(unit)s)") % _unit(), MONEY),
            Column(_("Completed (%(unit)s)") % _unit(), MONEY),
            # Running sums: their total is the last row's, not a sum of the column.
            Column(_("Planned to date (%(unit)s)") % _unit(), MONEY, total=False),
            Column(_("Completed to date (%(unit)s)") % _unit(), MONEY, total=False),
        ],
        rows=[
            [
                row["month"],
                *(
                    shown_amount(row[k], UNIT)
                    for k in ("planned", "completed", "planned_cum", "completed_cum")
                ),
            ]
            for row in series
        ],
    )


def unit_ranking_table(*, city: Region, year: int, month: int, unverified: bool) -> Table:
    """The units of a city ranked by completion rate, as the city dashboard shows them."""
    ranking = selectors.unit_ranking(city=city, year=year, through_month=month, include_unverified=unverified)
    approval = selectors.unit_approval(city=city, year=year, through_month=month).values()
    missing, unapproved = sum(a.missing for a in approval), sum(a.unapproved for a in approval)
    subtitle = _period_lines(unverified=unverified)
    if missing or unapproved:
        # As the page warns: a period not fully approved ranks what is missing as zero.
        subtitle.append(
            _(
                "Not fully approved: %(missing)s planned monthly reports missing, %(unapproved)s not yet "
                "approved; missing reports count as zero"
            )
            % {"missing": missing, "unapproved": unapproved}
        )
    return Table(
        title=_("Ranking of the county-level units of %(city)s, %(period)s")
        % {"city": city.name, "period": months_span(year, month)},
        sheet_name=_("Ranking"),
        subtitle=subtitle,
        columns=[
            Column(_("Rank"), INTEGER),
            Column(_("Unit")),
            Column(_("Planned (%(unit)s)") % _unit(), MONEY),
            Column(_("Completed (%(unit)s)") % _unit(), MONEY),
            Column(_("Completion rate (%)"), DECIMAL),
            Column(_("Previous rank"), INTEGER),
            Column(_("Change"), INTEGER),
        ],
        rows=[
            [
                r.rank,
                r.region.name,
                shown_amount(r.figures.planned, UNIT),
                shown_amount(r.figures.completed, UNIT),
                r.figures.completion_rate * Decimal(100) if r.figures.completion_rate is not None else None,
                r.previous_rank,
                r.change,
            ]
            for r in ranking
        ],
    )
