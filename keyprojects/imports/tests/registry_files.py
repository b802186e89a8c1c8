"""Registry lists for the tests, as files (our template, an office's own workbook) and the steps an office takes
with them through the pages (`import_file`) or the services (`run_import`)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import Workbook

from keyprojects.accounts.models import Region, User
from keyprojects.core.models import AuditEntry
from keyprojects.core.spreadsheets import XLSX_TYPE
from keyprojects.imports import jobs, runs
from keyprojects.imports.columns import COLUMNS
from keyprojects.projects.models import ImportJob, Project, StageChange

FIXTURES = Path(__file__).parent / "fixtures"
HEADERS = [c.zh for c in COLUMNS]
WAN = Decimal(10_000)
JOB_TYPE = ImportJob._meta.label_lower


def xlsx(rows: list[list], *, before: list[list] | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in [*(before or []), *rows]:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def upload(content: bytes, name: str = "registry.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=XLSX_TYPE)


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
        "construction_content_zh": "厂房及配套设施",
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
        lines.append([c.en for c in COLUMNS])
    lines += [[r.get(c.key) for c in COLUMNS] for r in rows]
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
                    "construction_content_zh": p.construction_content_zh,
                    "construction_content_en": p.construction_content_en,
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
    return client.post(reverse("imports:upload", args=[county]), {"file": upload(content, name)})


def latest_job() -> ImportJob:
    return ImportJob.objects.latest("id")


def mapping_data(job: ImportJob, **choices: str) -> dict:
    """The mapping page's form as it comes, our guess chosen for every column; `choices` on top."""
    return {**{f"col_{i}": job.mapping.get(str(i), "") for i in range(len(job.columns))}, **choices}


def import_file(
    client,
    content: bytes,
    *,
    name: str = "registry.xlsx",
    county: str = "julu",
    confirm: bool = True,
    confirmed_rows: tuple[int, ...] = (),
    **choices: str,
) -> ImportJob:
    """Upload → the mapping page posted with our guess (and `choices`, e.g. col_6="" or unit_4="wan") → the
    preview confirmed (unless `confirm` is False, or the check found errors): the import as an office clicks
    through it. Answers the job as it then stands."""
    response = post_file(client, content, name=name, county=county)
    assert response.status_code == 302, response.context["form"].errors
    job = latest_job()
    assert job.status == ImportJob.Status.PENDING, job.message
    response = client.post(reverse("imports:mapping", args=[job.pk]), mapping_data(job, **choices))
    assert response.status_code == 302, response.context["form"].errors
    assert response["Location"] == reverse("imports:job", args=[job.pk])
    job.refresh_from_db()
    if confirm and job.status == ImportJob.Status.PREVIEW:
        response = client.post(
            reverse("imports:confirm", args=[job.pk]), {"confirm_row": [str(r) for r in confirmed_rows]}
        )
        assert response.status_code == 302
        job.refresh_from_db()
    return job


def run_import(actor: User, county: Region, content: bytes, *, confirm: bool = True) -> ImportJob:
    """The same through the services: the guessed mapping taken as it is, the preview confirmed."""
    job = jobs.import_create(actor=actor, county=county, upload=upload(content))
    job = jobs.import_configure(actor=actor, job=job, mapping={int(i): k for i, k in job.mapping.items()})
    if confirm and job.status == ImportJob.Status.PREVIEW:
        job = runs.import_confirm(actor=actor, job=job)
    return job


def history_size() -> int:
    """What imports may leave about the projects: their history, stage changes and audit entries. The import
    job's own entries (mapping chosen, import confirmed) are not counted."""
    return (
        Project.history.count()
        + StageChange.objects.count()
        + AuditEntry.objects.exclude(target_type=JOB_TYPE).count()
    )


def in_language(language: str, message: str) -> str:
    with translation.override(language):
        return gettext(message)


FORMULA_NEVER_CALCULATED = (
    "The cell holds a formula that was never calculated, so it has no value to import. Open the file in Excel "
    "or WPS, save it, and upload it again."
)


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
