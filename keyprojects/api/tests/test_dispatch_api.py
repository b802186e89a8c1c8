"""Dispatch tasks over the API: the county office sends, reminds, closes and exports; the project's enterprise
answers (files too); every one as on the pages (404 outside the scope, 403 where it may not act), refused
fields named, lists in a fixed number of queries, and the whole round run by a script with tokens."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client

from keyprojects.accounts.demo import DEMO_PASSWORD
from keyprojects.core import clock
from keyprojects.dispatch.models import DispatchAnswer, DispatchTarget, DispatchTask
from keyprojects.investment.selectors import region_key_projects
from keyprojects.projects.models import Project

CHINESE = re.compile(r"[\u4e00-\u9fff]")
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

pytestmark = pytest.mark.usefixtures("still_clock")


@pytest.fixture
def project(db) -> Project:
    """A key project of Julu's built by Liangshan (whose enterprise user answers for it)."""
    found = (
        Project.objects.filter(region_key_projects(_julu()), enterprise__slug="liangshan")
        .select_related("county")
        .order_by("code")
        .first()
    )
    assert found is not None
    return found


def _julu():
    from keyprojects.accounts.models import Region

    return Region.objects.get(slug="julu")


def _task_body(project: Project, **changes) -> dict:
    body = {
        "county": "julu",
        "title": "复工人数摸底",
        "instructions": "请如实填写",
        "deadline": (clock.today() + timedelta(days=3)).isoformat(),
        "projects": [project.code],
        "fields": [
            {"label": "在岗人数", "kind": "number"},
            {"label": "施工方案", "kind": "file", "required": False},
        ],
    }
    return {**body, **changes}


@pytest.fixture
def task(api_client, project) -> dict:
    response = api_client("office.julu").send("post", "/api/v1/dispatch/tasks", _task_body(project))
    assert response.status_code == 201, response.content
    return response.json()


def _pdf(name: str = "plan.pdf") -> io.BytesIO:
    upload = io.BytesIO(PDF)
    upload.name = name
    return upload


def _answer(client, task: dict, project: Project, number="120", upload=None):
    number_field, file_field = task["fields"]
    data = {"project": project.code, number_field["name"]: number}
    if upload is not None:
        data[file_field["name"]] = upload
    return client.post(f"/api/v1/dispatch/tasks/{task['id']}/answers", data)


# ---- sending -------------------------------------------------------------------------------------------------


def test_it_sends_a_task_for_the_county_office(task, project):
    stored = DispatchTask.objects.get(pk=task["id"])
    assert stored.title == "复工人数摸底" and stored.created_by.username == "office.julu"
    assert [t.project.code for t in stored.targets.all()] == [project.code]
    assert [f["kind"] for f in task["fields"]] == ["number", "file"]
    assert task["actions"] == ["remind", "close", "export"] and task["reach"] == "office"


@pytest.mark.parametrize(
    ("login", "status"),
    [("city.xingtai", 403), ("office.ningjin", 404), ("leader.julu", 404), ("ent.liangshan", 404)],
)
def test_it_lets_no_one_else_send_a_task(api_client, project, login, status):
    before = DispatchTask.objects.count()
    response = api_client(login).send("post", "/api/v1/dispatch/tasks", _task_body(project))
    assert response.status_code == status
    assert DispatchTask.objects.count() == before


def test_it_refuses_a_deadline_past_naming_it(api_client, project):
    yesterday = (clock.today() - timedelta(days=1)).isoformat()
    response = api_client("office.julu", language="en").send(
        "post", "/api/v1/dispatch/tasks", _task_body(project, deadline=yesterday)
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "The deadline has already passed.", "field": "deadline"}


def test_it_refuses_an_unknown_kind_of_question_in_chinese_naming_the_questions(api_client, project):
    body = _task_body(project, fields=[{"label": "人数", "kind": "colour"}])
    response = api_client("office.julu", language="zh-hans").send("post", "/api/v1/dispatch/tasks", body)
    assert response.status_code == 400
    assert response.json()["field"] == "fields" and CHINESE.search(response.json()["detail"])


def test_it_refuses_a_question_without_a_label_rather_than_dropping_it(api_client, project):
    body = _task_body(project, fields=[{"label": "人数", "kind": "number"}, {"label": " ", "kind": "text"}])
    response = api_client("office.julu", language="en").send("post", "/api/v1/dispatch/tasks", body)
    assert response.status_code == 400
    assert response.json() == {"detail": "Question 2 has no label.", "field": "fields"}


def test_it_refuses_a_project_of_another_county_naming_the_projects(api_client, project):
    other = Project.objects.filter(county__slug="ningjin").order_by("code").first()
    body = _task_body(project, projects=[other.code])
    response = api_client("office.julu", language="en").send("post", "/api/v1/dispatch/tasks", body)
    assert response.status_code == 400 and response.json()["field"] == "projects"


def test_it_refuses_more_than_ten_questions(api_client, project):
    body = _task_body(project, fields=[{"label": f"Q{i}", "kind": "text"} for i in range(11)])
    response = api_client("office.julu", language="en").send("post", "/api/v1/dispatch/tasks", body)
    assert response.status_code == 400 and response.json()["field"] == "fields"


# ---- reading -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("login", "status", "reach"),
    [
        ("office.julu", 200, "office"),
        ("city.xingtai", 200, "office"),
        ("ent.liangshan", 200, "enterprise"),
        ("office.ningjin", 404, None),
        ("dept.julu.resources", 404, None),
    ],
)
def test_it_shows_a_task_to_its_offices_and_the_enterprises_asked(api_client, task, login, status, reach):
    response = api_client(login).get(f"/api/v1/dispatch/tasks/{task['id']}")
    assert response.status_code == status
    if reach:
        assert response.json()["reach"] == reach


@pytest.mark.parametrize("limit", [1, 50])
def test_it_lists_tasks_in_a_fixed_number_of_queries(api_client, task, django_assert_max_num_queries, limit):
    client = api_client("office.julu")
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/dispatch/tasks", {"limit": limit})
    items = response.json()["items"]
    assert len(items) == min(limit, response.json()["count"])
    assert items[0]["id"] == task["id"] and items[0]["targets"] == 1


def test_it_lists_only_the_tasks_in_the_scope(api_client, task):
    assert task["id"] in [
        t["id"] for t in api_client("ent.liangshan").get("/api/v1/dispatch/tasks").json()["items"]
    ]
    assert task["id"] not in [
        t["id"] for t in api_client("office.ningjin").get("/api/v1/dispatch/tasks").json()["items"]
    ]
    closed = api_client("office.julu").get("/api/v1/dispatch/tasks", {"status": "closed"}).json()["items"]
    assert task["id"] not in [t["id"] for t in closed]


# ---- answering -----------------------------------------------------------------------------------------------


def test_it_takes_the_enterprise_s_answer_with_a_file(api_client, task, project):
    response = _answer(api_client("ent.liangshan"), task, project, upload=_pdf())
    assert response.status_code == 200, response.content
    target = DispatchTarget.objects.get(task_id=task["id"], project=project)
    assert target.answered and target.answered_by.username == "ent.liangshan"
    answers = {a.field.kind: a for a in target.answers.select_related("field")}
    assert answers["number"].number == 120 and answers["file"].original_name == "plan.pdf"
    row = response.json()["projects"][0]
    assert row["answered"] and {a["value"] for a in row["answers"]} == {"120", "plan.pdf"}


@pytest.mark.parametrize(("login", "status"), [("office.ningjin", 404), ("leader.julu", 404)])
def test_it_takes_no_answer_from_outside(api_client, task, project, login, status):
    assert _answer(api_client(login), task, project).status_code == status
    assert not DispatchTarget.objects.get(task_id=task["id"], project=project).answered


def test_it_refuses_a_number_that_is_none_naming_the_question(api_client, task, project):
    response = _answer(api_client("ent.liangshan", language="en"), task, project, number="many")
    assert response.status_code == 400
    assert response.json()["field"] == task["fields"][0]["name"]


def test_it_refuses_a_file_that_lies_about_its_type(api_client, task, project):
    fake = io.BytesIO(b"MZ not a pdf")
    fake.name = "plan.pdf"
    response = _answer(api_client("ent.liangshan", language="en"), task, project, upload=fake)
    assert response.status_code == 400 and response.json()["field"] == "file"
    assert not DispatchAnswer.objects.filter(target__task_id=task["id"]).exists()


def test_it_refuses_an_answer_to_a_closed_task(api_client, task, project):
    assert api_client("office.julu").post(f"/api/v1/dispatch/tasks/{task['id']}/close").status_code == 200
    response = _answer(api_client("ent.liangshan", language="en"), task, project)
    assert response.status_code == 409 and "closed" in response.json()["detail"]
    assert not DispatchTarget.objects.get(task_id=task["id"], project=project).answered


# ---- the office's steps -----------------------------------------------------------------------------------------


def test_it_reminds_the_projects_that_have_not_answered_once_a_day(api_client, task):
    office = api_client("office.julu", language="en")
    response = office.post(f"/api/v1/dispatch/tasks/{task['id']}/remind")
    assert response.status_code == 200 and response.json()["reminded"] == 1
    assert DispatchTarget.objects.get(task_id=task["id"]).reminded_at is not None
    again = office.post(f"/api/v1/dispatch/tasks/{task['id']}/remind")
    assert again.status_code == 409 and "already reminded today" in again.json()["detail"]


@pytest.mark.parametrize(
    ("login", "status"), [("ent.liangshan", 403), ("city.xingtai", 403), ("office.ningjin", 404)]
)
@pytest.mark.parametrize("step", ["remind", "close"])
def test_it_lets_only_the_county_office_remind_and_close(api_client, task, login, status, step):
    response = api_client(login).post(f"/api/v1/dispatch/tasks/{task['id']}/{step}")
    assert response.status_code == status
    stored = DispatchTarget.objects.select_related("task").get(task_id=task["id"])
    assert stored.task.is_open and stored.reminded_at is None


def test_it_closes_a_task_once(api_client, task):
    office = api_client("office.julu", language="en")
    closed = office.post(f"/api/v1/dispatch/tasks/{task['id']}/close")
    assert (
        closed.status_code == 200
        and closed.json()["status"] == "closed"
        and closed.json()["actions"] == ["export"]
    )
    assert DispatchTask.objects.get(pk=task["id"]).closed_at is not None
    again = office.post(f"/api/v1/dispatch/tasks/{task['id']}/close")
    assert again.status_code == 409 and again.json()["detail"] == "This task is already closed."


def test_it_exports_the_answers_for_the_offices_only(api_client, task):
    response = api_client("office.julu").get(f"/api/v1/dispatch/tasks/{task['id']}/export")
    assert response.status_code == 200 and response.content.startswith(b"PK")
    assert "spreadsheetml" in response["Content-Type"]
    assert api_client("ent.liangshan").get(f"/api/v1/dispatch/tasks/{task['id']}/export").status_code == 403


def test_it_serves_an_answer_s_file_to_the_office_and_the_enterprise_only(api_client, task, project):
    _answer(api_client("ent.liangshan"), task, project, upload=_pdf())
    answer = DispatchAnswer.objects.exclude(file="").get(target__task_id=task["id"])
    path = f"/api/v1/dispatch/answers/{answer.pk}/file"
    for login in ("office.julu", "ent.liangshan"):
        response = api_client(login).get(path)
        assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert api_client("office.ningjin").get(path).status_code == 404
    assert api_client("dept.julu.resources").get(path).status_code == 404


# ---- a script with a token --------------------------------------------------------------------------------------


def _token_client(username: str) -> Client:
    """What a script does: ask for a token with the user's password, then send it with every request."""
    response = Client().post(
        "/api/v1/auth/token",
        {"username": username, "password": DEMO_PASSWORD, "name": "dispatch script"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return Client(headers={"Authorization": f"Bearer {response.json()['token']}"})


def test_a_script_with_a_token_runs_a_task_from_sending_to_closing(db, project):
    cache.clear()  # the token endpoint's rate limit counts in the cache
    office, enterprise = _token_client("office.julu"), _token_client("ent.liangshan")

    sent = office.post("/api/v1/dispatch/tasks", _task_body(project), content_type="application/json")
    assert sent.status_code == 201
    task = sent.json()

    listed = enterprise.get("/api/v1/dispatch/tasks").json()["items"]
    asked = next(t for t in listed if t["id"] == task["id"])
    assert asked["targets"] == 1 and asked["answered"] == 0
    questions = enterprise.get(f"/api/v1/dispatch/tasks/{task['id']}").json()["fields"]
    number, plan = questions
    answered = enterprise.post(
        f"/api/v1/dispatch/tasks/{task['id']}/answers",
        {"project": project.code, number["name"]: "88", plan["name"]: _pdf("方案.pdf")},
    )
    assert answered.status_code == 200

    board = office.get(f"/api/v1/dispatch/tasks/{task['id']}").json()
    row = next(p for p in board["projects"] if p["project"] == project.code)
    file_answer = next(a for a in row["answers"] if a["field_id"] == plan["id"])
    assert file_answer["value"] == "方案.pdf" and file_answer["content_type"] == "application/pdf"
    download = office.get(f"/api/v1/dispatch/answers/{file_answer['answer_id']}/file")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF

    closed = office.post(f"/api/v1/dispatch/tasks/{task['id']}/close")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    stored = DispatchTask.objects.get(pk=task["id"])
    assert stored.status == DispatchTask.Status.CLOSED
    assert stored.targets.get().answered_by.username == "ent.liangshan"
