"""Problems over the API: raising, each workflow step, the timeline and the files, as the pages allow them —
404 outside the user's scope, 403 where the user sees the problem but may not act, 409 for a step the state
does not allow or a stale version, 400 naming the refused field."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from keyprojects.accounts.demo import DEMO_PASSWORD
from keyprojects.accounts.models import Department
from keyprojects.core import clock
from keyprojects.core.bilingual import Bilingual
from keyprojects.problems import selectors, services
from keyprojects.problems.models import Category, Event, Problem, Side, Status
from keyprojects.problems.workflow import PROBLEM_WORKFLOW
from keyprojects.projects.models import Project

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PERSONAS = (
    "admin",
    "city.xingtai",
    "office.julu",
    "leader.julu",
    "dept.julu.power",
    "dept.julu.resources",
    "ent.liangshan",
    "office.ningjin",
)


@pytest.fixture
def project(db) -> Project:
    """Liangshan's Julu project that leader.julu leads and the power-supply department answers for."""
    return (
        Project.objects.filter(
            county__slug="julu",
            enterprise__slug="liangshan",
            leader_in_charge__username="leader.julu",
            responsible_departments__slug="julu-power",
        )
        .select_related("county")
        .order_by("code")
        .first()
    )


@pytest.fixture
def at(persona, project):
    """at("resolved") → a fresh problem raised by ent.liangshan, brought to that status through the services:
    the office accepts (the power-supply department leads), the department posts progress and resolves, the
    enterprise confirms."""

    def bring(status: str) -> Problem:
        office, power, enterprise = (
            persona("office.julu"),
            persona("dept.julu.power"),
            persona("ent.liangshan"),
        )
        problem = services.problem_report(
            actor=enterprise,
            project=project,
            title=Bilingual("施工临时用电容量不足", "Temporary power is insufficient"),
            description="施工用电负荷不够，影响设备调试。",
            category=Category.ELECTRICITY,
            side=Side.OUTSIDE,
        )
        if status == Status.REPORTED:
            return problem
        if status == Status.RETURNED:
            return services.problem_return(actor=office, problem=problem, reason="请补充用电负荷表")
        services.problem_accept(
            actor=office,
            problem=problem,
            lead_department=Department.objects.get(slug="julu-power"),
            deadline=clock.today() + timedelta(days=10),
        )
        if status == Status.ACCEPTED:
            return problem
        services.problem_update(actor=power, problem=problem, text="已现场勘查")
        if status == Status.IN_PROGRESS:
            return problem
        services.problem_resolve(actor=power, problem=problem, resolution="已增容")
        if status == Status.RESOLVED:
            return problem
        return services.problem_confirm(actor=enterprise, problem=problem)

    return bring


def post(client: Client, path: str, body: dict | None = None):
    return client.post(path, body or {}, content_type="application/json")


def raise_body(project: Project, **changes) -> dict:
    return {
        "county": project.county.slug,
        "project": project.code,
        "title_zh": "道路未通",
        "description_zh": "进场道路尚未硬化。",
        "category": "roads",
        "side": "outside",
    } | changes


# A body each step accepts on a problem in the state it starts from.
STEPS = {
    "accept": (Status.REPORTED, {"lead_department": "julu-power", "deadline": "+10"}),
    "return": (Status.REPORTED, {"reason": "请补充材料"}),
    "decline": (Status.REPORTED, {"reason": "属企业内部事项"}),
    "resubmit": (Status.RETURNED, {"description": "已补充用电负荷表"}),
    "update": (Status.ACCEPTED, {"text": "已现场勘查"}),
    "resolve": (Status.IN_PROGRESS, {"resolution": "已增容"}),
    "confirm": (Status.RESOLVED, {}),
    "reject": (Status.RESOLVED, {"reason": "仍然不够"}),
    "reopen": (Status.CLOSED, {"reason": "又断电了"}),
}


def step_body(step: str) -> dict:
    body = dict(STEPS[step][1])
    if body.get("deadline") == "+10":
        body["deadline"] = (clock.today() + timedelta(days=10)).isoformat()
    return body


# ---- reading ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", PERSONAS)
def test_it_shows_a_problem_and_its_timeline_and_files_as_the_page_does(
    api_client, client, login, persona, at, username
):
    problem = at(Status.ACCEPTED)
    login(username)
    page = client.get(reverse("problems:detail", args=[problem.pk])).status_code
    api = api_client(username)

    detail = api.get(f"/api/v1/problems/{problem.pk}")
    events = api.get(f"/api/v1/problems/{problem.pk}/events")
    files = api.get(f"/api/v1/problems/{problem.pk}/attachments")

    assert detail.status_code == events.status_code == files.status_code == page
    if page == 200:
        user = persona(username)
        assert detail.json()["actions"] == [s.name for s in PROBLEM_WORKFLOW.allowed(user, problem)]
        assert detail.json()["version"] == problem.version
        assert [e["kind"] for e in events.json()] == [Event.Kind.REPORTED, Event.Kind.ACCEPTED]
        assert files.json() == []
    else:
        assert problem.title_zh not in detail.content.decode()


def test_it_answers_401_without_a_token(at):
    problem = at(Status.REPORTED)
    assert Client().get(f"/api/v1/problems/{problem.pk}").status_code == 401
    assert post(Client(), f"/api/v1/problems/{problem.pk}/confirm").status_code == 401


# ---- raising ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", PERSONAS)
def test_it_lets_raise_a_problem_whoever_the_page_lets(api_client, client, login, project, username):
    login(username)
    page = client.get(reverse("problems:report", args=[project.county.slug, project.code])).status_code

    response = post(api_client(username), "/api/v1/problems", raise_body(project))

    assert response.status_code == {200: 201}.get(page, page)
    if page == 200:
        problem = Problem.objects.get(pk=response.json()["id"])
        assert (problem.project, problem.raised_by.username, problem.status) == (
            project,
            username,
            Status.REPORTED,
        )
        assert response.json()["title_zh"] == "道路未通"
    else:
        assert not Problem.objects.filter(title_zh="道路未通").exists()


def test_it_takes_the_amount_in_yuan(api_client, project):
    body = raise_body(project, category="financing", amount="12500000.00")
    response = post(api_client("ent.liangshan"), "/api/v1/problems", body)
    assert response.status_code == 201
    assert response.json()["amount"] == "12500000.00"


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"title_zh": ""}, "title_zh", "Give the problem a title, in Chinese or in English."),
        ({"description_zh": ""}, "description_zh", "Describe the problem, in Chinese or in English."),
        ({"title_zh": "x" * 201}, "title_zh", "Ensure this value has at most 200 characters"),
        ({"category": "financing"}, "amount", "A financing problem needs the amount involved."),
        ({"category": "weather"}, "category", "category"),
        ({"amount": "-1"}, "amount", "amount"),
        ({"title_zh": "\ud800"}, "title_zh", "title_zh"),
    ],
)
def test_it_refuses_a_bad_problem_with_400_naming_the_field(api_client, project, changes, field, message):
    client = api_client("ent.liangshan", language="en")
    response = post(client, "/api/v1/problems", raise_body(project, **changes))
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert message in response.json()["detail"]
    assert not Problem.objects.filter(description_zh="进场道路尚未硬化。").exists()


def test_it_refuses_in_the_users_language(api_client, project):
    response = post(
        api_client("ent.liangshan", language="zh-hans"), "/api/v1/problems", raise_body(project, title_zh="")
    )
    assert response.status_code == 400
    assert response.json()["field"] == "title_zh"
    assert "标题" in response.json()["detail"]


# ---- the workflow ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", PERSONAS)
@pytest.mark.parametrize("step", list(STEPS))
def test_it_lets_take_each_step_whoever_the_workflow_lets(api_client, persona, at, step, username):
    """200 for those the workflow's declaration lets take the step (the problem page offers them its
    button), 403 for those who see the problem but may not, 404 for those who do not see it."""
    problem = at(STEPS[step][0])
    user = persona(username)
    if not selectors.problem_list(user=user).filter(pk=problem.pk).exists():
        expected = 404
    else:
        expected = 200 if PROBLEM_WORKFLOW.may(PROBLEM_WORKFLOW[step], user, problem) else 403
    before = problem.version

    response = post(api_client(username), f"/api/v1/problems/{problem.pk}/{step}", step_body(step))

    assert response.status_code == expected, response.content
    problem.refresh_from_db()
    if expected == 200:
        assert response.json()["status"] == problem.status == PROBLEM_WORKFLOW[step].target
        assert response.json()["version"] == problem.version > before
    else:
        assert problem.version == before
        if expected == 404:
            assert problem.title_zh not in response.content.decode()


def test_it_answers_the_office_accepting_and_the_enterprise_confirming(api_client, at):
    """The table the matrix above computes, for two rows written out."""
    reported, resolved = at(Status.REPORTED), at(Status.RESOLVED)
    assert (
        post(
            api_client("office.julu"), f"/api/v1/problems/{reported.pk}/accept", step_body("accept")
        ).status_code
        == 200
    )
    assert (
        post(
            api_client("ent.liangshan"), f"/api/v1/problems/{resolved.pk}/accept", step_body("accept")
        ).status_code
        == 403
    )
    assert post(api_client("office.ningjin"), f"/api/v1/problems/{resolved.pk}/confirm").status_code == 404
    assert post(api_client("ent.liangshan"), f"/api/v1/problems/{resolved.pk}/confirm").status_code == 200


@pytest.mark.parametrize(
    "status, step, username",
    [
        (Status.REPORTED, "confirm", "ent.liangshan"),
        (Status.ACCEPTED, "accept", "office.julu"),
        (Status.CLOSED, "update", "dept.julu.power"),
        (Status.IN_PROGRESS, "reopen", "office.julu"),
        (Status.REPORTED, "resubmit", "ent.liangshan"),
    ],
)
def test_it_answers_409_to_a_step_the_state_does_not_allow(api_client, at, status, step, username):
    problem = at(status)
    before = (problem.status, problem.version)
    client = api_client(username, language="en")

    response = post(client, f"/api/v1/problems/{problem.pk}/{step}", step_body(step))

    assert response.status_code == 409
    assert "This cannot be done while the problem is" in response.json()["detail"]
    problem.refresh_from_db()
    assert (problem.status, problem.version) == before


def test_it_answers_409_to_a_stale_version(api_client, at):
    problem = at(Status.ACCEPTED)
    client = api_client("dept.julu.power", language="en")
    read = client.get(f"/api/v1/problems/{problem.pk}").json()["version"]
    assert (
        post(client, f"/api/v1/problems/{problem.pk}/update", {"text": "一", "version": read}).status_code
        == 200
    )

    response = post(client, f"/api/v1/problems/{problem.pk}/update", {"text": "二", "version": read})

    assert response.status_code == 409
    assert "Someone else saved this problem" in response.json()["detail"]
    assert problem.events.filter(kind=Event.Kind.UPDATE).count() == 1


@pytest.mark.parametrize(
    "status, step, username, body, field, message",
    [
        (
            Status.REPORTED,
            "accept",
            "office.julu",
            {"lead_department": "nowhere"},
            "lead_department",
            "Select a valid choice",
        ),
        (
            Status.REPORTED,
            "accept",
            "office.julu",
            {"deadline": "2000-01-01"},
            "deadline",
            "The deadline is in the past.",
        ),
        (
            Status.REPORTED,
            "accept",
            "office.julu",
            {"leader_in_charge": "ent.liangshan"},
            "leader_in_charge",
            "Select a valid choice",
        ),
        (Status.REPORTED, "accept", "office.julu", {"deadline": "soon"}, "deadline", "Enter a valid date"),
        (Status.ACCEPTED, "update", "dept.julu.power", {"text": ""}, "text", "This field is required."),
        (Status.ACCEPTED, "update", "dept.julu.power", {"text": "x" * 5001}, "text", "at most 5000"),
        (Status.IN_PROGRESS, "resolve", "dept.julu.power", {"resolution": "  "}, "resolution", "required"),
        (Status.REPORTED, "return", "office.julu", {"reason": ""}, "reason", "required"),
        (
            Status.CLOSED,
            "reopen",
            "office.julu",
            {"deadline": "2000-01-01"},
            "deadline",
            "The deadline is in the past.",
        ),
        (Status.ACCEPTED, "update", "dept.julu.power", {"version": 0}, "version", "version"),
    ],
)
def test_it_refuses_a_bad_step_with_400_naming_the_field(
    api_client, at, status, step, username, body, field, message
):
    problem = at(status)
    before = problem.version

    response = post(
        api_client(username, language="en"), f"/api/v1/problems/{problem.pk}/{step}", step_body(step) | body
    )

    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert message in response.json()["detail"]
    problem.refresh_from_db()
    assert problem.version == before


def test_it_reopens_past_the_deadline_only_with_a_new_one_from_the_office(api_client, at):
    problem = at(Status.CLOSED)
    Problem.objects.filter(pk=problem.pk).update(deadline=clock.today() - timedelta(days=1))
    path = f"/api/v1/problems/{problem.pk}/reopen"

    by_enterprise = post(
        api_client("ent.liangshan", language="en"), path, {"reason": "又断电了", "deadline": "2999-01-01"}
    )
    without = post(api_client("office.julu", language="en"), path, {"reason": "又断电了"})
    deadline = (clock.today() + timedelta(days=7)).isoformat()
    with_one = post(api_client("office.julu"), path, {"reason": "又断电了", "deadline": deadline})

    assert by_enterprise.status_code == 403
    assert (without.status_code, without.json()["field"]) == (400, "deadline")
    assert with_one.status_code == 200
    assert (with_one.json()["status"], with_one.json()["deadline"]) == (Status.IN_PROGRESS, deadline)


# ---- files -----------------------------------------------------------------------------------------------


def upload(client: Client, problem: Problem, name: str = "负荷表.pdf", content: bytes = PDF):
    from django.core.files.uploadedfile import SimpleUploadedFile

    file = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    return client.post(f"/api/v1/problems/{problem.pk}/attachments", {"file": file})


@pytest.mark.parametrize("username", PERSONAS)
def test_it_lets_attach_files_whoever_the_page_lets(api_client, persona, at, username):
    problem = at(Status.ACCEPTED)
    user = persona(username)
    if not selectors.problem_list(user=user).filter(pk=problem.pk).exists():
        expected = 404
    else:
        detail = api_client(username).get(f"/api/v1/problems/{problem.pk}").json()
        expected = 201 if detail["may_attach"] else 403

    response = upload(api_client(username), problem)

    assert response.status_code == expected
    assert problem.attachments.count() == (1 if expected == 201 else 0)


def test_it_uploads_lists_and_downloads_a_file(api_client, at):
    problem = at(Status.ACCEPTED)
    client = api_client("ent.liangshan")

    added = upload(client, problem)
    listed = client.get(f"/api/v1/problems/{problem.pk}/attachments")
    download = client.get(f"/api/v1/problems/{problem.pk}/attachments/{added.json()['id']}")

    assert added.status_code == 201
    assert (added.json()["name"], added.json()["size"], added.json()["uploaded_by"]) == (
        "负荷表.pdf",
        len(PDF),
        "ent.liangshan",
    )
    assert listed.json() == [added.json()]
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == PDF
    assert problem.events.filter(kind=Event.Kind.ATTACHMENT).exists()


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("setup.exe", b"MZ...", "Files of this type cannot be attached"),
        ("fake.pdf", b"not a pdf", "is not really a PDF file"),
        ("a|b.pdf", PDF, "is not allowed"),
    ],
)
def test_it_refuses_a_file_the_page_refuses(api_client, at, name, content, message):
    problem = at(Status.ACCEPTED)
    response = upload(api_client("ent.liangshan", language="en"), problem, name, content)
    assert response.status_code == 400
    assert response.json()["field"] == "file"
    assert message in response.json()["detail"]
    assert not problem.attachments.exists()


def test_it_refuses_a_file_above_the_limit(api_client, at, settings):
    settings.KEYPROJECTS_ATTACHMENT_MAX_BYTES = 10
    problem = at(Status.ACCEPTED)
    response = upload(api_client("ent.liangshan"), problem)
    assert (response.status_code, response.json()["field"]) == (400, "file")


def test_it_serves_a_file_only_under_its_own_problem_and_scope(api_client, at):
    problem, other = at(Status.ACCEPTED), at(Status.ACCEPTED)
    attachment = upload(api_client("ent.liangshan"), problem).json()["id"]

    assert (
        api_client("ent.liangshan").get(f"/api/v1/problems/{other.pk}/attachments/{attachment}").status_code
        == 404
    )
    assert (
        api_client("office.ningjin")
        .get(f"/api/v1/problems/{problem.pk}/attachments/{attachment}")
        .status_code
        == 404
    )
    assert api_client("office.ningjin").get(f"/api/v1/problems/{problem.pk}/attachments").status_code == 404


# ---- the whole workflow with tokens --------------------------------------------------------------------


def test_it_takes_a_problem_from_raising_to_confirmation_with_tokens(project):
    """A script: each person asks for a token with their password, then raises, accepts, works on, resolves
    and confirms the problem over the API, each step as the one whose job it is."""
    cache.clear()  # the token endpoint's rate limit

    def session(username: str) -> Client:
        response = Client().post(
            "/api/v1/auth/token",
            {"username": username, "password": DEMO_PASSWORD, "name": "script"},
            content_type="application/json",
        )
        assert response.status_code == 201
        return Client(headers={"Authorization": f"Bearer {response.json()['token']}"})

    enterprise, office, department = (
        session("ent.liangshan"),
        session("office.julu"),
        session("dept.julu.power"),
    )
    raised = post(enterprise, "/api/v1/problems", raise_body(project))
    assert raised.status_code == 201
    pk = raised.json()["id"]
    assert "accept" in office.get(f"/api/v1/problems/{pk}").json()["actions"]

    deadline = (clock.today() + timedelta(days=15)).isoformat()
    accepted = post(
        office,
        f"/api/v1/problems/{pk}/accept",
        {"lead_department": "julu-power", "supporting_departments": ["julu-resources"], "deadline": deadline},
    )
    assert accepted.status_code == 200
    assert (accepted.json()["lead_department"], accepted.json()["supporting_departments"]) == (
        "julu-power",
        ["julu-resources"],
    )
    assert accepted.json()["leader_in_charge"] == "leader.julu"  # the project's, by default
    assert department.get("/api/v1/notifications?unread=true").json()["items"][0]["problem"] == pk

    version = department.get(f"/api/v1/problems/{pk}").json()["version"]
    assert (
        post(department, f"/api/v1/problems/{pk}/update", {"text": "已协调", "version": version}).status_code
        == 200
    )
    assert (
        post(department, f"/api/v1/problems/{pk}/resolve", {"resolution": "道路已硬化"}).json()["status"]
        == "resolved"
    )
    assert post(enterprise, f"/api/v1/problems/{pk}/confirm").json()["status"] == "closed"

    timeline = enterprise.get(f"/api/v1/problems/{pk}/events").json()
    assert [e["kind"] for e in timeline] == ["reported", "accepted", "update", "resolved", "confirmed"]
    assert [e["actor"] for e in timeline] == [
        "ent.liangshan",
        "office.julu",
        "dept.julu.power",
        "dept.julu.power",
        "ent.liangshan",
    ]
    assert post(enterprise, f"/api/v1/problems/{pk}/confirm").status_code == 409


# ---- query counts ----------------------------------------------------------------------------------------


def _queries(client: Client, path: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as context:
        response = client.get(path)
    assert response.status_code == 200
    body = response.json()
    return len(context.captured_queries), len(body["items"] if isinstance(body, dict) else body)


@pytest.mark.parametrize("username", ["office.julu", "dept.julu.power", "ent.liangshan"])
def test_it_lists_problems_in_a_fixed_number_of_queries(api_client, at, username):
    client = api_client(username)
    at(Status.ACCEPTED)
    client.get("/api/v1/me")  # the token's first use records itself
    few = _queries(client, "/api/v1/problems?limit=1000")
    for _ in range(5):
        at(Status.IN_PROGRESS)
    many = _queries(client, "/api/v1/problems?limit=1000")
    assert many[1] > few[1]
    assert many[0] == few[0]


def test_it_lists_a_timeline_and_files_in_a_fixed_number_of_queries(api_client, persona, at):
    client = api_client("ent.liangshan")
    problem = at(Status.ACCEPTED)
    upload(client, problem)
    few = (
        _queries(client, f"/api/v1/problems/{problem.pk}/events"),
        _queries(client, f"/api/v1/problems/{problem.pk}/attachments"),
    )
    for n in range(5):
        services.problem_update(actor=persona("dept.julu.power"), problem=problem, text=f"第{n}次")
        upload(client, problem, name=f"f{n}.pdf")
    many = (
        _queries(client, f"/api/v1/problems/{problem.pk}/events"),
        _queries(client, f"/api/v1/problems/{problem.pk}/attachments"),
    )
    assert [m[1] > f[1] for m, f in zip(many, few, strict=True)] == [True, True]
    assert [m[0] for m in many] == [f[0] for f in few]


# ---- the list's order: the page's "Sort" and the API's `sort` are one filter ------------------------------


def _is_ordered(rows: list, key, *, reverse: bool = False) -> bool:
    values = [key(row) for row in rows]
    return values == sorted(values, reverse=reverse)


@pytest.mark.parametrize(
    "sort, key, reverse",
    [
        ("", lambda p: p["raised_at"], True),  # the list's own order: newest first
        ("raised", lambda p: p["raised_at"], False),
        ("deadline", lambda p: (p["deadline"] is None, p["deadline"] or ""), False),
        ("project", lambda p: p["project"], False),
        ("status", lambda p: p["status"], False),
    ],
)
def test_it_lists_problems_in_the_order_asked(api_client, sort, key, reverse):
    rows = api_client("office.julu").get("/api/v1/problems", {"sort": sort, "limit": 1000}).json()["items"]

    assert len(rows) > 5
    assert _is_ordered(rows, key, reverse=reverse)


def test_the_pages_of_a_sorted_list_neither_repeat_nor_skip_a_problem(api_client):
    client = api_client("office.julu")
    whole = client.get("/api/v1/problems", {"sort": "status", "limit": 1000}).json()["items"]
    paged = [
        row
        for offset in range(0, len(whole), 7)
        for row in client.get("/api/v1/problems", {"sort": "status", "limit": 7, "offset": offset}).json()[
            "items"
        ]
    ]

    assert [row["id"] for row in paged] == [row["id"] for row in whole]


def test_it_refuses_an_order_it_does_not_offer_naming_it(api_client):
    response = api_client("office.julu", language="en").get("/api/v1/problems", {"sort": "cost"})

    assert response.status_code == 400
    assert response.json()["field"] == "sort"
    assert "cost is not one of the available choices" in response.json()["detail"]


def test_the_problem_list_page_sorts_as_the_api_does(client, login, api_client):
    login("office.julu")
    page = client.get(reverse("problems:list"), {"sort": "deadline"})
    api = api_client("office.julu").get("/api/v1/problems", {"sort": "deadline", "limit": 20}).json()["items"]

    assert page.status_code == 200
    shown = [p.pk for p in page.context["page"]][:20]
    assert shown == [row["id"] for row in api][: len(shown)]
