"""Imports over the API: the same files as the pages and the commands, answered with the preview as JSON, then
confirmed; the county's project office only (404 outside what a user sees, 403 where they only read)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from keyprojects.accounts import services as accounts_services
from keyprojects.imports.tests.monthly_sheets import MONTH, YEAR, figures, report_of, summary_sheet, upload
from keyprojects.imports.tests.workbooks import xlsx_bytes
from keyprojects.investment.models import MonthlyReport, ReportStatus
from keyprojects.projects.models import ImportJob, Project

PERSONAS = (
    "admin",
    "city.xingtai",
    "office.julu",
    "leader.julu",
    "dept.julu.resources",
    "ent.liangshan",
    "office.ningjin",
)
# The monthly figures are for February 2031, imported in March.
pytestmark = pytest.mark.usefixtures("march_2031")


# fmt: off
UPLOAD_MATRIX = [
    # endpoint,   admin city office leader dept  ent  other county
    ("monthly",   201,  403, 201,   403,   403,  403, 404),
    ("registry",  201,  403, 201,   403,   403,  403, 404),
]
JOB_MATRIX = [
    # method, path,      admin city office leader dept  ent  other county
    ("get",   "",        200,  404, 200,   404,   404,  404, 404),
    ("post",  "/confirm", 200, 404, 200,   404,   404,  404, 404),
]
# fmt: on


@pytest.fixture
def api_client(persona):
    """api_client("office.julu") → a client that sends that user's bearer token with every request."""

    def make(username: str) -> Client:
        _token, secret = accounts_services.api_token_create(user=persona(username), name="imports")
        return Client(headers={"Authorization": f"Bearer {secret}"})

    return make


def a_month_of(projects: list[Project]) -> bytes:
    a, b, c = projects
    return summary_sheet(
        {
            "一、省重点项目（2项）": [figures(a, "1,250.5", progress="85%"), figures(b, 300, progress=40)],
            "二、市重点项目（1项）": [figures(c, 0, progress=10)],
        }
    )


def post_month(client: Client, content: bytes, county: str = "julu", **fields):
    data = {"file": upload(content), "year": YEAR, "month": MONTH, "dry_run": "true", **fields}
    return client.post(f"/api/v1/imports/monthly/{county}", data)


NEW_LIST = xlsx_bytes(
    [
        ["巨鹿县2031年重点建设项目一览表"],
        ["序号", "项目名称", "建设单位", "总投资"],
        ["一、市重点项目"],
        [1, "巨鹿县接口导入测试项目", "河北梁山节能环保有限公司", "2,000"],
    ]
)


@pytest.mark.parametrize(
    "endpoint, username, expected",
    [
        pytest.param(endpoint, username, statuses[i], id=f"{endpoint}-{username}")
        for endpoint, *statuses in UPLOAD_MATRIX
        for i, username in enumerate(PERSONAS)
    ],
)
def test_it_lets_only_the_county_s_office_import(api_client, projects, endpoint, username, expected):
    client = api_client(username)
    if endpoint == "monthly":
        response = post_month(client, a_month_of(projects))
    else:
        response = client.post("/api/v1/imports/registry/julu", {"file": upload(NEW_LIST), "unit": "wan"})

    assert response.status_code == expected, response.content
    if expected != 201:
        assert not ImportJob.objects.exists()
    assert not Project.objects.filter(name_zh="巨鹿县接口导入测试项目").exists() or endpoint == "registry"


@pytest.mark.parametrize(
    "method, path, username, expected",
    [
        pytest.param(method, path, username, statuses[i], id=f"{method}{path}-{username}")
        for method, path, *statuses in JOB_MATRIX
        for i, username in enumerate(PERSONAS)
    ],
)
def test_it_shows_and_confirms_a_job_only_to_its_county_s_office(
    api_client, projects, method, path, username, expected
):
    job_id = post_month(api_client("office.julu"), a_month_of(projects)).json()["id"]

    client = api_client(username)
    url = f"/api/v1/imports/{job_id}{path}"
    response = client.get(url) if method == "get" else client.post(url, {}, content_type="application/json")

    assert response.status_code == expected, response.content
    written = MonthlyReport.objects.filter(project__in=projects, year=YEAR).exists()
    assert written == (path == "/confirm" and expected == 200)


def test_it_answers_the_preview_as_json(api_client, projects):
    response = post_month(api_client("office.julu"), a_month_of(projects))

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "preview"
    assert body["kind"] == "monthly"
    assert body["options"] == {"year": YEAR, "month": MONTH, "report_status": "submitted"}
    assert body["counts"] == {
        "create": 3,
        "update": 0,
        "unchanged": 0,
        "skipped": 6,
        "errors": 0,
        "suspicious": 0,
    }
    assert [s["reason"] for s in body["skipped"]] == ["title", "unit", "group", "group", "total", "note"]
    assert all(s["why"] for s in body["skipped"])
    month = next(t for t in body["totals"] if t["column"] == "本月完成投资")
    assert (month["as_written"], month["yuan"]) == ("1,550.50", "15,505,000.00")
    assert body["checks"] and all(c["ok"] for c in body["checks"])
    assert [r["code"] for r in body["create"]] == [p.code for p in projects]
    assert body["errors"] == []
    assert body["new"] == {"enterprises": [], "departments": [], "leaders": []}
    assert body["written"] is None
    assert not MonthlyReport.objects.filter(project__in=projects, year=YEAR).exists()


def test_it_writes_what_it_previewed_once_confirmed(api_client, projects):
    client = api_client("office.julu")
    job_id = post_month(client, a_month_of(projects), status="verified").json()["id"]

    response = client.post(
        f"/api/v1/imports/{job_id}/confirm", {"confirmed_rows": []}, content_type="application/json"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "done"
    assert body["written"] == {"created": 3, "updated": 0, "unchanged": 0}
    assert report_of(projects[0]).completed_investment == Decimal("12505000.00")
    assert report_of(projects[0]).status == ReportStatus.VERIFIED
    assert client.get(f"/api/v1/imports/{job_id}").json()["written"] == body["written"]
    again = client.post(f"/api/v1/imports/{job_id}/confirm", {}, content_type="application/json")
    assert again.status_code == 400


def test_it_writes_at_once_without_a_dry_run(api_client, projects):
    response = post_month(api_client("office.julu"), a_month_of(projects), dry_run="false")

    assert response.status_code == 201
    assert response.json()["written"] == {"created": 3, "updated": 0, "unchanged": 0}
    assert report_of(projects[2]).status == ReportStatus.SUBMITTED


def test_it_answers_the_errors_by_row_and_column(api_client, projects):
    a, b, _c = projects
    content = summary_sheet({"一、省重点项目": [figures(a, 10), figures(b, "abc", cumulative=0)]}, total=None)

    body = post_month(api_client("office.julu"), content, dry_run="false").json()

    assert body["status"] == "failed"
    assert body["error_count"] == 1
    assert [(e["row"], e["column"], e["value"]) for e in body["errors"]] == [(6, "本月完成投资", "abc")]
    assert body["written"] is None
    assert not MonthlyReport.objects.filter(project__in=projects, year=YEAR).exists()


def test_it_asks_for_the_unit_of_amounts_the_file_does_not_state(api_client, projects):
    content = summary_sheet({"一、省重点项目": [figures(p, 10) for p in projects]}, unit_line=None)
    client = api_client("office.julu")

    refused = post_month(client, content)
    answered = post_month(client, content, unit="wan")

    assert refused.status_code == 400
    assert refused.json()["field"] == "units"
    assert answered.json()["create"][0]["completed"] == "10.00"  # 万元


@pytest.mark.parametrize(
    "fields, name",
    [({"month": 13}, "month"), ({"status": "approved"}, "status"), ({"unit": "jin"}, "unit")],
)
def test_it_refuses_a_bad_option_with_400_naming_it(api_client, projects, fields, name):
    response = post_month(api_client("office.julu"), a_month_of(projects), **fields)

    assert response.status_code == 400
    assert response.json()["field"] == name


def test_it_refuses_a_month_that_has_not_begun(api_client, projects):
    response = post_month(api_client("office.julu"), a_month_of(projects), month=MONTH + 2)

    assert response.status_code == 400
    assert response.json()["field"] == "month"


def test_it_imports_a_registry_list_with_the_unit_given(api_client, julu):
    client = api_client("office.julu")

    body = client.post(
        "/api/v1/imports/registry/julu", {"file": upload(NEW_LIST), "unit": "wan", "dry_run": "true"}
    ).json()
    assert body["counts"]["create"] == 1
    assert body["totals"][0]["yuan"] == "20,000,000.00"
    body = client.post(f"/api/v1/imports/{body['id']}/confirm", {}, content_type="application/json").json()

    assert body["written"]["created"] == 1
    project = Project.objects.get(county=julu, name_zh="巨鹿县接口导入测试项目")
    assert project.total_investment == Decimal("20000000.00")
    assert project.level == "municipal"


def test_it_leaves_a_large_file_to_the_worker_and_answers_202_to_poll(api_client, projects, settings):
    """A file above the inline size is neither checked nor written within the request: 202, queued; the worker
    checks it and, as it was no dry run, goes on to the write by itself."""
    from keyprojects.imports import tasks

    settings.KEYPROJECTS_IMPORT_INLINE_ROWS = 2
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    client = api_client("office.julu")

    response = post_month(client, a_month_of(projects), dry_run="false")

    assert response.status_code == 202
    job_id = response.json()["id"]
    assert response.json()["status"] == "queued" and response.json()["written"] is None
    assert not MonthlyReport.objects.filter(project__in=projects, year=YEAR, month=MONTH).exists()
    tasks.import_check_run.call(job_id)  # the worker: the check, then the write queued by itself
    assert client.get(f"/api/v1/imports/{job_id}").json()["status"] == "confirmed"
    tasks.import_write_run.call(job_id)
    body = client.get(f"/api/v1/imports/{job_id}").json()
    assert body["status"] == "done"
    assert body["written"] == {"created": 3, "updated": 0, "unchanged": 0}
    assert report_of(projects[0]).completed_investment == Decimal("12505000.00")


def test_a_large_dry_run_stops_at_the_preview_and_its_confirmation_is_queued_too(
    api_client, projects, settings
):
    from keyprojects.imports import tasks

    settings.KEYPROJECTS_IMPORT_INLINE_ROWS = 2
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    client = api_client("office.julu")
    job_id = post_month(client, a_month_of(projects)).json()["id"]

    tasks.import_check_run.call(job_id)

    assert client.get(f"/api/v1/imports/{job_id}").json()["status"] == "preview"
    confirmed = client.post(f"/api/v1/imports/{job_id}/confirm", {}, content_type="application/json")
    assert (confirmed.status_code, confirmed.json()["status"]) == (202, "confirmed")
    assert not MonthlyReport.objects.filter(project__in=projects, year=YEAR, month=MONTH).exists()
    tasks.import_write_run.call(job_id)
    assert client.get(f"/api/v1/imports/{job_id}").json()["status"] == "done"


def test_a_refused_upload_is_failed_with_why_and_its_guess_not_remembered(api_client, projects):
    from keyprojects.projects.models import ColumnMapping

    content = summary_sheet({"一、省重点项目": [figures(p, 10) for p in projects]}, unit_line=None)
    client = api_client("office.julu")
    remembered = set(ColumnMapping.objects.values_list("source_header", "field"))

    refused = post_month(client, content, dry_run="false")
    dry_run = post_month(client, content, unit="wan")

    assert refused.status_code == 400
    job = ImportJob.objects.exclude(pk=dry_run.json()["id"]).latest("pk")
    assert job.status == ImportJob.Status.FAILED and refused.json()["detail"] in job.message
    assert dry_run.json()["status"] == "preview"
    assert set(ColumnMapping.objects.values_list("source_header", "field")) == remembered
