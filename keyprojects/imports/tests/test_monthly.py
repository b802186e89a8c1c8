"""The monthly import: the office's summary sheet as published, matched to projects as the registry list is, shown
as a preview, then written as the month's reports (submitted or verified) under the reports' workflow rules."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from keyprojects.core import clock
from keyprojects.core.errors import DomainError
from keyprojects.core.models import AuditEntry
from keyprojects.imports import jobs, runs
from keyprojects.imports.columns import remembered_mapping
from keyprojects.imports.tests.monthly_sheets import (
    MONTH,
    WAN,
    YEAR,
    a_month_of,
    checked,
    figures,
    report_of,
    summary_sheet,
    uploaded,
)
from keyprojects.imports.tests.workbooks import xlsx_bytes
from keyprojects.investment.models import MonthlyReport, ReportStatus
from keyprojects.projects.models import ImportJob, Project

# The monthly figures are for February 2031, imported in March.
pytestmark = pytest.mark.usefixtures("march_2031")


def test_it_reads_the_office_s_sheet_as_published_and_writes_nothing_before_confirmation(
    office, julu, projects
):
    job = checked(office, julu, a_month_of(projects))

    assert job.status == ImportJob.Status.PREVIEW, job.error_report
    assert job.mapping == {
        "1": "name_zh",
        "2": "enterprise",
        "3": "completed_investment",
        "4": "cumulative_investment",
        "5": "physical_progress",
        "6": "description",
    }  # 序号 is never taken for the code
    preview = job.preview
    assert preview["counts"] == {"create": 3, "update": 0, "unchanged": 0, "errors": 0, "suspicious": 0}
    assert [(r["row"], r["code"], r["completed"], r["progress"]) for r in preview["create"]] == [
        # Shown in 万元, as the column's label says, exact to the yuan cent.
        (5, projects[0].code, "1,250.50", "85.00"),
        (6, projects[1].code, "300.00", "40.00"),
        (8, projects[2].code, "0.00", "10.00"),
    ]
    assert [(s["row"], s["reason"]) for s in preview["skipped"]] == [
        (1, "title"),
        (2, "unit"),
        (4, "group"),
        (7, "group"),
        (9, "total"),
        (10, "note"),
    ]
    month_total = next(t for t in preview["totals"] if t["column"] == "本月完成投资")
    assert month_total == {
        "column": "本月完成投资",
        "unit": month_total["unit"],
        "as_written": "1,550.50",
        "yuan": "15,505,000.00",
    }
    assert all(check["ok"] for check in preview["checks"])
    assert {(c["row"], c["column"]) for c in preview["checks"]} >= {(9, "本月完成投资"), (4, ""), (7, "")}
    assert not MonthlyReport.objects.filter(project__in=projects, year=YEAR).exists()


def test_it_writes_the_month_as_submitted_reports_of_the_office(office, julu, projects):
    job = runs.import_confirm(actor=office, job=checked(office, julu, a_month_of(projects)))

    assert job.status == ImportJob.Status.DONE, job.message
    assert (job.created_count, job.updated_count, job.unchanged_count) == (3, 0, 0)
    report = report_of(projects[0])
    assert report.completed_investment == Decimal("12505000.00")
    assert report.physical_progress == Decimal("85.00")
    assert report.description == "主体完工，正在进行设备安装"
    assert report.status == ReportStatus.SUBMITTED
    assert (report.submitted_by, report.submitted_at) == (office, clock.now())
    assert report.verified_by is None
    assert report.history.count() == 1
    assert report_of(projects[2]).completed_investment == Decimal("0.00")
    assert AuditEntry.objects.filter(action="report.import", target_id=str(report.pk)).exists()
    assert AuditEntry.objects.filter(action="monthly.import", target_id=str(job.pk)).exists()


def test_it_stores_the_figures_as_verified_by_the_office_when_it_chooses_so(office, julu, projects):
    job = runs.import_confirm(
        actor=office, job=checked(office, julu, a_month_of(projects), status="verified")
    )

    assert job.status == ImportJob.Status.DONE, job.message
    for project in projects:
        report = report_of(project)
        assert report.status == ReportStatus.VERIFIED
        assert report.submitted_by == report.verified_by == office


def test_it_changes_nothing_when_the_same_sheet_comes_twice(office, julu, projects):
    runs.import_confirm(actor=office, job=checked(office, julu, a_month_of(projects)))

    again = checked(office, julu, a_month_of(projects))

    assert again.preview["counts"] == {"create": 0, "update": 0, "unchanged": 3, "errors": 0, "suspicious": 0}
    assert runs.import_confirm(actor=office, job=again).unchanged_count == 3
    assert report_of(projects[0]).history.count() == 1


def test_it_fills_in_a_draft_and_verifies_a_submitted_report_of_the_same_figures(office, julu, projects):
    a, b, _c = projects
    MonthlyReport.objects.create(
        project=a,
        year=YEAR,
        month=MONTH,
        completed_investment=1,
        physical_progress=5,
        status=ReportStatus.DRAFT,
    )
    MonthlyReport.objects.create(
        project=b,
        year=YEAR,
        month=MONTH,
        completed_investment=300 * WAN,
        physical_progress=40,
        description="厂房基础施工",
        status=ReportStatus.SUBMITTED,
    )

    job = checked(office, julu, a_month_of(projects), status="verified")

    assert job.preview["counts"]["create"] == 1
    assert job.preview["counts"]["update"] == 2
    changes = {u["code"]: [change[0] for change in u["changes"]] for u in job.preview["update"]}
    assert len(changes[a.code]) == 4  # completed, progress, description and status
    assert len(changes[b.code]) == 1  # the status only
    runs.import_confirm(actor=office, job=job)
    assert report_of(a).completed_investment == Decimal("12505000.00")
    assert report_of(a).status == report_of(b).status == ReportStatus.VERIFIED
    assert report_of(b).history.count() == 2


@pytest.mark.parametrize("status", [ReportStatus.SUBMITTED, ReportStatus.VERIFIED, ReportStatus.APPROVED])
def test_it_refuses_other_figures_for_a_report_already_submitted(office, julu, projects, status):
    report = MonthlyReport.objects.create(
        project=projects[0],
        year=YEAR,
        month=MONTH,
        completed_investment=7 * WAN,
        physical_progress=5,
        status=status,
    )

    job = checked(office, julu, a_month_of(projects))

    assert job.status == ImportJob.Status.FAILED
    assert [(e["row"], e["column"], e["value"]) for e in job.error_report] == [(5, "本月完成投资", "1,250.5")]
    if status == ReportStatus.APPROVED:
        assert "locked" in job.error_report[0]["reason"] or "锁定" in job.error_report[0]["reason"]
    report.refresh_from_db()
    assert report.completed_investment == 7 * WAN
    assert not MonthlyReport.objects.filter(project__in=projects[1:], year=YEAR).exists()


def test_it_refuses_a_month_that_has_not_begun(office, julu, projects):
    job = uploaded(office, julu, a_month_of(projects), month=4)

    with pytest.raises(DomainError) as refused:
        jobs.import_configure(actor=office, job=job, mapping={int(i): k for i, k in job.mapping.items()})

    assert refused.value.field == "month"
    assert not MonthlyReport.objects.filter(year=YEAR, month=4).exists()


def test_it_asks_for_the_unit_when_the_sheet_states_none(office, julu, projects):
    content = summary_sheet({"一、省重点项目": [figures(p, 100) for p in projects]}, unit_line=None)
    job = uploaded(office, julu, content)
    mapping = {int(i): k for i, k in job.mapping.items()}

    with pytest.raises(DomainError) as refused:
        jobs.import_configure(actor=office, job=job, mapping=mapping)

    assert refused.value.field == "units"
    job = jobs.import_configure(actor=office, job=job, mapping=mapping, units={3: "wan", 4: "wan"})
    assert job.preview["create"][0]["completed"] == "100.00"  # 万元


def test_it_reads_the_unit_the_header_states(office, julu, projects):
    content = xlsx_bytes([["项目名称", "本月完成投资（亿元）"], [projects[0].name_zh, "0.25"]])

    job = runs.import_confirm(actor=office, job=checked(office, julu, content))

    assert report_of(projects[0]).completed_investment == Decimal("25000000.00")
    assert job.preview["totals"][0]["yuan"] == "25,000,000.00"


def test_it_reports_a_total_row_that_does_not_match_its_rows(office, julu, projects):
    content = summary_sheet({"一、省重点项目": [figures(p, 100) for p in projects]}, total=3000)

    job = checked(office, julu, content)

    wrong = [c for c in job.preview["checks"] if not c["ok"]]
    assert [(c["row"], c["stated"], c["summed"]) for c in wrong] == [(8, "30000000.00", "3000000.00")]


def test_it_writes_many_reports_in_as_many_queries_as_a_few(office, julu):
    projects = list(Project.objects.filter(county=julu).order_by("code")[:40])
    MonthlyReport.objects.filter(project__county=julu, year=YEAR).delete()

    def sheet(count: int) -> bytes:
        return xlsx_bytes(
            [["单位：万元"], ["项目编号", "本月完成投资", "形象进度"]]
            + [[p.code, 10 + n, 50] for n, p in enumerate(projects[:count])]
        )

    def queries_of_the_write(count: int) -> int:
        job = checked(office, julu, sheet(count))
        with CaptureQueriesContext(connection) as queries:
            job = runs.import_confirm(actor=office, job=job)
        assert job.created_count == count, job.message
        MonthlyReport.objects.filter(project__county=julu, year=YEAR).delete()
        return len(queries)

    # One statement per batch, not per row (SQLite splits a batch at 999 parameters: one more for 40 rows).
    assert queries_of_the_write(40) <= queries_of_the_write(5) + 2


def test_it_writes_nothing_when_a_report_changed_since_the_preview(office, julu, projects):
    job = checked(office, julu, a_month_of(projects))
    MonthlyReport.objects.create(
        project=projects[1], year=YEAR, month=MONTH, completed_investment=WAN, physical_progress=1
    )

    job = runs.import_confirm(actor=office, job=job)

    assert job.status == ImportJob.Status.PREVIEW
    assert job.preview["counts"]["update"] == 1
    assert report_of(projects[0]) is None


def test_it_remembers_the_monthly_columns_apart_from_the_registry_s(office, julu, projects):
    checked(office, julu, a_month_of(projects))

    assert remembered_mapping(julu, "monthly")["本月完成投资"] == "completed_investment"
    assert "本月完成投资" not in remembered_mapping(julu)
