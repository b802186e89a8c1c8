"""The daily board page runs the same number of queries for a county of 10 and of 1,000 key projects under
construction (issue 14), with reports, photos and new problems of the day on a share of them."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from keyprojects.daily.models import DailyPhoto, DailyReport
from keyprojects.daily.tests.county import DAY, DailyCounty, local
from keyprojects.problems.models import Category as ProblemCategory
from keyprojects.problems.models import Problem, RaisedAs, Side, Status
from keyprojects.projects.models import Category, Level, Project, Stage

BASE_ROWS = 5  # DL-1 to DL-5 of the hand-made county are on the board


def grow(land: DailyCounty, first: int, n: int) -> None:
    """n more key projects under construction, written in bulk (the services would take minutes for 1,000):
    every second one reported today, every sixth with a photo, every tenth with a problem raised today, the
    others silent; half in the zone, led by alternating leaders, each with the county's department."""
    projects = Project.objects.bulk_create(
        [
            Project(
                code=f"DL-B{i:04d}",
                name_zh=f"项目B{i}",
                name_en=f"Project B{i}",
                county=land.region,
                zone=land.zone if i % 2 else None,
                level=Level.MUNICIPAL,
                category=Category.INDUSTRY,
                enterprise=land.a if i % 3 else land.b,
                total_investment=Decimal(50_000_000),
                stage=Stage.CONSTRUCTION,
                leader_in_charge=land.leader if i % 2 else land.leader2,
            )
            for i in range(first, first + n)
        ]
    )
    through = Project.responsible_departments.through
    through.objects.bulk_create([through(project_id=p.pk, department_id=land.dept.pk) for p in projects])
    reports = DailyReport.objects.bulk_create(
        [
            DailyReport(
                project=p,
                date=DAY,
                workers=10,
                machinery=2,
                work_today="steel frame",
                idempotency_key=p.code,
                reported_by=land.ent_a,
                reported_at=local(DAY, 17),
            )
            for p in projects[::2]
        ]
    )
    DailyPhoto.objects.bulk_create(
        [
            DailyPhoto(
                report=r,
                token=f"b{r.pk}",
                file=f"daily/{r.pk}/b{r.pk}.jpg",
                width=1600,
                height=1200,
                size=1,
                taken_at=local(DAY, 9, 30),
            )
            for r in reports[::3]
        ]
    )
    Problem.objects.bulk_create(
        [
            Problem(
                project=p,
                title_en=f"Road {p.code}",
                title_zh=f"道路{p.code}",
                category=ProblemCategory.LAND,
                side=Side.OUTSIDE,
                status=Status.REPORTED,
                raised_by=land.office,
                raised_as=RaisedAs.OFFICE,
                raised_at=local(DAY, 11),
            )
            for p in projects[::10]
        ]
    )


def board_page(client):
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("daily:board"), {"date": DAY.isoformat()})
    assert page.status_code == 200
    return page, len(queries)


def test_it_runs_the_same_number_of_queries_for_10_and_1000_projects(land, client):
    client.force_login(land.office)
    grow(land, 0, 10)
    board_page(client)  # the first request warms what is read once per process (sites, content types)
    small, small_count = board_page(client)
    board = small.context["board"]
    assert (
        len(board.rows) == BASE_ROWS + 10 and len(board.photos) == 2
    )  # reports of B0, B2 … B8; photos of B0, B6

    grow(land, 10, 990)
    large, large_count = board_page(client)
    board = large.context["board"]
    html = large.content.decode()
    assert len(board.rows) == BASE_ROWS + 1000
    assert html.count('data-project="DL-B') == 1000  # every row rendered
    assert len(board.photos) == 167 and html.count('loading="lazy"') == 167
    assert len(board.new_problems) == 100
    assert large_count == small_count
