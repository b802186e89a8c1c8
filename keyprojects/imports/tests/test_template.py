"""Our template: Chinese headers with drop-down lists for the choices, and imported once filled in."""

from __future__ import annotations

import io

from django.urls import reverse
from openpyxl import load_workbook

from keyprojects.core.spreadsheets import XLSX_TYPE
from keyprojects.imports import template
from keyprojects.imports.columns import COLUMNS
from keyprojects.imports.tests.registry_files import HEADERS, new_row, run_import
from keyprojects.projects.models import ImportJob


def test_it_offers_a_template_with_chinese_headers_and_drop_down_lists(client, login):
    login("office.julu")

    response = client.get(reverse("imports:template", args=["julu"]))
    english = client.get(reverse("imports:template", args=["julu"]) + "?english=1")

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
    wb = load_workbook(io.BytesIO(template.template_xlsx(english_row=True)))
    wb.worksheets[0].append([new_row("JL-IMP-950").get(c.key) for c in COLUMNS])
    buffer = io.BytesIO()
    wb.save(buffer)

    job = run_import(office, julu, buffer.getvalue())

    assert job.sheet_index == 0  # the data sheet is proposed, not the sheet of instructions
    assert job.status == ImportJob.Status.DONE, job.error_report
    assert job.created_count == 1
