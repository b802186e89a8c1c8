"""A row of the monthly summary read into the report it sets: matched by code, else by name and enterprise, each
row naming no project said so, a project named twice refused, the last reported progress kept when the sheet has
none, and a cumulative figure the stored months do not add up to listed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from keyprojects.imports import runs
from keyprojects.imports.tests.monthly_sheets import WAN, YEAR, checked, figures, report_of, summary_sheet
from keyprojects.imports.tests.workbooks import xlsx_bytes
from keyprojects.investment.models import MonthlyReport
from keyprojects.projects.models import ImportJob, Project

# The monthly figures are for February 2031, imported in March.
pytestmark = pytest.mark.usefixtures("march_2031")


def test_it_matches_by_code_where_the_sheet_has_one(office, julu, projects):
    a, b, _c = projects

    def sheet(*rows: list) -> bytes:
        return xlsx_bytes([["单位：万元"], ["项目编号", "项目名称", "当月完成投资", "形象进度"], *rows])

    job = checked(office, julu, sheet([a.code, "（简称）环保装备", 100, 30], [None, b.name_zh, 200, 40]))

    assert [(r["row"], r["code"]) for r in job.preview["create"]] == [(3, a.code), (4, b.code)]
    job = checked(office, julu, sheet([b.code.lower(), b.name_zh, 200, 40]))
    assert [(e["row"], e["column"]) for e in job.error_report] == [(3, "项目编号")]  # codes are exact


def test_it_names_each_row_whose_project_it_cannot_find(office, julu, projects):
    a, _b, c = projects
    twins = Project.objects.filter(county=julu).values_list("name_zh", flat=True)
    twin = next(name for name in twins if list(twins).count(name) > 1)
    content = xlsx_bytes(
        [
            ["项目编号", "项目名称", "本月完成投资（万元）"],
            ["JL-2099-999", a.name_zh, 10],
            [None, "巨鹿县不存在的项目", 10],
            [None, twin, 10],
            [None, c.name_zh, 10],
        ]
    )

    job = checked(office, julu, content)

    assert job.status == ImportJob.Status.FAILED
    assert [(e["row"], e["column"]) for e in job.error_report] == [
        (2, "项目编号"),
        (3, "项目名称"),
        (4, "项目名称"),
    ]
    assert not MonthlyReport.objects.filter(project__county=julu, year=YEAR).exists()


def test_it_tells_same_named_projects_apart_by_their_enterprise(office, julu, projects):
    a = projects[0]
    other = (
        Project.objects.filter(county=julu)
        .exclude(enterprise=a.enterprise)
        .select_related("enterprise")
        .first()
    )
    content = xlsx_bytes(
        [
            ["项目名称", "项目单位", "本月完成投资（万元）"],
            [a.name_zh, a.enterprise.name_zh, 10],
            [a.name_zh, other.enterprise.name_zh, 10],
        ]
    )

    job = checked(office, julu, content)

    assert [(e["row"], e["column"]) for e in job.error_report] == [(3, "项目名称")]


def test_it_refuses_a_project_named_twice_in_one_sheet(office, julu, projects):
    a = projects[0]
    content = summary_sheet({"一、省重点项目": [figures(a, 10), figures(a, 20)]})

    job = checked(office, julu, content)

    assert [(e["row"], e["column"]) for e in job.error_report] == [(6, "项目名称")]


def test_it_lists_a_cumulative_figure_the_stored_months_do_not_add_up_to(office, julu, projects):
    a, b, c = projects
    MonthlyReport.objects.create(
        project=a, year=YEAR, month=1, completed_investment=100 * WAN, physical_progress=20, status="approved"
    )
    content = summary_sheet(
        {
            "一、省重点项目": [
                figures(a, 50, cumulative=150),  # January's 100 and February's 50
                figures(b, 50, cumulative=5000),  # 万 and 元 mixed up somewhere
                figures(c, 50),
            ]
        }
    )

    job = checked(office, julu, content)

    assert job.status == ImportJob.Status.PREVIEW
    assert [(r["row"], r["code"], r["stated"], r["summed"]) for r in job.preview["cumulative"]] == [
        (6, b.code, "50,000,000.00", "500,000.00")
    ]


def test_it_keeps_the_last_reported_progress_when_the_sheet_has_none(office, julu, projects):
    a, b, _c = projects
    MonthlyReport.objects.create(
        project=a, year=YEAR, month=1, completed_investment=WAN, physical_progress=35, status="approved"
    )
    content = xlsx_bytes([["单位：万元"], ["项目名称", "本月完成投资"], [a.name_zh, 10], [b.name_zh, 10]])

    runs.import_confirm(actor=office, job=checked(office, julu, content))

    assert report_of(a).physical_progress == Decimal("35.00")
    last = MonthlyReport.objects.filter(project=b, year__lt=YEAR).order_by("year", "month").last()
    assert report_of(b).physical_progress == (last.physical_progress if last else 0)
