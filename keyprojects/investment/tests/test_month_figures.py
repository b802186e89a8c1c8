"""The project-month figures the rankings read stay equal to a full recomputation from plans and reports,
whatever writes them: the workflow's services (submit, verify, approve, return, reopen, re-approve), plan
edits, bulk imports, raw queryset updates and deletes, a deleted plan or project, and a bulk load with the
triggers off. The unit-month roll-up of them stays equal to its recomputation too, also when a project moves
to another unit or level. And the ranking read from them equals one summed from the raw tables."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Q, Sum

from keyprojects.accounts.models import Region, User
from keyprojects.core.workflow import SYSTEM
from keyprojects.investment import month_figures, selectors, services
from keyprojects.investment.models import (
    AnnualPlan,
    MonthlyReport,
    PlanMonth,
    ProjectMonthFigures,
    ReportStatus,
    UnitMonthFigures,
)
from keyprojects.meetings.models import Decision
from keyprojects.projects.models import Project
from keyprojects.projects.selectors import KEY_LEVELS

YEAR = 2026


def assert_consistent():
    assert month_figures.differences() == []


def raw_county_figures(city: Region, year: int, through_month: int) -> dict[int, tuple[Decimal, Decimal]]:
    """What the ranking must show, summed from the raw plans and approved reports."""
    key = Q(county__parent=city, level__in=KEY_LEVELS)
    planned = {
        row["plan__project__county"]: row["total"]
        for row in PlanMonth.objects.filter(
            plan__year=year, month__lte=through_month, plan__project__in=Project.objects.filter(key)
        )
        .values("plan__project__county")
        .annotate(total=Sum("amount"))
    }
    completed = {
        row["project__county"]: row["total"]
        for row in MonthlyReport.objects.filter(
            year=year,
            month__lte=through_month,
            status=ReportStatus.APPROVED,
            project__in=Project.objects.filter(key),
        )
        .values("project__county")
        .annotate(total=Sum("completed_investment"))
    }
    return {
        county: (Decimal(planned.get(county) or 0).quantize(Decimal("0.01")),
                 Decimal(completed.get(county) or 0).quantize(Decimal("0.01")))
        for county in planned.keys() | completed.keys()
    }  # fmt: skip


@pytest.fixture
def julu_report(db) -> MonthlyReport:
    report = (
        MonthlyReport.objects.filter(project__county__slug="julu", year=YEAR, status=ReportStatus.APPROVED)
        .select_related("project__county")
        .order_by("project__code", "month")
        .first()
    )
    assert report is not None, "the demo should have an approved Julu report"
    return report


def test_the_demo_loads_consistent_figures(db):
    assert ProjectMonthFigures.objects.count() > 1000
    assert UnitMonthFigures.objects.count() > 100
    assert_consistent()


def test_the_workflow_keeps_them_through_reopen_and_reapproval(julu_report):
    office = User.objects.get(username="office.julu")
    before = ProjectMonthFigures.objects.get(
        project=julu_report.project, year=julu_report.year, month=julu_report.month
    )
    assert before.approved and before.completed == julu_report.completed_investment

    reopened = services.report_reopen(actor=office, report=julu_report, reason="复核发票")
    row = ProjectMonthFigures.objects.get(pk=before.pk)
    assert (row.approved, row.reported, row.completed) == (False, False, Decimal("0.00"))
    assert_consistent()

    services.report_save(
        actor=SYSTEM,
        project=reopened.project,
        year=reopened.year,
        month=reopened.month,
        completed_investment=reopened.completed_investment + Decimal("1234.56"),
        physical_progress=reopened.physical_progress,
        description="更正",
    )
    report = MonthlyReport.objects.get(pk=julu_report.pk)
    for step in (services.report_submit, services.report_verify):
        report = step(actor=SYSTEM, report=report)
        assert ProjectMonthFigures.objects.get(pk=before.pk).reported
        assert_consistent()
    report = services.report_return(actor=SYSTEM, report=report, reason="数字不符")
    assert not ProjectMonthFigures.objects.get(pk=before.pk).reported
    for step in (services.report_submit, services.report_verify, services.report_approve):
        report = step(actor=SYSTEM, report=report)
    row = ProjectMonthFigures.objects.get(pk=before.pk)
    assert row.approved and row.completed == before.completed + Decimal("1234.56")
    assert_consistent()


def test_plans_and_raw_writes_keep_them(julu_report):
    project = julu_report.project
    services.plan_save(
        actor=SYSTEM, project=project, year=YEAR + 1, months=services.spread(Decimal(1_200_000))
    )
    assert ProjectMonthFigures.objects.filter(project=project, year=YEAR + 1).count() == 12
    assert_consistent()

    # A queryset update and a bulk create do not go through save(): the database still keeps the figures.
    PlanMonth.objects.filter(plan__project=project, plan__year=YEAR + 1, month__lte=6).update(
        amount=Decimal(7)
    )
    MonthlyReport.objects.bulk_create(
        [
            MonthlyReport(
                project=project,
                year=YEAR + 1,
                month=m,
                completed_investment=Decimal(5),
                physical_progress=Decimal(1),
                status=ReportStatus.APPROVED,
            )
            for m in (1, 2, 3)
        ]
    )
    MonthlyReport.objects.filter(project=project, year=YEAR + 1, month=2).update(
        status=ReportStatus.SUBMITTED
    )
    assert_consistent()
    row = ProjectMonthFigures.objects.get(project=project, year=YEAR + 1, month=2)
    assert (row.planned, row.completed, row.completed_unverified) == (Decimal(7), Decimal(0), Decimal(5))

    MonthlyReport.objects.filter(project=project, year=YEAR + 1).delete()
    AnnualPlan.objects.get(project=project, year=YEAR + 1).delete()
    assert not ProjectMonthFigures.objects.filter(project=project, year=YEAR + 1).exists()
    assert_consistent()


def test_a_deleted_project_leaves_no_figures(db):
    # A project with plans and reports but no problem or decision (those protect a project from deletion).
    project = (
        Project.objects.filter(annual_plans__isnull=False, monthly_reports__isnull=False)
        .exclude(pk__in=Project.objects.filter(problems__isnull=False))
        .exclude(pk__in=Decision.objects.filter(project__isnull=False).values("project"))
        .order_by("code")
        .first()
    )
    assert ProjectMonthFigures.objects.filter(project=project).exists()
    Project.objects.filter(pk=project.pk).delete()
    assert not ProjectMonthFigures.objects.filter(project_id=project.pk).exists()
    assert_consistent()


def test_a_bulk_load_with_the_triggers_off_is_rebuilt_at_the_end(julu_report):
    project = julu_report.project
    with month_figures.triggers_off():
        MonthlyReport.objects.filter(project=project, year=YEAR).update(completed_investment=Decimal(3))
        # Nothing kept the figures during the load...
        assert month_figures.differences()
    # ...and they are right once it ends.
    assert_consistent()
    # The triggers are back.
    MonthlyReport.objects.filter(project=project, year=YEAR).update(completed_investment=Decimal(4))
    assert_consistent()


def test_a_table_gone_wrong_is_found_and_rebuilt(julu_report):
    ProjectMonthFigures.objects.filter(project=julu_report.project).update(completed=Decimal(1))
    found = month_figures.differences()
    assert found and f"project {julu_report.project_id} " in found[0]
    month_figures.rebuild()
    assert_consistent()


def test_a_project_moved_to_another_unit_or_level_moves_its_months(julu_report):
    project = julu_report.project
    months = ProjectMonthFigures.objects.filter(project=project)
    completed = months.aggregate(total=Sum("completed"))["total"]
    other = (
        Region.objects.filter(parent=project.county.parent, kind=Region.Kind.COUNTY)
        .exclude(pk=project.county_id)
        .order_by("path")
        .first()
    )

    def unit_completed(unit, level) -> Decimal:
        rows = UnitMonthFigures.objects.filter(unit=unit, level=level)
        return rows.aggregate(total=Sum("completed"))["total"] or Decimal(0)

    before_old, before_new = (
        unit_completed(project.county, project.level),
        unit_completed(other, project.level),
    )
    Project.objects.filter(pk=project.pk).update(county=other)
    assert unit_completed(other, project.level) == before_new + completed
    assert unit_completed(project.county, project.level) == before_old - completed
    assert_consistent()

    new_level = "county" if project.level != "county" else "municipal"
    Project.objects.filter(pk=project.pk).update(level=new_level)
    assert unit_completed(other, project.level) == before_new
    assert_consistent()
    # A save that changes neither leaves the roll-up as it is, and a report written afterwards lands on the
    # project's new unit and level.
    Project.objects.get(pk=project.pk).save()
    MonthlyReport.objects.filter(pk=julu_report.pk).update(completed_investment=Decimal(9))
    assert_consistent()


def test_a_roll_up_gone_wrong_is_found_and_rebuilt(julu_report):
    row = UnitMonthFigures.objects.filter(unit=julu_report.project.county).order_by("pk").first()
    UnitMonthFigures.objects.filter(pk=row.pk).update(approved_months=row.approved_months + 1)
    found = month_figures.differences()
    assert found and found[0].startswith(f"unit {row.unit_id} {row.level} ")
    month_figures.rebuild()
    assert_consistent()


def test_the_ranking_equals_a_sum_of_the_raw_tables(julu_report):
    city = julu_report.project.county.parent
    # Move some figures first, so that the comparison is not only of the demo as loaded.
    services.report_reopen(actor=User.objects.get(username="office.julu"), report=julu_report, reason="复核")
    for through_month in (1, 6, 9, 12):
        raw = raw_county_figures(city, YEAR, through_month)
        ranking = selectors.unit_ranking(city=city, year=YEAR, through_month=through_month)
        shown = {row.unit.pk: (row.figures.planned, row.figures.completed) for row in ranking}
        assert {k: v for k, v in shown.items() if any(v)} == {k: v for k, v in raw.items() if any(v)}


def test_the_check_command_finds_and_repairs(julu_report):
    out = io.StringIO()
    call_command("check_month_figures", stdout=out)
    assert "equal a full recomputation" in out.getvalue()
    UnitMonthFigures.objects.filter(unit=julu_report.project.county).update(planned=Decimal(1))
    with pytest.raises(CommandError, match="figures differ"):
        call_command("check_month_figures", stdout=io.StringIO())
    out = io.StringIO()
    call_command("check_month_figures", "--rebuild", stdout=out)
    assert "Rebuilt" in out.getvalue()
    assert_consistent()
