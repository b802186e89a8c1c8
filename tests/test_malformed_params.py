"""No URL answers 500 to an out-of-range or malformed parameter: every pattern is requested with bad years,
months, pages and numbers in the query string and in the path, as the Julu office, pages and API alike."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.db.models import Q
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from keyprojects.accounts.models import ApiToken, Department, Enterprise, User
from keyprojects.api.api import api
from keyprojects.bulletins.models import MonthlyBulletin
from keyprojects.daily.models import DailyPhoto
from keyprojects.dispatch.models import DispatchAnswer, DispatchTask
from keyprojects.investment.forms import PeriodForm
from keyprojects.investment.models import MonthlyReport, ReportAttachment
from keyprojects.problems.models import Attachment, Notification, Problem, Webhook
from keyprojects.projects.models import (
    ExportJob,
    ImportJob,
    Milestone,
    MilestoneTemplateStep,
    Project,
    ServiceGuarantee,
)

SKIPPED = ("admin/", "static/", "media/", "accounts/logout/", "accounts/login/")
YEAR = 2026  # any year within bounds: the period asked for beside a spoilt parameter
HUGE = "99999999999999999999"  # beyond a 64-bit integer
TWO_TO_64 = str(2**64)  # the first integer past 64 bits (PostgreSQL's bigint overflows; SQLite does not)
TEN_TO_20 = str(10**20)
MISSING = 999999999  # an id or a year no row has

BAD = {
    "year": ["0", "1", "-1", "10000", "99999", "abc", "2026.5", "", HUGE, TWO_TO_64],
    "month": ["0", "13", "-1", "x", "", TWO_TO_64],
    "through_month": ["0", "13", "x", TEN_TO_20],
    "page": ["-1", "abc", "99999", HUGE, TWO_TO_64],
    "leader": ["abc", "-1", "0", HUGE, TWO_TO_64, TEN_TO_20],
    "date": ["0000-01-01", "0001-01-01", "9999-12-31", "10000-01-01", "2026-13-45", "abc", HUGE],
}
# Pages read each parameter on its own: the bad values go together, row by row (ten requests, not
# forty-odd), plus a bad year and a bad month each beside a valid other half of the period.
PAGE_QUERIES = [
    {name: values[row % len(values)] for name, values in BAD.items()} for row in range(len(BAD["year"]))
] + [{"year": str(YEAR), "month": "13"}, {"year": "0", "month": "9"}]
# The API validates every parameter before it acts, and one refusal would hide a crash behind it: each
# parameter an operation declares is spoilt alone, its required neighbours valid.
API_BAD = {
    **BAD,
    "limit": ["0", "-1", "abc", HUGE, TWO_TO_64, TEN_TO_20],
    "offset": ["-1", "abc", HUGE, TWO_TO_64, TEN_TO_20],
    "integer": ["abc", "-1", "0", "2026.5", HUGE, TWO_TO_64, TEN_TO_20],
    "boolean": ["maybe", HUGE],
}
VALID_API_QUERY = {"region": "julu", "year": str(YEAR), "through_month": "9"}


def _patterns(patterns, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns, route)
        elif not route.startswith(SKIPPED):
            yield route, pattern


ROUTES = [route for route, _pattern in _patterns(get_resolver().url_patterns)]
PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


def _api_queries(route: str) -> list[dict]:
    """One query per bad value of each query parameter the operation declares (from its OpenAPI schema)."""
    path = "/" + re.sub(r"<(\w+)>", r"{\1}", route)
    operation = api.get_openapi_schema()["paths"].get(path, {}).get("get", {})  # none: the docs, the root
    queries = []
    for parameter in operation.get("parameters", []):
        schema = parameter["schema"]
        kind = schema.get("type") or next((s.get("type") for s in schema.get("anyOf", [])), None)
        values = API_BAD.get(parameter["name"]) or API_BAD.get(kind, [])
        if parameter["in"] == "query":
            queries += [{**VALID_API_QUERY, parameter["name"]: value} for value in values]
    return queries or PAGE_QUERIES[:1]


def _demo_values() -> dict[str, object]:
    """Real Julu objects for the path's parameters, so the views get past their lookups."""
    office = User.objects.get(username="office.julu")
    project = Project.objects.filter(county__slug="julu").order_by("code").first()
    problem = Problem.objects.filter(project__county__slug="julu").order_by("pk").first()

    def pk(queryset) -> int:
        return queryset.values_list("pk", flat=True).order_by("pk").first() or MISSING

    return {
        "county": "julu",
        "region": "julu",
        "region_slug": "julu",
        "code": project.code,
        "year": YEAR,
        "month": 9,
        "fmt": "xlsx",
        "action": "verify",
        "username": "leader.julu",
        "problem": problem.pk,
        "attachment": pk(Attachment.objects.filter(problem__project__county__slug="julu")),
        "milestone": pk(Milestone.objects.filter(project=project)),
        "guarantee": pk(ServiceGuarantee.objects.filter(project=project)),
        "step": pk(MilestoneTemplateStep.objects.filter(Q(county__slug="julu") | Q(county=None))),
        "job": pk(ImportJob.objects.filter(county__slug="julu")),
        "export_job": pk(ExportJob.objects.filter(requested_by=office)),
        "token": pk(ApiToken.objects.filter(user=office)),
        "report_file": pk(ReportAttachment.objects.filter(report__project=project)),
        "report_id": pk(MonthlyReport.objects.filter(project__county__slug="julu")),
        "notification": pk(Notification.objects.filter(user=office)),
        # A password-reset link as mailed (the user's id, base64) with a token that is not valid.
        "uidb64": urlsafe_base64_encode(force_bytes(office.pk)),
        "token_value": "set-password",
        "department": Department.objects.filter(region__slug="julu").order_by("slug").first().slug,
        "enterprise": Enterprise.objects.filter(projects__county__slug="julu").order_by("slug").first().slug,
        "role": "office",  # a user guide
        "name": "home-zh.png",  # a screenshot in a user guide
        "bulletin": pk(MonthlyBulletin.objects.filter(region__slug="julu")),
        "language": "zh",
        "week": "2026-11-30",  # a Monday
        "decision": MISSING,
        "photo": pk(DailyPhoto.objects.filter(report__project__county__slug="julu")),
        "size": 192,  # the site app's icon
        "task": pk(DispatchTask.objects.filter(county__slug="julu")),
        "answer": pk(DispatchAnswer.objects.filter(target__task__county__slug="julu").exclude(file="")),
        "robot": pk(Webhook.objects.filter(region__slug="julu")),
    }


def _value(route: str, name: str, demo: dict) -> object:
    """The demo value a parameter stands for; an ambiguous name is read from the route around it."""
    if name == "job_id":
        return demo["job"]
    if name == "uidb64":
        return demo["uidb64"]
    if name == "token" and "<uidb64>" in route:
        return demo["token_value"]
    if name == "problem_id":
        return demo["problem"]
    if name in (
        "pk", "token_id", "attachment_id", "notification_id", "milestone_id", "guarantee_id", "task_id",
        "answer_id", "photo_id", "robot_id", "step_id",
    ):  # fmt: skip
        for part, key in (
            ("notifications/", "notification"),
            ("reports/<report_id>/attachments/<", "report_file"),
            ("attachments/<", "attachment"),
            ("dispatch/tasks/", "task"),
            ("dispatch/answers/", "answer"),
            ("/files/<", "report_file"),
            ("problems/", "problem"),
            ("milestones/", "milestone"),
            ("guarantees/", "guarantee"),
            ("steps/", "step"),
            ("jobs/", "job"),
            ("exports/", "export_job"),
            ("tokens/", "token"),
            ("bulletins/", "bulletin"),
            ("decisions/", "decision"),
            ("daily/photos/", "photo"),
            ("robots/", "robot"),
        ):
            if part in route:
                return demo[key]
    if name == "slug":
        for part, key in (("departments/", "department"), ("enterprises/", "enterprise")):
            if part in route:
                return demo[key]
        return "julu"
    return demo[name]


def _paths(route: str, demo: dict) -> Iterator[str]:
    """The route filled with demo values, then with each numeric parameter spoilt in turn."""
    parameters = list(PARAMETER.finditer(route))
    values = {m["name"]: _value(route, m["name"], demo) for m in parameters}

    def fill(overrides: dict) -> str:
        return "/" + PARAMETER.sub(lambda m: str(overrides.get(m["name"], values[m["name"]])), route)

    yield fill({})
    for m in parameters:
        if isinstance(values[m["name"]], int):
            spoilt = [0, MISSING, HUGE] + ([] if m["converter"] == "int" else ["abc", "-1", "1.5"])
            for bad in spoilt:
                yield fill({m["name"]: bad})


def _request(client, path: str, query: dict) -> int | str:
    try:
        return client.get(path, query).status_code
    except Exception as exc:  # the test client re-raises what the view raised: that is a 500
        return f"500 ({type(exc).__name__}: {exc})"


def _is_server_error(status: int | str) -> bool:
    return isinstance(status, str) or status >= 500


@pytest.mark.parametrize(
    "route",
    ROUTES,
    ids=lambda route: f"/{route}",
)
def test_it_never_answers_500_to_a_malformed_parameter(client, login, route):
    login("office.julu")
    demo = _demo_values()
    paths = list(_paths(route, demo))
    failures = []
    for path in paths[1:]:
        status = _request(client, path, {})
        if _is_server_error(status):
            failures.append(f"{path} → {status}")
    for query in _api_queries(route) if route.startswith("api/v1/") else PAGE_QUERIES:
        status = _request(client, paths[0], query)
        if _is_server_error(status):
            failures.append(f"{paths[0]}?{'&'.join(f'{k}={v}' for k, v in query.items())} → {status}")
    assert not failures, "\n".join(failures)


# ---- what a refusal says ---------------------------------------------------------------------------


@pytest.fixture
def office_in_english(login):
    user = login("office.julu")
    user.language = "en"
    user.save(update_fields=["language"])
    return user


@pytest.mark.parametrize("year", ["0", "-1", "10000", "99999", "abc", "2026.5"])
def test_it_refuses_a_bad_year_of_the_problems_summary_with_400_naming_the_year(
    client, office_in_english, year
):
    response = client.get("/api/v1/problems/summary", {"region": "julu", "year": year})

    assert response.status_code == 400
    assert response.json()["field"] == "year"
    assert response.json()["detail"].startswith("year: ")


def test_it_names_the_bound_a_year_is_beyond(client, office_in_english):
    response = client.get("/api/v1/problems/summary", {"region": "julu", "year": "99999"})

    assert response.status_code == 400
    assert response.json() == {
        "detail": "year: Ensure this value is less than or equal to 2100.",
        "field": "year",
    }


def test_it_names_the_years_the_problem_list_offers(client, office_in_english):
    """The list's filters are the page's: a year is one of those the user has problems in, as on the page."""
    response = client.get("/api/v1/problems", {"year": "99999"})

    assert response.status_code == 400
    assert response.json()["field"] == "year"
    assert response.json()["detail"].startswith("year: Choose a year from ")


def test_it_refuses_a_bad_parameter_in_the_user_s_language(client, login):
    login("office.julu")  # the demo's offices read Chinese

    response = client.get("/api/v1/problems/summary", {"region": "julu", "year": "0"})

    assert response.status_code == 400
    assert "确保该值大于或等于2000" in response.json()["detail"]


def test_it_refuses_an_offset_beyond_any_database_integer_with_400(client, office_in_english):
    response = client.get("/api/v1/projects", {"offset": HUGE})

    assert response.status_code == 400
    assert response.json()["field"] == "offset"


@pytest.mark.parametrize("value", [TWO_TO_64, TEN_TO_20])
@pytest.mark.parametrize(
    "path, name",
    [
        ("/api/v1/projects", "limit"),
        ("/api/v1/projects", "offset"),
        ("/api/v1/projects", "leader"),
        ("/api/v1/problems", "limit"),
        ("/api/v1/problems", "offset"),
        ("/api/v1/problems", "leader"),
    ],
)
def test_it_refuses_an_integer_past_64_bits_with_400_naming_it(client, office_in_english, path, name, value):
    """Issue 15: on PostgreSQL such an integer overflowed in the query (a 500); it is refused before."""
    response = client.get(path, {name: value})

    assert response.status_code == 400
    assert response.json()["field"] == name
    assert response.json()["detail"].startswith(f"{name}: ")


@pytest.mark.parametrize("value", [TWO_TO_64, TEN_TO_20, "-1"])
def test_it_says_a_leader_past_64_bits_on_the_problem_list(client, office_in_english, value):
    response = client.get(reverse("problems:list"), {"leader": value})

    assert response.status_code == 200
    assert "Leader in charge: " in response.content.decode()


def test_it_says_a_refused_year_on_the_statistics_page_and_shows_the_default_year(client, office_in_english):
    url = reverse("problems:statistics", args=["julu"])
    default_year = client.get(url).context["year"]

    response = client.get(url, {"year": "0"})

    assert response.status_code == 200
    assert response.context["year"] == default_year
    assert "Year: Ensure this value is greater than or equal to 2000." in response.content.decode()


def test_it_says_a_malformed_year_on_the_project_investment_page(client, office_in_english):
    code = Project.objects.filter(county__slug="julu").order_by("code").first().code
    url = reverse("investment:project", args=["julu", code])

    default_year = client.get(url).context["year"]

    response = client.get(url, {"year": "2026.5"})

    assert response.status_code == 200
    assert response.context["year"] == default_year
    assert "Year: Enter a whole number." in response.content.decode()


def test_it_says_a_refused_leader_on_the_problem_list(client, office_in_english):
    response = client.get(reverse("problems:list"), {"leader": "abc"})

    assert response.status_code == 200
    assert "Leader in charge: Enter a whole number." in response.content.decode()


def test_it_refuses_a_thirteenth_month_rather_than_replacing_it():
    form = PeriodForm({"year": "2026", "month": "13"})

    assert not form.is_valid()
    assert list(form.errors) == ["month"]


def test_it_says_a_refused_month_on_the_dashboard(client, office_in_english):
    response = client.get(reverse("investment:dashboard", args=["julu"]), {"year": "2026", "month": "13"})

    assert response.status_code == 200
    assert "Through month: Ensure this value is less than or equal to 12." in response.content.decode()


def test_it_shows_the_asked_period_without_a_message(client, office_in_english):
    response = client.get(reverse("investment:dashboard", args=["julu"]), {"year": "2026", "month": "9"})

    assert (response.context["year"], response.context["month"]) == (2026, 9)
    assert not [m for m in response.context["messages"] if m.level_tag == "error"]
