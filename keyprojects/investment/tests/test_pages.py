"""Every investment page, requested by every persona: the status the scope rules demand; and the queries the
dashboards and the queue run, which do not grow with the number of projects.

Outside the scope → 404 (and nothing of the object in the page); visible but not allowed → 403; anonymous →
the login page. A refused write shows the refusal and changes nothing.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from keyprojects.core import clock
from keyprojects.core.workflow import SYSTEM
from keyprojects.investment import services
from keyprojects.investment.models import AnnualPlan, MonthlyReport, ReportStatus
from keyprojects.investment.tests.conftest import grow_julu
from keyprojects.projects.demo import programme_year
from keyprojects.projects.models import Project
from keyprojects.projects.selectors import project_scope_q

YEAR = programme_year(clock.today())
MONTH = 10

PERSONAS = (
    "anonymous",
    "admin",
    "city.xingtai",
    "office.julu",
    "leader.julu",
    "dept.julu.power",
    "ent.liangshan",
    "office.ningjin",
)
OWN = "<Liangshan's project, led by leader.julu, power supply responsible>"
OTHER = "<New Era's project, not led by leader.julu, power supply responsible>"

# fmt: off
MATRIX = [
    # url name,                      args,                   anon admin city office leader dept  ent  ningjin
    ("investment:home",              (),                     302, 302,  302, 302,   302,   302,  302, 302),
    ("investment:queue",             (),                     302, 200,  200, 200,   200,   200,  200, 200),
    ("investment:dashboard",         ("julu",),              302, 200,  200, 200,   200,   404,  404, 404),
    ("investment:dashboard",         ("julu-edz",),          302, 200,  200, 200,   200,   404,  404, 404),
    ("investment:dashboard",         ("ningjin",),           302, 200,  200, 404,   404,   404,  404, 200),
    # A county reads its city's totals and ranking, nothing else above it; the province is the admin's.
    ("investment:dashboard",         ("xingtai",),           302, 200,  200, 200,   200,   404,  404, 200),
    ("investment:dashboard",         ("hebei",),             302, 200,  404, 404,   404,   404,  404, 404),
    ("investment:dashboard",         ("nowhere",),           302, 404,  404, 404,   404,   404,  404, 404),
    ("investment:series_download",   ("julu", "csv"),        302, 200,  200, 200,   200,   404,  404, 404),
    ("investment:series_download",   ("ningjin", "xlsx"),    302, 200,  200, 404,   404,   404,  404, 200),
    ("investment:series_download",   ("xingtai", "csv"),     302, 200,  200, 404,   404,   404,  404, 404),
    ("investment:series_download",   ("hebei", "xlsx"),      302, 200,  404, 404,   404,   404,  404, 404),
    ("investment:ranking_download",  ("xingtai", "xlsx"),    302, 200,  200, 200,   200,   404,  404, 200),
    ("investment:ranking_download",  ("julu", "csv"),        302, 404,  404, 404,   404,   404,  404, 404),
    ("investment:ranking_download",  ("hebei", "csv"),       302, 404,  404, 404,   404,   404,  404, 404),
    ("investment:report",            (OWN, YEAR, MONTH),     302, 200,  200, 200,   200,   200,  200, 404),
    ("investment:report",            (OTHER, YEAR, MONTH),   302, 200,  200, 200,   404,   200,  404, 404),
    ("investment:report",            (OWN, YEAR, 13),        302, 404,  404, 404,   404,   404,  404, 404),
    ("investment:project",           (OWN,),                 302, 200,  200, 200,   200,   200,  200, 404),
    ("investment:project",           (OTHER,),               302, 200,  200, 200,   404,   200,  404, 404),
    ("investment:plan",              (OWN, YEAR),            302, 200,  403, 200,   403,   403,  403, 404),
    ("investment:plan",              (OTHER, YEAR),          302, 200,  403, 200,   404,   403,  404, 404),
]
# fmt: on


def _args(args: tuple, own, other) -> tuple:
    expanded = []
    for arg in args:
        if arg in (OWN, OTHER):
            project = own if arg == OWN else other
            expanded += [project.county.slug, project.code]
        else:
            expanded.append(arg)
    return tuple(expanded)


@pytest.mark.parametrize(
    "username, url_name, args, expected",
    [
        pytest.param(
            username,
            url_name,
            args,
            statuses[i],
            id=f"{username}-{url_name}-{'/'.join(str(a)[:12] for a in args)}",
        )
        for url_name, args, *statuses in MATRIX
        for i, username in enumerate(PERSONAS)
    ],
)
def test_it_answers_each_persona_as_the_scope_rules_say(
    client, login, own_project, other_project, username, url_name, args, expected
):
    if username != "anonymous":
        login(username)

    response = client.get(reverse(url_name, args=_args(args, own_project, other_project)))

    assert response.status_code == expected
    if expected == 302 and username == "anonymous":
        assert response["Location"].startswith(reverse("accounts:login"))
    if expected == 404 and (OWN in args or OTHER in args):
        project = own_project if OWN in args else other_project
        content = response.content.decode()
        assert project.name_zh not in content
        assert project.name_en not in content


def test_it_covers_every_investment_page():
    from keyprojects.investment import urls

    # A report's files have their own matrix (they need a file): test_report_attachments.py.
    files = {"investment:report_attachment", "investment:report_attachment_delete"}
    # …and so has a report's history page (test_report_history.py, and the generated role × endpoint matrix).
    files.add("investment:report_history")
    assert {f"investment:{p.name}" for p in urls.urlpatterns} - {"investment:report_action", *files} <= {
        row[0] for row in MATRIX
    }


CODE = re.compile(r"\b[A-Z]{2}-\d{4}-\d{3}\b")  # a demo project's code: JL-2026-001, NJ-2026-017, …


@pytest.mark.parametrize("username", ["office.julu", "leader.julu", "office.ningjin", "city.xingtai"])
@pytest.mark.parametrize(
    "url_name, args",
    [
        ("investment:dashboard", ("hebei",)),
        ("investment:dashboard", ("xingtai",)),
        ("investment:dashboard", ("julu",)),
        ("investment:dashboard", ("ningjin",)),
        ("investment:dashboard", ("julu-edz",)),
        ("investment:series_download", ("hebei", "csv")),
        ("investment:ranking_download", ("xingtai", "csv")),
    ],
)
def test_it_lists_no_project_the_user_may_not_open(client, login, username, url_name, args):
    user = login(username)
    visible = set(Project.objects.filter(project_scope_q(user)).values_list("code", flat=True))

    response = client.get(reverse(url_name, args=args), {"year": YEAR, "month": 9})

    assert response.status_code in (200, 404)
    listed = set(CODE.findall(response.content.decode()))
    assert listed <= visible, sorted(listed - visible)[:5]


def test_it_lists_the_county_s_projects_to_its_office_and_a_leader_s_own_to_the_leader(client, login):
    codes = {}
    for username in ("office.julu", "leader.julu"):
        login(username)
        response = client.get(reverse("investment:dashboard", args=["julu"]), {"year": YEAR, "month": 9})
        codes[username] = set(CODE.findall(response.content.decode()))
        totals = response.context["summary"].figures

    led = set(Project.objects.filter(leader_in_charge__username="leader.julu").values_list("code", flat=True))
    assert codes["office.julu"] and {c[:3] for c in codes["office.julu"]} == {"JL-"}
    assert (
        codes["leader.julu"]
        <= led
        < set(Project.objects.filter(county__slug="julu").values_list("code", flat=True))
    )
    assert codes["office.julu"] - led  # the office sees projects the leader does not lead
    assert totals.completed > 0  # the leader reads the county's totals all the same


# ---- writes through the pages ----------------------------------------------------------------------

REPORT_POST = {
    "completed_investment": "12.34",
    "physical_progress": "20",
    "description": "基础施工",
    "save": "",
}


@pytest.mark.parametrize(
    "username, expected, saved",
    [
        ("anonymous", 302, False),
        ("admin", 302, True),
        ("city.xingtai", 200, False),  # shown again with the refusal
        ("office.julu", 302, True),
        ("leader.julu", 200, False),
        ("dept.julu.power", 200, False),
        ("ent.liangshan", 302, True),
        ("office.ningjin", 404, False),
    ],
)
def test_it_saves_a_report_from_the_enterprise_or_the_office_only(
    client, login, own_project, username, expected, saved
):
    MonthlyReport.objects.filter(project=own_project, year=YEAR, month=MONTH).delete()
    if username != "anonymous":
        login(username)

    url = reverse("investment:report", args=[own_project.county.slug, own_project.code, YEAR, MONTH])
    response = client.post(url, REPORT_POST)

    assert response.status_code == expected
    report = MonthlyReport.objects.filter(project=own_project, year=YEAR, month=MONTH).first()
    assert (report is not None) == saved
    if saved:
        assert report.completed_investment == 123_400  # 12.34 万元
        assert report.status == ReportStatus.DRAFT
    if expected == 200:
        assert response.context["form"].non_field_errors()


def test_it_submits_from_the_report_page_and_refuses_an_amount_that_the_funding_does_not_match(
    client, login, own_project
):
    MonthlyReport.objects.filter(project=own_project, year=YEAR, month=MONTH).delete()
    login("ent.liangshan")
    url = reverse("investment:report", args=[own_project.county.slug, own_project.code, YEAR, MONTH])

    refused = client.post(url, {**REPORT_POST, "own_funds": "10", "submit": ""})
    assert refused.status_code == 200
    assert refused.context["form"].non_field_errors()  # the sources add up to 10, the amount is 12.34
    assert not MonthlyReport.objects.filter(project=own_project, year=YEAR, month=MONTH).exists()

    response = client.post(url, {**REPORT_POST, "own_funds": "12.34", "submit": ""})
    assert response.status_code == 302
    report = MonthlyReport.objects.get(project=own_project, year=YEAR, month=MONTH)
    assert (report.status, report.own_funds) == (ReportStatus.SUBMITTED, 123_400)


@pytest.mark.parametrize(
    "username, expected, approved",
    [
        ("anonymous", 302, False),
        ("admin", 302, True),
        ("city.xingtai", 302, False),  # back to the report, with the refusal as a message
        ("office.julu", 302, True),
        ("leader.julu", 302, False),
        ("dept.julu.power", 302, False),
        ("ent.liangshan", 302, False),
        ("office.ningjin", 404, False),
    ],
)
def test_it_approves_from_the_report_page_for_the_county_office_only(
    client, login, own_project, username, expected, approved
):
    MonthlyReport.objects.filter(project=own_project, year=YEAR, month=MONTH).delete()
    report = services.report_save(
        actor=SYSTEM, project=own_project, year=YEAR, month=MONTH, completed_investment=1, physical_progress=1
    )
    services.report_verify(actor=SYSTEM, report=services.report_submit(actor=SYSTEM, report=report))
    if username != "anonymous":
        login(username)

    url = reverse(
        "investment:report_action", args=[own_project.county.slug, own_project.code, YEAR, MONTH, "approve"]
    )
    response = client.post(url)

    assert response.status_code == expected
    report.refresh_from_db()
    assert (report.status == ReportStatus.APPROVED) == approved


def test_it_refuses_an_unknown_action_and_a_get(client, login, own_project):
    login("office.julu")
    args = [own_project.county.slug, own_project.code, YEAR, MONTH]
    MonthlyReport.objects.filter(project=own_project, year=YEAR, month=MONTH).delete()
    services.report_save(
        actor=SYSTEM, project=own_project, year=YEAR, month=MONTH, completed_investment=1, physical_progress=1
    )

    assert client.post(reverse("investment:report_action", args=[*args, "delete"])).status_code == 404
    assert client.get(reverse("investment:report_action", args=[*args, "approve"])).status_code == 405


def test_it_returns_a_report_only_with_a_reason_and_says_so(client, login, own_project):
    MonthlyReport.objects.filter(project=own_project, year=YEAR, month=MONTH).delete()
    report = services.report_submit(
        actor=SYSTEM,
        report=services.report_save(
            actor=SYSTEM,
            project=own_project,
            year=YEAR,
            month=MONTH,
            completed_investment=1,
            physical_progress=1,
        ),
    )
    login("dept.julu.power")
    url = reverse(
        "investment:report_action", args=[own_project.county.slug, own_project.code, YEAR, MONTH, "return"]
    )

    response = client.post(url, {"reason": ""}, follow=True)
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    with translation.override("zh-hans"):
        assert [str(m) for m in response.context["messages"]] == [
            gettext("Give a reason for returning the report.")
        ]

    client.post(url, {"reason": "金额与发票不符"})
    report.refresh_from_db()
    assert (report.status, report.return_reason) == (ReportStatus.RETURNED, "金额与发票不符")


@pytest.mark.parametrize(
    "username, expected",
    [
        ("office.julu", 302),
        ("admin", 302),
        ("city.xingtai", 403),
        ("ent.liangshan", 403),
        ("office.ningjin", 404),
    ],
)
def test_it_saves_a_plan_from_the_office_only(client, login, own_project, username, expected):
    AnnualPlan.objects.filter(project=own_project, year=YEAR).delete()
    login(username)

    url = reverse("investment:plan", args=[own_project.county.slug, own_project.code, YEAR])
    response = client.post(url, {"spread_total": "1200", "spread_mode": "curve"})

    assert response.status_code == expected
    plan = AnnualPlan.objects.filter(project=own_project, year=YEAR).first()
    assert (plan is not None) == (expected == 302)
    if plan:
        assert [pm.amount for pm in plan.months.all()][:3] == [360_000, 480_000, 960_000]  # 3, 4, 8 %


# ---- query counts ----------------------------------------------------------------------------------

PAGES = [
    ("office.julu", "/investment/julu/"),
    ("office.julu", f"/investment/julu/?year={YEAR}&month={MONTH}&unverified=on"),
    ("city.xingtai", f"/investment/xingtai/?year={YEAR}&month=9"),
    ("office.julu", "/investment/queue/"),
    ("dept.julu.power", "/investment/queue/"),
    ("ent.liangshan", "/investment/queue/"),
]


def _queries(client, persona) -> dict:
    counts = {}
    for username, url in PAGES:
        client.force_login(persona(username))
        client.get(url)  # warm: the session's first request differs from later ones
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        counts[(username, url)] = len(captured)
    return counts


def test_it_runs_as_many_queries_for_the_dashboards_and_the_queue_whatever_the_number_of_projects(
    client, persona
):
    before = _queries(client, persona)

    grow_julu(YEAR, 40)
    after = _queries(client, persona)

    assert after == before
