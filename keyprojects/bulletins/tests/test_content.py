"""The bulletin's content: who is in which table, in which order, and why — from the selectors' figures."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from keyprojects.accounts.models import Region
from keyprojects.bulletins.content import Counted, bulletin_content, count_ranked
from keyprojects.core import clock
from keyprojects.investment import selectors

from .conftest import MONTH

# The demo's January–September on any day of the year: CI runs these again at a matrix of days.
pytestmark = pytest.mark.calendar


def test_it_ranks_julu_third_in_xingtai_with_770_million_and_95_53_percent(city_bulletin):
    units = city_bulletin.table("units")
    julu = next(row for row in units.rows if row[1] == "巨鹿县")

    rank, _name, _change, planned, completed, gap, rate = julu
    assert (rank, completed, rate) == (3, Decimal("770000000.00"), Decimal("0.9553"))
    assert gap == planned - completed
    assert [row[0] for row in units.rows] == list(range(1, 19))


def test_it_writes_the_title_number_and_office_as_a_government_notice(city_bulletin, county_bulletin, year):
    assert city_bulletin.title == f"关于{year}年1—9月全市重点项目建设进展情况的通报"
    assert county_bulletin.title == f"关于{year}年1—9月全县重点项目建设进展情况的通报"
    assert city_bulletin.number == f"邢重点办〔{year}〕9号"
    assert county_bulletin.number == f"巨重点办〔{year}〕9号"
    assert city_bulletin.office == "邢台市重点项目办公室"
    assert [s.heading for s in city_bulletin.sections] == [
        "一、总体情况",
        "二、排名",
        "三、滞后项目",
        "四、问题协调",
        "五、下步要求",
    ]
    assert city_bulletin.requirements == ""


def test_it_states_julu_s_overall_situation_from_its_summary(county_bulletin, year):
    julu = Region.objects.get(slug="julu")
    summary = selectors.region_summary(region=julu, year=year, through_month=MONTH)
    overview = county_bulletin.overview

    assert (overview.key_projects, overview.provincial, overview.municipal) == (53, 10, 43)
    assert overview.total_investment == summary.total_investment
    assert (overview.completed, overview.completion_rate, overview.rank_in_city) == (
        Decimal("770000000.00"),
        Decimal("0.9553"),
        3,
    )
    text = " ".join(county_bulletin.section("overview").paragraphs)
    assert "77,000.00 万元" in text and "95.53%" in text and "居全市第3位" in text


def test_it_ranks_julu_first_in_provincial_early_stage_projects(city_bulletin, county_bulletin):
    early = city_bulletin.table("early_stage")
    assert early.rows[0][:2] == (1, "巨鹿县")
    assert "省重点前期项目" in county_bulletin.section("overview").paragraphs[-1]
    assert "居全市第1位" in county_bulletin.section("overview").paragraphs[-1]


def test_it_names_the_leading_and_lagging_units_in_the_ranking_s_order(city_bulletin):
    units = city_bulletin.table("units").rows
    with_plan = [row for row in units if row[-1] is not None]
    assert [name.split("（")[0] for name in city_bulletin.leading] == [row[1] for row in with_plan[:3]]
    assert [name.split("（")[0] for name in city_bulletin.lagging] == [row[1] for row in with_plan[-3:]]
    assert "巨鹿县（95.53%）" in city_bulletin.section("ranking").paragraphs[0]


def test_the_counts_table_sums_to_the_city_s_key_projects(city_bulletin):
    counts = city_bulletin.table("counts")
    total = sum(row[4] for row in counts.rows)
    assert total == city_bulletin.overview.key_projects
    assert [row[4] for row in counts.rows] == sorted((row[4] for row in counts.rows), reverse=True)


@pytest.mark.parametrize(
    ("group", "key"),
    [
        ("zone", "zone"),
        ("responsible_departments", "responsible_departments"),
        ("leader_in_charge", "leader_in_charge"),
    ],
)
def test_the_county_bulletin_lists_zones_departments_and_leaders_in_the_ranking_s_order(
    county_bulletin, year, group, key
):
    julu = Region.objects.get(slug="julu")
    with translation.override("zh-hans"):
        ranking = selectors.breakdown_ranking(unit=julu, group=group, year=year, through_month=MONTH)
        names = [row.name for row in ranking]

    table = county_bulletin.table(key)
    assert names, f"the demo should rank Julu's {group}"
    assert [row[1] for row in table.rows] == names
    assert [row[0] for row in table.rows] == [row.rank for row in ranking]


def test_it_lists_julu_s_projects_furthest_behind_with_their_leader_and_departments(county_bulletin, year):
    table = county_bulletin.table("furthest_behind")
    gaps = [row[-2] for row in table.rows]
    assert table.rows, "the demo should have Julu projects behind their plan"
    assert gaps == sorted(gaps, reverse=True) and all(gap > 0 for gap in gaps)
    assert all(row[3] for row in table.rows), "every key project has a leader in charge"
    missing = county_bulletin.table("will_miss")
    expected = selectors.projects_will_miss(
        projects=selectors.region_key_projects(Region.objects.get(slug="julu")),
        year=year,
        through_month=MONTH,
    )
    assert [row[1] for row in missing.rows] == [p.code for p, _ in expected][:10]


def test_it_counts_problems_by_category_to_the_total_raised(city_bulletin):
    categories = city_bulletin.table("categories")
    text = city_bulletin.section("problems").paragraphs[0]
    raised = sum(row[1] for row in categories.rows)
    assert f"受理项目问题{raised}个" in text
    by_unit = city_bulletin.table("solved_by_unit")
    assert sum(row[2] for row in by_unit.rows) == raised


def test_a_unit_without_a_plan_comes_last_and_shows_no_rate(db, year):
    city = Region.objects.get(slug="xingtai")
    Region.objects.create(
        slug="newunit", kind=Region.Kind.COUNTY, parent=city, name_zh="新区县", name_en="New"
    )
    with translation.override("zh-hans"):
        bulletin = bulletin_content(region=city, year=year, month=MONTH)

    last = bulletin.table("units").rows[-1]
    assert (last[0], last[1], last[-1]) == (19, "新区县", None)
    assert "新区县" not in " ".join(bulletin.lagging)


def test_equal_counts_share_a_place_and_the_next_place_skips():
    ranked = count_ranked(
        [Counted("B", "/b/", 4), Counted("A", "/a/", 4), Counted("C", "/c/", 7), Counted("D", "/d/", 1)]
    )
    assert [(rank, item.name) for rank, item in ranked] == [(1, "C"), (2, "A"), (2, "B"), (4, "D")]


def test_it_serialises_to_json(city_bulletin):
    data = json.loads(json.dumps(city_bulletin.as_dict()))
    assert data["title"] == city_bulletin.title
    assert data["overview"]["completed"] == str(city_bulletin.overview.completed)


def test_it_writes_the_english_bulletin_in_english(db, year):
    with translation.override("en"):
        bulletin = bulletin_content(region=Region.objects.get(slug="xingtai"), year=year, month=MONTH)
    assert bulletin.title.startswith("Notice on the progress")
    assert bulletin.sections[0].heading == "1. Overall situation"
    assert "Julu" in " ".join(row[1] for row in bulletin.table("units").rows)


@pytest.mark.django_db
def test_the_city_s_problems_by_unit_are_counted_in_one_query_as_the_statistics_count_them():
    from keyprojects.problems.selectors import assistance_by_unit, problem_statistics

    city = Region.objects.get(slug="xingtai")
    units = list(Region.objects.filter(parent=city, kind__in=Region.COUNTY_LEVEL_KINDS))
    year = clock.programme_year(clock.today())

    with CaptureQueriesContext(connection) as queries:
        by_unit = assistance_by_unit(units=units, year=year)

    assert len(queries) == 1
    for unit in units:
        stats = problem_statistics(region=unit, year=year)
        counts = by_unit.get(unit.pk, {"raised": 0, "solved": 0, "helped": 0})
        assert (counts["raised"], counts["solved"], counts["helped"]) == (
            stats.problems_raised,
            stats.problems_solved,
            stats.projects_helped,
        )
    assert by_unit[Region.objects.get(slug="julu").pk]["helped"] == 40  # the report's 40 projects helped


@pytest.mark.django_db
def test_it_counts_the_key_projects_that_started_and_were_completed_in_the_month(year):
    from datetime import date

    from keyprojects.projects.models import Project, Stage, StageChange
    from keyprojects.projects.selectors import KEY_LEVELS

    julu = Region.objects.get(slug="julu")
    in_month = {"stage_changes__date__year": year, "stage_changes__date__month": MONTH}
    key = Project.objects.filter(county=julu, level__in=KEY_LEVELS).order_by("code")
    starter = key.exclude(**in_month, stage_changes__stage=Stage.STARTED).first()
    finisher = key.exclude(**in_month, stage_changes__stage=Stage.COMPLETED).exclude(pk=starter.pk).first()

    def overview():
        with translation.override("zh-hans"):
            return bulletin_content(region=julu, year=year, month=MONTH).overview

    before = overview()
    StageChange.objects.create(project=starter, stage=Stage.STARTED, date=date(year, MONTH, 3))
    StageChange.objects.create(project=starter, stage=Stage.STARTED, date=date(year, MONTH, 20))  # once
    StageChange.objects.create(project=finisher, stage=Stage.COMPLETED, date=date(year, MONTH, 30))
    StageChange.objects.create(
        project=finisher, stage=Stage.STARTED, date=date(year, MONTH + 1, 1)
    )  # next month
    after = overview()

    assert (after.started_in_month, after.completed_in_month) == (
        before.started_in_month + 1,
        before.completed_in_month + 1,
    )
