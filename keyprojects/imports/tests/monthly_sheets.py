"""The office's monthly summary sheet (各重点项目月度投资完成情况表), built for the tests of the monthly import, its
command and its API: a title, a unit line, the header, group rows, project rows, a total row whose SUM formula
carries the value Excel stores with it, and a note. The clock stands in March 2031, when February's figures are
collected: no demo report is of 2031, whatever day the demo was loaded as of."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile

from keyprojects.accounts.models import Region
from keyprojects.imports import jobs
from keyprojects.imports.tests.workbooks import with_cached_values, xlsx_bytes
from keyprojects.investment.models import MonthlyReport
from keyprojects.projects.models import ImportJob, Project

MOMENT = datetime(2031, 3, 10, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
YEAR, MONTH = 2031, 2
WAN = Decimal(10_000)
HEADER = ["序号", "项目名称", "建设单位", "本月完成投资", "累计完成投资", "形象进度（%）", "进展情况"]
TITLE = "巨鹿县重点项目2031年2月投资完成情况表"


def figures(
    project: Project, completed: Any, *, cumulative: Any = None, progress: Any = 50, text: str = ""
) -> dict:
    """One project's row: its name and enterprise as the registry has them, the month's figures in 万元."""
    return {
        "name": project.name_zh,
        "enterprise": project.enterprise.name_zh,
        "completed": completed,
        "cumulative": completed if cumulative is None else cumulative,
        "progress": progress,
        "text": text,
    }


def summary_sheet(
    groups: dict[str, list[dict]],
    *,
    unit_line: str | None = "单位：万元",
    header: list[str] = HEADER,
    total: Any = "sum",
) -> bytes:
    """The sheet as the office publishes it: `groups` maps each group row (一、省重点项目) to its rows (`figures`),
    numbered from 1 in each group. The total row sums the month's column by formula with the value Excel would
    store (`total="sum"`: the amounts must be numbers), or states `total`."""
    rows: list[list[Any]] = [[TITLE]]
    if unit_line:
        rows.append([unit_line])
    rows.append(header)
    first = len(rows) + 1
    for group, members in groups.items():
        rows.append([group])
        for n, row in enumerate(members, start=1):
            rows.append(
                [
                    n,
                    row["name"],
                    row["enterprise"],
                    row["completed"],
                    row["cumulative"],
                    row["progress"],
                    row["text"],
                ]
            )
    last = len(rows)
    rows.append(["合计", None, None, f"=SUM(D{first}:D{last})" if total == "sum" else total])
    rows.append(["备注：本表由县重点项目办公室汇总，数据截至2031年2月28日。"])
    content = xlsx_bytes(rows, merges=["A1:G1"], title="2月")
    if total == "sum":
        amounts = [
            Decimal(str(row["completed"]).replace(",", "")) for rows in groups.values() for row in rows
        ]
        content = with_cached_values(content, {("2月", f"D{last + 1}"): float(sum(amounts))})
    return content


def upload(content: bytes, name: str = "2031年2月投资完成情况.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def julu_projects(county: Region, count: int) -> list[Project]:
    """`count` Julu projects whose names no other Julu project has (the demo names some alike), by code; no
    report of 2031 is kept for any project of the county."""
    MonthlyReport.objects.filter(project__county=county, year__gte=YEAR).delete()
    projects = list(Project.objects.filter(county=county).select_related("enterprise").order_by("code"))
    names = Counter(p.name_zh for p in projects)
    unique = [p for p in projects if names[p.name_zh] == 1]
    assert len(unique) >= count, f"the demo should have {count} Julu projects of their own names"
    return unique[:count]


def report_of(project: Project) -> MonthlyReport | None:
    return MonthlyReport.objects.filter(project=project, year=YEAR, month=MONTH).first()


def uploaded(office, julu, content: bytes, *, status: str = "submitted", month: int = MONTH) -> ImportJob:
    return jobs.import_create(
        actor=office,
        county=julu,
        upload=upload(content),
        kind="monthly",
        year=YEAR,
        month=month,
        report_status=status,
    )


def checked(office, julu, content: bytes, *, units: dict | None = None, **options) -> ImportJob:
    """Uploaded, mapped as guessed, and checked: the preview (or the errors)."""
    job = uploaded(office, julu, content, **options)
    mapping = {int(i): key for i, key in job.mapping.items()}
    return jobs.import_configure(actor=office, job=job, mapping=mapping, units=units or {})


def a_month_of(projects: list[Project]) -> bytes:
    a, b, c = projects
    return summary_sheet(
        {
            "一、省重点项目（2项）": [
                figures(a, "1,250.5", progress="85%", text="主体完工，正在进行设备安装"),
                figures(b, 300, progress=40, text="厂房基础施工"),
            ],
            "二、市重点项目（1项）": [figures(c, 0, progress=10)],
        }
    )
