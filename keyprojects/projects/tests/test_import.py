"""The registry import from Excel: template, checks on the file, every row validated first, all-or-nothing
writes, idempotent re-imports, column mapping for an office's own workbook, background runs, scope.

fixtures/registry-libreoffice.xlsx was made once: a workbook written with openpyxl (a merged title row, our
headers, date cells, a month written as text, a credit code instead of a name) and converted with
`libreoffice --headless --convert-to xlsx` (LibreOffice 7.4), so that it carries LibreOffice's own
styles, shared strings and dimensions. The tests do not need LibreOffice.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from keyprojects.accounts.models import Enterprise, Region, User
from keyprojects.core import clock
from keyprojects.core.models import AuditEntry
from keyprojects.core.spreadsheets import XLSX_TYPE
from keyprojects.projects import importing, tasks
from keyprojects.projects.models import ColumnMapping, ImportJob, Project, StageChange

FIXTURES = Path(__file__).parent / "fixtures"
HEADERS = [c.zh for c in importing.COLUMNS]
WAN = Decimal(10_000)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def julu(db) -> Region:
    return Region.objects.select_related("parent").get(slug="julu")


@pytest.fixture
def office(persona) -> User:
    return persona("office.julu")


def xlsx(rows: list[list], *, before: list[list] | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in [*(before or []), *rows]:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def upload(content: bytes, name: str = "registry.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def new_row(code: str, **values) -> dict:
    """A complete, valid row of our template for a new Julu project (amounts in 万元)."""
    return {
        "code": code,
        "name_zh": f"导入测试项目{code}",
        "name_en": f"Imported project {code}",
        "level": "省重点项目",
        "stage": "前期",
        "category": "工业",
        "enterprise": "河北梁山节能环保有限公司",
        "zone": "巨鹿经济开发区",
        "total_investment": 12345.67,
        "land_area_mu": 50.5,
        "address": "巨鹿经济开发区纬一路",
        "lat": 37.2,
        "lng": 115.05,
        "construction_content": "厂房及配套设施",
        "expected_annual_output": 8000,
        "start_date": date(2026, 3, 1),
        "planned_completion_date": date(2027, 6, 30),
        "leader_in_charge": "黄海涛",
        "responsible_departments": "巨鹿县水务局、国网巨鹿县供电公司",
        **values,
    }


def template_file(rows: list[dict], *, english_row: bool = False) -> bytes:
    lines = [HEADERS]
    if english_row:
        lines.append([c.en for c in importing.COLUMNS])
    lines += [[r.get(c.key) for c in importing.COLUMNS] for r in rows]
    return xlsx(lines)


def registry_rows(county: Region) -> list[dict]:
    """What the registry says about every project of the county, as rows of our template."""
    rows = []
    with translation.override("zh-hans"):
        for p in Project.objects.filter(county=county).prefetch_related("responsible_departments"):
            rows.append(
                {
                    "code": p.code,
                    "name_zh": p.name_zh,
                    "name_en": p.name_en,
                    "level": p.get_level_display(),
                    "stage": p.get_stage_display(),
                    "category": p.get_category_display(),
                    "enterprise": p.enterprise.name_zh,
                    "zone": p.zone.name_zh if p.zone_id else None,
                    "total_investment": float(p.total_investment / WAN),
                    "land_area_mu": float(p.land_area_mu) if p.land_area_mu is not None else None,
                    "address": p.address,
                    "lat": float(p.lat) if p.lat is not None else None,
                    "lng": float(p.lng) if p.lng is not None else None,
                    "construction_content": p.construction_content,
                    "expected_annual_output": (
                        float(p.expected_annual_output / WAN)
                        if p.expected_annual_output is not None
                        else None
                    ),
                    "start_date": p.start_date,
                    "planned_completion_date": p.planned_completion_date,
                    "leader_in_charge": p.leader_in_charge.username if p.leader_in_charge_id else None,
                    "responsible_departments": "、".join(d.name_zh for d in p.responsible_departments.all()),
                }
            )
    return rows


def post_file(client, content: bytes, *, name: str = "registry.xlsx", county: str = "julu"):
    return client.post(reverse("projects:import_upload", args=[county]), {"file": upload(content, name)})


def latest_job() -> ImportJob:
    return ImportJob.objects.latest("id")


def history_size() -> int:
    return Project.history.count() + StageChange.objects.count() + AuditEntry.objects.count()


# ---- a good file --------------------------------------------------------------------------------


def test_it_imports_a_good_file_creating_the_projects_in_yuan(client, login, julu):
    login("office.julu")
    content = template_file([new_row("JL-IMP-001"), new_row("JL-IMP-002", stage="在建", level="市重点项目")])

    response = post_file(client, content)

    job = latest_job()
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:import_job", args=[job.pk])
    assert job.status == ImportJob.Status.DONE, (job.message, job.error_report)
    assert (job.created_count, job.updated_count, job.unchanged_count) == (2, 0, 0)
    project = Project.objects.get(county=julu, code="JL-IMP-001")
    assert project.total_investment == Decimal("123456700.00")  # 12,345.67 万元
    assert project.expected_annual_output == Decimal("80000000.00")
    assert project.land_area_mu == Decimal("50.50")
    assert project.lat == Decimal("37.200000")
    assert project.enterprise.slug == "liangshan"
    assert project.zone.slug == "julu-edz"
    assert project.leader_in_charge.username == "leader.julu.2"
    assert {d.slug for d in project.responsible_departments.all()} == {"julu-water", "julu-power"}
    assert (project.level, project.stage, project.category) == ("provincial", "early", "industry")
    assert project.start_date == date(2026, 3, 1)
    assert project.milestones.exists()  # created through project_create, with its template milestones
    assert Project.objects.get(county=julu, code="JL-IMP-002").stage == "construction"
    page = client.get(response["Location"]).content.decode()
    assert 'data-status="done"' in page
    assert "hx-trigger" not in page  # a finished job is not polled


def test_it_updates_a_project_found_by_its_code_and_leaves_the_others_alone(client, login, julu):
    login("office.julu")
    rows = registry_rows(julu)
    first = next(r for r in rows if r["code"] == "JL-2026-001")
    first["total_investment"] = 52_000
    first["address"] = "巨鹿经济开发区新址"
    before = history_size()

    post_file(client, template_file(rows))

    job = latest_job()
    assert job.status == ImportJob.Status.DONE, job.error_report
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 1, 52)
    project = Project.objects.get(county=julu, code="JL-2026-001")
    assert project.total_investment == Decimal("520000000.00")
    assert project.address == "巨鹿经济开发区新址"
    # One history row and one audit entry for the project, one audit entry for the import: nothing else.
    assert history_size() == before + 3
    assert AuditEntry.objects.filter(action="project.update").latest("id").data["total_investment"]


def test_it_accepts_labels_in_chinese_or_english_or_codes_and_names_or_codes_of_enterprises(
    client, login, julu
):
    login("office.julu")
    ruifeng = Enterprise.objects.get(slug="julu-ruifeng-food")
    rows = [
        new_row("JL-IMP-010", level="provincial key project", stage="under construction", category="energy"),
        new_row("JL-IMP-011", level="municipal", stage="started", category="infrastructure"),
        new_row(
            "JL-IMP-012", level="县重点", stage="续建", category="现代服务业", enterprise=ruifeng.credit_code
        ),
        new_row("JL-IMP-013", enterprise="binhao", leader_in_charge="leader.julu", zone=None),
        new_row(
            "JL-IMP-014",
            enterprise=ruifeng.name_en,
            responsible_departments="julu-water, 巨鹿县财政局;julu-bank",
        ),
    ]

    post_file(client, template_file(rows))

    assert latest_job().status == ImportJob.Status.DONE, latest_job().error_report
    got = {p.code: p for p in Project.objects.filter(county=julu, code__startswith="JL-IMP-01")}
    assert (got["JL-IMP-010"].level, got["JL-IMP-010"].stage, got["JL-IMP-010"].category) == (
        "provincial",
        "construction",
        "energy",
    )
    assert (got["JL-IMP-011"].level, got["JL-IMP-011"].stage) == ("municipal", "started")
    assert (got["JL-IMP-012"].level, got["JL-IMP-012"].stage, got["JL-IMP-012"].category) == (
        "county",
        "construction",
        "services",
    )
    assert got["JL-IMP-012"].enterprise == ruifeng
    assert got["JL-IMP-013"].enterprise.slug == "binhao"
    assert got["JL-IMP-013"].leader_in_charge.username == "leader.julu"
    assert got["JL-IMP-013"].zone is None
    assert {d.slug for d in got["JL-IMP-014"].responsible_departments.all()} == {
        "julu-water",
        "julu-finance",
        "julu-bank",
    }


def test_it_reads_the_template_with_its_english_header_row(client, login, julu):
    login("office.julu")

    post_file(client, template_file([new_row("JL-IMP-020")], english_row=True))

    job = latest_job()
    assert job.status == ImportJob.Status.DONE, job.error_report
    assert job.is_template and job.total_rows == 1
    assert Project.objects.filter(county=julu, code="JL-IMP-020").exists()


# ---- a bad row ------------------------------------------------------------------------------------


def test_it_imports_nothing_from_a_file_with_one_bad_row_and_names_row_column_value_and_reason(
    client, login, julu
):
    user = login("office.julu")
    user.language = "en"
    user.save(update_fields=["language"])
    rows = [new_row(f"JL-IMP-1{i:02d}") for i in range(5)]
    rows[3]["total_investment"] = "十二亿"  # row 5 in Excel: header on row 1, this is the 4th data row
    before = (Project.objects.count(), history_size())

    response = post_file(client, template_file(rows))

    job = latest_job()
    assert job.status == ImportJob.Status.FAILED
    assert (Project.objects.count(), history_size()) == before
    assert job.error_count == 1
    assert job.error_report == [
        {"row": 5, "column": "总投资（万元）", "value": "十二亿", "reason": "Not a number."}
    ]
    page = client.get(response["Location"]).content.decode()
    assert "十二亿" in page and "Not a number." in page
    assert "nothing was imported" in page


def test_it_reports_every_problem_of_every_row_before_writing_anything(client, login, julu):
    login("office.julu")
    rows = [
        new_row("JL-IMP-200", level="国家级"),
        new_row("JL-IMP-201", enterprise="不存在的公司", start_date="2026-13-01"),
        new_row("JL-IMP-202", planned_completion_date=date(2025, 1, 1)),
        new_row("JL-IMP-200"),
        new_row("", name_zh="没有编号"),
        new_row("JL-IMP-203", leader_in_charge="王立军", responsible_departments="巨鹿县水务局、不存在局"),
        new_row("JL-IMP-204", lat=123.5, name_zh=""),
        new_row("JL-2026-001", stage="签约"),  # stored as under construction: backwards
    ]

    post_file(client, template_file(rows))

    job = latest_job()
    assert job.status == ImportJob.Status.FAILED
    found = {(e["row"], e["column"]) for e in job.error_report}
    assert found == {
        (2, "项目级别"),
        (3, "项目单位"),
        (3, "开工日期"),
        (4, "计划竣工日期"),
        (5, "项目编号"),
        (6, "项目编号"),
        (7, "包联领导"),  # 王立军 leads in another county
        (7, "责任单位"),
        (8, "项目名称"),
        (8, "纬度"),
        (9, "建设阶段"),
    }
    assert not Project.objects.filter(code__startswith="JL-IMP-2").exists()
    departments = next(e for e in job.error_report if e["column"] == "责任单位")
    assert "不存在局" in departments["reason"] and "巨鹿县水务局" not in departments["reason"]


def test_it_refuses_formulas_where_values_are_expected(client, login, julu):
    login("office.julu")
    rows = [new_row("JL-IMP-300"), new_row("JL-IMP-301", total_investment="=I2*2")]

    post_file(client, template_file(rows))

    job = latest_job()
    assert job.status == ImportJob.Status.FAILED
    assert [(e["row"], e["column"], e["value"]) for e in job.error_report] == [(3, "总投资（万元）", "=I2*2")]
    assert "公式" in job.error_report[0]["reason"]  # the office's language: Chinese
    assert not Project.objects.filter(code="JL-IMP-300").exists()
    # The downloadable report keeps the formula as text: opening it runs nothing.
    report = client.get(reverse("projects:import_errors", args=[job.pk]))
    cells = [c.value for c in load_workbook(io.BytesIO(report.content)).worksheets[0][2]]
    assert cells == [3, "总投资（万元）", "'=I2*2", job.error_report[0]["reason"]]


@pytest.mark.parametrize("value", ["\t=1+1", ' =HYPERLINK("http://x","y")', "\r\n=A1"])
def test_it_refuses_a_formula_behind_spaces_tabs_or_line_breaks(client, login, julu, value):
    login("office.julu")

    post_file(client, template_file([new_row("JL-IMP-310", name_zh=value)]))

    job = latest_job()
    assert job.status == ImportJob.Status.FAILED
    assert [(e["row"], e["column"]) for e in job.error_report] == [(2, "项目名称")]
    assert not Project.objects.filter(code="JL-IMP-310").exists()


# ---- organisations of another county ------------------------------------------------------------


@pytest.mark.parametrize(
    "column, value",
    [
        ("enterprise", "河北恒远电缆有限公司"),
        ("responsible_departments", "巨鹿县水务局、宁晋县水务局"),
        ("leader_in_charge", "<a leader of ningjin>"),
    ],
)
def test_it_refuses_rows_naming_an_organisation_of_another_county(client, login, julu, column, value):
    """Ningjin's enterprise or department named in a Julu row would then open the Julu project as its own."""
    login("office.julu")
    if value == "<a leader of ningjin>":
        value = User.objects.get(username="leader.ningjin").username
    header = next(c.zh for c in importing.COLUMNS if c.key == column)

    post_file(client, template_file([new_row("JL-IMP-320"), new_row("JL-IMP-321", **{column: value})]))

    job = latest_job()
    assert job.status == ImportJob.Status.FAILED
    assert [(e["row"], e["column"], e["value"]) for e in job.error_report] == [(3, header, value)]
    assert "宁晋" in job.error_report[0]["reason"] or "巨鹿" in job.error_report[0]["reason"]
    assert not Project.objects.filter(code__in=["JL-IMP-320", "JL-IMP-321"]).exists()


# ---- re-import ------------------------------------------------------------------------------------


def test_it_changes_nothing_when_the_same_file_is_imported_again(client, login, julu):
    login("office.julu")
    content = template_file([new_row("JL-IMP-400"), new_row("JL-IMP-401", stage="在建")])
    post_file(client, content)
    assert latest_job().created_count == 2
    stamps = dict(Project.objects.filter(county=julu).values_list("code", "updated_at"))
    before = history_size()

    post_file(client, content)

    job = latest_job()
    assert job.status == ImportJob.Status.DONE
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 0, 2)
    assert history_size() == before
    assert dict(Project.objects.filter(county=julu).values_list("code", "updated_at")) == stamps


def test_it_finds_the_whole_stored_registry_unchanged(office, julu):
    """Every demo project written back as a row: no update, no history, no audit entry."""
    before = history_size()
    job = importing.import_create(
        actor=office, county=julu, upload=upload(template_file(registry_rows(julu)))
    )

    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.error_report
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 0, 53)
    assert history_size() == before


# ---- files that are not right ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, content, words",
    [
        ("registry.csv", "项目编号,项目名称\nJL-1,测试\n".encode(), "not an Excel workbook"),
        ("registry.xlsx", "项目编号,项目名称\nJL-1,测试\n".encode(), "not an Excel workbook"),
        ("registry.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500, "old-format Excel file"),
        ("registry.xlsx", b"PK\x03\x04" + b"\0" * 100, "damaged"),
        ("registry.xlsx", b"", "empty"),
    ],
)
def test_it_refuses_a_file_that_is_not_an_excel_workbook(client, login, name, content, words):
    user = login("office.julu")
    user.language = "en"
    user.save(update_fields=["language"])
    jobs = ImportJob.objects.count()

    response = client.post(reverse("projects:import_upload", args=["julu"]), {"file": upload(content, name)})

    assert response.status_code == 200
    assert words in response.content.decode()
    assert ImportJob.objects.count() == jobs


def test_it_refuses_an_opendocument_spreadsheet_that_is_a_zip_but_not_excel(client, login):
    login("office.julu")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")

    response = post_file(client, buffer.getvalue())

    assert response.status_code == 200
    assert response.context["form"].errors["file"]


def test_it_refuses_a_file_over_the_size_limit(client, login, settings):
    user = login("office.julu")
    user.language = "en"
    user.save(update_fields=["language"])
    settings.KEYPROJECTS_IMPORT_MAX_BYTES = 4096
    content = template_file([new_row(f"JL-IMP-5{i:02d}", construction_content="长" * 200) for i in range(40)])
    assert len(content) > 4096

    response = post_file(client, content)

    assert "at most 4.0\xa0KB can be imported" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_it_refuses_a_worksheet_with_too_many_rows(client, login, settings):
    login("office.julu")
    settings.KEYPROJECTS_IMPORT_MAX_ROWS = 5

    response = post_file(client, template_file([new_row(f"JL-IMP-6{i:02d}") for i in range(6)]))

    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not ImportJob.objects.exists()


def test_it_refuses_a_zip_bomb(client, login, settings):
    login("office.julu")
    settings.KEYPROJECTS_IMPORT_MAX_BYTES = 20_000
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", " " * 1_000_000)

    response = post_file(client, buffer.getvalue())

    assert response.context["form"].errors["file"]


# ---- what real offices produce ------------------------------------------------------------------


def test_it_reads_a_workbook_saved_by_libreoffice(client, login, julu):
    login("office.julu")
    content = (FIXTURES / "registry-libreoffice.xlsx").read_bytes()
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert b"<Application>LibreOffice" in archive.read("docProps/app.xml")

    post_file(client, content, name="巨鹿县重点项目台账.xlsx")

    job = latest_job()
    assert job.status == ImportJob.Status.DONE, job.error_report or job.message
    assert job.header_row == 2  # a merged title row comes first
    assert job.created_count == 3
    first = Project.objects.get(county=julu, code="JL-LO-001")
    assert first.total_investment == Decimal("350005000.00")
    assert first.land_area_mu == Decimal("120.25")
    assert (first.lat, first.lng) == (Decimal("37.241234"), Decimal("115.061234"))
    assert (first.start_date, first.planned_completion_date) == (date(2026, 3, 15), date(2027, 12, 31))
    assert first.stage == "construction" and first.zone.slug == "julu-edz"
    assert {d.slug for d in first.responsible_departments.all()} == {"julu-resources", "julu-power"}
    second = Project.objects.get(county=julu, code="JL-LO-002")
    assert second.start_date == date(2026, 6, 1)  # "2026年6月"
    assert second.name_en == second.name_zh  # no English name given: the Chinese one stands in
    third = Project.objects.get(county=julu, code="JL-LO-003")
    assert third.enterprise.credit_code == "911305000LNEXWX9K4"
    assert third.leader_in_charge.username == "leader.julu.3"
    assert {d.slug for d in third.responsible_departments.all()} == {"julu-water", "julu-finance"}


# ---- an office's own workbook ----------------------------------------------------------------------

OWN_HEADERS = [
    "序号",
    "项目编号",
    "项目名称",
    "建设单位",
    "总投资（亿元）",
    "级别",
    "行业类别",
    "包联县领导",
    "备注",
]


def own_workbook(code: str = "JL-OWN-001") -> bytes:
    return xlsx(
        [
            OWN_HEADERS,
            [
                1,
                code,
                "巨鹿县新材料产业园项目",
                "巨鹿康泰纺织有限公司",
                3.5,
                "市重点",
                "工业",
                "周明亮",
                "新签约",
            ],
        ],
        before=[["2026年巨鹿县重点项目台账"], ["填报单位：巨鹿县项目办", None, None, "单位：亿元"]],
    )


def test_it_guesses_the_mapping_of_an_office_workbook_from_its_chinese_headers(client, login, julu):
    login("office.julu")

    response = post_file(client, own_workbook(), name="台账.xlsx")

    job = latest_job()
    assert job.status == ImportJob.Status.PENDING and not job.is_template
    assert response["Location"] == reverse("projects:import_job", args=[job.pk])
    assert client.get(response["Location"])["Location"] == reverse("projects:import_mapping", args=[job.pk])
    assert job.header_row == 3
    assert job.mapping == {
        "1": "code",
        "2": "name_zh",
        "3": "enterprise",
        "4": "total_investment",
        "5": "level",
        "6": "category",
        "7": "leader_in_charge",
    }
    page = client.get(reverse("projects:import_mapping", args=[job.pk]))
    form = page.context["form"]
    assert form["col_3"].initial == "enterprise"
    assert form["col_0"].initial == ""
    assert "巨鹿康泰纺织有限公司" in page.content.decode()  # the first values, to recognise the column

    response = client.post(
        reverse("projects:import_mapping", args=[job.pk]),
        {f"col_{i}": job.mapping.get(str(i), "") for i in range(len(OWN_HEADERS))},
    )

    job.refresh_from_db()
    assert response.status_code == 302
    assert job.status == ImportJob.Status.DONE, job.error_report
    project = Project.objects.get(county=julu, code="JL-OWN-001")
    assert project.total_investment == Decimal("350000000.00")  # 3.5 亿元, as the header says
    assert project.enterprise.slug == "julu-kangtai-textile"
    assert (project.level, project.category, project.stage) == ("municipal", "industry", "signed")


def test_it_remembers_the_corrected_mapping_for_the_county_s_next_upload(client, login, julu):
    login("office.julu")
    post_file(client, own_workbook("JL-OWN-010"))
    job = latest_job()
    choices = {f"col_{i}": job.mapping.get(str(i), "") for i in range(len(OWN_HEADERS))}
    choices["col_8"] = "construction_content"  # 备注 was not guessed: the office maps it by hand
    choices["col_6"] = ""  # and leaves the category out (the project is new, so it must fail)

    client.post(reverse("projects:import_mapping", args=[job.pk]), choices)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert {e["column"] for e in job.error_report} == {str(importing.COLUMN_BY_KEY["category"].label)}
    remembered = dict(ColumnMapping.objects.filter(county=julu).values_list("source_header", "field"))
    assert remembered["备注"] == "construction_content"
    assert remembered["行业类别"] == ""
    assert remembered["序号"] == ""

    post_file(client, own_workbook("JL-OWN-011"))

    second = latest_job()
    assert second.pk != job.pk
    assert second.mapping["8"] == "construction_content"
    assert "6" not in second.mapping
    assert second.columns[8]["guess"] == "remembered"
    page = client.get(reverse("projects:import_mapping", args=[second.pk]))
    assert page.context["form"]["col_8"].initial == "construction_content"
    assert "remembered" in page.content.decode() or "记住" in page.content.decode()


def test_it_keeps_a_county_s_remembered_mapping_to_that_county(office, persona, julu):
    ColumnMapping.objects.create(county=julu, source_header="备注", field="construction_content")
    ningjin = Region.objects.select_related("parent").get(slug="ningjin")

    job = importing.import_create(
        actor=persona("office.ningjin"), county=ningjin, upload=upload(own_workbook())
    )

    assert "8" not in job.mapping


def test_it_refuses_a_mapping_without_the_code_or_with_a_field_twice(client, login):
    login("office.julu")
    post_file(client, own_workbook())
    job = latest_job()
    url = reverse("projects:import_mapping", args=[job.pk])
    base = {f"col_{i}": job.mapping.get(str(i), "") for i in range(len(OWN_HEADERS))}

    without_code = client.post(url, {**base, "col_1": ""})
    twice = client.post(url, {**base, "col_8": "name_zh"})

    assert without_code.status_code == 200 and without_code.context["form"].non_field_errors()
    assert twice.status_code == 200 and twice.context["form"].non_field_errors()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PENDING


def test_it_guesses_columns_from_english_headers_and_units():
    headers = ["No.", "Project code", "Project name", "Total investment (yuan)", "Start date", "Enterprise"]

    guessed = {i: g.field for i, g in importing.guess_mapping(headers, {}).items()}

    assert guessed == {1: "code", 2: "name_zh", 3: "total_investment", 4: "start_date", 5: "enterprise"}
    assert importing.money_factor("Total investment (yuan)") == 1
    assert importing.money_factor("总投资（亿元）") == 100_000_000
    assert importing.money_factor("项目总投资") == 10_000


# ---- large files: a background task with a progress bar ----------------------------------------


def test_it_runs_a_large_file_as_a_background_task(client, login, julu, settings):
    login("office.julu")
    settings.KEYPROJECTS_IMPORT_INLINE_ROWS = 2
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}

    response = post_file(client, template_file([new_row(f"JL-IMP-7{i:02d}") for i in range(3)]))

    job = latest_job()
    assert job.status == ImportJob.Status.QUEUED
    assert not Project.objects.filter(code__startswith="JL-IMP-7").exists()
    page = client.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' in page and "<progress" in page
    partial = client.get(response["Location"], headers={"HX-Request": "true"})
    assert partial.templates[0].name == "projects/_import_progress.html"

    tasks.import_run.call(job.pk)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert (job.processed_rows, job.total_rows, job.created_count) == (3, 3, 3)
    assert (
        "hx-trigger" not in client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    )


def test_it_runs_the_task_through_the_immediate_backend_for_a_large_file(client, login, julu, settings):
    login("office.julu")
    settings.KEYPROJECTS_IMPORT_INLINE_ROWS = 2

    post_file(client, template_file([new_row(f"JL-IMP-8{i:02d}") for i in range(3)]))

    job = latest_job()
    assert job.status == ImportJob.Status.DONE
    assert Project.objects.filter(code__startswith="JL-IMP-8").count() == 3


def test_it_does_not_run_a_job_twice(office, julu):
    job = importing.import_create(
        actor=office, county=julu, upload=upload(template_file([new_row("JL-IMP-900")]))
    )
    assert job.status == ImportJob.Status.DONE

    result = tasks.import_run.call(job.pk)

    assert result["created"] == 1
    assert Project.objects.filter(code="JL-IMP-900").count() == 1


def test_it_fails_the_job_when_the_uploader_no_longer_manages_the_county(office, julu, settings):
    settings.KEYPROJECTS_IMPORT_INLINE_ROWS = 0
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    job = importing.import_create(
        actor=office, county=julu, upload=upload(template_file([new_row("JL-IMP-901")]))
    )
    office.memberships.all().delete()

    tasks.import_run.call(job.pk)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.message
    assert not Project.objects.filter(code="JL-IMP-901").exists()


# ---- a worker that died ---------------------------------------------------------------------------


@pytest.fixture
def queued_job(office, julu, settings) -> ImportJob:
    """A job handed to the task worker (which, here, never runs by itself)."""
    settings.KEYPROJECTS_IMPORT_INLINE_ROWS = 0
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    job = importing.import_create(
        actor=office, county=julu, upload=upload(template_file([new_row("JL-IMP-950")]))
    )
    assert job.status == ImportJob.Status.QUEUED
    return job


def worker_died_writing(job: ImportJob) -> None:
    """What a worker killed in the middle of the writes leaves: the job says "writing", its rows were
    rolled back with the transaction."""
    now = clock.now()
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.IMPORTING, started_at=now, progressed_at=now, processed_rows=1
    )


def test_it_marks_failed_a_job_whose_worker_showed_no_progress_and_runs_it_again(client, login, queued_job):
    login("office.julu")
    worker_died_writing(queued_job)
    job_page = reverse("projects:import_job", args=[queued_job.pk])

    with time_machine.travel(clock.now() + timedelta(minutes=14), tick=False):
        client.get(job_page, headers={"HX-Request": "true"})
        queued_job.refresh_from_db()
        assert queued_job.status == ImportJob.Status.IMPORTING  # slow is not dead

    with time_machine.travel(clock.now() + timedelta(minutes=16), tick=False):
        page = client.get(job_page).content.decode()

    queued_job.refresh_from_db()
    assert queued_job.status == ImportJob.Status.FAILED and queued_job.retryable
    assert "15" in queued_job.message
    assert 'data-testid="import-retry"' in page and queued_job.message in page
    assert AuditEntry.objects.filter(action="project.import_stale", target_id=str(queued_job.pk)).exists()

    response = client.post(reverse("projects:import_retry", args=[queued_job.pk]))

    assert response.status_code == 302
    queued_job.refresh_from_db()
    assert queued_job.status == ImportJob.Status.QUEUED and not queued_job.message
    tasks.import_run.call(queued_job.pk)
    queued_job.refresh_from_db()
    assert (queued_job.status, queued_job.created_count) == (ImportJob.Status.DONE, 1)
    assert Project.objects.filter(code="JL-IMP-950").count() == 1


def test_it_marks_dead_jobs_failed_by_the_periodic_task_and_on_the_upload_page(
    client, login, queued_job, julu, settings
):
    login("office.julu")
    worker_died_writing(queued_job)
    assert "keyprojects.projects.tasks.fail_stale_imports" in settings.KEYPROJECTS_PERIODIC_TASKS

    with time_machine.travel(clock.now() + timedelta(minutes=20), tick=False):
        assert tasks.fail_stale_imports.call() == {"failed": 1}
        # A job queued and never taken up (the worker was down) is given up the same way.
        never_taken_up = importing.import_create(
            actor=queued_job.uploaded_by, county=julu, upload=upload(template_file([new_row("JL-IMP-951")]))
        )
    with time_machine.travel(clock.now() + timedelta(minutes=40), tick=False):
        page = client.get(reverse("projects:import_upload", args=["julu"]))

    queued_job.refresh_from_db()
    never_taken_up.refresh_from_db()
    assert queued_job.status == never_taken_up.status == ImportJob.Status.FAILED
    assert queued_job.retryable and never_taken_up.retryable
    assert {j.status for j in page.context["jobs"]} == {ImportJob.Status.FAILED}


def test_it_stops_a_run_given_up_meanwhile_and_writes_nothing(queued_job, monkeypatch):
    load = importing.Lookups.load

    def load_slowly(county):
        # Meanwhile, the job showed no sign of life for too long and was marked failed.
        ImportJob.objects.filter(pk=queued_job.pk).update(status=ImportJob.Status.FAILED, retryable=True)
        return load(county)

    monkeypatch.setattr(importing.Lookups, "load", load_slowly)

    tasks.import_run.call(queued_job.pk)

    queued_job.refresh_from_db()
    assert queued_job.status == ImportJob.Status.FAILED and queued_job.retryable
    assert not Project.objects.filter(code="JL-IMP-950").exists()


def test_it_runs_again_only_an_import_that_stopped_without_finishing(client, login, julu):
    login("office.julu")
    post_file(client, template_file([new_row("JL-IMP-960", total_investment="abc")]))
    job = latest_job()
    assert job.status == ImportJob.Status.FAILED and not job.retryable

    response = client.post(reverse("projects:import_retry", args=[job.pk]), follow=True)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.error_count == 1
    assert [str(m) for m in response.context["messages"]]


# ---- the template -------------------------------------------------------------------------------


def test_it_offers_a_template_with_chinese_headers_and_drop_down_lists(client, login):
    login("office.julu")

    response = client.get(reverse("projects:import_template", args=["julu"]))
    english = client.get(reverse("projects:import_template", args=["julu"]) + "?english=1")

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    ws = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [c.value for c in ws[1]] == HEADERS
    assert ws.max_row == 1
    lists = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in ws.data_validations.dataValidation}
    assert lists == {
        "D2": '"省重点项目,市重点项目,县重点项目"',
        "E2": '"签约,前期,开工,在建,竣工,投产,达效"',
        "F2": '"工业,基础设施,社会事业,农业,现代服务业,能源,其他"',
    }
    ws_en = load_workbook(io.BytesIO(english.content)).worksheets[0]
    assert [c.value for c in ws_en[2]][:2] == ["Project code", "Name (Chinese)"]


def test_it_imports_the_template_once_filled_in(office, julu):
    wb = load_workbook(io.BytesIO(importing.template_xlsx(english_row=True)))
    wb.worksheets[0].append([new_row("JL-IMP-950").get(c.key) for c in importing.COLUMNS])
    buffer = io.BytesIO()
    wb.save(buffer)

    job = importing.import_create(actor=office, county=julu, upload=upload(buffer.getvalue()))

    assert job.status == ImportJob.Status.DONE, job.error_report
    assert job.created_count == 1


# ---- who may import -------------------------------------------------------------------------------

PERSONAS = (
    "anonymous",
    "admin",
    "city.xingtai",
    "office.julu",
    "leader.julu",
    "dept.julu.resources",
    "ent.liangshan",
    "office.ningjin",
)
JOB = "<a julu job waiting for its mapping>"

# fmt: off
MATRIX = [
    # url name,                  args,       method  anon admin city office leader dept  ent   ningjin
    ("projects:import_upload",   ("julu",),  "get",  302, 200, 403, 200,   403,   403,  403,  404),
    ("projects:import_upload",   ("julu",),  "post", 302, 200, 403, 200,   403,   403,  403,  404),
    ("projects:import_upload",   ("ningjin",), "get", 302, 200, 403, 404,  404,   404,  404,  200),
    ("projects:import_upload",   ("julu-edz",), "get", 302, 403, 403, 403, 403,   403,  403,  404),
    ("projects:import_template", ("julu",),  "get",  302, 200, 403, 200,   403,   403,  403,  404),
    ("projects:import_job",      (JOB,),     "get",  302, 302, 404, 302,   404,   404,  404,  404),
    ("projects:import_mapping",  (JOB,),     "get",  302, 200, 404, 200,   404,   404,  404,  404),
    ("projects:import_mapping",  (JOB,),     "post", 302, 200, 404, 200,   404,   404,  404,  404),
    ("projects:import_errors",   (JOB,),     "get",  302, 200, 404, 200,   404,   404,  404,  404),
    ("projects:import_retry",    (JOB,),     "post", 302, 302, 404, 302,   404,   404,  404,  404),
]
# fmt: on


@pytest.fixture
def pending_job(office, julu) -> ImportJob:
    return importing.import_create(actor=office, county=julu, upload=upload(own_workbook()))


@pytest.mark.parametrize(
    "persona_name, url_name, args, method, expected",
    [
        pytest.param(p, url, args, method, row[i], id=f"{p}-{method}-{url}-{args[0]}")
        for url, args, method, *row in MATRIX
        for i, p in enumerate(PERSONAS)
    ],
)
def test_it_lets_only_the_county_office_and_administrators_import(
    client, login, pending_job, persona_name, url_name, args, method, expected
):
    if persona_name != "anonymous":
        login(persona_name)
    url = reverse(url_name, args=[pending_job.pk if a == JOB else a for a in args])
    # An empty mapping post: permitted personas see the form again with its error, and nothing starts.
    response = getattr(client, method)(url, {})

    assert response.status_code == expected
    if expected == 404:
        assert pending_job.original_name not in response.content.decode()
    pending_job.refresh_from_db()
    assert pending_job.status == ImportJob.Status.PENDING


def test_it_covers_every_import_page_in_the_matrix():
    from keyprojects.projects import urls

    names = {f"projects:{p.name}" for p in urls.urlpatterns if p.name and p.name.startswith("import_")}
    assert names == {row[0] for row in MATRIX}


def test_it_links_the_import_page_from_the_project_list_for_the_county_office_only(client, login):
    login("office.julu")
    assert (
        reverse("projects:import_upload", args=["julu"])
        in client.get(reverse("projects:list")).content.decode()
    )
    login("city.xingtai")
    assert 'data-testid="import-link"' not in client.get(reverse("projects:list")).content.decode()


def test_it_shows_the_county_s_recent_imports_on_the_upload_page(client, login, pending_job):
    login("office.julu")
    page = client.get(reverse("projects:import_upload", args=["julu"]))
    assert list(page.context["jobs"]) == [pending_job]
    login("office.ningjin")
    assert not list(client.get(reverse("projects:import_upload", args=["ningjin"])).context["jobs"])


# ---- queries ------------------------------------------------------------------------------------


def rows_of_new_projects(n: int) -> list[dict]:
    return [new_row(f"JL-Q-{i:04d}") for i in range(n)]


def validate(julu: Region, rows: list[dict]) -> tuple[int, importing.Validated]:
    sheet = importing.read_sheet(io.BytesIO(template_file(rows)), remembered={})
    mapping = {i: g.field for i, g in importing.guess_mapping(sheet.headers, {}).items()}
    with CaptureQueriesContext(connection) as queries:
        result = importing.validate_rows(lookups=importing.Lookups.load(julu), sheet=sheet, mapping=mapping)
    return len(queries), result


def test_it_validates_100_rows_with_the_same_few_queries_as_10(julu):
    few, _small = validate(julu, rows_of_new_projects(10))
    many, large = validate(julu, rows_of_new_projects(100))

    assert not large.errors and len(large.planned) == 100
    assert many == few <= 6  # projects, their departments, enterprises, zones, leaders, departments


def test_it_imports_100_rows_within_a_query_budget_and_re_imports_them_with_a_handful(office, julu):
    content = template_file(rows_of_new_projects(100))
    with CaptureQueriesContext(connection) as first:
        job = importing.import_create(actor=office, county=julu, upload=upload(content))
    assert job.created_count == 100
    # The writes go through project_create (validation, history, stage, guarantees, milestones, audit);
    # the lookups are not repeated per row.
    assert len(first) <= 100 * 30

    with CaptureQueriesContext(connection) as again:
        job = importing.import_create(actor=office, county=julu, upload=upload(content))

    assert job.unchanged_count == 100
    assert len(again) <= 25
