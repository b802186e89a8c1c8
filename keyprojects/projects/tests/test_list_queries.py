"""The registry's pages run a fixed number of queries, however many projects or milestones they show.

A fresh county is grown from 10 to 1,000 projects (bulk-created, each with a late and an open milestone
and a responsible department), and the same pages are requested before and after.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.utils import range_boundaries

from keyprojects.accounts import services as accounts_services
from keyprojects.accounts.models import Department, Enterprise, Region, User
from keyprojects.core import clock
from keyprojects.core.workflow import SYSTEM
from keyprojects.projects.models import Category, Level, Milestone, Project, Stage
from keyprojects.projects.tests.conftest import add_milestone

pytestmark = pytest.mark.django_db

FEW, MANY = 10, 1000
# Today: 15 for the list page, 13 for the GeoJSON, 8 for an export, 9 for the project page; some room.
MAX_QUERIES = 20


@dataclass
class County:
    region: Region
    zone: Region
    enterprise: Enterprise
    department: Department
    office: User
    leader: User


@pytest.fixture
def county(db) -> County:
    xingtai = Region.objects.get(slug="xingtai")
    region = accounts_services.region_create(
        actor=SYSTEM, slug="xinxian", name_zh="新县", name_en="Xinxian", kind="county", parent=xingtai,
        seat_lat=Decimal("37.1"), seat_lng=Decimal("115.2"),
    )  # fmt: skip
    zone = accounts_services.region_create(
        actor=SYSTEM,
        slug="xinxian-edz",
        name_zh="新县开发区",
        name_en="Xinxian EDZ",
        kind="zone",
        parent=region,
    )
    enterprise = accounts_services.enterprise_create(
        actor=SYSTEM, region=zone, slug="xinxian-co", name_zh="新县机械有限公司", name_en="Xinxian Machinery"
    )
    department = accounts_services.department_create(
        actor=SYSTEM, region=region, slug="xinxian-power", name_zh="国网新县供电公司", name_en="Xinxian Power",
        kind="power_supply",
    )  # fmt: skip
    users = []
    for role in ("county_office", "leader"):
        user = accounts_services.user_create(actor=SYSTEM, username=f"{role}.xinxian", password=None)
        accounts_services.membership_grant(actor=SYSTEM, user=user, role=role, region=region)
        users.append(user)
    return County(region, zone, enterprise, department, *users)


def grow(county: County, n: int) -> None:
    """Add n projects to the county, each with a late and an open milestone and a department."""
    today = clock.today()
    start = Project.objects.filter(county=county.region).count()
    levels, stages = [Level.PROVINCIAL, Level.MUNICIPAL, Level.COUNTY], list(Stage.values)
    projects = Project.objects.bulk_create(
        Project(
            county=county.region, code=f"XX-{i:04d}", name_zh=f"新县项目{i}", name_en=f"Xinxian project {i}",
            level=levels[i % 3], category=Category.INDUSTRY, enterprise=county.enterprise,
            zone=county.zone if i % 2 else None, total_investment=Decimal(10_000_000 + i),
            lat=Decimal("37.1") + Decimal(i) / 100_000, lng=Decimal("115.2"), stage=stages[i % len(stages)],
            stage_since=today, leader_in_charge=county.leader,
        )
        for i in range(start, start + n)
    )  # fmt: skip
    Project.responsible_departments.through.objects.bulk_create(
        Project.responsible_departments.through(project_id=p.pk, department_id=county.department.pk)
        for p in projects
    )
    Milestone.objects.bulk_create(
        Milestone(
            project=p, code=code, order=order, name_zh=code, name_en=code,
            original_baseline_date=day, baseline_date=day, planned_date=day,
        )
        for p in projects
        for order, (code, day) in enumerate(
            [("permit", today - timedelta(days=40)), ("start", today + timedelta(days=100))]
        )
    )  # fmt: skip


def queries(client, url: str, **headers) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    return len(context.captured_queries), response


def rows_in(url: str, response) -> int:
    if "geojson" in url:
        return len(response.json()["features"])
    if "export.csv" in url:
        return response.content.count(b"XX-")
    if "export.xlsx" in url:
        # The table is what the auto-filter covers: below the title lines, above the totals row.
        _first_col, header, _last_col, last = range_boundaries(
            load_workbook(io.BytesIO(response.content)).active.auto_filter.ref
        )
        return last - header
    return response.context["totals"].count


PAGES = [
    pytest.param(reverse("projects:list"), {}, id="list"),
    pytest.param(reverse("projects:list") + "?sort=-health&late_milestone=on&page=2", {}, id="list-filtered"),
    pytest.param(reverse("projects:list") + "?level=municipal", {"HX-Request": "true"}, id="list-htmx"),
    pytest.param(reverse("projects:list") + "?search=新县&sort=-investment", {}, id="list-search"),
    pytest.param(reverse("projects:geojson"), {}, id="geojson"),
    pytest.param(reverse("projects:geojson") + "?zone=xinxian-edz", {}, id="geojson-filtered"),
    pytest.param(reverse("projects:export", args=["xlsx"]), {}, id="export-xlsx"),
    pytest.param(reverse("projects:export", args=["csv"]) + "?sort=stage", {}, id="export-csv"),
]


@pytest.mark.parametrize("url, headers", PAGES)
def test_it_runs_the_same_queries_for_10_and_for_1000_projects(client, county, url, headers):
    client.force_login(county.office)
    grow(county, FEW)
    queries(client, url, **headers)  # warm up: the session and the first-request caches
    few, response = queries(client, url, **headers)
    rows_few = rows_in(url, response)

    grow(county, MANY - FEW)
    many, response = queries(client, url, **headers)

    assert rows_in(url, response) > rows_few
    assert many == few
    assert many <= MAX_QUERIES


@pytest.mark.parametrize(
    "username, url",
    [
        ("city.xingtai", reverse("projects:list")),
        # The whole city's map on PostgreSQL spends seconds in JIT compilation: one county of it.
        ("city.xingtai", reverse("projects:geojson") + "?county=xinxian"),
        ("admin", reverse("projects:list")),
    ],
)
def test_it_runs_the_same_queries_for_the_whole_city_however_big(client, login, county, username, url):
    login(username)
    queries(client, url)
    few, _response = queries(client, url)

    grow(county, MANY)
    many, _response = queries(client, url)

    assert many == few
    assert many <= MAX_QUERIES


def test_it_shows_a_project_with_3_or_30_milestones_in_the_same_queries(client, county):
    client.force_login(county.office)
    grow(county, 1)
    project = Project.objects.get(county=county.region)
    url = reverse("projects:detail", args=[county.region.slug, project.code])
    add_milestone(project, planned=clock.today() - timedelta(days=3), actual=clock.today())
    queries(client, url)
    few, response = queries(client, url)
    assert len(response.context["milestones"]) == 3

    for _ in range(27):
        add_milestone(project, planned=clock.today() + timedelta(days=7))
    many, response = queries(client, url)

    assert len(response.context["milestones"]) == 30
    assert many == few
    assert many <= MAX_QUERIES
