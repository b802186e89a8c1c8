"""Benchmark: the daily board page and the weekly meeting's page for a county of 1,000 key projects under
construction with 30 days of daily reports.

Run: .venv/bin/python bench/daily.py  (uses its own SQLite file in var/, or DATABASE_URL)
Prints the dataset size, then per page: queries and median time over RUNS requests, and the rows shown.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchdb import configure, fresh_demo

configure("bench_daily.sqlite3")

from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from keyprojects.accounts import services as accounts  # noqa: E402
from keyprojects.accounts.models import Department, Membership, Region  # noqa: E402
from keyprojects.core import clock  # noqa: E402
from keyprojects.core.workflow import SYSTEM  # noqa: E402
from keyprojects.daily.models import DailyPhoto, DailyReport  # noqa: E402
from keyprojects.investment.models import AnnualPlan, PlanMonth  # noqa: E402
from keyprojects.meetings.selectors import monday_of  # noqa: E402
from keyprojects.problems.models import Category as ProblemCategory  # noqa: E402
from keyprojects.problems.models import Problem, RaisedAs, Side, Status  # noqa: E402
from keyprojects.projects.models import Category, Level, Milestone, Project, Stage  # noqa: E402

PROJECTS = 1000
DAYS = 30
RUNS = 7


def build(today) -> tuple[Region, object]:
    """A county of PROJECTS key projects under construction, in bulk: DAYS days of reports up to today for nine
    in ten (the tenth are silent), a photo a day on every fifth report, a problem raised today for every tenth,
    every project behind this year's plan with a late milestone, every fourth with an overdue problem."""
    city = Region.objects.get(slug="xingtai")
    county = accounts.region_create(
        actor=SYSTEM,
        slug="benchland",
        name_zh="压测县",
        name_en="Benchland",
        kind=Region.Kind.COUNTY,
        parent=city,
    )
    zone = accounts.region_create(
        actor=SYSTEM,
        slug="benchland-dz",
        name_zh="压测开发区",
        name_en="Benchland DZ",
        kind=Region.Kind.ZONE,
        parent=county,
    )
    dept = accounts.department_create(
        actor=SYSTEM,
        region=county,
        slug="benchland-power",
        name_zh="供电",
        name_en="Power",
        kind=Department.Kind.OTHER,
    )
    enterprise = accounts.enterprise_create(
        actor=SYSTEM, region=county, slug="benchland-a", name_zh="甲", name_en="A Co"
    )
    office = accounts.user_create(
        actor=SYSTEM,
        username="office.benchland",
        password=None,
        email="o@benchland.example",
        language="zh-hans",
    )
    accounts.membership_grant(actor=SYSTEM, user=office, role=Membership.Role.COUNTY_OFFICE, region=county)
    projects = Project.objects.bulk_create(
        [
            Project(
                code=f"BL-{i:04d}",
                name_zh=f"压测项目{i}",
                name_en=f"Bench project {i}",
                county=county,
                zone=zone if i % 2 else None,
                level=Level.MUNICIPAL,
                category=Category.INDUSTRY,
                enterprise=enterprise,
                total_investment=Decimal(50_000_000),
                stage=Stage.CONSTRUCTION,
            )
            for i in range(PROJECTS)
        ],
        batch_size=500,
    )
    through = Project.responsible_departments.through
    through.objects.bulk_create([through(project_id=p.pk, department_id=dept.pk) for p in projects])
    now = datetime.combine(today, datetime.min.time(), tzinfo=clock.now().tzinfo) + timedelta(hours=18)
    reports = DailyReport.objects.bulk_create(
        [
            DailyReport(
                project=p,
                date=today - timedelta(days=d),
                workers=20,
                machinery=3,
                work_today="钢结构吊装",
                idempotency_key=f"{p.code}-{d}",
                reported_by=office,
                reported_at=now - timedelta(days=d),
            )
            for p in projects
            if int(p.code[3:]) % 10
            for d in range(DAYS)
        ],
        batch_size=2000,
    )
    DailyPhoto.objects.bulk_create(
        [
            DailyPhoto(
                report=r,
                token=f"bl{r.pk}",
                file=f"daily/{r.pk}/bl{r.pk}.jpg",
                width=1600,
                height=1200,
                size=250_000,
                taken_at=r.reported_at - timedelta(hours=8),
            )
            for r in reports[::5]
        ],
        batch_size=2000,
    )
    plans = AnnualPlan.objects.bulk_create([AnnualPlan(project=p, year=today.year) for p in projects])
    PlanMonth.objects.bulk_create(
        [PlanMonth(plan=plan, month=m, amount=Decimal(1_000_000)) for plan in plans for m in range(1, 13)],
        batch_size=2000,
    )
    late = today - timedelta(days=20)
    Milestone.objects.bulk_create(
        [
            Milestone(
                project=p,
                code="permit",
                order=1,
                name_zh="施工许可",
                name_en="Permit",
                original_baseline_date=late,
                baseline_date=late,
                planned_date=late,
            )
            for p in projects
        ]
    )
    problem = {
        "category": ProblemCategory.LAND,
        "side": Side.OUTSIDE,
        "raised_by": office,
        "raised_as": RaisedAs.OFFICE,
    }
    Problem.objects.bulk_create(
        [
            Problem(
                project=p,
                title_zh=f"用地{p.code}",
                status=Status.IN_PROGRESS,
                raised_at=now - timedelta(days=40),
                deadline=late,
                **problem,
            )
            for p in projects[::4]
        ]
        + [
            Problem(
                project=p,
                title_zh=f"道路{p.code}",
                status=Status.REPORTED,
                raised_at=now - timedelta(hours=8),
                **problem,
            )
            for p in projects[::10]
        ]
    )
    return county, office


def timed(call) -> tuple[object, int, float]:
    """(result, queries of one call, median seconds over RUNS calls)."""
    times = []
    for _ in range(RUNS):
        reset_queries()
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            result = call()
            times.append(time.perf_counter() - start)
    return result, len(ctx.captured_queries), statistics.median(times)


def section(html: str, testid: str) -> str:
    """The rows of one section of the pack (the page, not the selector: what is rendered is measured)."""
    return html.split(f'data-testid="{testid}"', 1)[1].split("<tbody>", 1)[-1].split("</section>", 1)[0]


def main() -> None:
    load_time = fresh_demo()
    today = clock.today()
    start = time.perf_counter()
    county, office = build(today)
    print(
        f"load_demo: {load_time:.1f} s; Benchland built in {time.perf_counter() - start:.1f} s, as of {today}"
    )
    projects = Project.objects.filter(county=county)
    print(
        f"projects {projects.count()}  daily reports {DailyReport.objects.filter(project__in=projects).count()}  "
        f"photos {DailyPhoto.objects.filter(report__project__in=projects).count()}  "
        f"problems {Problem.objects.filter(project__in=projects).count()}  "
        f"milestones {Milestone.objects.filter(project__in=projects).count()}"
    )
    client = Client()
    client.force_login(office)
    board_url = reverse("daily:board")
    week_url = reverse("meetings:week", args=[county.slug, monday_of(today).isoformat()])

    def board():
        response = client.get(board_url, {"region": county.slug, "date": today.isoformat()})
        assert response.status_code == 200
        return response

    def week():
        response = client.get(week_url)
        assert response.status_code == 200
        return response

    board()  # warm-up: templates compiled, the session read
    page, queries, seconds = timed(board)
    html = page.content.decode()
    rows, missing, photos = (
        html.count(m) for m in ("data-project=", 'data-testid="missing"', 'loading="lazy"')
    )
    print(
        f"board    {queries:>3} q {seconds * 1000:8.1f} ms  {len(page.content) / 1024:6.0f} KiB  "
        f"rows {rows}  missing {missing}  photos {photos}"
    )
    week()
    page, queries, seconds = timed(week)
    html = page.content.decode()
    rows = {
        name: section(html, f"pack-{name}").count("</tr>") for name in ("milestones", "problems", "silent")
    }
    print(
        f"week     {queries:>3} q {seconds * 1000:8.1f} ms  {len(page.content) / 1024:6.0f} KiB  "
        f"late milestones {rows['milestones']}  problems {rows['problems']}  silent {rows['silent']}"
    )


if __name__ == "__main__":
    main()
