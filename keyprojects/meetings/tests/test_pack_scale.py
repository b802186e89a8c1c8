"""The weekly pack and the week's page run the same number of queries for a county grown by 10 and by 1,000
key projects (issue 14): each behind its plan, with a late milestone, an overdue problem, no daily report and a
decision of last week's meeting."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from keyprojects.investment.models import AnnualPlan, PlanMonth
from keyprojects.investment.tests.closing_county import HandMadeCounty, local
from keyprojects.meetings.models import Decision
from keyprojects.meetings.selectors import weekly_pack
from keyprojects.meetings.services import meeting_for_week
from keyprojects.meetings.tests.conftest import LAST_MONDAY, MONDAY
from keyprojects.problems.models import Category as ProblemCategory
from keyprojects.problems.models import Problem, RaisedAs, Side, Status
from keyprojects.projects.models import Category, Level, Milestone, Project, Stage


def grow(land: HandMadeCounty, first: int, n: int) -> None:
    """n more key projects under construction, written in bulk (the services would take minutes for 1,000)."""
    projects = Project.objects.bulk_create(
        [
            Project(
                code=f"TL-B{i:04d}",
                name_zh=f"项目B{i}",
                name_en=f"Project B{i}",
                county=land.region,
                level=Level.MUNICIPAL,
                category=Category.INDUSTRY,
                enterprise=land.a,
                total_investment=Decimal(50_000_000),
                stage=Stage.CONSTRUCTION,
                leader_in_charge=land.leader,
            )
            for i in range(first, first + n)
        ]
    )
    plans = AnnualPlan.objects.bulk_create([AnnualPlan(project=p, year=2030) for p in projects])
    PlanMonth.objects.bulk_create(
        [PlanMonth(plan=plan, month=m, amount=Decimal(1_000_000)) for plan in plans for m in range(1, 13)]
    )
    late = MONDAY - timedelta(days=2)
    Milestone.objects.bulk_create(
        [
            Milestone(
                project=p,
                code="permit",
                order=1,
                name_zh="施工许可",
                name_en=f"Permit {p.code}",
                original_baseline_date=late,
                baseline_date=late,
                planned_date=late,
            )
            for p in projects
        ]
    )
    Problem.objects.bulk_create(
        [
            Problem(
                project=p,
                title_en=f"Land {p.code}",
                category=ProblemCategory.LAND,
                side=Side.OUTSIDE,
                status=Status.IN_PROGRESS,
                raised_by=land.office,
                raised_as=RaisedAs.OFFICE,
                raised_at=local(MONDAY - timedelta(days=30)),
                deadline=MONDAY - timedelta(days=1),
            )
            for p in projects
        ]
    )
    meeting = meeting_for_week(actor=land.office, county=land.region, week_start=LAST_MONDAY)
    Decision.objects.bulk_create(
        [
            Decision(
                meeting=meeting,
                text=f"Decision {p.code}",
                due=MONDAY,
                owner_department=land.d2,
                project=p,
                created_at=local(LAST_MONDAY),
            )
            for p in projects
        ]
    )


def section(html: str, testid: str) -> str:
    return html.split(f'data-testid="{testid}"', 1)[1].split("</section>", 1)[0]


def measure(client, land):
    with CaptureQueriesContext(connection) as selector:
        pack = weekly_pack(county=land.region, week_start=MONDAY)
    with CaptureQueriesContext(connection) as page_queries:
        page = client.get(reverse("meetings:week", args=[land.region.slug, MONDAY.isoformat()]))
    assert page.status_code == 200
    return pack, len(selector), page.content.decode(), len(page_queries)


def test_it_runs_the_same_number_of_queries_for_10_and_1000_more_projects(week, client):
    land = week.land
    client.force_login(land.office)
    grow(land, 0, 10)
    measure(client, land)  # the first request warms what is read once per process
    pack, small_selector, html, small_page = measure(client, land)
    assert len(pack.late_milestones) == 2 + 10 and len(pack.last_week_decisions) == 3 + 10

    grow(land, 10, 990)
    pack, large_selector, html, large_page = measure(client, land)
    grown = [line for line in pack.late_milestones if line.project.code.startswith("TL-B")]
    assert len(grown) == 1000 and len(pack.last_week_decisions) == 1003
    assert sum(line.problem.project.code.startswith("TL-B") for line in pack.problems) == 1000
    assert sum(line.project.code.startswith("TL-B") for line in pack.silent) == 1000
    assert len(pack.behind) == 10 and all(b.gap == Decimal(2_000_000) for b in pack.behind)
    # Every row rendered, not only computed.
    assert section(html, "pack-milestones").count("<td>TL-B") == 1000
    assert section(html, "pack-problems").count("<td>TL-B") == 1000
    assert section(html, "pack-silent").count("<td>TL-B") == 1000
    assert section(html, "pack-last-week").count("<td>Decision TL-B") == 1000
    assert (large_selector, large_page) == (small_selector, small_page)
