"""Records: this year against the same period of every earlier stored year, computed from stored data.

The tie rule: a figure is a record only when it is strictly higher than in every earlier stored year; equal
to the best earlier year is not a record, and with no earlier stored year there is no record at all.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from keyprojects.accounts.models import Enterprise, Region, User
from keyprojects.bulletins.records import (
    COMPLETED_INVESTMENT,
    KEY_PROJECTS,
    PROBLEMS_SOLVED,
    record_sentences,
    records,
    units_with_record_key_projects,
)
from keyprojects.investment.models import AnnualPlan, MonthlyReport, PlanMonth, ReportStatus
from keyprojects.investment.selectors import region_key_projects
from keyprojects.problems.models import Category as ProblemCategory
from keyprojects.problems.models import Problem, RaisedAs, Side, Status
from keyprojects.projects.models import Category, Level, Project, Stage, StageChange
from keyprojects.projects.selectors import key_projects_by_year

MONTH = 9
WAN = Decimal(10_000)


@pytest.fixture
def unit(db) -> Region:
    city = Region.objects.get(slug="xingtai")
    return Region.objects.create(
        slug="records-unit",
        kind=Region.Kind.COUNTY,
        parent=city,
        path=f"{city.path}records-unit/",
        name_zh="纪录县",
        name_en="Record County",
    )


def _project(unit: Region, code: str, entered: date, level: str = Level.MUNICIPAL) -> Project:
    project = Project.objects.create(
        county=unit,
        code=code,
        name_zh=code,
        name_en=code,
        level=level,
        category=Category.INDUSTRY,
        enterprise=Enterprise.objects.order_by("pk").first(),
        total_investment=Decimal(100_000) * WAN,
        stage=Stage.SIGNED,
        stage_since=entered,
    )
    StageChange.objects.create(project=project, stage=Stage.SIGNED, date=entered)
    return project


def _invested(project: Project, year: int, month: int, wan: int) -> None:
    plan = AnnualPlan.objects.create(project=project, year=year)
    PlanMonth.objects.create(plan=plan, month=month, amount=wan * WAN)
    MonthlyReport.objects.create(
        project=project,
        year=year,
        month=month,
        completed_investment=wan * WAN,
        physical_progress=Decimal(10),
        status=ReportStatus.APPROVED,
    )


def _solved(project: Project, closed_on: date, status: str = Status.CLOSED) -> None:
    moment = timezone.make_aware(datetime.combine(closed_on, time(10)))
    Problem.objects.create(
        project=project,
        title_zh="问题",
        category=ProblemCategory.values[0],
        side=Side.values[0],
        raised_by=User.objects.order_by("pk").first(),
        raised_as=RaisedAs.values[0],
        raised_at=moment,
        status=status,
        resolved_at=moment,
        closed_at=moment if status == Status.CLOSED else None,
    )


@pytest.fixture
def three_years(unit):
    """2022 and 2023 stored, then 2024: key projects 2 → 3 → 4 (a record), investment 100 → 300 → 200
    (below 2023's best), problems solved 2 → 1 → 2 (equal to 2022's: no record)."""
    a = _project(unit, "R-1", date(2021, 6, 1), Level.PROVINCIAL)
    b = _project(unit, "R-2", date(2022, 3, 1))
    c = _project(unit, "R-3", date(2023, 5, 1))
    _project(unit, "R-4", date(2024, 2, 1), Level.PROVINCIAL)
    _project(unit, "R-5", date(2024, 10, 1))  # after September: not in 2024's January–September
    _project(unit, "R-6", date(2022, 1, 1), Level.COUNTY)  # a county-level project is not a key project
    _invested(a, 2022, 3, 100)
    _invested(a, 2023, 4, 300)
    _invested(b, 2024, 5, 200)
    _invested(c, 2024, 11, 999)  # after September
    _solved(a, date(2022, 2, 1))
    _solved(b, date(2022, 9, 30))
    _solved(a, date(2023, 6, 1))
    _solved(b, date(2023, 10, 2))  # after September
    _solved(a, date(2024, 1, 5))
    _solved(c, date(2024, 8, 1))
    _solved(c, date(2024, 8, 2), status=Status.RESOLVED)  # awaiting confirmation: not solved
    return unit


def _by_key(region, year=2024, month=MONTH):
    return {r.key: r for r in records(region=region, year=year, month=month)}


def test_it_is_a_record_only_when_strictly_higher_than_every_earlier_year(three_years):
    found = _by_key(three_years)

    key = found[KEY_PROJECTS]
    assert (key.value, key.earlier) == (4, ((2023, 3), (2022, 2)))
    assert (key.is_record, key.previous_best_year, key.previous_best_value, key.change) == (True, 2023, 3, 1)

    invested = found[COMPLETED_INVESTMENT]
    assert invested.value == 200 * WAN
    assert (invested.is_record, invested.previous_best_year, invested.change) == (False, 2023, -100 * WAN)

    solved = found[PROBLEMS_SOLVED]
    assert (solved.value, solved.earlier) == (2, ((2023, 1), (2022, 2)))
    assert (solved.is_record, solved.previous_best_year) == (False, 2022)  # a tie is not a record


def test_a_tie_with_the_best_earlier_year_is_not_a_record_and_one_more_is(three_years):
    StageChange.objects.filter(project__code="R-4").update(date=date(2024, 12, 1))  # 2024: 3, as in 2023
    assert not _by_key(three_years)[KEY_PROJECTS].is_record

    _solved(Project.objects.get(code="R-3"), date(2024, 9, 1))  # 2024: 3 solved against 2022's 2
    assert _by_key(three_years)[PROBLEMS_SOLVED].is_record


def test_a_figure_with_no_earlier_stored_year_is_not_a_record(unit):
    project = _project(unit, "R-1", date(2023, 12, 1))
    _invested(project, 2024, 2, 50)
    _solved(project, date(2024, 3, 1))

    found = _by_key(unit)
    assert all(r.earlier == () for r in found.values())
    assert all(r.previous_best is None and not r.is_record for r in found.values())
    assert (found[KEY_PROJECTS].value, found[PROBLEMS_SOLVED].value) == (1, 1)
    with translation.override("zh-hans"):
        assert record_sentences(unit, 2024, MONTH) == []


def test_it_counts_key_projects_by_level_as_the_registry_stood_at_the_end_of_the_month(three_years):
    counts = key_projects_by_year(
        projects=region_key_projects(three_years), through_year=2024, through_month=MONTH
    )
    assert sorted(counts) == [2021, 2022, 2023, 2024]
    assert {y: (c[Level.PROVINCIAL], c[Level.MUNICIPAL], c["total"]) for y, c in counts.items()} == {
        2021: (1, 0, 1),
        2022: (1, 1, 2),
        2023: (1, 2, 3),
        2024: (2, 2, 4),
    }
    assert (
        key_projects_by_year(projects=region_key_projects(three_years), through_year=2024)[2024]["total"] == 5
    )


def test_records_are_read_in_three_queries_whatever_the_number_of_years(
    three_years, django_assert_num_queries
):
    with django_assert_num_queries(3):
        records(region=three_years, year=2024, month=MONTH)
    city = Region.objects.get(slug="xingtai")
    with django_assert_num_queries(3):
        records(region=city, year=2024, month=MONTH)


def test_it_writes_the_sentences_in_the_active_language(three_years):
    with translation.override("zh-hans"):
        zh = record_sentences(three_years, 2024, MONTH)
    with translation.override("en"):
        en = record_sentences(three_years, 2024, MONTH)

    assert zh[0] == "重点项目数量达4个，较上年同期增加1个，创历史新高。"
    assert (
        zh[1]
        == "各年9月末重点项目数量：2024年4个（省重点2个、市重点2个）；2023年3个（省重点1个、市重点2个）；2022年2个（省重点1个、市重点1个）。"
    )
    assert en[0] == "4 key projects, 1 more than the same period last year: the most on record."
    assert len(zh) == len(en) == 2  # investment and problems solved are no record: not stated


def test_without_a_record_it_still_compares_key_projects_with_last_year(three_years):
    StageChange.objects.filter(project__code="R-4").update(date=date(2024, 12, 1))  # 2024: 3, as in 2023
    with translation.override("zh-hans"):
        assert record_sentences(three_years, 2024, MONTH)[0] == "重点项目3个，与上年同期持平。"
    with translation.override("en"):
        assert record_sentences(three_years, 2024, MONTH)[0] == (
            "3 key projects, as many as in the same period last year."
        )


# ---- the demo: Julu's number of key projects is the largest on record --------------------------------


@pytest.mark.calendar
def test_julu_s_bulletin_says_its_53_key_projects_are_the_most_on_record(county_bulletin, year):
    julu = Region.objects.get(slug="julu")
    key = _by_key(julu, year)[KEY_PROJECTS]
    assert key.value == county_bulletin.overview.key_projects == 53
    assert key.is_record and all(value < 53 for _year, value in key.earlier)
    assert [y for y, _value in key.earlier] == [year - 1, year - 2]

    text = county_bulletin.section("overview").paragraphs
    assert any(p.startswith("重点项目数量达53个") and p.endswith("创历史新高。") for p in text)
    assert any(
        p.startswith("各年9月末重点项目数量：") and f"{year}年53个（省重点10个、市重点43个）" in p
        for p in text
    )


@pytest.mark.calendar
def test_xingtai_s_bulletin_names_julu_among_the_units_with_the_most_key_projects_on_record(
    city_bulletin, year
):
    units = city_bulletin.section("overview").paragraphs
    named = next(p for p in units if p.startswith("重点项目数量创历史新高的县（市、区）："))
    assert "巨鹿县" in named
    city = Region.objects.get(slug="xingtai")
    assert Region.objects.get(slug="julu") in units_with_record_key_projects(
        city=city, year=year, month=MONTH, earlier=[year - 1, year - 2]
    )


# ---- the dashboard's card --------------------------------------------------------------------------


@pytest.mark.calendar
def test_the_home_page_shows_julu_against_earlier_years(client, login, django_assert_max_num_queries):
    login("office.julu")
    with django_assert_max_num_queries(30):
        html = client.get(reverse("dashboards:home")).content.decode()

    assert 'data-testid="records"' in html
    row = html.split('data-testid="record-key_projects"')[1].split("</tr>")[0]
    assert "53" in row and 'data-testid="record-tag"' in row


def test_the_home_page_shows_no_card_to_an_enterprise(client, login):
    login("ent.liangshan")
    html = client.get(reverse("dashboards:home")).content.decode()
    assert 'data-testid="records"' not in html
