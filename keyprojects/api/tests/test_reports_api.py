"""Plans and monthly reports over the API: each role reads and acts as on the pages (404 outside the scope,
403 where it may not act), a step the report's state does not allow and a stale plan answer 409, refused fields
answer 400 naming them, lists run a fixed number of queries, and the month's workflow runs with a token."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from keyprojects.accounts import demo as accounts_demo
from keyprojects.accounts.models import User
from keyprojects.api.tests.clients import ApiClient
from keyprojects.core import clock
from keyprojects.core.workflow import SYSTEM
from keyprojects.investment import selectors, services
from keyprojects.investment.models import AnnualPlan, MonthlyReport, PlanMonth, ReportStatus
from keyprojects.projects.models import Project

SHOWCASE = "JL-2026-001"  # Liangshan's park in Julu: its departments are julu-resources and julu-power
ROLES = (
    "ent.liangshan",
    "office.julu",
    "city.xingtai",
    "dept.julu.resources",
    "leader.julu",
    "office.ningjin",
)
HEADERS = {"Accept-Language": "en"}


@pytest.fixture(autouse=True)
def english(db):
    User.objects.exclude(language="en").update(language="en")


@pytest.fixture
def api(api_client):
    """api("office.julu") → that user's token client, in English."""
    return lambda username: api_client(username, "en")


@pytest.fixture
def project(db) -> Project:
    return Project.objects.select_related("county").get(code=SHOWCASE)


@pytest.fixture
def period() -> tuple[int, int]:
    """The current month: begun, so it may be reported, and not yet closed."""
    today = clock.today()
    return today.year, today.month


def _report(project: Project, period, *steps) -> MonthlyReport:
    """The showcase's report of the month, made afresh as the system and taken through `steps`."""
    year, month = period
    MonthlyReport.objects.filter(project=project, year=year, month=month).delete()
    report = services.report_save(
        actor=SYSTEM, project=project, year=year, month=month,
        completed_investment=Decimal("1000000.00"), physical_progress=Decimal("40"),
    )  # fmt: skip
    for step in steps:
        kwargs = {"reason": "test"} if step in (services.report_return, services.report_reopen) else {}
        report = step(actor=SYSTEM, report=report, **kwargs)
    return report


@pytest.fixture
def draft(project, period) -> MonthlyReport:
    return _report(project, period)


@pytest.fixture
def submitted(project, period) -> MonthlyReport:
    return _report(project, period, services.report_submit)


@pytest.fixture
def verified(project, period) -> MonthlyReport:
    return _report(project, period, services.report_submit, services.report_verify)


@pytest.fixture
def approved(project, period) -> MonthlyReport:
    return _report(project, period, services.report_submit, services.report_verify, services.report_approve)


@pytest.fixture
def plan(project, period) -> AnnualPlan:
    """The showcase's plan of the current year (made if the demo has none)."""
    year = period[0]
    found = AnnualPlan.objects.filter(project=project, year=year).first()
    return found or services.plan_save(
        actor=SYSTEM, project=project, year=year, months=[Decimal("100000.00")] * 12
    )


def _plan_body(plan: AnnualPlan, **changes) -> dict:
    """The stored months with the first one not locked by an approved report raised by 10,000 yuan."""
    locked = services.plan_locked_months(project=plan.project, year=plan.year)
    months = {pm.month: pm.amount for pm in plan.months.all()}
    first_open = next(m for m in range(1, 13) if m not in locked)
    months[first_open] += Decimal("10000")
    body = {"months": [str(months[m]) for m in range(1, 13)], "reason": "revised", "version": plan.version}
    return body | changes


def _plan_url(plan: AnnualPlan) -> str:
    return f"/api/v1/projects/{plan.project.county.slug}/{plan.project.code}/plans/{plan.year}"


def _report_url(project: Project, period) -> str:
    return f"/api/v1/projects/{project.county.slug}/{project.code}/reports/{period[0]}/{period[1]}"


REPORT_BODY = {"completed_investment": "2500000.50", "physical_progress": "45.5", "description": "基础施工"}


# ---- reading ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ROLES)
def test_it_answers_a_report_like_the_page_does(client, login, api, project, submitted, username):
    login(username)
    page = client.get(
        reverse(
            "investment:report", args=[project.county.slug, project.code, submitted.year, submitted.month]
        )
    )
    by_id = api(username).get(f"/api/v1/reports/{submitted.pk}")
    by_month = api(username).get(_report_url(project, (submitted.year, submitted.month)))

    assert by_id.status_code == by_month.status_code == page.status_code
    assert page.status_code == (404 if username == "office.ningjin" else 200)
    if by_id.status_code == 200:
        assert by_id.json() == by_month.json()
        assert by_id.json()["status"] == "submitted"
        assert by_id.json()["completed_investment"] == "1000000.00"
    else:
        assert project.name_zh not in by_id.content.decode()


@pytest.mark.parametrize(
    "username, actions",
    [
        ("ent.liangshan", []),
        ("office.julu", ["verify", "return"]),
        ("dept.julu.resources", ["verify", "return"]),
        ("leader.julu", []),
        ("city.xingtai", []),
    ],
)
def test_it_says_which_steps_the_user_may_take(api, submitted, username, actions):
    response = api(username).get(f"/api/v1/reports/{submitted.pk}")

    assert response.json()["actions"] == actions


@pytest.mark.parametrize("username", ROLES)
def test_it_answers_a_plan_like_the_project_s_investment_page(client, login, api, plan, username):
    login(username)
    page = client.get(reverse("investment:project", args=[plan.project.county.slug, plan.project.code]))
    response = api(username).get(_plan_url(plan))

    assert response.status_code == page.status_code == (404 if username == "office.ningjin" else 200)
    if response.status_code == 200:
        body = response.json()
        assert [m["month"] for m in body["months"]] == list(range(1, 13))
        assert body["total"] == str(sum(pm.amount for pm in plan.months.all()))
        assert body["version"] == plan.version


def test_it_marks_the_months_of_approved_reports_locked(api, plan, approved):
    months = api("office.julu").get(_plan_url(plan)).json()["months"]

    assert months[approved.month - 1]["locked"] is True
    locked = services.plan_locked_months(project=plan.project, year=plan.year)
    assert [m["month"] for m in months if m["locked"]] == sorted(locked)


@pytest.mark.parametrize("username", ROLES)
def test_it_lists_the_reports_and_plans_the_selectors_list(api, username, persona):
    user = persona(username)
    client = api(username)

    reports = client.get("/api/v1/reports", {"limit": 10000}).json()["items"]
    plans = client.get("/api/v1/plans", {"limit": 10000}).json()["items"]

    assert {r["id"] for r in reports} == set(selectors.report_list(user=user).values_list("pk", flat=True))
    assert len(plans) == selectors.plan_list(user=user).count()


def test_it_filters_and_sorts_the_reports(api, project, submitted):
    client = api("office.julu")

    found = client.get(
        "/api/v1/reports",
        {
            "project": project.code,
            "county": "julu",
            "year": submitted.year,
            "month": submitted.month,
            "status": "submitted",
        },
    ).json()["items"]
    ordered = client.get("/api/v1/reports", {"project": project.code, "sort": "period"}).json()["items"]

    assert [r["id"] for r in found] == [submitted.pk]
    periods = [(r["year"], r["month"]) for r in ordered]
    assert periods == sorted(periods)
    assert client.get("/api/v1/reports", {"county": "ningjin", "project": project.code}).json()["items"] == []


@pytest.mark.parametrize(
    "query, field",
    [
        ({"status": "lost"}, "status"),
        ({"sort": "size"}, "sort"),
        ({"month": "13"}, "month"),
        ({"year": "0"}, "year"),
    ],
)
def test_it_refuses_a_bad_filter_with_400_naming_it(api, query, field):
    response = api("office.julu").get("/api/v1/reports", query)

    assert response.status_code == 400
    assert response.json()["field"] == field


# ---- writing, by role ----------------------------------------------------------------------------------

# Who may do what on the showcase's report (the same rules as the report page): 200, 403 (visible, not
# theirs to do), 404 (outside the scope).
# fmt: off
STEP_MATRIX = [
    # fixture,     step,      ent   office city  dept  leader ningjin
    ("draft",     "submit",  200,  200,   403,  403,  403,   404),
    ("submitted", "verify",  403,  200,   403,  200,  403,   404),
    ("submitted", "return",  403,  200,   403,  200,  403,   404),
    ("verified",  "return",  403,  200,   403,  200,  403,   404),
    ("verified",  "approve", 403,  200,   403,  403,  403,   404),
    ("approved",  "reopen",  403,  200,   403,  403,  403,   404),
]
# fmt: on


@pytest.mark.parametrize(
    "fixture, step, username, expected",
    [
        pytest.param(fixture, step, username, statuses[i], id=f"{step}-{fixture}-{username}")
        for fixture, step, *statuses in STEP_MATRIX
        for i, username in enumerate(ROLES)
    ],
)
def test_it_lets_each_role_take_the_steps_the_page_offers_it(request, api, fixture, step, username, expected):
    report = request.getfixturevalue(fixture)
    before = report.status

    response = api(username).send("post", f"/api/v1/reports/{report.pk}/{step}", {"reason": "check"})

    assert response.status_code == expected, response.content
    report.refresh_from_db()
    if expected == 200:
        assert response.json()["status"] == report.status != before
    else:
        assert report.status == before
        assert "detail" in response.json()


@pytest.mark.parametrize(
    "username, expected",
    [("ent.liangshan", 200), ("office.julu", 200), ("city.xingtai", 403), ("dept.julu.resources", 403),
     ("leader.julu", 403), ("office.ningjin", 404)],
)  # fmt: skip
def test_it_lets_the_enterprise_and_the_office_fill_in_the_report(api, project, period, username, expected):
    MonthlyReport.objects.filter(project=project, year=period[0], month=period[1]).delete()

    response = api(username).send("put", _report_url(project, period), REPORT_BODY)

    assert response.status_code == expected, response.content
    stored = MonthlyReport.objects.filter(project=project, year=period[0], month=period[1]).first()
    if expected == 200:
        body = response.json()
        assert body["id"] == stored.pk
        assert (body["status"], body["completed_investment"], body["physical_progress"]) == (
            "draft", "2500000.50", "45.50",
        )  # fmt: skip
        assert stored.completed_investment == Decimal("2500000.50")
        assert "submit" in body["actions"]
    else:
        assert stored is None


@pytest.mark.parametrize(
    "username, expected",
    [("ent.liangshan", 403), ("office.julu", 200), ("city.xingtai", 403), ("dept.julu.resources", 403),
     ("leader.julu", 403), ("office.ningjin", 404)],
)  # fmt: skip
def test_it_lets_the_office_alone_set_the_plan(api, plan, username, expected):
    body = _plan_body(plan)

    response = api(username).send("put", _plan_url(plan), body)

    assert response.status_code == expected, response.content
    plan.refresh_from_db()
    if expected == 200:
        assert response.json()["months"] == [
            {"month": m, "amount": amount, "locked": response.json()["months"][m - 1]["locked"]}
            for m, amount in enumerate(body["months"], start=1)
        ]
        assert response.json()["version"] == plan.version == body["version"] + 1
    else:
        assert plan.version == body["version"]


def test_it_creates_a_plan_for_a_year_without_one(api, project):
    year = 2030
    AnnualPlan.objects.filter(project=project, year=year).delete()
    body = {"months": ["100000.00"] * 11 + ["100000.05"], "version": 0}

    response = api("office.julu").send("put", f"/api/v1/projects/julu/{project.code}/plans/{year}", body)

    assert response.status_code == 200, response.content
    assert response.json()["total"] == "1200000.05"
    assert response.json()["version"] == 1


# ---- refusals: 409 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fixture, step, status",
    [("draft", "approve", "draft"), ("approved", "submit", "approved"), ("submitted", "reopen", "submitted")],
)
def test_it_answers_409_with_the_reason_to_a_step_the_state_does_not_allow(
    request, api, fixture, step, status
):
    report = request.getfixturevalue(fixture)

    response = api("office.julu").send("post", f"/api/v1/reports/{report.pk}/{step}", {"reason": "again"})

    assert response.status_code == 409
    assert response.json()["detail"] == f"This cannot be done while the report's status is “{status}”."
    report.refresh_from_db()
    assert report.status == status


def test_it_answers_409_to_an_edit_of_a_submitted_report(api, project, period, submitted):
    response = api("ent.liangshan").send("put", _report_url(project, period), REPORT_BODY)

    assert response.status_code == 409
    assert response.json()["detail"] == "This month's report is submitted and cannot be changed."
    submitted.refresh_from_db()
    assert submitted.completed_investment == Decimal("1000000.00")


def test_it_answers_409_to_a_plan_saved_since_it_was_read(api, plan):
    client = api("office.julu")
    read = client.get(_plan_url(plan)).json()
    assert client.send("put", _plan_url(plan), _plan_body(plan)).status_code == 200  # someone else's save

    response = client.send("put", _plan_url(plan), _plan_body(plan, version=read["version"]))

    assert response.status_code == 409
    assert response.json()["detail"].startswith("Someone else saved this annual plan since you opened it")
    assert AnnualPlan.objects.get(pk=plan.pk).version == read["version"] + 1


# ---- refusals: 400 naming the field --------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, field, detail",
    [
        (
            {"completed_investment": "-1"},
            "completed_investment",
            "Ensure this value is greater than or equal to 0",
        ),
        ({"completed_investment": "1.001"}, "completed_investment", "no more than 2 decimal places"),
        ({"completed_investment": "abc"}, "completed_investment", "Enter a number."),
        ({"physical_progress": "101"}, "physical_progress", "less than or equal to 100"),
        ({"description": "x" * 5001}, "description", "at most 5000 characters"),
        ({"description": "\ud800"}, "description", "Enter a valid value."),
        ({"funding": {"own_funds": "1.00"}}, "funding", "they must be equal"),
        ({"funding": {"bank_loans": "-5"}}, "bank_loans", "greater than or equal to 0"),
    ],
)
def test_it_refuses_a_bad_report_field_with_400_naming_it(
    api, project, draft, period, changes, field, detail
):
    response = api("ent.liangshan").send("put", _report_url(project, period), REPORT_BODY | changes)

    assert response.status_code == 400
    assert response.json()["field"] == field
    assert detail in response.json()["detail"]
    draft.refresh_from_db()
    assert draft.completed_investment == Decimal("1000000.00")


def test_it_refuses_a_month_not_begun(api, project, period):
    year, month = period
    later = (year + 1, 1) if month == 12 else (year, month + 1)

    response = api("ent.liangshan").send("put", _report_url(project, later), REPORT_BODY)

    assert response.status_code == 400
    assert response.json() == {"detail": "A month cannot be reported before it has begun.", "field": "month"}


def test_it_refuses_a_report_without_its_figures(api, project, period):
    response = api("ent.liangshan").send("put", _report_url(project, period), {"description": "only words"})

    assert response.status_code == 400
    assert response.json()["field"] == "completed_investment"


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"months": ["1.00"] * 11}, "months"),
        ({"months": ["abc"] + ["1.00"] * 11}, "months"),
        ({"months": ["-1.00"] + ["1.00"] * 11}, "months"),
        ({"reason": ""}, "reason"),
        ({"reason": "x" * 301}, "reason"),
        ({"funding": {"own_funds": "1.00"}}, "funding"),
        ({"version": -1}, "version"),
    ],
)
def test_it_refuses_a_bad_plan_field_with_400_naming_it(api, plan, changes, field):
    response = api("office.julu").send("put", _plan_url(plan), _plan_body(plan, **changes))

    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert AnnualPlan.objects.get(pk=plan.pk).version == plan.version


def test_it_names_the_month_a_bad_amount_is_for(api, plan):
    body = _plan_body(plan)
    body["months"][2] = "abc"

    response = api("office.julu").send("put", _plan_url(plan), body)

    assert response.json() == {"detail": "March: Enter a number.", "field": "months"}


def test_it_refuses_to_change_a_locked_month(api, plan, approved):
    body = _plan_body(plan)
    body["months"][approved.month - 1] = str(Decimal(body["months"][approved.month - 1]) + 1)

    response = api("office.julu").send("put", _plan_url(plan), body)

    assert response.status_code == 400
    assert response.json()["field"] == "months"


@pytest.mark.parametrize("step, fixture", [("return", "submitted"), ("reopen", "approved")])
@pytest.mark.parametrize("body", [{"reason": "  "}, {}, {"reason": "x" * 301}])
def test_it_refuses_a_step_without_its_reason(request, api, step, fixture, body):
    report = request.getfixturevalue(fixture)

    response = api("office.julu").send("post", f"/api/v1/reports/{report.pk}/{step}", body)

    assert response.status_code == 400
    assert response.json()["field"] == "reason"
    report.refresh_from_db()
    assert report.status == fixture


def test_it_refuses_in_the_user_s_language(api_client, project, period, draft):
    client = api_client("ent.liangshan", "zh-hans")

    response = client.send("put", _report_url(project, period), REPORT_BODY | {"physical_progress": "101"})

    assert response.status_code == 400
    assert response.json()["field"] == "physical_progress"
    assert "确保该值小于或等于100" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/api/v1/reports/999999999", "/api/v1/reports/999999999/submit"])
def test_it_answers_404_for_a_report_that_does_not_exist(api, path):
    client = api("office.julu")
    response = client.get(path) if path.endswith("9") else client.send("post", path)

    assert response.status_code == 404


def test_it_declares_every_answer_of_its_operations():
    from keyprojects.api.api import api as ninja_api

    paths = ninja_api.get_openapi_schema()["paths"]
    declared = {
        (path, method): set(operation["responses"])
        for path, operations in paths.items()
        if "/plans" in path or "/reports" in path
        for method, operation in operations.items()
    }
    writes = {200, 400, 401, 403, 404, 409}
    assert declared[("/api/v1/reports/{report_id}/submit", "post")] == writes
    assert declared[("/api/v1/projects/{county}/{code}/plans/{year}", "put")] == writes
    assert declared[("/api/v1/projects/{county}/{code}/reports/{year}/{month}", "put")] == writes
    assert declared[("/api/v1/reports", "get")] == {200, 400, 401}


# ---- lists: a fixed number of queries -----------------------------------------------------------------


def _queries(client: Client, path: str, query: dict) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, query)
    assert response.status_code == 200
    return len(captured.captured_queries), response.json()["count"]


def _add_year(projects: list[Project], year: int, office: User) -> None:
    """Two approved reports (with who submitted, verified and approved them) and a plan per project."""
    for project in projects:
        MonthlyReport.objects.filter(project=project, year=year).delete()
        AnnualPlan.objects.filter(project=project, year=year).delete()
        MonthlyReport.objects.bulk_create(
            MonthlyReport(
                project=project, year=year, month=month, completed_investment=month, physical_progress=10,
                status=ReportStatus.APPROVED, submitted_by=office, verified_by=office, approved_by=office,
            )
            for month in (1, 2)
        )  # fmt: skip
        plan = AnnualPlan.objects.create(project=project, year=year)
        PlanMonth.objects.bulk_create(PlanMonth(plan=plan, month=m, amount=m) for m in range(1, 13))


@pytest.mark.parametrize("path", ["/api/v1/reports", "/api/v1/plans"])
def test_the_lists_run_a_fixed_number_of_queries(api, persona, path):
    client = api("office.julu")
    year = 2031  # a year of no demo plan or report
    projects = list(Project.objects.filter(county__slug="julu").order_by("code")[:21])
    _add_year(projects[:1], year, persona("office.julu"))
    few, few_rows = _queries(client, path, {"year": year})

    _add_year(projects[1:], year, persona("office.julu"))
    many, many_rows = _queries(client, path, {"year": year})

    assert many_rows >= few_rows + 20  # each project's two reports, or its plan
    assert many == few


# ---- the month's workflow, as a script with a token ----------------------------------------------------


@pytest.fixture
def fresh_throttle():
    """The token endpoint's throttle counts in the cache, which outlives a test's transaction."""
    cache.clear()
    yield
    cache.clear()


def _token_client(username: str) -> ApiClient:
    anonymous = Client(headers=HEADERS)
    response = anonymous.post(
        "/api/v1/auth/token",
        {"username": username, "password": accounts_demo.DEMO_PASSWORD, "name": "script"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return ApiClient(headers={"Authorization": f"Bearer {response.json()['token']}", **HEADERS})


def test_a_script_runs_the_month_s_workflow_with_tokens(fresh_throttle, project, period):
    MonthlyReport.objects.filter(project=project, year=period[0], month=period[1]).delete()
    enterprise, office = _token_client("ent.liangshan"), _token_client("office.julu")

    saved = enterprise.send("put", _report_url(project, period), REPORT_BODY)
    assert saved.status_code == 200, saved.content
    report = f"/api/v1/reports/{saved.json()['id']}"
    assert enterprise.send("post", f"{report}/submit").json()["status"] == "submitted"
    assert office.send("post", f"{report}/verify").json()["status"] == "verified"
    returned = office.send("post", f"{report}/return", {"reason": "发票金额不符"})
    assert (returned.json()["status"], returned.json()["return_reason"]) == ("returned", "发票金额不符")

    corrected = enterprise.send(
        "put", _report_url(project, period), REPORT_BODY | {"completed_investment": "2400000"}
    )
    assert (corrected.json()["status"], corrected.json()["completed_investment"]) == (
        "returned",
        "2400000.00",
    )
    resubmitted = enterprise.send("post", f"{report}/submit").json()
    assert (resubmitted["status"], resubmitted["return_reason"]) == ("submitted", "")
    assert office.send("post", f"{report}/verify").json()["verified_by"] == "office.julu"
    approved = office.send("post", f"{report}/approve").json()
    assert (approved["status"], approved["approved_by"], approved["actions"]) == (
        "approved", "office.julu", ["reopen"],
    )  # fmt: skip
    assert enterprise.send("put", _report_url(project, period), REPORT_BODY).status_code == 409

    reopened = office.send("post", f"{report}/reopen", {"reason": "更正发票"}).json()
    assert (reopened["status"], reopened["reopen_reason"], reopened["approved_at"]) == (
        "draft",
        "更正发票",
        None,
    )
    assert enterprise.get(report).json()["actions"] == ["submit"]


# ---- a report's version: an edit of what someone else has changed since is refused ----------------------


def test_it_answers_the_reports_version_and_takes_the_next_one_on_each_change(api, project, period, draft):
    client = api("ent.liangshan")
    read = client.get(f"/api/v1/reports/{draft.pk}").json()

    saved = client.send("put", _report_url(project, period), REPORT_BODY | {"version": read["version"]})
    submitted = client.post(f"/api/v1/reports/{draft.pk}/submit")

    assert saved.status_code == 200
    assert saved.json()["version"] == read["version"] + 1
    assert submitted.json()["version"] == read["version"] + 2


def test_it_refuses_an_edit_of_a_stale_version_and_saves_nothing(api, project, period, draft):
    client = api("ent.liangshan")
    stale = draft.version
    services.report_save(
        actor=SYSTEM,
        project=project,
        year=period[0],
        month=period[1],
        completed_investment=Decimal("7.00"),
        physical_progress=Decimal("41"),
    )  # fmt: skip  (someone else saved it meanwhile)

    response = client.send("put", _report_url(project, period), REPORT_BODY | {"version": stale})

    assert response.status_code == 409
    assert "Someone else saved this monthly report" in response.json()["detail"]
    draft.refresh_from_db()
    assert draft.completed_investment == Decimal("7.00")
    assert draft.version == stale + 1


def test_it_refuses_a_new_report_sent_when_one_was_saved_meanwhile(api, project, period, draft):
    """version 0 says "there was no report when I read": one exists now, so nothing is overwritten."""
    response = api("ent.liangshan").send("put", _report_url(project, period), REPORT_BODY | {"version": 0})

    assert response.status_code == 409
    draft.refresh_from_db()
    assert draft.completed_investment == Decimal("1000000.00")


def test_it_refuses_a_version_on_a_report_that_is_gone(api, project, period):
    MonthlyReport.objects.filter(project=project, year=period[0], month=period[1]).delete()

    response = api("ent.liangshan").send("put", _report_url(project, period), REPORT_BODY | {"version": 3})

    assert response.status_code == 409
    assert not MonthlyReport.objects.filter(project=project, year=period[0], month=period[1]).exists()


# ---- a report's files ---------------------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"


def _upload(client: Client, report: MonthlyReport, name: str = "10月发票.pdf", content: bytes = PDF):
    return client.post(
        f"/api/v1/reports/{report.pk}/attachments", {"file": SimpleUploadedFile(name, content)}
    )


def test_the_enterprise_attaches_lists_downloads_and_removes_a_file(api, draft, media):
    client = api("ent.liangshan")

    added = _upload(client, draft)
    listed = client.get(f"/api/v1/reports/{draft.pk}/attachments")
    file_url = f"/api/v1/reports/{draft.pk}/attachments/{added.json()['id']}"
    downloaded = client.get(file_url)
    removed = client.delete(file_url)

    assert added.status_code == 201, added.content
    assert added.json() | {"id": 0, "uploaded_at": ""} == {
        "id": 0, "name": "10月发票.pdf", "content_type": "application/pdf", "size": len(PDF),
        "uploaded_by": "ent.liangshan", "uploaded_at": "",
    }  # fmt: skip
    assert [a["name"] for a in listed.json()] == ["10月发票.pdf"]
    assert downloaded.status_code == 200
    assert b"".join(downloaded.streaming_content) == PDF
    assert downloaded["Content-Type"] == "application/pdf"
    assert removed.status_code == 204
    assert not draft.attachments.exists()


@pytest.mark.parametrize(
    "username, status",
    [("office.julu", 200), ("dept.julu.resources", 200), ("leader.julu", 403), ("office.ningjin", 404)],
)
def test_only_those_who_fill_in_or_verify_the_report_read_its_files(api, draft, media, username, status):
    attachment_id = _upload(api("ent.liangshan"), draft).json()["id"]
    client = api(username)

    listed = client.get(f"/api/v1/reports/{draft.pk}/attachments")
    downloaded = client.get(f"/api/v1/reports/{draft.pk}/attachments/{attachment_id}")

    assert (listed.status_code, downloaded.status_code) == (status, status)


def test_a_submitted_reports_files_are_kept_as_sent(api, draft, media):
    client = api("ent.liangshan")
    attachment_id = _upload(client, draft).json()["id"]
    services.report_submit(actor=SYSTEM, report=draft)

    added = _upload(client, draft)
    removed = client.delete(f"/api/v1/reports/{draft.pk}/attachments/{attachment_id}")

    assert (added.status_code, removed.status_code) == (409, 409)
    assert added.json()["field"] == "file"
    assert draft.attachments.count() == 1


def test_it_refuses_a_file_that_is_not_what_its_name_says(api, draft, media):
    response = _upload(api("ent.liangshan"), draft, name="发票.pdf", content=b"MZ\x90\x00 not a pdf")

    assert response.status_code == 400
    assert response.json()["field"] == "file"
    assert not draft.attachments.exists()


def test_a_file_of_another_report_is_not_found_through_this_one(api, draft, project, media):
    other = _report(project, (draft.year - 1, draft.month))
    attachment_id = _upload(api("ent.liangshan"), other).json()["id"]

    response = api("ent.liangshan").get(f"/api/v1/reports/{draft.pk}/attachments/{attachment_id}")

    assert response.status_code == 404


@pytest.mark.parametrize("sort", ["-year", "year", "-project"])
def test_it_lists_plans_in_the_order_asked(api, sort):
    rows = api("office.julu").get("/api/v1/plans", {"sort": sort, "limit": 1000}).json()["items"]
    key = (lambda p: p["year"]) if sort.endswith("year") else (lambda p: p["project"])

    assert len(rows) > 5
    assert [key(r) for r in rows] == sorted((key(r) for r in rows), reverse=sort.startswith("-"))
