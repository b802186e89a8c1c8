"""What a monthly bulletin (月通报) says: its notice header, sections, paragraphs and tables, from stored figures.

Every figure comes from the investment and problem selectors; nothing is typed in. The result is plain frozen
data in the active language (the Chinese bulletin is the official one), so that the renderers (word.py, pdf.py,
excel.py) only lay it out, and so that `as_dict()` can be stored as the snapshot a published bulletin keeps.
Amounts stay in yuan; the renderers show them in the unit the bulletin names (`money_unit`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal

from django.utils import formats
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from keyprojects.accounts.models import Region
from keyprojects.bulletins.records import record_sentences
from keyprojects.core import clock, periods
from keyprojects.core.bilingual import language_is_chinese
from keyprojects.core.money import display_unit, format_money
from keyprojects.investment.selectors import (
    RankRow,
    breakdown_ranking,
    city_summaries,
    furthest_behind,
    monthly_series,
    projects_behind,
    projects_will_miss,
    region_key_projects,
    region_summary,
    unit_ranking,
)
from keyprojects.problems.models import Category, Problem
from keyprojects.problems.selectors import assistance_by_unit, escalated_q, problem_statistics
from keyprojects.projects.models import Project
from keyprojects.projects.selectors import stage_moves

# The kinds of cell a bulletin's table holds, and how the renderers show them.
TEXT = "text"
INTEGER = "integer"
MONEY = "money"  # Decimal yuan, shown in the bulletin's money unit
RATE = "rate"  # Decimal fraction (0.9553), shown as a percentage; None where nothing was planned
CHANGE = "change"  # places gained since last month; None when there was no last month

LAGGING_LIMIT = 10  # projects listed in each table of 三、滞后项目
NAMED_UNITS = 3  # leading and lagging units named in the text


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = TEXT
    total: bool | None = None  # summed in the totals row; by default money and counts are

    @property
    def totalled(self) -> bool:
        return self.kind in (MONEY, INTEGER) if self.total is None else self.total


@dataclass(frozen=True)
class BulletinTable:
    key: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple, ...]
    totals: bool = False  # a totals row under the money and count columns

    def column(self, header: str) -> list:
        i = [c.header for c in self.columns].index(header)
        return [row[i] for row in self.rows]


@dataclass(frozen=True)
class Section:
    key: str
    heading: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[BulletinTable, ...] = ()


@dataclass(frozen=True)
class Overview:
    """一、总体情况 as figures: provincial and municipal key projects, their investment and completion."""

    provincial: int
    municipal: int
    key_projects: int
    early_stage_provincial: int
    total_investment: Decimal
    planned: Decimal
    completed: Decimal
    completion_rate: Decimal | None
    rank_in_city: int | None
    units_in_city: int | None
    started_in_month: int = 0  # key projects that started construction in the bulletin's month
    completed_in_month: int = 0  # and that were completed in it


@dataclass(frozen=True)
class MonthPoint:
    """Planned and completed (approved) investment from January through a month, for the cumulative chart."""

    month: int
    planned_cum: Decimal
    completed_cum: Decimal


@dataclass(frozen=True)
class Bulletin:
    region: str  # slug
    region_name: str
    region_kind: str
    year: int
    month: int
    language: str
    title: str
    number: str
    office: str
    issued_on: date
    issued: str  # the date as the notice prints it
    period: str
    addressee: str
    preamble: str
    money_unit: str
    yuan_per_unit: Decimal
    overview: Overview
    sections: tuple[Section, ...]
    leading: tuple[str, ...] = ()
    lagging: tuple[str, ...] = ()
    requirements: str = ""  # 五、下步要求: written by the office before publishing
    monthly: tuple[MonthPoint, ...] = ()  # January through the bulletin's month, cumulative

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    def table(self, key: str) -> BulletinTable:
        return next(t for s in self.sections for t in s.tables if t.key == key)

    @property
    def tables(self) -> list[BulletinTable]:
        return [t for s in self.sections for t in s.tables]

    def texts(self) -> list[str]:
        """Every text the bulletin prints (for checking that every character has a glyph)."""
        texts = [self.title, self.number, self.office, self.issued, self.addressee, self.preamble]
        texts += [self.requirements, self.money_unit]
        for section in self.sections:
            texts += [section.heading, *section.paragraphs]
            for table in section.tables:
                texts += [table.title, *(c.header for c in table.columns)]
                texts += [str(v) for row in table.rows for v in row if isinstance(v, str)]
        return texts

    def as_dict(self) -> dict:
        """The bulletin as JSON-serialisable data: decimals and dates as text."""
        return _jsonable(asdict(self))


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal | date):
        return str(value)
    return value


# ---- ranking by a count ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counted:
    name: str
    order: str  # the tie-breaker that is the same in every language (a region's path)
    count: int
    extra: tuple = field(default=())


def count_ranked(items: Sequence[Counted]) -> list[tuple[int, Counted]]:
    """Largest count first; equal counts share a place ("并列第一") and the next place skips (1, 1, 3), listed
    by the language-free order."""
    ordered = sorted(items, key=lambda item: (-item.count, item.order))
    ranked, previous = [], None
    for position, item in enumerate(ordered, start=1):
        rank = ranked[-1][0] if previous is not None and item.count == previous else position
        ranked.append((rank, item))
        previous = item.count
    return ranked


# ---- the texts ---------------------------------------------------------------------------------------


def _joined(names: Sequence[str]) -> str:
    return ("、" if language_is_chinese() else ", ").join(names)


def _month_name(month: int) -> str:
    # "9 月" in the app's Chinese; a notice writes "9月".
    return periods.month_name(month).replace(" ", "")


def _title_period(year: int, month: int) -> str:
    """ "2026年1—9月" in a Chinese notice, "January–September 2026" in English."""
    if not language_is_chinese():
        return periods.months_span(year, month)
    return f"{year}年1月" if month == 1 else f"{year}年1—{month}月"


def _scope_word(region: Region) -> str:
    if region.kind == Region.Kind.CITY or region.kind == Region.Kind.COUNTY_CITY:
        return pgettext("bulletin scope", "across the city")
    if region.kind == Region.Kind.DISTRICT:
        return pgettext("bulletin scope", "across the district")
    return pgettext("bulletin scope", "across the county")


def document_number(region: Region, year: int, month: int) -> str:
    """The notice's number, e.g. 邢重点办〔2026〕9号: the region's first character, the office's short name, the
    year, the month as the issue. An identifier: the same in both languages."""
    return f"{region.name_zh[:1]}重点办〔{year}〕{month}号"


def _rate(rate: Decimal | None) -> str:
    return "—" if rate is None else f"{rate * 100:.2f}%"


def _money_columns(unit: str, *labels: Callable[[], str]) -> list[Column]:
    return [Column(label() % {"unit": unit}, MONEY) for label in labels]


def _rank_table(key: str, title: str, name_header: str, rows: list[RankRow], unit: str, change: bool):
    columns = [Column(_("Rank"), INTEGER, total=False), Column(name_header)]
    if change:
        columns.append(Column(_("Change on last month"), CHANGE))
    columns += _money_columns(
        unit, lambda: _("Planned (%(unit)s)"), lambda: _("Completed (%(unit)s)"), lambda: _("Gap (%(unit)s)")
    )
    columns.append(Column(_("Completion rate (%)"), RATE))
    body = []
    for row in rows:
        values = [row.rank, row.name]
        if change:
            values.append(row.change)
        values += [row.figures.planned, row.figures.completed, row.figures.gap, row.figures.completion_rate]
        body.append(tuple(values))
    return BulletinTable(key, title, tuple(columns), tuple(body), totals=True)


def _project_people(project: Project) -> tuple[str, str]:
    leader = str(project.leader_in_charge) if project.leader_in_charge_id else ""
    departments = _joined([d.name for d in project.responsible_departments.all()])
    return leader, departments


# ---- the bulletin ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Correction:
    """An approved month corrected after a published bulletin counted it: the old and the new figure."""

    code: str
    project: str
    year: int
    month: int
    old: Decimal
    new: Decimal | None  # None: the month was reopened and is not approved again yet


def _corrections_section(corrections: Sequence[Correction], unit: str) -> Section:
    columns = (
        Column(_("Project code")),
        Column(_("Project")),
        Column(_("Month")),
        *_money_columns(
            unit,
            lambda: _("Published (%(unit)s)"),
            lambda: _("Corrected (%(unit)s)"),
            lambda: _("Difference (%(unit)s)"),
        ),
    )
    rows = tuple(
        (
            c.code,
            c.project,
            f"{c.year}-{c.month:02d}",
            c.old,
            c.new,
            None if c.new is None else c.new - c.old,
        )
        for c in corrections
    )
    paragraph = _(
        "After the previous bulletin was published, the following approved monthly reports were corrected; "
        "this bulletin counts the corrected figures."
    )
    table = BulletinTable("corrections", _("Corrections to the previous bulletin"), columns, rows)
    return Section("corrections", _("Annex: corrections to the previous bulletin"), (paragraph,), (table,))


def bulletin_content(
    *,
    region: Region,
    year: int,
    month: int,
    issued_on: date | None = None,
    requirements: str = "",
    corrections: Sequence[Correction] = (),
) -> Bulletin:
    """The bulletin of a city or a county-level unit for January through `month` of `year`.

    `requirements` is the office's 五、下步要求; `corrections` the approved months changed since the previous
    published bulletin (bulletins/services.py finds them); `issued_on` the date of issue (default: today)."""
    if region.kind != Region.Kind.CITY and not region.is_county_level:
        raise ValueError(f"A bulletin is made for a city or a county-level unit, not a {region.kind}.")
    per_unit, unit = display_unit("wan")
    city = region if region.kind == Region.Kind.CITY else region.parent
    ranking = unit_ranking(city=city, year=year, through_month=month) if city else []
    summaries = city_summaries(city=city, year=year, through_month=month, ranking=ranking) if city else {}
    summary = (
        summaries[region.pk]
        if region.pk in summaries
        else region_summary(region=region, year=year, through_month=month)
    )
    early = count_ranked(
        [Counted(s.region.name, s.region.path, s.early_stage_provincial) for s in summaries.values()]
    )
    moves = stage_moves(Project.objects.filter(region_key_projects(region)), year=year, month=month)
    overview = Overview(
        started_in_month=moves["started"],
        completed_in_month=moves["completed"],
        provincial=summary.counts["provincial"],
        municipal=summary.counts["municipal"],
        key_projects=summary.counts["provincial"] + summary.counts["municipal"],
        early_stage_provincial=summary.early_stage_provincial,
        total_investment=summary.total_investment,
        planned=summary.figures.planned,
        completed=summary.figures.completed,
        completion_rate=summary.figures.completion_rate,
        rank_in_city=summary.rank_in_city,
        units_in_city=summary.units_in_city,
    )
    period = _title_period(year, month)
    is_city = region.kind == Region.Kind.CITY
    with_plan = [row for row in ranking if row.figures.completion_rate is not None]
    leading = tuple(f"{r.name}（{_rate(r.figures.completion_rate)}）" for r in with_plan[:NAMED_UNITS])
    lagging = tuple(f"{r.name}（{_rate(r.figures.completion_rate)}）" for r in with_plan[-NAMED_UNITS:])

    sections = (
        _overview_section(region, year, month, overview, early, is_city),
        _ranking_section(region, year, month, ranking, summaries, early, unit, is_city, leading, lagging),
        _lagging_section(region, year, month, unit, is_city),
        _problems_section(region, year, summaries if is_city else {}),
        Section("requirements", _("5. Requirements for the next step")),
    )
    if corrections:
        sections += (_corrections_section(corrections, unit),)
    today = issued_on or clock.today()
    return Bulletin(
        region=region.slug,
        region_name=region.name,
        region_kind=region.kind,
        year=year,
        month=month,
        language=get_language() or "",
        title=_("Notice on the progress of key project construction %(scope)s, %(period)s")
        % {"scope": _scope_word(region), "period": period},
        number=document_number(region, year, month),
        office=_("%(region)s Key Project Office") % {"region": region.name},
        issued_on=today,
        issued=formats.date_format(today, "DATE_FORMAT"),
        period=period,
        addressee=_("To the key project offices of all county-level units:")
        if is_city
        else _("To all development zones, responsible departments and leaders in charge:"),
        preamble=_("The progress of key project construction in %(period)s is notified as follows.")
        % {"period": period},
        money_unit=unit,
        yuan_per_unit=per_unit,
        overview=overview,
        sections=sections,
        leading=leading if is_city else (),
        lagging=lagging if is_city else (),
        requirements=requirements,
        monthly=tuple(
            MonthPoint(point["month"], point["planned_cum"], point["completed_cum"])
            for point in monthly_series(projects=region_key_projects(region), year=year)[:month]
        ),
    )


def _overview_section(region, year, month, overview: Overview, early, is_city: bool) -> Section:
    paragraphs = [
        _(
            "By the end of %(month)s, %(region)s had %(key_projects)s provincial and municipal key projects "
            "(%(provincial)s provincial, %(municipal)s municipal), with a total investment of %(total)s."
        )
        % {
            "month": _month_name(month),
            "region": region.name,
            "key_projects": overview.key_projects,
            "provincial": overview.provincial,
            "municipal": overview.municipal,
            "total": format_money(overview.total_investment, "yi"),
        },
        _(
            "In %(period)s the planned investment was %(planned)s and %(completed)s was completed, "
            "a completion rate of %(rate)s."
        )
        % {
            "period": _title_period(year, month),
            "planned": format_money(overview.planned),
            "completed": format_money(overview.completed),
            "rate": _rate(overview.completion_rate),
        },
    ]
    paragraphs.append(
        _("In %(month)s, %(started)s key projects started construction and %(completed)s were completed.")
        % {
            "month": _month_name(month),
            "started": overview.started_in_month,
            "completed": overview.completed_in_month,
        }
    )
    paragraphs += record_sentences(region, year, month)  # against the same period of earlier years
    if not is_city and overview.rank_in_city:
        paragraphs.append(
            _("%(region)s ranks %(rank)s of %(units)s county-level units in the city by completion rate.")
            % {"region": region.name, "rank": overview.rank_in_city, "units": overview.units_in_city}
        )
        early_rank = next((rank for rank, item in early if item.order == region.path), None)
        paragraphs.append(
            _("%(region)s has %(count)s provincial early-stage key projects, ranking %(rank)s in the city.")
            % {"region": region.name, "count": overview.early_stage_provincial, "rank": early_rank}
        )
    elif is_city:
        paragraphs.append(
            _("The city has %(count)s provincial early-stage key projects.")
            % {"count": overview.early_stage_provincial}
        )
    return Section("overview", _("1. Overall situation"), tuple(paragraphs))


def _ranking_section(region, year, month, ranking, summaries, early, unit, is_city, leading, lagging):
    if not is_city:
        headers = {
            "zone": (_("Development zones ranked by completion rate"), _("Development zone")),
            "responsible_departments": (
                _("Responsible departments ranked by completion rate"),
                _("Responsible department"),
            ),
            "leader_in_charge": (_("Leaders in charge ranked by completion rate"), _("Leader in charge")),
        }
        tables = tuple(
            _rank_table(
                group,
                title,
                header,
                breakdown_ranking(unit=region, group=group, year=year, through_month=month),
                unit,
                change=False,
            )
            for group, (title, header) in headers.items()
        )
        text = _(
            "The development zones, responsible departments and leaders in charge are ranked below by "
            "completion rate."
        )
        return Section("ranking", _("2. Rankings"), (text,), tables)

    units_header = _("County-level unit")
    completion = _rank_table(
        "units", _("County-level units ranked by completion rate"), units_header, ranking, unit, change=True
    )
    by_count = count_ranked(
        [
            Counted(
                s.region.name,
                s.region.path,
                s.counts["provincial"] + s.counts["municipal"],
                (s.counts["provincial"], s.counts["municipal"], s.total_investment),
            )
            for s in summaries.values()
        ]
    )
    counts = BulletinTable(
        "counts",
        _("Provincial and municipal key projects by county-level unit"),
        (
            Column(_("Rank"), INTEGER, total=False),
            Column(units_header),
            Column(_("Provincial"), INTEGER),
            Column(_("Municipal"), INTEGER),
            Column(_("Key projects"), INTEGER),
            Column(_("Total investment (%(unit)s)") % {"unit": unit}, MONEY),
        ),
        tuple((rank, item.name, *item.extra[:2], item.count, item.extra[2]) for rank, item in by_count),
        totals=True,
    )
    early_table = BulletinTable(
        "early_stage",
        _("Provincial early-stage key projects by county-level unit"),
        (
            Column(_("Rank"), INTEGER, total=False),
            Column(units_header),
            Column(_("Provincial early-stage"), INTEGER),
        ),
        tuple((rank, item.name, item.count) for rank, item in early),
        totals=True,
    )
    paragraphs = []
    if leading:
        paragraphs.append(
            _("Leading in completion rate: %(leading)s. Lagging: %(lagging)s.")
            % {"leading": _joined(leading), "lagging": _joined(lagging)}
        )
    return Section("ranking", _("2. Rankings"), tuple(paragraphs), (completion, counts, early_table))


def _lagging_section(region: Region, year: int, month: int, unit: str, is_city: bool) -> Section:
    projects = region_key_projects(region)
    key_projects = Project.objects.filter(projects)
    behind_count = projects_behind(key_projects, year=year, through_month=month).count()
    behind = furthest_behind(
        key_projects.select_related("leader_in_charge").prefetch_related("responsible_departments"),
        year=year,
        through_month=month,
        limit=LAGGING_LIMIT,
    )
    will_miss = projects_will_miss(projects=projects, year=year, through_month=month)
    shown_missing = will_miss[:LAGGING_LIMIT]
    people = {
        p.pk: p
        for p in Project.objects.filter(pk__in=[p.pk for p, _projection in shown_missing])
        .select_related("leader_in_charge")
        .prefetch_related("responsible_departments")
    }
    where = [Column(_("County-level unit"))] if is_city else []
    who = [Column(_("Leader in charge")), Column(_("Responsible departments"))]
    first = [Column(_("No."), INTEGER, total=False), Column(_("Code")), Column(_("Project")), *where]
    behind_table = BulletinTable(
        "furthest_behind",
        _("Projects furthest behind their plan"),
        (
            *first,
            *who,
            *_money_columns(
                unit,
                lambda: _("Planned (%(unit)s)"),
                lambda: _("Completed (%(unit)s)"),
                lambda: _("Gap (%(unit)s)"),
            ),
            Column(_("Completion rate (%)"), RATE),
        ),
        tuple(
            (
                i,
                p.code,
                p.name,
                *([p.county.name] if is_city else []),
                *_project_people(p),
                p.figures.planned,
                p.figures.completed,
                p.figures.gap,
                p.figures.completion_rate,
            )
            for i, p in enumerate(behind, start=1)
        ),
    )
    missing_table = BulletinTable(
        "will_miss",
        _("Projects that will miss the year's plan at the last three months' pace"),
        (
            *first,
            *who,
            *_money_columns(
                unit,
                lambda: _("Planned for the year (%(unit)s)"),
                lambda: _("Completed to date (%(unit)s)"),
                lambda: _("Projected for the year (%(unit)s)"),
            ),
            Column(_("Projected rate (%)"), RATE),
        ),
        tuple(
            (
                i,
                p.code,
                p.name,
                *([p.county.name] if is_city else []),
                *_project_people(people[p.pk]),
                projection.planned_year,
                projection.completed_to_date,
                projection.projected_completed,
                projection.projected_rate,
            )
            for i, (p, projection) in enumerate(shown_missing, start=1)
        ),
    )
    text = _(
        "%(behind)s key projects are behind their plan; the %(shown)s furthest behind are listed below. "
        "At the pace of the last three months, %(missing)s projects will miss the year's plan."
    ) % {"behind": behind_count, "shown": len(behind), "missing": len(will_miss)}
    return Section("lagging", _("3. Projects behind schedule"), (text,), (behind_table, missing_table))


def _problems_section(region: Region, year: int, summaries: dict) -> Section:
    stats = problem_statistics(region=region, year=year)
    text = _(
        "Since the start of %(year)s, %(raised)s problems have been raised and %(solved)s solved and closed "
        "out; %(open)s are being handled, %(overdue)s of them overdue and %(escalated)s escalated. "
        "%(helped)s projects have been helped."
    ) % {
        "year": year,
        "raised": stats.problems_raised,
        "solved": stats.problems_solved,
        "open": stats.open,
        "overdue": stats.overdue,
        "escalated": stats.escalated,
        "helped": stats.projects_helped,
    }
    labels = dict(Category.choices)
    categories = BulletinTable(
        "categories",
        _("Problems by category"),
        (
            Column(_("Category")),
            Column(_("Problems raised"), INTEGER),
            Column(_("Problems solved"), INTEGER),
            Column(_("Being handled"), INTEGER),
        ),
        tuple(
            (str(labels[category]), c["raised"], c["solved"], c["open"])
            for category, c in stats.by_category.items()
            if c["raised"]
        ),
        totals=True,
    )
    escalated = (
        Problem.objects.filter(
            escalated_q(), project__county__path__startswith=region.path, raised_at__year=year
        )
        .select_related("project", "lead_department")
        .order_by("-escalation", "deadline", "pk")
    )
    escalated_table = BulletinTable(
        "escalated",
        _("Escalated problems"),
        (
            Column(_("No."), INTEGER, total=False),
            Column(_("Project")),
            Column(_("Problem")),
            Column(_("Lead department")),
            Column(_("Deadline")),
        ),
        tuple(
            (
                i,
                p.project.name,
                p.title,
                p.lead_department.name if p.lead_department_id else "",
                p.deadline.isoformat() if p.deadline else "",
            )
            for i, p in enumerate(escalated, start=1)
        ),
    )
    tables = [categories, escalated_table]
    if summaries:
        by_unit = assistance_by_unit(units=[s.region for s in summaries.values()], year=year)
        none = {"raised": 0, "solved": 0, "helped": 0}
        solved = count_ranked(
            [
                Counted(
                    s.region.name,
                    s.region.path,
                    (counts := by_unit.get(s.region.pk, none))["solved"],
                    (counts["raised"], counts["helped"]),
                )
                for s in summaries.values()
            ]
        )
        tables.insert(
            0,
            BulletinTable(
                "solved_by_unit",
                _("Problems solved by county-level unit"),
                (
                    Column(_("Rank"), INTEGER, total=False),
                    Column(_("County-level unit")),
                    Column(_("Problems raised"), INTEGER),
                    Column(_("Problems solved"), INTEGER),
                    Column(_("Projects helped"), INTEGER),
                ),
                tuple((rank, item.name, item.extra[0], item.count, item.extra[1]) for rank, item in solved),
                totals=True,
            ),
        )
    return Section("problems", _("4. Problem coordination"), (text,), tuple(tables))
