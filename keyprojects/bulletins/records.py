"""Records: this year's figures against the same period of every earlier stored year ("创历史新高").

Three figures are compared, each computed from stored data, never typed in:

- key projects: the region's provincial and municipal key projects the registry held at the end of the
  period's month (projects.selectors.key_projects_by_year: a project counts from the day it entered the
  registry, at the level it has today);
- completed investment: what those key projects completed January through the month, approved reports only
  (investment.selectors.figures_by_year);
- problems solved: the region's problems confirmed and closed out January through the month, by the day they
  were closed out (problems.selectors.problems_solved_by_year).

The earlier years compared are the region's stored years: those before the bulletin's year in which it has an
annual plan or a counted monthly report, or closed out a problem. A figure is a record when this year's value
is strictly higher than its value in every one of those years; a tie with the best earlier year is not a
record, and with no earlier stored year there is no record at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from keyprojects.accounts.models import Region
from keyprojects.core import periods
from keyprojects.core.bilingual import language_is_chinese
from keyprojects.core.money import format_money
from keyprojects.investment.selectors import figures_by_year, region_key_projects
from keyprojects.problems.selectors import problems_solved_by_year
from keyprojects.projects.models import Level
from keyprojects.projects.selectors import key_projects_by_unit_and_year, key_projects_by_year

KEY_PROJECTS = "key_projects"
COMPLETED_INVESTMENT = "completed_investment"
PROBLEMS_SOLVED = "problems_solved"


@dataclass(frozen=True)
class Record:
    """One figure of a region for January through `month` of `year`, beside the same period of each earlier
    stored year (`earlier`, newest first)."""

    key: str
    label: str
    year: int
    month: int
    value: int | Decimal
    earlier: tuple[tuple[int, int | Decimal], ...]
    by_level: dict = field(default_factory=dict)  # key projects: year → {level: count, "total": n}

    @property
    def previous_best(self) -> tuple[int, int | Decimal] | None:
        """(year, value) of the best earlier year — the latest of equal bests — or None without one."""
        if not self.earlier:
            return None
        return max(self.earlier, key=lambda item: (item[1], item[0]))

    @property
    def previous_best_value(self) -> int | Decimal | None:
        return self.previous_best[1] if self.previous_best else None

    @property
    def previous_best_year(self) -> int | None:
        return self.previous_best[0] if self.previous_best else None

    @property
    def is_record(self) -> bool:
        """Strictly higher than every earlier stored year (a tie is not a record; no earlier year, no record)."""
        return self.previous_best is not None and self.value > self.previous_best[1]

    @property
    def last_year(self) -> int | Decimal | None:
        """The value in the same period of the year before, when that year is stored."""
        return dict(self.earlier).get(self.year - 1)

    @property
    def change(self) -> int | Decimal | None:
        """This year's value less last year's, None when last year is not stored."""
        last = self.last_year
        return None if last is None else self.value - last

    def years(self) -> list[tuple[int, int | Decimal, bool]]:
        """(year, value, is this year) for this year and each earlier one, newest first: a card's rows."""
        return [(self.year, self.value, True), *((y, v, False) for y, v in self.earlier)]


def _stored_years(figures: dict, solved: dict, year: int) -> list[int]:
    """The earlier years the region has data in, newest first."""
    return sorted((y for y in figures.keys() | solved.keys() if y < year), reverse=True)


def records(*, region: Region, year: int, month: int) -> list[Record]:
    """The region's key projects, completed investment and problems solved, January through `month` of
    `year`, each against the same period of every earlier stored year: four queries."""
    projects = region_key_projects(region)
    counts = key_projects_by_year(projects=projects, through_year=year, through_month=month)
    figures = figures_by_year(region=region, through_year=year, through_month=month)
    solved = problems_solved_by_year(region=region, through_year=year, through_month=month)
    earlier = _stored_years(figures, solved, year)
    none = dict.fromkeys((*Level.values, "total"), 0)

    def count(y):
        return counts.get(y, none)["total"]

    def completed(y):
        return figures[y].completed if y in figures else Decimal("0.00")

    return [
        Record(
            KEY_PROJECTS,
            _("Key projects"),
            year,
            month,
            count(year),
            tuple((y, count(y)) for y in earlier),
            {y: counts.get(y, none) for y in (year, *earlier)},
        ),
        Record(
            COMPLETED_INVESTMENT,
            _("Completed investment"),
            year,
            month,
            completed(year),
            tuple((y, completed(y)) for y in earlier),
        ),
        Record(
            PROBLEMS_SOLVED,
            _("Problems solved"),
            year,
            month,
            solved.get(year, 0),
            tuple((y, solved.get(y, 0)) for y in earlier),
        ),
    ]


def units_with_record_key_projects(
    *, city: Region, year: int, month: int, earlier: list[int]
) -> list[Region]:
    """The county-level units of a city whose number of key projects is the highest on record, compared over
    the city's stored years `earlier` (by the rule of `Record.is_record`), in path order: two queries."""
    units = list(Region.objects.filter(parent=city, kind__in=Region.COUNTY_LEVEL_KINDS).order_by("path"))
    by_unit = key_projects_by_unit_and_year(
        projects=region_key_projects(city), through_year=year, through_month=month
    )
    found = []
    for unit in units:
        counts = by_unit.get(unit.pk, {})
        record = Record(
            KEY_PROJECTS,
            "",
            year,
            month,
            counts.get(year, {}).get("total", 0),
            tuple((y, counts.get(y, {}).get("total", 0)) for y in earlier),
        )
        if record.is_record:
            found.append(unit)
    return found


# ---- the bulletin's sentences -------------------------------------------------------------------------


def _span(month: int) -> str:
    """ "1—9月" in a Chinese notice, "January–September" in English."""
    if language_is_chinese():
        return "1月" if month == 1 else f"1—{month}月"
    name = periods.month_name(month)
    return name if month == 1 else _("January–%(month)s") % {"month": name}


def _joined(items: list[str]) -> str:
    return ("；" if language_is_chinese() else "; ").join(items)


def _key_projects_sentence(record: Record) -> str | None:
    change, count = record.change, record.value
    if record.is_record:
        if change is None:
            return _("%(count)s key projects: the most on record.") % {"count": count}
        return _(
            "%(count)s key projects, %(change)s more than the same period last year: the most on record."
        ) % {
            "count": count,
            "change": change,
        }
    if change is None:
        return None
    if change > 0:
        text = _("%(count)s key projects, %(change)s more than the same period last year.")
    elif change < 0:
        text = _("%(count)s key projects, %(change)s fewer than the same period last year.")
    else:
        text = _("%(count)s key projects, as many as in the same period last year.")
    return text % {"count": count, "change": abs(change)}


def _by_level_sentence(record: Record) -> str | None:
    if not record.earlier:
        return None
    items = [
        _("%(year)s: %(count)s (%(provincial)s provincial, %(municipal)s municipal)")
        % {
            "year": y,
            "count": counts["total"],
            "provincial": counts[Level.PROVINCIAL],
            "municipal": counts[Level.MUNICIPAL],
        }
        for y, counts in record.by_level.items()
    ]
    return _("Key projects by level at the end of %(month)s of each year: %(years)s.") % {
        "month": periods.month_name(record.month).replace(" ", ""),
        "years": _joined(items),
    }


def _investment_sentence(record: Record) -> str | None:
    if not record.is_record:
        return None
    values = {"period": _span(record.month), "completed": format_money(record.value)}
    if record.change is None:
        return _("%(completed)s invested in %(period)s: the most on record.") % values
    values["change"] = format_money(record.change)
    return (
        _(
            "%(completed)s invested in %(period)s, %(change)s more than the same period last year: the most on record."
        )
        % values
    )


def _problems_sentence(record: Record) -> str | None:
    if not record.is_record:
        return None
    values = {"period": _span(record.month), "count": record.value}
    if record.change is None:
        return _("%(count)s problems solved in %(period)s: the most on record.") % values
    values["change"] = record.change
    return (
        _(
            "%(count)s problems solved in %(period)s, %(change)s more than the same period last year: the most on record."
        )
        % values
    )


def record_sentences(region: Region, year: int, month: int) -> list[str]:
    """What the bulletin's overall situation says of this year against earlier years, in the active language:
    the number of key projects against last year's same period (and whether it is a record), the counts by
    level in the same period of each stored year, and a record of completed investment or problems solved
    when there is one. A city's bulletin names the units whose number of key projects is their highest on
    record. Four queries (six for a city)."""
    found = {r.key: r for r in records(region=region, year=year, month=month)}
    sentences = [
        _key_projects_sentence(found[KEY_PROJECTS]),
        _by_level_sentence(found[KEY_PROJECTS]),
        _investment_sentence(found[COMPLETED_INVESTMENT]),
        _problems_sentence(found[PROBLEMS_SOLVED]),
    ]
    earlier = [y for y, _value in found[KEY_PROJECTS].earlier]
    if region.kind == Region.Kind.CITY and earlier:
        units = units_with_record_key_projects(city=region, year=year, month=month, earlier=earlier)
        if units:
            sentences.append(
                _("Units whose number of key projects is the largest on record: %(units)s.")
                % {"units": ("、" if language_is_chinese() else ", ").join(u.name for u in units)}
            )
    return [s for s in sentences if s]
