"""The steps an office takes on an upload: the columns guessed from its headers (Chinese or English, units
included) and corrected, the correction remembered for the county's next upload, a mapping refused for what it
lacks, back to the columns from a preview, and a stopped import run again."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from keyprojects.accounts.models import Region
from keyprojects.imports import jobs
from keyprojects.imports.tests.registry_files import (
    import_file,
    latest_job,
    mapping_data,
    new_row,
    own_workbook,
    post_file,
    run_import,
    template_file,
    upload,
    xlsx,
)
from keyprojects.projects.models import ColumnMapping, ImportJob, Project

# ---- an office's own workbook ----------------------------------------------------------------------


def test_it_guesses_the_mapping_of_an_office_workbook_from_its_chinese_headers(client, login, julu):
    login("office.julu")

    response = post_file(client, own_workbook(), name="台账.xlsx")

    job = latest_job()
    assert job.status == ImportJob.Status.PENDING and not job.is_template
    assert response["Location"] == reverse("imports:job", args=[job.pk])
    assert client.get(response["Location"])["Location"] == reverse("imports:mapping", args=[job.pk])
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
    assert job.options["units"] == {"4": 100_000_000}  # 亿元, as the header and the unit line say
    page = client.get(reverse("imports:mapping", args=[job.pk]))
    form = page.context["form"]
    assert form["col_3"].initial == "enterprise"
    assert form["col_0"].initial == ""
    assert "巨鹿康泰纺织有限公司" in page.content.decode()  # the first values, to recognise the column

    response = client.post(reverse("imports:mapping", args=[job.pk]), mapping_data(job))

    job.refresh_from_db()
    assert response.status_code == 302
    # Changed on purpose: the mapping leads to the preview; the confirmation writes.
    assert job.status == ImportJob.Status.PREVIEW, job.error_report
    assert job.preview["totals"][0]["yuan"] == "350,000,000.00"  # the file's total in yuan beside 3.50 亿元
    client.post(reverse("imports:confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    project = Project.objects.get(county=julu, code="JL-OWN-001")
    assert project.total_investment == Decimal("350000000.00")  # 3.5 亿元, as the header says
    assert project.enterprise.slug == "julu-kangtai-textile"
    assert (project.level, project.category, project.stage) == ("municipal", "industry", "signed")


def test_it_remembers_the_corrected_mapping_for_the_county_s_next_upload(client, login, julu):
    login("office.julu")
    choices = {
        "col_8": "construction_content_zh",  # 备注 was not guessed: the office maps it by hand
        "col_6": "",  # and leaves the category out
    }

    job = import_file(client, own_workbook("JL-OWN-010"), **choices)

    # Changed on purpose: category is optional now, so a new project without one is created, category empty.
    assert job.status == ImportJob.Status.DONE, job.error_report
    project = Project.objects.get(county=julu, code="JL-OWN-010")
    assert (project.category, project.construction_content) == ("", "新签约")
    remembered = dict(ColumnMapping.objects.filter(county=julu).values_list("source_header", "field"))
    assert remembered["备注"] == "construction_content_zh"
    assert remembered["行业类别"] == ""
    assert remembered["序号"] == ""

    post_file(client, own_workbook("JL-OWN-011"))

    second = latest_job()
    assert second.pk != job.pk
    assert second.mapping["8"] == "construction_content_zh"
    assert "6" not in second.mapping
    assert second.columns[8]["guess"] == "remembered"
    page = client.get(reverse("imports:mapping", args=[second.pk]))
    assert page.context["form"]["col_8"].initial == "construction_content_zh"
    assert "remembered" in page.content.decode() or "记住" in page.content.decode()


@pytest.mark.parametrize("position", [1, 5], ids=["between-others", "last"])
def test_it_remembers_a_column_with_a_blank_header_by_its_position(client, login, julu, position):
    login("office.julu")
    # The remarks sit in a column whose header cell is blank.
    headers = ["序号", "项目名称", "建设单位", "总投资（亿元）", "级别"]
    values = [1, "巨鹿县新材料产业园项目", "巨鹿康泰纺织有限公司", 3.5, "市重点"]
    headers.insert(position, None)
    values.insert(position, "新签约")
    content = xlsx([headers, values])

    job = import_file(client, content, **{f"col_{position}": "construction_content_zh"})
    post_file(client, content)

    assert job.status == ImportJob.Status.DONE, job.error_report
    assert (
        Project.objects.get(county=julu, name_zh=values[2 if position == 1 else 1]).construction_content
        == "新签约"
    )
    assert latest_job().mapping[str(position)] == "construction_content_zh"
    assert ColumnMapping.objects.filter(
        county=julu, source_header=f"#{'ABCDEF'[position]}", field="construction_content_zh"
    ).exists()


def test_it_keeps_a_county_s_remembered_mapping_to_that_county(office, persona, julu):
    ColumnMapping.objects.create(county=julu, source_header="备注", field="construction_content_zh")
    ningjin = Region.objects.select_related("parent").get(slug="ningjin")

    job = jobs.import_create(actor=persona("office.ningjin"), county=ningjin, upload=upload(own_workbook()))

    assert "8" not in job.mapping


def test_it_refuses_a_mapping_without_the_name_or_with_a_field_twice_or_a_sequence_number_as_code(
    client, login
):
    login("office.julu")
    post_file(client, own_workbook())
    job = latest_job()
    url = reverse("imports:mapping", args=[job.pk])

    # Changed on purpose: the code is optional (rows are matched by name and enterprise); the name is not.
    without_name_and_code = client.post(url, mapping_data(job, col_1="", col_2=""))
    twice = client.post(url, mapping_data(job, col_8="name_zh"))
    serial_as_code = client.post(url, mapping_data(job, col_0="code", col_1=""))

    for response in (without_name_and_code, twice, serial_as_code):
        assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert "序号" in " ".join(serial_as_code.context["form"].non_field_errors())
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PENDING

    without_code = client.post(url, mapping_data(job, col_1=""))

    job.refresh_from_db()
    assert without_code.status_code == 302 and job.status == ImportJob.Status.PREVIEW


def test_it_asks_for_the_unit_of_an_amount_column_that_states_none(client, login, julu):
    login("office.julu")
    headers = ["项目名称", "建设单位", "项目总投资", "级别"]
    content = xlsx([headers, ["巨鹿县单位测试项目", "巨鹿康泰纺织有限公司", 2.5, "县重点"]])
    post_file(client, content)
    job = latest_job()
    url = reverse("imports:mapping", args=[job.pk])

    # Changed on purpose: a header without a unit used to be read in 万元; now the office must choose one.
    refused = client.post(url, mapping_data(job))
    assert refused.status_code == 200 and refused.context["form"].errors
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PENDING

    client.post(url, mapping_data(job, unit_2="yi"))
    client.post(reverse("imports:confirm", args=[job.pk]))

    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.error_report
    project = Project.objects.get(county=julu, name_zh="巨鹿县单位测试项目")
    assert project.total_investment == Decimal("250000000.00")
    assert project.code.startswith("JL-")  # a generated code


def test_it_runs_again_only_an_import_that_stopped_without_finishing(client, login, julu):
    login("office.julu")
    job = import_file(client, template_file([new_row("JL-IMP-960", total_investment="abc")]))
    assert job.status == ImportJob.Status.FAILED and not job.retryable

    response = client.post(reverse("imports:retry", args=[job.pk]), follow=True)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.error_count == 1
    assert [str(m) for m in response.context["messages"]]


def test_it_goes_back_to_the_columns_from_a_preview_or_a_row_report_and_writes_nothing(
    client, login, office, julu
):
    job = run_import(office, julu, template_file([new_row("JL-IMP-971")]), confirm=False)
    assert job.status == ImportJob.Status.PREVIEW
    login("office.julu")

    response = client.post(reverse("imports:remap", args=[job.pk]))

    assert response.status_code == 302 and response["Location"] == reverse("imports:mapping", args=[job.pk])
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PENDING and job.preview == {} and not job.fingerprint
    assert not Project.objects.filter(code="JL-IMP-971").exists()
    assert client.get(reverse("imports:mapping", args=[job.pk])).status_code == 200
    # Checked again with the same columns, it is the same preview.
    job = jobs.import_configure(actor=office, job=job, mapping={int(i): k for i, k in job.mapping.items()})
    assert job.status == ImportJob.Status.PREVIEW and job.preview["counts"]["create"] == 1


def test_it_does_not_go_back_to_the_columns_of_a_written_import(client, login, office, julu):
    job = run_import(office, julu, template_file([new_row("JL-IMP-972")]))
    assert job.status == ImportJob.Status.DONE
    login("office.julu")

    client.post(reverse("imports:remap", args=[job.pk]))

    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
