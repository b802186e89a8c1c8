"""The registry import of a list laid out the way Hebei county offices publish it (省市重点建设项目一览表): a title
merged across, a unit line, a two-row header with merged group cells, group rows with SUM formulas, a total row,
a note below, 序号 restarting in each group, no code and no category, amounts as text with thousands separators,
leaders with their titles, several departments in one cell, and the construction period in one column.

Every imported value is checked against the file, the preview before it, the units (a line, a header, none at
all), which project a row is (never by 序号), and that a wrong unit or a re-sorted list cannot store wrong data.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from openpyxl.utils import get_column_letter

from keyprojects.accounts.models import Department, Enterprise, Membership, Region, User
from keyprojects.core import clock
from keyprojects.core.errors import DomainError
from keyprojects.core.workflow import SYSTEM
from keyprojects.imports import checking, jobs, layout, runs
from keyprojects.imports.cells import in_wan
from keyprojects.imports.tests.workbooks import with_cached_values, xlsx_bytes
from keyprojects.investment.models import AnnualPlan, MonthlyReport, PlanMonth
from keyprojects.investment.services import COUNTY_CURVE, spread
from keyprojects.projects.models import Category, ImportJob, Level, Project

WAN = Decimal(10_000)
SHEET = "重点项目"


# ---- the office's workbook --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One project row as the office writes it; amounts as written (a number, or text like "125,680.5")."""

    name: str
    enterprise: str
    total: Any
    plan: Any
    period: str = ""
    departments: str = ""
    leader: str = ""
    content: str = ""
    code: str = ""


def amount(written: Any) -> Decimal:
    """An amount as the office wrote it, as a number (what Excel's SUM would add, had it been typed as one); 0 for
    what is not a number."""
    try:
        return Decimal(str(written).replace(",", ""))
    except ArithmeticError:
        return Decimal(0)


def office_list(
    groups: list[tuple[str, list[Line]]],
    *,
    year: int = 2026,
    unit_line: str | None = "单位：万元",
    total_header: str = "总投资",
    plan_header: str | None = None,
    stated_total: Decimal | None = None,
    with_code: bool = False,
) -> bytes:
    """The county office's list: title, unit line, two-row header with merged group cells, a group row per
    group (its SUM formulas stored with their results, as Excel saves them), the projects under it numbered from
    1, a 合计 row summing the group rows (stating `stated_total` instead of the true sum if given), a note."""
    plan_header = plan_header or f"{year}年计划投资"
    code = ["项目编号"] if with_code else []
    upper = [
        "序号",
        *code,
        "项目名称",
        "建设单位",
        "建设内容",
        "建设起止年限",
        "投资情况",
        None,
        "责任分工",
        None,
    ]
    lower = [None] * (len(upper) - 4) + [total_header, plan_header, "责任单位", "包联县领导"]
    width = len(upper)
    total_col = get_column_letter(width - 3)  # 总投资
    plan_col = get_column_letter(width - 2)
    first_data = 4 if unit_line is None else 5
    rows: list[list[Any]] = [[f"巨鹿县{year}年省市重点建设项目一览表"]]
    merges = [f"A1:{get_column_letter(width)}1"]
    if unit_line is not None:
        rows.append([None] * (width - 1) + [unit_line])
    header_row = len(rows) + 1
    rows += [upper, lower]
    merges += [
        f"{get_column_letter(c)}{header_row}:{get_column_letter(c)}{header_row + 1}"
        for c in range(1, 6 + len(code))
    ]
    merges += [f"{total_col}{header_row}:{plan_col}{header_row}"]
    merges += [f"{get_column_letter(width - 1)}{header_row}:{get_column_letter(width)}{header_row}"]
    assert header_row + 2 == first_data
    cached: dict[tuple[str, str], Any] = {}
    group_rows = []
    numerals = "一二三四五六七八九十"
    for g, (title, lines) in enumerate(groups):
        number = len(rows) + 1
        first, last = number + 1, number + len(lines)
        group_rows.append(number)
        sums = [f"=SUM({column}{first}:{column}{last})" for column in (total_col, plan_col)]
        rows.append([f"{numerals[g]}、{title}（{len(lines)}项）", *[None] * (width - 5), *sums])
        cached[(SHEET, f"{total_col}{number}")] = float(sum(amount(line.total) for line in lines))
        cached[(SHEET, f"{plan_col}{number}")] = float(sum(amount(line.plan) for line in lines))
        for serial, line in enumerate(lines, start=1):
            code_cell = [line.code] if with_code else []
            rows.append(
                [serial, *code_cell, line.name, line.enterprise, line.content, line.period, line.total]
            )
            rows[-1] += [line.plan, line.departments, line.leader]
    number = len(rows) + 1
    rows.append(
        ["合计", *[None] * (width - 5)]
        + [f"={'+'.join(f'{c}{r}' for r in group_rows)}" for c in (total_col, plan_col)]
    )
    everything = [line for _t, lines in groups for line in lines]
    true_total = sum(amount(line.total) for line in everything)
    cached[(SHEET, f"{total_col}{number}")] = float(stated_total if stated_total is not None else true_total)
    cached[(SHEET, f"{plan_col}{number}")] = float(sum(amount(line.plan) for line in everything))
    rows.append([None])
    rows.append(["备注：1.本表所列项目按项目级别分组排列，排名不分先后；2.计划投资为年度计划。"])
    merges.append(f"A{len(rows)}:{get_column_letter(width)}{len(rows)}")
    return with_cached_values(xlsx_bytes(rows, merges=merges, title=SHEET), cached)


def upload(content: bytes, name: str = "巨鹿县省市重点项目一览表.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def existing_line(project: Project, **changes: Any) -> Line:
    """A demo project written as the office's list writes it (no code, amounts in 万元), changed as given."""
    departments = "、".join(d.name_zh for d in project.responsible_departments.order_by("pk"))
    leader = project.leader_in_charge.display_name if project.leader_in_charge else ""
    return replace(
        Line(
            project.name_zh,
            project.enterprise.name_zh,
            f"{project.total_investment / WAN:,}",
            "",
            departments=departments,
            leader=f"{leader}（副县长）" if leader else "",
            content=project.construction_content,
        ),
        **changes,
    )


def julu_project(code: str) -> Project:
    return Project.objects.select_related("enterprise", "leader_in_charge").get(
        county__slug="julu", code=code
    )


def demo_code(n: int) -> str:
    """The code of the demo's n-th Julu project (JL-<the demo's year>-00n)."""
    return Project.objects.filter(county__slug="julu").order_by("code").values_list("code", flat=True)[n - 1]


NEW_ENTERPRISE = "巨鹿县鑫达新材料有限公司"
NEW_DEPARTMENT = "巨鹿县工业和信息化局"
NEW_LEADER = "孙建国"


def lines_2026() -> list[tuple[str, list[Line]]]:
    """The office's 2026 list: two groups, new projects of a new and of a known enterprise, and one project the
    registry holds already (the demo's first, written without a code: only its plan is new)."""
    return [
        (
            "省重点项目",
            [
                Line(
                    "巨鹿县鑫达新材料产业园项目",
                    NEW_ENTERPRISE,
                    "125,680.5",
                    30000,
                    "2024-2027",
                    "巨鹿县发展和改革局、国网巨鹿县供电公司",
                    "黄海涛（县委常委、常务副县长）",
                    "年产5万吨新型材料生产线",
                ),
                Line(
                    "鑫达新材料二期项目",
                    # The same new enterprise, with a space before it and a full-width one after it.
                    f" {NEW_ENTERPRISE}　",
                    56000.25,
                    "12,345.67",
                    "2024.3-2026.12",
                    f"{NEW_DEPARTMENT}、巨鹿县财政局",
                    "杨文斌、周明亮",
                ),
                existing_line(julu_project(demo_code(1)), plan=8000),
            ],
        ),
        (
            "市重点项目",
            [
                Line(
                    "巨鹿县冷链物流中心项目",
                    "巨鹿天润纺织有限公司",
                    8800,
                    "5,000",
                    "2025-2026",
                    NEW_DEPARTMENT,
                    f"{NEW_LEADER}（副县长）",
                ),
                Line(
                    "天润纺织智能化技改项目",
                    "巨鹿天润纺织有限公司",
                    "3,200",
                    1000.5,
                    "2025.6-2027.5",
                    "巨鹿县交通运输局",
                    "周明亮",
                ),
            ],
        ),
    ]


def created_rows(lines: list[tuple[str, list[Line]]]) -> list[Line]:
    return [line for _g, group in lines for line in group if line.name != julu_project(demo_code(1)).name_zh]


def start(office: User, julu: Region, content: bytes, **options: Any) -> ImportJob:
    return jobs.import_create(actor=office, county=julu, upload=upload(content), **options)


def guessed(job: ImportJob) -> dict[int, str]:
    return {int(i): key for i, key in job.mapping.items()}


def check(office: User, julu: Region, content: bytes, **configure: Any) -> ImportJob:
    """Upload the file and check it with the guessed mapping (and the given units and options)."""
    job = start(office, julu, content)
    return jobs.import_configure(actor=office, job=job, mapping=guessed(job), **configure)


def imported(office: User, julu: Region, content: bytes, **configure: Any) -> ImportJob:
    job = check(office, julu, content, **configure)
    assert job.status == ImportJob.Status.PREVIEW, (job.message, job.error_report)
    job = runs.import_confirm(actor=office, job=job)
    assert job.status == ImportJob.Status.DONE, job.message
    return job


def history_size() -> int:
    return (
        sum(model.history.count() for model in (Project, AnnualPlan, Enterprise, Department, User))
        + PlanMonth.history.count()
    )


def column_index(job: ImportJob, header: str) -> int:
    return next(i for i, c in enumerate(job.columns) if c["header"] == header)


# ---- every value, written -----------------------------------------------------------------------------


def test_it_imports_the_office_list_as_published_with_every_value_in_yuan(office, julu):
    existing = julu_project(demo_code(1))
    existing_total, existing_version = existing.total_investment, existing.version
    projects_before = Project.objects.filter(county=julu).count()
    year = clock.today().year
    codes = Project.objects.filter(code__startswith=f"JL-{year}-").values_list("code", flat=True)
    next_number = max((int(c.rsplit("-", 1)[1]) for c in codes), default=0) + 1
    lines = lines_2026()

    job = imported(office, julu, office_list(lines))

    assert (job.created_count, job.updated_count, job.unchanged_count) == (4, 1, 0)
    assert Project.objects.filter(county=julu).count() == projects_before + 4
    # The new enterprise is created once, for both rows that name it; the known one is not created again.
    enterprise = Enterprise.objects.get(name_zh=NEW_ENTERPRISE)
    assert enterprise.region == julu and enterprise.slug and enterprise.name_en
    assert Enterprise.objects.filter(name_zh="巨鹿天润纺织有限公司").count() == 1
    department = Department.objects.get(name_zh=NEW_DEPARTMENT)
    assert department.region == julu and department.slug and department.name_en
    leader = User.objects.get(display_name=NEW_LEADER)
    assert Membership.objects.filter(user=leader, role=Membership.Role.LEADER, region=julu).exists()
    assert not leader.has_usable_password()

    new = {
        p.name_zh: p
        for p in Project.objects.filter(county=julu, name_zh__in=[line.name for line in created_rows(lines)])
        .select_related("enterprise", "leader_in_charge")
        .prefetch_related("responsible_departments")
    }
    assert len(new) == 4
    expected = {
        "巨鹿县鑫达新材料产业园项目": {
            "enterprise": NEW_ENTERPRISE, "level": Level.PROVINCIAL, "total": "1256805000.00", "plan": "300000000.00",
            "start": date(2024, 1, 1), "end": date(2027, 12, 31), "leader": "黄海涛",
            "departments": {"巨鹿县发展和改革局", "国网巨鹿县供电公司"}, "content": "年产5万吨新型材料生产线",
        },
        "鑫达新材料二期项目": {
            "enterprise": NEW_ENTERPRISE, "level": Level.PROVINCIAL, "total": "560002500.00", "plan": "123456700.00",
            "start": date(2024, 3, 1), "end": date(2026, 12, 31), "leader": "杨文斌",
            "departments": {NEW_DEPARTMENT, "巨鹿县财政局"}, "content": "",
        },
        "巨鹿县冷链物流中心项目": {
            "enterprise": "巨鹿天润纺织有限公司", "level": Level.MUNICIPAL, "total": "88000000.00", "plan": "50000000.00",
            "start": date(2025, 1, 1), "end": date(2026, 12, 31), "leader": NEW_LEADER,
            "departments": {NEW_DEPARTMENT}, "content": "",
        },
        "天润纺织智能化技改项目": {
            "enterprise": "巨鹿天润纺织有限公司", "level": Level.MUNICIPAL, "total": "32000000.00", "plan": "10005000.00",
            "start": date(2025, 6, 1), "end": date(2027, 5, 31), "leader": "周明亮",
            "departments": {"巨鹿县交通运输局"}, "content": "",
        },
    }  # fmt: skip
    for name, want in expected.items():
        project = new[name]
        assert project.name_en == name  # no English name in the file: the Chinese one, to be edited later
        assert project.enterprise.name_zh == want["enterprise"]
        assert project.level == want["level"]
        assert project.category == ""  # the list has no category column, and the import gave no default
        assert project.total_investment == Decimal(want["total"])
        assert (project.start_date, project.planned_completion_date) == (want["start"], want["end"])
        assert project.leader_in_charge.display_name == want["leader"]
        assert {d.name_zh for d in project.responsible_departments.all()} == want["departments"]
        assert project.construction_content == want["content"]
        plan = AnnualPlan.objects.get(project=project, year=2026)
        months = [m.amount for m in plan.months.order_by("month")]
        assert plan.spread_along_curve is True
        assert len(months) == 12 and sum(months) == Decimal(want["plan"])
        assert months == spread(Decimal(want["plan"]), COUNTY_CURVE)
    # Generated in the county's pattern, in the order of the rows, after the codes it has.
    assert [new[name].code for name in expected] == [
        f"JL-{year}-{n:03d}" for n in range(next_number, next_number + 4)
    ]
    assert Enterprise.objects.get(name_zh=NEW_ENTERPRISE).projects.count() == 2

    # The project the registry already held is the one the row names: only its plan is new.
    existing.refresh_from_db()
    assert existing.total_investment == existing_total
    assert existing.version == existing_version
    plan = AnnualPlan.objects.get(project=existing, year=2026)
    assert sum(m.amount for m in plan.months.all()) == 8000 * WAN and plan.spread_along_curve

    # The file's total, to the cent.
    total_in_file = sum(amount(line.total) for _g, group in lines for line in group) * WAN
    assert sum(p.total_investment for p in new.values()) + existing_total == total_in_file


# ---- the preview --------------------------------------------------------------------------------------


def test_it_shows_everything_it_would_do_before_writing_anything(office, julu):
    existing = julu_project(demo_code(1))
    old_plan = AnnualPlan.objects.filter(project=existing, year=2026).first()
    projects_before, history_before = Project.objects.count(), history_size()

    job = check(office, julu, office_list(lines_2026()))

    assert job.status == ImportJob.Status.PREVIEW
    assert Project.objects.count() == projects_before and history_size() == history_before
    assert not Enterprise.objects.filter(name_zh=NEW_ENTERPRISE).exists()
    preview = job.preview
    assert preview["counts"] == {"create": 4, "update": 1, "unchanged": 0, "errors": 0, "suspicious": 0}
    assert preview["plan_year"] == 2026
    assert job.header_rows == [3, 4]
    assert [c["header"] for c in job.columns][5:] == [
        "投资情况 / 总投资",
        "投资情况 / 2026年计划投资",
        "责任分工 / 责任单位",
        "责任分工 / 包联县领导",
    ]
    # The rows it creates, with the level their group row gives, the amounts (in 万元) and generated codes.
    with translation.override(office.language):  # the preview speaks the uploader's language
        provincial, municipal = str(Level.PROVINCIAL.label), str(Level.MUNICIPAL.label)
    assert [(r["row"], r["name"], r["level"], r["total"], r["plan"]) for r in preview["create"]] == [
        (6, "巨鹿县鑫达新材料产业园项目", provincial, "125,680.50", "30,000.00"),
        (7, "鑫达新材料二期项目", provincial, "56,000.25", "12,345.67"),
        (10, "巨鹿县冷链物流中心项目", municipal, "8,800.00", "5,000.00"),
        (11, "天润纺织智能化技改项目", municipal, "3,200.00", "1,000.50"),
    ]
    assert len({r["code"] for r in preview["create"]}) == 4
    # The project the registry holds: only its plan changes, old → new.
    (update,) = preview["update"]
    assert (update["row"], update["code"], update["suspicious"]) == (8, existing.code, False)
    (change,) = update["changes"]
    old = sum(m.amount for m in old_plan.months.all()) if old_plan else None
    assert change[1:] == [in_wan(old) if old is not None else "", "8,000.00"]
    # A second leader's name has no place in the registry: said, not dropped silently.
    (note,) = preview["not_stored"]
    assert (note["row"], note["text"], preview["not_stored_count"]) == (7, "杨文斌、周明亮", 1)
    assert "杨文斌" in note["why"] and "周明亮" in note["why"]
    # What the county does not have yet, each once.
    assert preview["new"] == {
        "enterprises": [NEW_ENTERPRISE],
        "departments": [NEW_DEPARTMENT],
        "leaders": [NEW_LEADER],
    }
    # Every row that is not a project, and why.
    assert [(s["row"], s["reason"]) for s in preview["skipped"]] == [
        (1, "title"),
        (2, "unit"),
        (5, "group"),
        (9, "group"),
        (12, "total"),
        (14, "note"),
    ]
    assert job.skipped_count == 6
    assert [s["why"] for s in checking.skipped_rows(job)][:2] == [
        str(layout.skip_reasons()["title"]),
        str(layout.skip_reasons()["unit"]),
    ]
    # The file's totals as written and in yuan, so that a factor of 10,000 shows.
    assert [(t["column"], t["as_written"], t["yuan"]) for t in preview["totals"]] == [
        ("投资情况 / 总投资", "244,680.75", "2,446,807,500.00"),
        ("投资情况 / 2026年计划投资", "56,346.17", "563,461,700.00"),
    ]
    # The group rows' sums and counts and the 合计 row, each checked against the rows it covers.
    checks = {(c["row"], c["column"]): c for c in preview["checks"]}
    assert all(c["ok"] for c in preview["checks"])
    assert checks[(5, "")]["stated"] == "3" and checks[(9, "")]["stated"] == "2"
    assert checks[(12, "投资情况 / 总投资")]["stated"] == checks[(12, "投资情况 / 总投资")]["summed"]
    assert {row for row, _c in checks} == {5, 9, 12}


def test_it_reports_a_total_row_that_does_not_match_the_rows(office, julu):
    job = check(office, julu, office_list(lines_2026(), stated_total=Decimal("244680.70")))

    assert job.status == ImportJob.Status.PREVIEW  # the office decides: its rows are what is imported
    wrong = [c for c in job.preview["checks"] if not c["ok"]]
    assert wrong == [
        {
            "row": 12,
            "kind": "total",
            "column": "投资情况 / 总投资",
            "stated": "2446807000.00",
            "summed": "2446807500.00",
            "ok": False,
        }
    ]


# ---- units --------------------------------------------------------------------------------------------


def test_it_reads_the_unit_from_the_line_above_the_header(office, julu):
    lines = [
        (
            "省重点项目",
            [Line("巨鹿县亿元单位测试项目", "巨鹿天润纺织有限公司", "12.568055", "3.5", "2026-2027")],
        )
    ]

    job = imported(office, julu, office_list(lines, unit_line="单位：亿元"))

    project = Project.objects.get(county=julu, name_zh="巨鹿县亿元单位测试项目")
    assert project.total_investment == Decimal("1256805500.00")
    plan = AnnualPlan.objects.get(project=project, year=2026)
    assert sum(m.amount for m in plan.months.all()) == 350_000_000
    assert [(t["as_written"], t["yuan"]) for t in job.preview["totals"]] == [
        ("12.568055", "1,256,805,500.00"),
        ("3.50", "350,000,000.00"),
    ]


def test_it_takes_the_unit_in_a_header_over_the_unit_line(office, julu):
    lines = [("市重点项目", [Line("巨鹿县表头单位测试项目", "巨鹿天润纺织有限公司", "1.25", "3,000")])]
    content = office_list(lines, unit_line="单位：万元", total_header="总投资（亿元）")

    job = start(office, julu, content)
    total, plan = (
        column_index(job, "投资情况 / 总投资（亿元）"),
        column_index(job, "投资情况 / 2026年计划投资"),
    )
    assert (job.columns[total]["unit"], job.columns[plan]["unit"]) == (100_000_000, 10_000)
    # The list has no category column: the office gives one for the whole import.
    options = {"default_category": Category.INDUSTRY}
    jobs.import_configure(actor=office, job=job, mapping=guessed(job), options=options)
    runs.import_confirm(actor=office, job=job)

    project = Project.objects.get(county=julu, name_zh="巨鹿县表头单位测试项目")
    assert project.category == Category.INDUSTRY
    assert project.total_investment == 125_000_000
    assert (
        sum(m.amount for m in AnnualPlan.objects.get(project=project, year=2026).months.all()) == 30_000_000
    )


def test_it_asks_for_the_unit_when_the_file_states_none(office, julu):
    lines = [("市重点项目", [Line("巨鹿县无单位测试项目", "巨鹿天润纺织有限公司", "8,800", 500)])]
    job = start(office, julu, office_list(lines, unit_line=None))
    assert job.options["units"] == {} and all(c["unit"] == 0 for c in job.columns)

    with pytest.raises(DomainError) as refused:
        jobs.import_configure(actor=office, job=job, mapping=guessed(job))
    assert "投资情况 / 总投资" in refused.value.message
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PENDING and not job.preview

    total, plan = column_index(job, "投资情况 / 总投资"), column_index(job, "投资情况 / 2026年计划投资")
    with pytest.raises(DomainError):  # each money column needs its unit
        jobs.import_configure(actor=office, job=job, mapping=guessed(job), units={total: "wan"})
    job = jobs.import_configure(
        actor=office, job=job, mapping=guessed(job), units={total: "wan", plan: "wan"}
    )
    assert job.status == ImportJob.Status.PREVIEW
    assert job.preview["totals"][0]["yuan"] == "88,000,000.00"


# ---- which project a row is ---------------------------------------------------------------------------


def test_it_refuses_the_sequence_number_as_the_code(office, julu):
    job = start(office, julu, office_list(lines_2026()))
    assert 0 not in guessed(job)  # never guessed

    with pytest.raises(DomainError) as refused:
        jobs.import_configure(actor=office, job=job, mapping={**guessed(job), 0: "code"})

    assert "序号" in refused.value.message
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PENDING


def registry_of(julu: Region) -> dict[str, tuple]:
    """Every Julu project's identity and amounts, by code."""
    return {
        p.code: (
            p.name_zh,
            p.enterprise_id,
            p.total_investment,
            p.level,
            p.start_date,
            p.planned_completion_date,
        )
        for p in Project.objects.filter(county=julu)
    }


def test_it_overwrites_nothing_with_next_year_s_list_sorted_otherwise(office, julu):
    imported(office, julu, office_list(lines_2026()))
    before = registry_of(julu)
    plans_2026 = dict(
        AnnualPlan.objects.filter(project__county=julu, year=2026).values_list("project__code", "version")
    )
    (_provincial, first), (_municipal, second) = lines_2026()
    # Next year: the groups in the other order, rows moved between them and within them, 序号 renumbered,
    # one total revised, and the 2027 plans.
    next_year = [
        (
            "市重点项目",
            [
                replace(second[1], total="3,600", plan=800),
                replace(first[1], plan=20000),  # moved down to the municipal list
            ],
        ),
        (
            "省重点项目",
            [
                replace(first[2], plan=9000),
                replace(second[0], plan=3000),  # moved up to the provincial list
                replace(first[0], plan=40000),
            ],
        ),
    ]

    job = check(office, julu, office_list(next_year, year=2027))

    assert job.preview["plan_year"] == 2027
    assert job.preview["counts"] == {"create": 0, "update": 5, "unchanged": 0, "errors": 0, "suspicious": 0}
    changed = {u["name"]: sorted(c[0] for c in u["changes"]) for u in job.preview["update"]}
    plan_label, total_label, level_label = (
        changed["巨鹿县鑫达新材料产业园项目"][0],
        *(set(changed["天润纺织智能化技改项目"]) - set(changed["巨鹿县鑫达新材料产业园项目"])),
        *(set(changed["鑫达新材料二期项目"]) - set(changed["巨鹿县鑫达新材料产业园项目"])),
    )
    assert changed == {
        "天润纺织智能化技改项目": sorted([plan_label, total_label]),
        "鑫达新材料二期项目": sorted([plan_label, level_label]),
        julu_project(demo_code(1)).name_zh: [plan_label],
        "巨鹿县冷链物流中心项目": sorted([plan_label, level_label]),
        "巨鹿县鑫达新材料产业园项目": [plan_label],
    }
    runs.import_confirm(actor=office, job=job)

    after = registry_of(julu)
    assert set(after) == set(before)
    differs = {code: (before[code], after[code]) for code in before if before[code] != after[code]}
    by_name = {v[0][0]: v for v in differs.values()}
    assert set(by_name) == {"天润纺织智能化技改项目", "鑫达新材料二期项目", "巨鹿县冷链物流中心项目"}
    (old, new) = by_name["天润纺织智能化技改项目"]
    assert (old[2], new[2]) == (32_000_000, 36_000_000) and old[:2] == new[:2] and old[3:] == new[3:]
    assert by_name["鑫达新材料二期项目"][1][3] == Level.MUNICIPAL
    assert by_name["巨鹿县冷链物流中心项目"][1][3] == Level.PROVINCIAL
    # This year's plans are as they were; next year's are new.
    assert (
        dict(
            AnnualPlan.objects.filter(project__county=julu, year=2026).values_list("project__code", "version")
        )
        == plans_2026
    )
    plans_2027 = {
        p.project.name_zh: sum(m.amount for m in p.months.all())
        for p in AnnualPlan.objects.filter(project__county=julu, year=2027).select_related("project")
    }
    assert plans_2027["巨鹿县鑫达新材料产业园项目"] == 40000 * WAN
    assert plans_2027["天润纺织智能化技改项目"] == 800 * WAN


def test_it_finds_the_same_file_unchanged_the_second_time_and_writes_no_history(office, julu):
    content = office_list(lines_2026())
    imported(office, julu, content)
    history_before = history_size()

    job = check(office, julu, content)

    assert job.preview["counts"] == {"create": 0, "update": 0, "unchanged": 5, "errors": 0, "suspicious": 0}
    assert job.preview["new"] == {"enterprises": [], "departments": [], "leaders": []}
    job = runs.import_confirm(actor=office, job=job)
    assert (job.status, job.created_count, job.updated_count, job.unchanged_count) == ("done", 0, 0, 5)
    assert history_size() == history_before


def test_it_writes_a_code_match_changing_name_and_enterprise_only_when_its_row_is_confirmed(office, julu):
    renamed, revised = julu_project(demo_code(2)), julu_project(demo_code(3))
    lines = [
        (
            "市重点项目",
            [
                # The second by its code, but another project's name, enterprise and amount: suspicious.
                Line("巨鹿康泰纺织扩建项目", "巨鹿康泰纺织有限公司", 9000, "", code=renamed.code),
                # The third by its code, its own name, a revised total: an ordinary update.
                existing_line(revised, code=revised.code, total="36,500"),
            ],
        )
    ]
    content = office_list(lines, with_code=True)

    job = check(office, julu, content)

    assert job.preview["counts"]["suspicious"] == 1
    suspicious = {u["code"]: u["suspicious"] for u in job.preview["update"]}
    assert suspicious == {renamed.code: True, revised.code: False}
    job = runs.import_confirm(actor=office, job=job)  # the suspicious row not confirmed
    assert (job.status, job.updated_count) == ("done", 1)
    renamed_after = julu_project(renamed.code)
    assert (renamed_after.name_zh, renamed_after.total_investment) == (
        renamed.name_zh,
        renamed.total_investment,
    )
    assert julu_project(revised.code).total_investment == 365_000_000

    job = check(office, julu, content)
    (row,) = [u["row"] for u in job.preview["update"] if u["suspicious"]]
    job = runs.import_confirm(actor=office, job=job, confirmed_rows={row})
    assert (job.status, job.updated_count) == ("done", 1)
    renamed_after = julu_project(renamed.code)
    assert (renamed_after.name_zh, renamed_after.enterprise.name_zh, renamed_after.total_investment) == (
        "巨鹿康泰纺织扩建项目",
        "巨鹿康泰纺织有限公司",
        90_000_000,
    )


# ---- errors, and a registry changed meanwhile --------------------------------------------------------


def test_it_names_row_column_value_and_reason_and_writes_nothing_when_a_row_is_wrong(office, julu):
    lines = lines_2026()
    (title, provincial), municipal = lines
    wrong = [
        (
            title,
            [
                *provincial,
                Line("巨鹿县错误金额项目", "巨鹿天润纺织有限公司", "十二万", 100, "2025-2026"),
                Line("巨鹿县错误年限项目", "巨鹿天润纺织有限公司", 100, 100, "2027-2024"),
                Line("巨鹿县外县企业项目", "河北恒远电缆有限公司", 100, 100, "2025-2026"),
            ],
        ),
        municipal,
    ]
    projects_before, history_before = Project.objects.count(), history_size()

    job = check(office, julu, office_list(wrong))

    assert job.status == ImportJob.Status.FAILED
    assert job.error_count == 3
    report = {e["row"]: e for e in job.error_report}
    with translation.override(office.language):  # in the uploader's language
        not_a_number = gettext("Not a number.")
    assert report[9] == {"row": 9, "column": "投资情况 / 总投资", "value": "十二万", "reason": not_a_number}
    assert (report[10]["column"], report[10]["value"]) == ("建设起止年限", "2027-2024")
    assert (report[11]["column"], report[11]["value"]) == ("建设单位", "河北恒远电缆有限公司")
    assert "宁晋" in report[11]["reason"] or "Ningjin" in report[11]["reason"]
    assert str(3) in job.message
    assert Project.objects.count() == projects_before and history_size() == history_before
    assert not Enterprise.objects.filter(name_zh=NEW_ENTERPRISE).exists()
    assert not Department.objects.filter(name_zh=NEW_DEPARTMENT).exists()
    assert not User.objects.filter(display_name=NEW_LEADER).exists()
    with pytest.raises(DomainError):
        runs.import_confirm(actor=office, job=job)


def test_it_writes_nothing_when_the_registry_changed_since_the_preview(office, julu):
    from keyprojects.projects.services import ProjectData, project_update

    job = check(office, julu, office_list(lines_2026()))
    assert job.preview["counts"]["update"] == 1
    existing = julu_project(demo_code(1))
    in_file = existing.total_investment
    data = ProjectData(
        **{
            name: getattr(existing, name)
            for name in ProjectData.__dataclass_fields__
            if name != "responsible_departments"
        },
        responsible_departments=tuple(existing.responsible_departments.all()),
    )
    project_update(actor=office, project=existing, data=replace(data, total_investment=Decimal("1.00")))
    projects_before = Project.objects.count()

    job = runs.import_confirm(actor=office, job=job)

    assert job.status == ImportJob.Status.PREVIEW
    assert job.message
    assert Project.objects.count() == projects_before
    assert not Enterprise.objects.filter(name_zh=NEW_ENTERPRISE).exists()
    (update,) = job.preview["update"]
    assert any(
        old == "0.0001" for _f, old, _new in update["changes"]
    )  # 1 yuan, in 万元  # the new preview shows the new state
    job = runs.import_confirm(actor=office, job=job)
    assert job.status == ImportJob.Status.DONE
    assert julu_project(demo_code(1)).total_investment == in_file


# ---- other ways offices lay the list out ---------------------------------------------------------------


def test_it_reads_a_total_above_the_groups_numerals_apart_subtotals_and_placeholders(office, julu):
    """合计 right under the header (covering every row below), a group row with its numeral in the 序号 column
    and its title in the name column, 小计 rows, a level column left blank (the group says it) or filled (it
    wins), and "/" or "—" where there is no plan this year."""
    header = ["序号", "项目名称", "项目级别", "建设单位", "总投资", "2026年计划投资", "建设起止年限"]
    rows = [
        ["巨鹿县2026年重点项目计划表"],
        ["金额单位：万元"],
        header,
        ["合计", None, None, None, "=E6+E7+E10", "=F7"],
        ["一", "省重点项目（2项）", None, None, "=SUM(E6:E7)", "=SUM(F6:F7)"],
        [1, "巨鹿县占位符测试甲项目", None, "巨鹿天润纺织有限公司", 1000, "/", "2025-2026"],
        [2, "巨鹿县占位符测试乙项目", "市重点", "巨鹿天润纺织有限公司", 2000, 100, "2025-2026"],
        ["小计", None, None, None, "=SUM(E6:E7)", "=SUM(F6:F7)"],
        ["二", "县重点项目（1项）", None, None, "=E10", "=F10"],
        [1, "巨鹿县占位符测试丙项目", "", "巨鹿天润纺织有限公司", "3,000", "—", "2026"],
        ["小计", None, None, None, "=E10", None],
    ]
    cached = {
        (SHEET, "E4"): 6000, (SHEET, "F4"): 100, (SHEET, "E5"): 3000, (SHEET, "F5"): 100,
        (SHEET, "E8"): 3000, (SHEET, "F8"): 100, (SHEET, "E9"): 3000, (SHEET, "F9"): 0,
        (SHEET, "E11"): 3000,
    }  # fmt: skip
    content = with_cached_values(xlsx_bytes(rows, title=SHEET), cached)

    job = check(office, julu, content)

    assert job.status == ImportJob.Status.PREVIEW, job.error_report
    assert [(s["row"], s["reason"]) for s in job.preview["skipped"]] == [
        (1, "title"),
        (2, "unit"),
        (4, "total"),
        (5, "group"),
        (8, "subtotal"),
        (9, "group"),
        (11, "subtotal"),
    ]
    failed = [c for c in job.preview["checks"] if not c["ok"]]
    assert failed == [] and len(job.preview["checks"]) == 11
    runs.import_confirm(actor=office, job=job)
    projects = {
        p.name_zh[-3:]: p for p in Project.objects.filter(county=julu, name_zh__startswith="巨鹿县占位符测试")
    }
    assert {k: p.level for k, p in projects.items()} == {
        "甲项目": Level.PROVINCIAL,
        "乙项目": Level.MUNICIPAL,
        "丙项目": Level.COUNTY,
    }
    assert {k: p.total_investment for k, p in projects.items()} == {
        "甲项目": 10_000_000,
        "乙项目": 20_000_000,
        "丙项目": 30_000_000,
    }
    assert (projects["丙项目"].start_date, projects["丙项目"].planned_completion_date) == (
        date(2026, 1, 1),
        date(2026, 12, 31),
    )
    assert list(
        AnnualPlan.objects.filter(project__in=projects.values()).values_list("project__name_zh", flat=True)
    ) == ["巨鹿县占位符测试乙项目"]


def test_it_refuses_a_numbered_column_as_the_code_whatever_its_header(office, julu):
    rows = [
        ["巨鹿县2026年重点项目计划表"],
        ["单位：万元"],
        ["编号", "项目名称", "建设单位", "总投资"],
        ["一、省重点项目"],
        [1, "巨鹿县编号测试甲项目", "巨鹿天润纺织有限公司", 100],
        [2, "巨鹿县编号测试乙项目", "巨鹿天润纺织有限公司", 200],
        ["二、市重点项目"],
        [1, "巨鹿县编号测试丙项目", "巨鹿天润纺织有限公司", 300],
    ]
    job = start(office, julu, xlsx_bytes(rows, title=SHEET))

    assert guessed(job).get(0) != "code"
    with pytest.raises(DomainError) as refused:
        jobs.import_configure(actor=office, job=job, mapping={**guessed(job), 0: "code"})
    assert "编号" in refused.value.message


def test_it_refuses_a_row_whose_name_and_enterprise_match_two_projects(office, julu):
    from keyprojects.projects.services import ProjectData, project_create

    enterprise = Enterprise.objects.get(slug="liangshan")
    for code in ("JL-TWIN-1", "JL-TWIN-2"):
        project_create(
            actor=SYSTEM,
            county=julu,
            data=ProjectData(
                code=code, name_zh="巨鹿县同名测试项目", name_en="Twin", level=Level.MUNICIPAL, category="",
                enterprise=enterprise, total_investment=Decimal(100),
            ),
            stage_date=date(2026, 1, 1),
        )  # fmt: skip
    lines = [("市重点项目", [Line("巨鹿县同名测试项目", enterprise.name_zh, 100, 10)])]
    projects_before = Project.objects.count()

    job = check(office, julu, office_list(lines))

    assert job.status == ImportJob.Status.FAILED
    (error,) = job.error_report
    assert error["row"] == 6 and error["value"] == "巨鹿县同名测试项目"
    assert "JL-TWIN-1" in error["reason"] and "JL-TWIN-2" in error["reason"]
    assert Project.objects.count() == projects_before


# ---- scale --------------------------------------------------------------------------------------------

KNOWN_ENTERPRISES = (
    "巨鹿天润纺织有限公司",
    "巨鹿康泰纺织有限公司",
    "河北梁山节能环保有限公司",
    "巨鹿瑞丰食品有限公司",
)
KNOWN_DEPARTMENTS = ("巨鹿县发展和改革局", "国网巨鹿县供电公司", "巨鹿县交通运输局", "巨鹿县财政局")
KNOWN_LEADERS = ("黄海涛（县委常委、常务副县长）", "杨文斌", "周明亮（副县长）")


def many_lines(count: int, name: str = "巨鹿县批量测试项目") -> list[tuple[str, list[Line]]]:
    """`count` new projects in two groups: known and new enterprises, departments and leaders in turn, amounts
    as text and as numbers."""
    lines = [
        Line(
            f"{name}{n:05d}",
            KNOWN_ENTERPRISES[n % 4] if n % 5 else f"巨鹿县批量新企业{n % 3}有限公司",
            f"{1000 + n:,}.5" if n % 2 else 1000 + n,
            n % 700 + 0.25,
            "2025.3-2027.12" if n % 2 else "2025-2026",
            f"{KNOWN_DEPARTMENTS[n % 4]}、{KNOWN_DEPARTMENTS[(n + 1) % 4]}" if n % 7 else "巨鹿县批量新部门",
            KNOWN_LEADERS[n % 3] if n % 11 else "钱批量（副县长）",
        )
        for n in range(count)
    ]
    half = count // 2
    return [("省重点项目", lines[:half]), ("市重点项目", lines[half:])]


def queries_to_check_and_write(office: User, julu: Region, count: int) -> tuple[int, int]:
    job = start(office, julu, office_list(many_lines(count, name=f"巨鹿县{count}行测试项目")))
    with CaptureQueriesContext(connection) as checking:
        job = jobs.import_configure(actor=office, job=job, mapping=guessed(job))
    assert job.status == ImportJob.Status.PREVIEW, job.error_report[:3]
    assert job.preview["counts"]["create"] == count
    with CaptureQueriesContext(connection) as writing:
        job = runs.import_confirm(actor=office, job=job)
    assert job.status == ImportJob.Status.DONE and job.created_count == count
    return len(checking), len(writing)


def test_it_checks_and_writes_200_rows_with_about_the_queries_of_20(office, julu, settings):
    settings.KEYPROJECTS_IMPORT_INLINE_ROWS = 200
    few = queries_to_check_and_write(office, julu, 20)
    many = queries_to_check_and_write(office, julu, 200)
    print(f"\nqueries to check and to write 20 rows: {few}; 200 rows: {many}")
    assert many[0] - few[0] <= 1  # the run's progress, told every hundred rows or so; nothing per row
    assert many[0] <= 30
    # Writing grows with the bulk statements' batches (SQLite takes 999 values a statement: 24 for 2,400 planned
    # months and their history), never with the rows.
    assert many[1] - few[1] <= 60


def test_it_checks_2000_rows_in_seconds(office, julu, settings):
    settings.KEYPROJECTS_IMPORT_MAX_ROWS = 5000
    content = office_list(many_lines(2000))
    job = start(office, julu, content)

    # This process's CPU time, not the wall clock: other work on a shared 2-core machine does not count
    # (the database's own work on PostgreSQL is not counted either: the check's Python is what is measured).
    began = time.process_time()
    job = jobs.import_configure(actor=office, job=job, mapping=guessed(job))
    seconds = time.process_time() - began

    assert job.status == ImportJob.Status.PREVIEW, job.error_report[:3]
    assert job.preview["counts"]["create"] == 2000
    print(
        f"\nchecked 2,000 rows (reading the file included) in {seconds:.2f} s: {2000 / seconds:,.0f} rows/s"
    )
    assert 2000 / seconds >= 500  # the goal is 2,000 rows/s; a slow CI machine gets a margin

    began = time.perf_counter()
    job = runs.import_confirm(actor=office, job=job)
    seconds = time.perf_counter() - began
    assert job.status == ImportJob.Status.DONE and job.created_count == 2000
    print(
        f"wrote 2,000 rows (checked again first) on {connection.vendor} in {seconds:.2f} s: {2000 / seconds:,.0f} rows/s"
    )


def test_it_writes_nothing_when_a_plan_was_revised_since_the_preview(office, julu):
    from keyprojects.investment.services import plan_save

    job = check(office, julu, office_list(lines_2026()))
    existing = julu_project(demo_code(1))
    # The revision below changes every month, which an approved month's report would refuse: none is approved.
    MonthlyReport.objects.filter(project=existing, year=2026).delete()
    plan_save(
        actor=office,
        project=existing,
        year=2026,
        months=[Decimal(1_000_000)] * 12,
        reason="调整",
    )

    job = runs.import_confirm(actor=office, job=job)

    assert job.status == ImportJob.Status.PREVIEW  # the preview showed another old plan: shown again
    assert not Enterprise.objects.filter(name_zh=NEW_ENTERPRISE).exists()
    (update,) = job.preview["update"]
    assert update["changes"][0][1:] == ["1,200.00", "8,000.00"]
    plan = AnnualPlan.objects.get(project=existing, year=2026)
    assert sum(m.amount for m in plan.months.all()) == 12_000_000 and not plan.spread_along_curve


def test_it_tells_group_rows_apart_by_the_name_column_the_office_chose(office, julu):
    """The name column's header is none the import knows (工程项目): the office maps it, and the group rows whose
    title stands in that column are still group rows."""
    rows = [
        ["巨鹿县2026年重点项目表"],
        ["单位：万元"],
        ["序号", "工程项目", "建设单位", "总投资"],
        ["一", "市重点项目（1项）", None, "=D5"],
        [1, "巨鹿县改名列测试项目", "巨鹿天润纺织有限公司", 100],
    ]
    job = start(office, julu, with_cached_values(xlsx_bytes(rows, title=SHEET), {(SHEET, "D4"): 100}))
    assert 1 not in guessed(job)

    job = jobs.import_configure(actor=office, job=job, mapping={**guessed(job), 1: "name_zh"})

    assert job.status == ImportJob.Status.PREVIEW, job.error_report
    assert [(s["row"], s["reason"]) for s in job.preview["skipped"]][-1] == (4, "group")
    (created,) = job.preview["create"]
    with translation.override(office.language):
        assert (created["name"], created["level"]) == ("巨鹿县改名列测试项目", str(Level.MUNICIPAL.label))


def test_it_keeps_projects_numbered_with_chinese_numerals(office, julu):
    rows = [
        ["巨鹿县2026年重点项目表"],
        ["单位：万元"],
        ["序号", "项目名称", "建设单位", "总投资", "项目级别"],
        ["一", "巨鹿县汉字序号测试甲项目", "巨鹿天润纺织有限公司", 100, "市重点"],
        ["二", "巨鹿县汉字序号测试乙项目", "巨鹿天润纺织有限公司", 200, "市重点"],
    ]
    job = check(office, julu, xlsx_bytes(rows, title=SHEET))

    assert job.status == ImportJob.Status.PREVIEW, job.error_report
    assert [r["name"] for r in job.preview["create"]] == [
        "巨鹿县汉字序号测试甲项目",
        "巨鹿县汉字序号测试乙项目",
    ]


def test_the_preview_page_shows_what_a_cell_says_that_is_not_stored(client, login, office, julu):
    job = check(office, julu, office_list(lines_2026()))
    login("office.julu")

    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()

    assert 'data-testid="not-stored"' in page
    assert "杨文斌、周明亮" in page and "周明亮" in page.split('data-testid="not-stored"')[1]
