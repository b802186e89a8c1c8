"""manage.py import_registry and import_monthly: the same imports as the pages, run as the county's office, printing
the preview counts and the file's total in yuan; errors by row and column, and the exit code 1."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from keyprojects.accounts.models import User
from keyprojects.core.models import AuditEntry
from keyprojects.imports.tests.monthly_sheets import MONTH, WAN, YEAR, figures, report_of, summary_sheet
from keyprojects.imports.tests.workbooks import xlsx_bytes
from keyprojects.investment.models import MonthlyReport, ReportStatus
from keyprojects.projects.models import ImportJob, Project

# The monthly figures are for February 2031, imported in March.
pytestmark = pytest.mark.usefixtures("march_2031")


@pytest.fixture
def saved(tmp_path):
    def save(content: bytes, name: str = "file.xlsx") -> Path:
        path = tmp_path / name
        path.write_bytes(content)
        return path

    return save


def run(command: str, path: Path, **options) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(command, str(path), county="julu", stdout=out, stderr=err, **options)
    except CommandError as exc:
        exc.stdout, exc.stderr = out.getvalue(), err.getvalue()
        raise
    return out.getvalue(), err.getvalue()


def monthly(path: Path, **options) -> tuple[str, str]:
    return run("import_monthly", path, year=YEAR, month=MONTH, **options)


def a_month_of(projects: list[Project]) -> bytes:
    a, b, c = projects
    return summary_sheet(
        {
            "一、省重点项目": [figures(a, "1,250.5", progress="85%"), figures(b, 300, progress=40)],
            "二、市重点项目": [figures(c, 0.25, progress=10)],
        }
    )


# ---- import_monthly ----------------------------------------------------------------------------------


def test_it_prints_the_preview_and_the_file_s_total_in_yuan_and_writes_nothing_on_a_dry_run(saved, projects):
    out, err = monthly(saved(a_month_of(projects)), dry_run=True)

    assert "Preview: 3 created, 0 updated, 0 unchanged, 6 skipped, 0 errors" in out
    assert "Total of 本月完成投资: 1,550.75" in out
    assert "= 15,507,500.00 yuan" in out
    assert "Dry run: nothing was written." in out
    assert err == ""
    assert not MonthlyReport.objects.filter(project__in=projects, year=YEAR).exists()


def test_it_writes_the_month_as_the_county_office_and_says_what_it_wrote(saved, projects, persona):
    out, _err = monthly(saved(a_month_of(projects)), status="verified")

    assert "Written: 3 created, 0 updated, 0 unchanged" in out
    report = report_of(projects[0])
    assert report.completed_investment == Decimal("12505000.00")
    assert report.status == ReportStatus.VERIFIED
    assert report.verified_by == persona("office.julu")
    assert report_of(projects[2]).completed_investment == Decimal("2500.00")
    job = ImportJob.objects.get(kind=ImportJob.Kind.MONTHLY, status=ImportJob.Status.DONE)
    assert job.uploaded_by.username == "office.julu"


def test_it_changes_nothing_the_second_time(saved, projects):
    path = saved(a_month_of(projects))
    monthly(path)

    out, _err = monthly(path)

    assert "Preview: 0 created, 0 updated, 3 unchanged" in out
    assert "Written: 0 created, 0 updated, 3 unchanged" in out


def test_it_prints_every_error_by_row_column_and_value_and_exits_with_1(saved, projects):
    a, b, _c = projects
    content = summary_sheet(
        {
            "一、省重点项目": [
                figures(a, "12万"),
                figures(b, "abc", cumulative=0),
                {**figures(a, 5), "name": "巨鹿县没有的项目"},
            ]
        },
        total=None,
    )

    with pytest.raises(CommandError) as failed:
        monthly(saved(content))

    assert failed.value.returncode == 1
    assert "Preview: 1 created, 0 updated, 0 unchanged, 5 skipped, 2 errors" in failed.value.stdout
    lines = failed.value.stderr.splitlines()
    assert lines[0].startswith("Row 6, column 本月完成投资, value 'abc': ")
    assert lines[1].startswith("Row 7, column 项目名称, value '巨鹿县没有的项目': ")
    assert not MonthlyReport.objects.filter(project__in=projects, year=YEAR).exists()


def test_it_refuses_a_month_that_has_not_begun(saved, projects):
    with pytest.raises(CommandError) as refused:
        run("import_monthly", saved(a_month_of(projects)), year=YEAR, month=MONTH + 2)

    assert refused.value.returncode == 1
    assert not MonthlyReport.objects.filter(year=YEAR).exists()


def test_it_asks_for_a_unit_and_gives_it_to_the_columns_that_state_none(saved, projects):
    a = projects[0]
    content = xlsx_bytes(
        [["项目名称", "本月完成投资", "累计完成投资（亿元）"], [a.name_zh, 500, "0.05"]]
    )  # 500 万 this month, 0.05 亿 so far: the same
    path = saved(content)

    with pytest.raises(CommandError) as refused:
        monthly(path)
    assert "本月完成投资" in str(refused.value)

    out, _err = monthly(path, unit="wan")
    assert report_of(a).completed_investment == 500 * WAN
    assert "cumulative" not in out  # 0.05 亿 read in 亿, not in 万


def test_it_runs_as_the_user_named_if_that_user_may_import(saved, projects, julu):
    path = saved(a_month_of(projects))

    with pytest.raises(CommandError) as refused:
        monthly(path, username="leader.julu")
    assert "may not import" in str(refused.value)

    admin = User.objects.filter(is_active=True, memberships__role="admin").first()
    monthly(path, username=admin.username)
    assert report_of(projects[0]).submitted_by == admin


def test_it_says_so_when_the_county_has_no_office(saved, projects, julu):
    User.objects.filter(memberships__role="county_office", memberships__region=julu).update(is_active=False)

    with pytest.raises(CommandError) as refused:
        monthly(saved(a_month_of(projects)))

    assert "--as" in str(refused.value)


# ---- import_registry ---------------------------------------------------------------------------------


def office_list(rows: list[list], *, unit_line: str | None = "单位：万元") -> list[list]:
    """The office's list as published: a title, the unit line, a header, a group row giving the level."""
    return [
        ["巨鹿县2031年重点建设项目一览表"],
        *([[unit_line]] if unit_line else []),
        ["序号", "项目名称", "建设单位", "总投资"],
        ["一、省重点项目（2项）"],
        *rows,
        ["合计", None, None, sum(Decimal(str(r[3])) for r in rows)],
    ]


NEW_PROJECTS = [
    [1, "巨鹿县命令行导入测试一期项目", "河北梁山节能环保有限公司", 12345.5],
    [2, "巨鹿县命令行导入测试二期项目", "河北梁山节能环保有限公司", 1000],
]


def test_it_imports_the_office_s_list_as_published(saved, julu):
    path = saved(xlsx_bytes(office_list(NEW_PROJECTS)))

    out, _err = run("import_registry", path, dry_run=True)

    assert "Preview: 2 created, 0 updated, 0 unchanged, 4 skipped, 0 errors" in out
    assert "13,345.50" in out and "133,455,000.00 yuan" in out
    assert not Project.objects.filter(name_zh__startswith="巨鹿县命令行导入测试").exists()
    out, _err = run("import_registry", path)
    assert "Written: 2 created" in out
    created = Project.objects.get(county=julu, name_zh="巨鹿县命令行导入测试一期项目")
    assert created.total_investment == Decimal("123455000.00")
    assert created.level == "provincial"


def test_it_takes_the_unit_given_for_a_list_that_states_none(saved, julu):
    path = saved(xlsx_bytes(office_list(NEW_PROJECTS, unit_line=None)))

    with pytest.raises(CommandError):
        run("import_registry", path)
    run("import_registry", path, unit="yi")

    created = Project.objects.get(county=julu, name_zh="巨鹿县命令行导入测试二期项目")
    assert created.total_investment == Decimal("100000000000.00")


def test_it_imports_the_sheet_asked_for(saved, julu):
    other = office_list([[1, "巨鹿县第二张表的项目", "河北梁山节能环保有限公司", 10]])
    content = xlsx_bytes(office_list(NEW_PROJECTS), sheets={"说明": [["填表说明"]], "补充": other})

    out, _err = run("import_registry", saved(content), sheet=3)

    assert "Written: 1 created" in out
    assert Project.objects.filter(county=julu, name_zh="巨鹿县第二张表的项目").exists()


def test_it_writes_a_suspicious_update_only_for_the_rows_confirmed(saved, julu):
    project = Project.objects.filter(county=julu).order_by("code").first()
    content = xlsx_bytes(
        [
            ["项目编号", "项目名称", "总投资（万元）"],
            [project.code, "巨鹿县改了名字的项目", float(project.total_investment / WAN) + 100],
        ]
    )
    path = saved(content)

    out, _err = run("import_registry", path)
    assert "--confirm-rows: 2" in out
    assert "1 suspicious updates left out" in out
    project.refresh_from_db()
    assert project.name_zh != "巨鹿县改了名字的项目"

    out, _err = run("import_registry", path, confirm_rows={2})
    project.refresh_from_db()
    assert project.name_zh == "巨鹿县改了名字的项目"
    assert AuditEntry.objects.filter(action="registry.import").count() == 2
