"""The problem pages: who may open which (a persona × URL matrix), the list's filters, the actions through the
page, the statistics of the demo, and query counts that do not grow with the list."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from keyprojects.accounts.models import Department
from keyprojects.core import clock
from keyprojects.problems import services
from keyprojects.problems.models import OPEN_STATUSES, Category, Problem, Status
from keyprojects.problems.tests.conftest import add_julu_problems, moment, report
from keyprojects.projects.demo import programme_year

YEAR = programme_year(clock.today())
OK, FORBIDDEN, NOT_FOUND = 200, 403, 404

# (persona, page, expected status). "problem" and "report" are on Liangshan's Julu project that leader.julu
# leads and the power-supply department answers for; its problem was raised by the enterprise.
MATRIX = [
    ("office.julu", "problem", OK),
    ("ent.liangshan", "problem", OK),
    ("leader.julu", "problem", OK),
    ("dept.julu.power", "problem", OK),
    ("city.xingtai", "problem", OK),
    ("admin", "problem", OK),
    ("office.ningjin", "problem", NOT_FOUND),  # another county's office
    ("ent.newera", "problem", NOT_FOUND),  # an unrelated enterprise
    ("ent.hengyuan", "problem", NOT_FOUND),
    ("dept.julu.bank", "problem", NOT_FOUND),  # not responsible for the project, not assigned
    ("leader.julu.2", "problem", NOT_FOUND),  # leads other projects
    ("office.julu", "leader", OK),
    ("city.xingtai", "leader", OK),
    ("leader.julu", "leader", OK),
    ("office.ningjin", "leader", NOT_FOUND),
    ("ent.hengyuan", "leader", NOT_FOUND),
    ("office.julu", "department", OK),
    ("dept.julu.power", "department", OK),
    ("ent.liangshan", "department", OK),  # an enterprise may know who handles its case
    ("office.ningjin", "department", NOT_FOUND),
    ("ent.hengyuan", "department", NOT_FOUND),
    ("ent.liangshan", "report", OK),
    ("office.julu", "report", OK),
    ("leader.julu", "report", OK),
    ("dept.julu.power", "report", OK),
    ("city.xingtai", "report", FORBIDDEN),  # reads the project, raises nothing
    ("leader.julu.2", "report", NOT_FOUND),
    ("ent.newera", "report", NOT_FOUND),
    ("office.ningjin", "report", NOT_FOUND),
    ("office.julu", "statistics", OK),
    ("city.xingtai", "statistics", OK),
    ("leader.julu", "statistics", OK),
    ("office.ningjin", "statistics", NOT_FOUND),
    ("ent.liangshan", "statistics", NOT_FOUND),
    ("dept.julu.power", "statistics", NOT_FOUND),
    # Another county's, the city's (it lists every county's departments) and the province's: a county-level
    # user reads its own unit's statistics only.
    ("office.julu", "statistics_sibling", NOT_FOUND),
    ("leader.julu", "statistics_sibling", NOT_FOUND),
    ("office.ningjin", "statistics_sibling", OK),
    ("city.xingtai", "statistics_sibling", OK),
    ("office.julu", "statistics_city", NOT_FOUND),
    ("leader.julu", "statistics_city", NOT_FOUND),
    ("office.ningjin", "statistics_city", NOT_FOUND),
    ("city.xingtai", "statistics_city", OK),
    ("admin", "statistics_city", OK),
    ("office.julu", "statistics_province", NOT_FOUND),
    ("leader.julu", "statistics_province", NOT_FOUND),
    ("office.ningjin", "statistics_province", NOT_FOUND),
    ("city.xingtai", "statistics_province", NOT_FOUND),
    ("admin", "statistics_province", OK),
    *[(u, "list", OK) for u in ("office.julu", "ent.liangshan", "dept.julu.bank", "city.xingtai")],
    *[(u, "my_work", OK) for u in ("office.julu", "ent.liangshan", "dept.julu.power", "leader.julu")],
]


def url_of(view: str, problem: Problem) -> str:
    return {
        "problem": reverse("problems:detail", args=[problem.pk]),
        "leader": reverse("problems:leader", args=["leader.julu"]),
        "department": reverse("problems:department", args=["julu-power"]),
        "report": reverse("problems:report", args=["julu", problem.project.code]),
        "statistics": reverse("problems:statistics", args=["julu"]),
        "statistics_sibling": reverse("problems:statistics", args=["ningjin"]),
        "statistics_city": reverse("problems:statistics", args=["xingtai"]),
        "statistics_province": reverse("problems:statistics", args=["hebei"]),
        "list": reverse("problems:list"),
        "my_work": reverse("problems:my_work"),
    }[view]


@pytest.mark.parametrize(("username", "view", "expected"), MATRIX)
def test_it_opens_each_page_only_to_those_in_scope(client, login, at, username, view, expected):
    problem = at(Status.ACCEPTED)
    login(username)

    assert client.get(url_of(view, problem)).status_code == expected


@pytest.mark.parametrize(
    "view", ["problem", "leader", "department", "report", "statistics", "list", "my_work"]
)
def test_it_sends_a_stranger_to_the_login_page(client, at, view):
    response = client.get(url_of(view, at(Status.ACCEPTED)))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# ---- the list's filters ----------------------------------------------------------------------------


def julu_problems():
    return Problem.objects.filter(project__county__slug="julu")


@pytest.mark.parametrize(
    ("query", "condition"),
    [
        ({"category": Category.FINANCING}, Q(category=Category.FINANCING)),
        ({"side": "inside"}, Q(side="inside")),
        ({"status": Status.CLOSED}, Q(status=Status.CLOSED)),
        (
            {"department": "julu-bank"},
            Q(lead_department__slug="julu-bank") | Q(supporting_departments__slug="julu-bank"),
        ),
        ({"overdue": "on"}, Q(status__in=OPEN_STATUSES, deadline__lt=clock.today())),
        ({"project": "JL-2026-001"}, Q(project__code="JL-2026-001")),
        ({"category": Category.FINANCING, "status": Status.CLOSED}, Q(category="financing", status="closed")),
    ],
)
def test_it_filters_the_list(client, login, query, condition):
    expected = julu_problems().filter(condition).distinct()
    assert 0 < expected.count() < julu_problems().count(), "the demo should have rows on both sides"
    login("office.julu")

    response = client.get(reverse("problems:list"), query)

    assert response.status_code == 200
    assert response.context["counts"]["total"] == expected.count()
    assert f'data-testid="count-total">{expected.count()}<' in response.content.decode()
    shown = {p.pk for p in response.context["page"]}
    assert shown <= set(expected.values_list("pk", flat=True))
    assert len(shown) == min(expected.count(), 30)


def test_it_filters_the_list_by_the_year_raised(client, login, persona, project):
    with clock.frozen_at(moment(date(YEAR - 1, 12, 1))):
        earlier = report(persona("ent.liangshan"), project)
    login("office.julu")

    last_year = client.get(reverse("problems:list"), {"year": YEAR - 1}).context
    this_year = client.get(reverse("problems:list"), {"year": YEAR}).context

    # The demo's earlier years have their solved problems too; the one raised in December is the latest.
    assert last_year["counts"]["total"] == julu_problems().filter(raised_at__year=YEAR - 1).count()
    assert last_year["page"][0].pk == earlier.pk
    assert this_year["counts"]["total"] == julu_problems().filter(raised_at__year=YEAR).count()
    assert earlier.pk not in {p.pk for p in this_year["page"]}


def test_it_lists_only_the_problems_in_the_user_s_scope(client, login):
    login("dept.julu.bank")

    response = client.get(reverse("problems:list"))

    for problem in response.context["page"]:
        assert problem.project.county.slug == "julu"
    assert response.context["counts"]["total"] < julu_problems().count()


# ---- acting through the page ------------------------------------------------------------------------


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_it_shows_the_office_the_accept_form_and_the_enterprise_none(client, login, at):
    problem = at(Status.REPORTED)

    login("office.julu")
    assert "accept" in client.get(url_of("problem", problem)).context["actions"]
    login("ent.liangshan")
    page = client.get(url_of("problem", problem))

    assert "accept" not in page.context["actions"]
    assert 'data-testid="accept"' not in page.content.decode()


def test_it_accepts_and_assigns_through_the_page(client, login, at):
    problem = at(Status.REPORTED)
    login("office.julu")
    deadline = clock.today() + timedelta(days=12)
    power = problem.project.responsible_departments.get(slug="julu-power")

    response = client.post(
        reverse("problems:action", args=[problem.pk, "accept"]),
        {"lead_department": power.pk, "deadline": deadline.isoformat()},
        follow=True,
    )

    problem.refresh_from_db()
    assert (problem.status, problem.lead_department, problem.deadline) == (Status.ACCEPTED, power, deadline)
    with translation.override("zh-hans"):
        assert messages_of(response) == [translation.gettext("Accepted and assigned.")]


def test_it_turns_a_refused_step_into_a_message_not_an_error_page(client, login, at):
    problem = at(Status.RESOLVED)
    login("dept.julu.power")  # a department cannot confirm

    response = client.post(reverse("problems:action", args=[problem.pk, "confirm"]), follow=True)

    assert response.status_code == 200
    with translation.override("zh-hans"):
        assert messages_of(response) == [
            translation.gettext("Only the person who raised the problem can confirm that it is solved.")
        ]
    problem.refresh_from_db()
    assert problem.status == Status.RESOLVED


def test_it_walks_a_problem_through_the_pages(client, login, at):
    problem = at(Status.ACCEPTED)

    def action(name: str) -> str:
        return reverse("problems:action", args=[problem.pk, name])

    login("dept.julu.power")
    client.post(action("update"), {"text": "已现场勘查"})
    client.post(action("resolve"), {"text": "已增容"})
    login("ent.liangshan")
    client.post(action("confirm"))

    problem.refresh_from_db()
    assert (problem.status, problem.resolution) == (Status.CLOSED, "已增容")


def test_it_answers_404_for_an_unknown_action_and_405_for_a_get(client, login, at):
    problem = at(Status.ACCEPTED)
    login("office.julu")

    assert client.post(reverse("problems:action", args=[problem.pk, "delete"])).status_code == 404
    assert client.get(reverse("problems:action", args=[problem.pk, "update"])).status_code == 405


def test_it_raises_a_problem_from_the_report_form(client, login, project):
    login("ent.liangshan")

    response = client.post(
        reverse("problems:report", args=["julu", project.code]),
        {
            "title_zh": "流动资金贷款",
            "title_en": "Working capital",
            "category": Category.FINANCING,
            "side": "inside",
            "severity": "high",
            "description_zh": "需要流动资金贷款",
            "amount": "500",
        },
    )

    problem = Problem.objects.get(project=project, title_zh="流动资金贷款", title_en="Working capital")
    assert response["Location"] == reverse("problems:detail", args=[problem.pk])
    assert (problem.raised_as, problem.amount) == ("enterprise", 5_000_000)


def test_it_asks_for_the_amount_on_the_form(client, login, project):
    login("ent.liangshan")

    response = client.post(
        reverse("problems:report", args=["julu", project.code]),
        {
            "title_zh": "贷款",
            "category": Category.FINANCING,
            "side": "inside",
            "severity": "high",
            "description_zh": "x",
        },
    )

    assert response.status_code == 200
    with translation.override("zh-hans"):
        message = translation.gettext("A financing problem needs the amount involved.")
    assert [message] in response.context["form"].errors.values()
    assert message in response.content.decode()
    assert not Problem.objects.filter(project=project, title_zh="贷款").exists()


# ---- my work, leader and department pages ---------------------------------------------------------


def test_it_shows_each_person_the_work_that_waits_for_them(client, login, at):
    to_accept, to_handle, to_confirm = at(Status.REPORTED), at(Status.IN_PROGRESS), at(Status.RESOLVED)

    login("office.julu")
    office = client.get(reverse("problems:my_work")).context
    login("dept.julu.power")
    department = client.get(reverse("problems:my_work")).context
    login("ent.liangshan")
    enterprise = client.get(reverse("problems:my_work")).context

    assert to_accept in office["to_accept"] and to_handle in office["to_handle"]
    assert to_handle in department["to_handle"] and department["to_accept"] == []
    assert to_confirm in enterprise["to_confirm"] and enterprise["to_handle"] == []


def test_it_shows_a_supporting_department_the_problem_it_was_told_of(client, login, persona, at):
    problem = at(Status.REPORTED)
    services.problem_accept(
        actor=persona("office.julu"),
        problem=problem,
        lead_department=Department.objects.get(slug="julu-power"),
        supporting_departments=[Department.objects.get(slug="julu-bank")],
        deadline=clock.today() + timedelta(days=10),
    )
    login("dept.julu.bank")

    work = client.get(reverse("problems:my_work")).context

    assert [n.problem for n in work["notifications"]].count(problem) == 1  # "assigned to you"
    assert problem in work["to_handle"]
    assert len(work["to_handle"]) == len(set(work["to_handle"]))


def test_it_lists_a_leader_s_open_problems_and_a_department_s(client, login, at):
    problem = at(Status.IN_PROGRESS)
    login("office.julu")

    leader = client.get(reverse("problems:leader", args=["leader.julu"])).context
    department = client.get(reverse("problems:department", args=["julu-power"])).context

    assert problem in leader["problems"]
    assert problem.project in leader["projects"]
    assert problem in department["open_problems"]


# ---- statistics --------------------------------------------------------------------------------


def test_it_shows_the_report_s_figures_on_the_statistics_page(client, login):
    login("office.julu")

    response = client.get(reverse("problems:statistics", args=["julu"]))

    stats = response.context["stats"]
    assert (response.context["year"], stats.projects_helped, stats.problems_solved) == (YEAR, 40, 63)
    html = response.content.decode()
    assert 'data-testid="stat-helped">40<' in html
    assert 'data-testid="stat-solved">63<' in html
    assert sum(row["raised"] for _label, row in response.context["category_rows"]) == stats.problems_raised


def test_it_counts_a_new_problem_on_the_statistics_once_closed_out(client, login, at):
    login("office.julu")
    url = reverse("problems:statistics", args=["julu"]) + f"?year={clock.today().year}"
    before = client.get(url).context["stats"]

    at(Status.CLOSED, category=Category.FINANCING, side="inside", amount=1_000_000)

    after = client.get(url).context["stats"]
    assert after.problems_raised == before.problems_raised + 1
    assert after.problems_solved == before.problems_solved + 1
    assert after.by_category["financing"]["solved"] == before.by_category["financing"]["solved"] + 1


# ---- query counts -----------------------------------------------------------------------------


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


@pytest.mark.parametrize(
    ("username", "view"),
    [
        ("office.julu", "list"),
        ("dept.julu.bank", "list"),
        ("office.julu", "my_work"),
        ("dept.julu.power", "my_work"),
        ("office.julu", "statistics"),
        ("city.xingtai", "statistics"),
    ],
)
def test_it_reads_a_page_in_the_same_number_of_queries_however_many_problems(client, login, username, view):
    url = {
        "list": reverse("problems:list") + "?county=julu",
        "my_work": reverse("problems:my_work"),
        "statistics": reverse("problems:statistics", args=["julu"]) + f"?year={clock.today().year}",
    }[view]
    login(username)
    before = queries(client, url)

    add_julu_problems(30)

    assert queries(client, url) == before
