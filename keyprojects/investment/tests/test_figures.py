"""Figures, rankings, projections and reporting state against a tiny city whose every number is worked by hand.

The city (a fresh province → city → four counties, beside the demo) holds, for YEAR (amounts in yuan):

    unit  project        level       plan by month              reports (status)
    A     TA-1           provincial  100 every month (1,200)    Jan 100, Feb 100, Mar 40, Apr 50, May 60 approved;
                                                                Jun 70 returned; Jul 80 draft
    A     TA-9           county      1,000 every month          Jan 1,000 approved  (not a key project: never counted)
    B     TB-1           municipal   200 Jan–Mar (600)          Jan 100, Feb 100, Mar 280.02 approved
    C     TC-1           municipal   100 Jan–Apr (400)          Jan 80, Feb 80, Mar 80 approved; Apr 90 submitted
    C     TC-2           municipal   0 every month              Mar 60 submitted
    D     TD-1           municipal   no plan                    none

Through March only approved reports count: A 240/300, B 480.02/600, C 240/300 — all 0.8000 to four places —
and D has nothing planned. Through February: A 200/200 = 1, C 160/200 = 0.8, B 200/400 = 0.5.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.db.models import Q
from django.utils import timezone

from keyprojects.accounts.services import enterprise_create, region_create
from keyprojects.core import clock
from keyprojects.core.errors import DomainError
from keyprojects.core.workflow import SYSTEM
from keyprojects.investment import selectors, services
from keyprojects.investment.models import ReportStatus
from keyprojects.investment.selectors import Figures
from keyprojects.projects.models import Category, Level, Project, Stage
from keyprojects.projects.services import ProjectData, project_create

# Depends on the day it runs: CI runs it again at a matrix of days (see .ci/run).
pytestmark = pytest.mark.calendar

YEAR = 2025
D = Decimal


@pytest.fixture
def frozen_clock(monkeypatch):
    """December of YEAR: every month of the year may be reported."""
    monkeypatch.setattr(clock, "today", lambda: date(YEAR, 12, 20))
    monkeypatch.setattr(clock, "now", lambda: timezone.make_aware(datetime(YEAR, 12, 20, 10)))


def add_project(county, code: str, level: str = Level.MUNICIPAL, total: str = "1000000") -> Project:
    enterprise = enterprise_create(
        actor=SYSTEM, region=county, slug=f"{code.lower()}-co", name_zh=f"{code}公司", name_en=f"{code} Co"
    )
    data = ProjectData(
        code=code, name_zh=f"{code}项目", name_en=f"Project {code}", level=level,
        category=Category.INDUSTRY, enterprise=enterprise, total_investment=D(total),
    )  # fmt: skip
    return project_create(
        actor=SYSTEM, county=county, data=data, stage=Stage.CONSTRUCTION, stage_date=date(YEAR - 1, 6, 1)
    )


def plan(project: Project, months: list) -> None:
    services.plan_save(actor=SYSTEM, project=project, year=YEAR, months=[D(m) for m in months])


STEPS = {
    ReportStatus.DRAFT: (),
    ReportStatus.SUBMITTED: (services.report_submit,),
    ReportStatus.VERIFIED: (services.report_submit, services.report_verify),
    ReportStatus.APPROVED: (services.report_submit, services.report_verify, services.report_approve),
}


def report(project: Project, month: int, amount: str, status: str = ReportStatus.APPROVED) -> None:
    """A report brought to `status` through the workflow itself, by the system (actor=SYSTEM)."""
    saved = services.report_save(
        actor=SYSTEM, project=project, year=YEAR, month=month, completed_investment=D(amount),
        physical_progress=D(10),
    )  # fmt: skip
    if status == ReportStatus.RETURNED:
        services.report_submit(actor=SYSTEM, report=saved)
        services.report_return(actor=SYSTEM, report=saved, reason="invoices missing")
        return
    for step in STEPS[status]:
        step(actor=SYSTEM, report=saved)


@pytest.fixture
def city(db, frozen_clock):
    province = region_create(
        actor=SYSTEM, slug="tp", name_zh="测试省", name_en="Test Province", kind="province"
    )
    city = region_create(
        actor=SYSTEM, slug="tp-city", name_zh="测试市", name_en="Test City", kind="city", parent=province
    )
    # English names sort against the path order (Zeta…Alpha): ties must follow the path, in every language.
    names = {"a": "Zeta", "b": "Gamma", "c": "Beta", "d": "Alpha"}
    units = {
        key: region_create(
            actor=SYSTEM,
            slug=f"tp-{key}",
            name_zh=f"{key}县",
            name_en=f"{name} County",
            kind="county",
            parent=city,
        )
        for key, name in names.items()
    }
    p = {
        "A1": add_project(units["a"], "TA-1", Level.PROVINCIAL, total="5000000"),
        "A9": add_project(units["a"], "TA-9", Level.COUNTY, total="90000000"),
        "B1": add_project(units["b"], "TB-1"),
        "C1": add_project(units["c"], "TC-1"),
        "C2": add_project(units["c"], "TC-2"),
        "D1": add_project(units["d"], "TD-1"),
    }
    plan(p["A1"], [100] * 12)
    plan(p["A9"], [1000] * 12)
    plan(p["B1"], [200, 200, 200] + [0] * 9)
    plan(p["C1"], [100, 100, 100, 100] + [0] * 8)
    plan(p["C2"], [0] * 12)
    for month, amount in enumerate(["100", "100", "40", "50", "60"], start=1):
        report(p["A1"], month, amount)
    report(p["A1"], 6, "70", ReportStatus.RETURNED)
    report(p["A1"], 7, "80", ReportStatus.DRAFT)
    report(p["A9"], 1, "1000")
    for month, amount in enumerate(["100", "100", "280.02"], start=1):
        report(p["B1"], month, amount)
    for month in (1, 2, 3):
        report(p["C1"], month, "80")
    report(p["C1"], 4, "90", ReportStatus.SUBMITTED)
    report(p["C2"], 3, "60", ReportStatus.SUBMITTED)
    return {"city": city, "province": province, **units, **p}


def ranking(city, through_month: int, include_unverified: bool = False) -> list[tuple]:
    rows = selectors.unit_ranking(
        city=city["city"], year=YEAR, through_month=through_month, include_unverified=include_unverified
    )
    return [
        (r.region.slug, r.rank, r.previous_rank, r.change, r.figures.completed, r.figures.completion_rate)
        for r in rows
    ]


KEY = Q(level__in=selectors.KEY_LEVELS)


# ---- completion rate -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "planned, completed, rate",
    [
        ("806030000.00", "770000000.00", "0.9553"),  # the report's Julu: 95.53 %
        ("3", "2", "0.6667"),
        ("20000", "2469", "0.1235"),  # 0.12345: half up, not to even
        ("300", "0", "0.0000"),
        ("100", "150", "1.5000"),  # ahead of plan
    ],
)
def test_it_divides_completed_by_planned_to_four_places(planned, completed, rate):
    figures = Figures(D(planned), D(completed))

    assert figures.completion_rate == D(rate)
    assert str(figures.completion_rate) == rate
    assert figures.gap == D(planned) - D(completed)


def test_it_has_no_rate_where_nothing_was_planned():
    assert Figures(D("0.00"), D("50.00")).completion_rate is None
    assert Figures().completion_rate is None


def test_it_sums_each_unit_from_approved_reports_only(city):
    by_county = selectors.figures_by(group="county", projects=KEY, year=YEAR, through_month=3)

    assert by_county[city["a"].pk] == Figures(D("300.00"), D("240.00"))
    assert by_county[city["b"].pk] == Figures(D("600.00"), D("480.02"))
    assert by_county[city["c"].pk] == Figures(D("300.00"), D("240.00"))
    assert city["d"].pk not in by_county


def test_it_adds_submitted_and_verified_reports_when_asked_but_never_drafts_or_returned_ones(city):
    def figures(unit, month, unverified):
        return selectors.region_figures(
            region=city[unit], year=YEAR, through_month=month, include_unverified=unverified
        )

    assert figures("c", 4, False) == Figures(D("400.00"), D("240.00"))
    assert figures("c", 4, True) == Figures(D("400.00"), D("390.00"))  # + Apr 90 and TC-2's Mar 60
    assert figures("a", 7, False) == Figures(D("700.00"), D("350.00"))
    assert figures("a", 7, True) == Figures(D("700.00"), D("350.00"))  # returned and draft never count


def test_it_sums_the_city_without_county_level_projects(city):
    figures = selectors.region_figures(region=city["city"], year=YEAR, through_month=3)

    assert figures == Figures(D("1200.00"), D("960.02"))
    assert figures.completion_rate == D("0.8000")
    province = selectors.region_figures(region=city["province"], year=YEAR, through_month=3)
    assert province == figures


# ---- ranking ---------------------------------------------------------------------------------------


def test_it_ranks_equal_rates_by_completed_amount_then_path_and_puts_units_without_a_plan_last(city):
    assert ranking(city, 3) == [
        # slug, rank, previous, change, completed, rate
        ("tp-b", 1, 3, 2, D("480.02"), D("0.8000")),  # 0.80003: the same rate to four places, more completed
        ("tp-a", 2, 1, -1, D("240.00"), D("0.8000")),  # A and C tie on both: the path decides (not the name)
        ("tp-c", 3, 2, -1, D("240.00"), D("0.8000")),
        ("tp-d", 4, 4, 0, D("0.00"), None),
    ]


def test_it_ranks_the_unverified_view_on_its_own_figures(city):
    assert ranking(city, 3, include_unverified=True) == [
        ("tp-c", 1, 2, 1, D("300.00"), D("1.0000")),  # TC-2's submitted 60 makes C whole
        ("tp-b", 2, 3, 1, D("480.02"), D("0.8000")),
        ("tp-a", 3, 1, -2, D("240.00"), D("0.8000")),
        ("tp-d", 4, 4, 0, D("0.00"), None),
    ]


def test_it_has_no_previous_rank_in_january(city):
    assert ranking(city, 1) == [
        ("tp-a", 1, None, None, D("100.00"), D("1.0000")),
        ("tp-c", 2, None, None, D("80.00"), D("0.8000")),
        ("tp-b", 3, None, None, D("100.00"), D("0.5000")),
        ("tp-d", 4, None, None, D("0.00"), None),
    ]


def test_it_summarises_a_county_with_its_rank_in_the_city(city):
    summary = selectors.region_summary(region=city["a"], year=YEAR, through_month=3)

    assert summary.counts == {"provincial": 1, "municipal": 0, "county_level": 1}
    assert summary.total_investment == D("5000000.00")  # the county-level TA-9 is not a key project
    assert summary.figures == Figures(D("300.00"), D("240.00"))
    assert (summary.rank_in_city, summary.units_in_city) == (2, 4)


def test_it_summarises_a_city_without_a_rank(city):
    summary = selectors.region_summary(region=city["city"], year=YEAR, through_month=3)

    assert summary.counts == {"provincial": 1, "municipal": 4, "county_level": 1}
    assert summary.total_investment == D("9000000.00")
    assert summary.figures.completed == D("960.02")
    assert (summary.rank_in_city, summary.units_in_city) == (None, None)


# ---- projection ------------------------------------------------------------------------------------


def test_it_projects_the_rest_of_the_year_at_the_pace_of_the_last_three_months(city):
    projections = selectors.projections_by(group="county", projects=KEY, year=YEAR, through_month=5)

    a = projections[city["a"].pk]
    # To May 350 of 500; March–May 150 of 300 → pace 0.5; the 700 still planned bring 350 more.
    assert (a.planned_year, a.completed_to_date, a.projected_completed) == (
        D("1200.00"),
        D("350.00"),
        D("700.00"),
    )
    assert a.projected_rate == D("0.5833")
    assert a.will_miss
    b = projections[city["b"].pk]
    # Nothing is planned after March: the projection is what was done.
    assert (b.projected_completed, b.projected_rate) == (D("480.02"), D("0.8000"))
    c = projections[city["c"].pk]
    assert (c.planned_year, c.projected_completed, c.projected_rate) == (
        D("400.00"),
        D("240.00"),
        D("0.6000"),
    )
    assert city["d"].pk not in projections


def test_it_projects_at_full_pace_when_the_last_three_months_planned_nothing():
    projection = selectors.projection(
        to_date=Figures(D("500"), D("350")),
        last_three=Figures(D("0"), D("20")),
        planned_year=D("1200"),
        planned_rest=D("700"),
    )

    assert projection.projected_completed == D("1050.00")
    assert projection.projected_rate == D("0.8750")


def test_it_projects_beyond_the_plan_when_ahead_of_pace():
    projection = selectors.projection(
        to_date=Figures(D("300"), D("360")),
        last_three=Figures(D("300"), D("360")),
        planned_year=D("1200"),
        planned_rest=D("900"),
    )

    assert projection.projected_completed == D("1440.00")  # 360 + 900 × 1.2
    assert projection.projected_rate == D("1.2000")
    assert not projection.will_miss


# ---- furthest behind -------------------------------------------------------------------------------


def test_it_lists_the_projects_furthest_behind_by_gap_then_code(city):
    key_projects = Project.objects.filter(county__parent=city["city"], level__in=selectors.KEY_LEVELS)

    behind = selectors.furthest_behind(key_projects, year=YEAR, through_month=3)

    assert [(p.code, p.figures.gap) for p in behind] == [
        ("TB-1", D("119.98")),
        ("TA-1", D("60.00")),
        ("TC-1", D("60.00")),
    ]
    assert [p.code for p in selectors.furthest_behind(key_projects, year=YEAR, through_month=3, limit=1)] == [
        "TB-1"
    ]
    # Through February TA-1 is on plan: only the projects behind are listed.
    assert [p.code for p in selectors.furthest_behind(key_projects, year=YEAR, through_month=2)] == [
        "TB-1",
        "TC-1",
    ]


# ---- reporting state -------------------------------------------------------------------------------


def test_it_finds_the_planned_months_without_a_report(city):
    state = selectors.reporting_state(projects=Q(county__parent=city["city"]) & KEY, year=YEAR)
    a1 = city["A1"].pk

    assert state.missing(3) == []
    # A returned or draft report is still missing; a submitted one is not.
    assert state.missing(7) == [(a1, 6), (a1, 7)]
    assert state.missing(12) == [(a1, m) for m in range(6, 13)]


def test_it_closes_the_months_whose_every_planned_report_is_approved(city):
    def closed(months):
        return selectors.latest_closed_month(
            projects=Q(county__parent=city["city"]) & KEY, year=YEAR, region=None, months=months
        )

    assert closed(0) is None
    assert closed(2) == 2
    assert closed(3) == 3
    assert closed(12) == 3  # TC-1's April is submitted, not approved

    services.report_verify(actor=SYSTEM, report=city["C1"].monthly_reports.get(month=4))
    services.report_approve(actor=SYSTEM, report=city["C1"].monthly_reports.get(month=4))
    assert closed(12) == 5  # June: TA-1 was returned


@pytest.mark.parametrize(
    "year, today, months",
    [
        (2025, date(2025, 4, 3), 2),  # March's reports are due by 3 April: not yet past
        (2025, date(2025, 4, 4), 3),
        (2025, date(2026, 1, 3), 11),
        (2025, date(2026, 1, 4), 12),
        (2026, date(2025, 12, 31), 0),
    ],
)
def test_it_counts_the_months_past_their_deadline(year, today, months):
    assert selectors.due_months(year, today) == months


# ---- spreading a yearly plan -----------------------------------------------------------------------


def test_it_spreads_evenly_with_the_remainder_in_december():
    months = services.spread(D("100.00"))

    assert months == [D("8.33")] * 11 + [D("8.37")]
    assert sum(months) == D("100.00")


def test_it_spreads_along_the_county_curve():
    assert services.spread(D("1000.00"), services.COUNTY_CURVE) == [
        D(x) for x in ("30", "40", "80", "90", "100", "100", "100", "100", "90", "100", "90", "80")
    ]
    months = services.spread(D("1000.01"), services.COUNTY_CURVE)
    assert months[-1] == D("80.01")
    assert sum(months) == D("1000.01")


@pytest.mark.parametrize("total", ["0.05", "1.00", "12345678.91", "806030000.00", "99999999999999.99"])
@pytest.mark.parametrize("curve", [None, services.COUNTY_CURVE, [D(1)] * 11 + [D(0)], [D(7)] + [D(3)] * 11])
def test_it_spreads_to_the_cent_adding_up_exactly(total, curve):
    months = services.spread(D(total), curve)

    assert len(months) == 12
    assert sum(months) == D(total)
    assert all(m >= 0 and m == m.quantize(D("0.01")) for m in months)


@pytest.mark.parametrize("curve", [[D(1)] * 11, [D(-1)] + [D(1)] * 11, [D(0)] * 12])
def test_it_refuses_a_curve_that_is_not_twelve_weights(curve):
    with pytest.raises(DomainError):
        services.spread(D("100"), curve)
