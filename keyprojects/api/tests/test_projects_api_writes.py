"""Changing the registry over the API: creating and editing a project, its stage, pause, health, milestones and
service guarantees, and reading its history — with the project pages' forms, checks and answers: 404 outside
the user's scope, 403 where the user sees the project but may not change it (as the page answers), 409 for a
stale version or a state that refuses the step, 400 naming the refused field in the user's language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from keyprojects.core import clock
from keyprojects.projects import services
from keyprojects.projects.models import (
    STAGE_ORDER,
    GuaranteeStatus,
    Milestone,
    Project,
    ServiceGuarantee,
    Stage,
    StageChange,
)

pytestmark = pytest.mark.django_db

# Those who read the Julu project below but do not manage Julu, and those who do not read it at all.
READERS = ("city.xingtai", "leader.julu", "dept.julu.power", "ent.liangshan")
REFUSED = (*READERS, "office.ningjin")


@pytest.fixture
def project(db) -> Project:
    """Liangshan's Julu project that leader.julu leads and the power-supply department answers for: every
    persona of READERS sees it."""
    return (
        Project.objects.filter(
            county__slug="julu",
            enterprise__slug="liangshan",
            leader_in_charge__username="leader.julu",
            responsible_departments__slug="julu-power",
            paused_since__isnull=True,
        )
        .exclude(stage=Stage.OUTPUT)
        .select_related("county")
        .order_by("code")
        .first()
    )


def path_of(project: Project, action: str = "") -> str:
    return f"/api/v1/projects/{project.county.slug}/{project.code}" + (f"/{action}" if action else "")


def page_status(client, login, username: str, path: str, data: dict | None = None) -> int:
    """What the page answers `username` posting to `path` (its permission check comes before its form)."""
    client.logout()
    login(username)
    return client.post(path, data or {}).status_code


def new_project(**changes) -> dict:
    today = clock.today()
    return {
        "code": "JL-API-001",
        "name_zh": "接口登记项目",
        "name_en": "Project registered over the API",
        "level": "county",
        "category": "industry",
        "enterprise": "liangshan",
        "zone": "julu-edz",
        "total_investment": "120000000.00",
        "land_area_mu": "35.50",
        "address": "巨鹿县经济开发区",
        "lat": "37.221000",
        "lng": "115.038000",
        "construction_content_zh": "新建厂房",
        "construction_content_en": "New workshops",
        "expected_annual_output": "300000000.00",
        "start_date": today.isoformat(),
        "planned_completion_date": (today + timedelta(days=400)).isoformat(),
        "leader_in_charge": "leader.julu",
        "responsible_departments": ["julu-power", "julu-resources"],
        "is_public": True,
        **changes,
    }


def as_sent(detail: dict) -> dict:
    """A project as the API shows it, in the shape PUT takes."""
    return {name: detail[name] for name in new_project()} | {"version": detail["version"]}


# ---- create and edit ---------------------------------------------------------------------------------------


def test_it_creates_a_project_and_reads_it_back(api_client):
    client = api_client("office.julu")
    sent = new_project()

    response = client.send("post", "/api/v1/projects/julu", sent)

    assert response.status_code == 201, response.content
    project = Project.objects.get(county__slug="julu", code="JL-API-001")
    assert project.stage == Stage.SIGNED and project.is_public
    assert project.guarantees.count() == 5
    assert project.milestones.exists()  # planned from the template, as the page's form does
    read = client.get("/api/v1/projects/julu/JL-API-001").json()
    assert as_sent(read) == sent | {"version": 1}
    assert read["may_manage"] is True
    assert len(read["milestones"]) == project.milestones.count()
    assert [g["status"] for g in read["guarantees"]] == ["needed"] * 5
    assert [c["stage"] for c in read["stage_changes"]] == ["signed"]


def test_it_lets_an_administrator_create_a_project(api_client):
    response = api_client("admin").send("post", "/api/v1/projects/julu", new_project(code="JL-API-ADM"))

    assert response.status_code == 201
    assert Project.objects.filter(county__slug="julu", code="JL-API-ADM").exists()


@pytest.mark.parametrize("username", REFUSED)
def test_it_refuses_creating_a_project_as_the_page_does(api_client, client, login, username):
    response = api_client(username).send("post", "/api/v1/projects/julu", new_project())

    assert response.status_code in (403, 404)
    assert response.status_code == page_status(client, login, username, "/projects/julu/new/")
    assert not Project.objects.filter(code="JL-API-001").exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"code": "JL 001"}, "code"),
        ({"code": "JL-2026-001"}, None),  # the county already has it: the form's own refusal, on no field
        ({"name_zh": ""}, "name_zh"),
        ({"total_investment": "a lot"}, "total_investment"),
        ({"total_investment": "-5"}, "total_investment"),
        ({"lat": "91"}, "lat"),
        ({"level": "national"}, "level"),
        ({"enterprise": "hengyuan"}, "enterprise"),  # a Ningjin enterprise
        ({"zone": "ningjin-edz"}, "zone"),
        ({"leader_in_charge": "leader.ningjin"}, "leader_in_charge"),
        ({"responsible_departments": ["julu-power", "ningjin-power"]}, "responsible_departments"),
        ({"start_date": "2026-02-30"}, "start_date"),
        ({"planned_completion_date": "2020-01-01"}, "planned_completion_date"),
    ],
)
def test_it_refuses_a_bad_project_with_400_naming_the_field(api_client, changes, field):
    response = api_client("office.julu", language="en").send(
        "post", "/api/v1/projects/julu", new_project(**changes)
    )

    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert not Project.objects.filter(code="JL-API-001").exists()


def test_it_refuses_in_the_users_language(api_client):
    response = api_client("office.julu", language="zh-hans").send(
        "post", "/api/v1/projects/julu", new_project(total_investment="很多")
    )

    assert response.status_code == 400
    assert response.json()["field"] == "total_investment"
    assert "数" in response.json()["detail"]  # 请输入一个数字。


def test_it_edits_a_project_at_the_version_read(api_client, project):
    client = api_client("office.julu")
    read = client.get(path_of(project)).json()

    response = client.send("put", path_of(project), as_sent(read) | {"name_en": "Renamed over the API"})

    assert response.status_code == 200, response.content
    assert response.json()["version"] == read["version"] + 1
    project.refresh_from_db()
    assert project.name_en == "Renamed over the API"


def test_it_answers_409_to_a_stale_version_and_saves_nothing(api_client, project):
    client = api_client("office.julu")
    read = client.get(path_of(project)).json()
    assert client.send("put", path_of(project), as_sent(read) | {"name_en": "First"}).status_code == 200

    response = client.send("put", path_of(project), as_sent(read) | {"name_en": "Second"})

    assert response.status_code == 409
    project.refresh_from_db()
    assert project.name_en == "First" and project.version == read["version"] + 1


def test_it_refuses_a_bad_edit_with_400_naming_the_field_and_saves_nothing(api_client, project):
    client = api_client("office.julu", language="en")
    read = client.get(path_of(project)).json()

    response = client.send("put", path_of(project), as_sent(read) | {"total_investment": "many"})

    assert response.status_code == 400
    assert response.json() == {"detail": "total_investment: Enter a number.", "field": "total_investment"}
    project.refresh_from_db()
    assert project.version == read["version"]


@pytest.mark.parametrize("username", REFUSED)
def test_it_refuses_editing_as_the_page_does(api_client, client, login, project, username):
    version = project.version
    body = as_sent(api_client("office.julu").get(path_of(project)).json()) | {"name_en": "Not mine"}

    response = api_client(username).send("put", path_of(project), body)

    expected = 404 if username == "office.ningjin" else 403
    assert response.status_code == expected
    edit_page = f"/projects/julu/{project.code}/edit/"
    assert page_status(client, login, username, edit_page) == expected
    project.refresh_from_db()
    assert project.version == version and project.name_en != "Not mine"


# ---- the project page's actions ----------------------------------------------------------------------------


def later_stage(project: Project) -> str:
    return Stage.values[STAGE_ORDER[project.stage] + 1]


def test_it_moves_a_project_along_the_stage_chain(api_client, project):
    stage = later_stage(project)
    response = api_client("office.julu").send("post", path_of(project, "stage"), {"stage": stage})

    assert response.status_code == 200, response.content
    assert response.json()["stage"] == stage
    project.refresh_from_db()
    assert project.stage == stage and project.stage_since == clock.today()
    assert StageChange.objects.filter(project=project, stage=stage, date=clock.today()).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"stage": "signed"}, "note"),  # back along the chain without saying why
        ({"stage": "finished"}, "stage"),
        ({"stage": "output", "date": "2000-01-01"}, "date"),  # before the current stage began
        ({"stage": "output", "note": "x" * 301}, "note"),
    ],
)
def test_it_refuses_a_bad_stage_change_with_400_naming_the_field(api_client, project, body, field):
    stage = project.stage
    response = api_client("office.julu").send("post", path_of(project, "stage"), body)

    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    project.refresh_from_db()
    assert project.stage == stage


def test_it_pauses_and_resumes_a_project(api_client, project):
    client = api_client("office.julu")

    paused = client.send("post", path_of(project, "pause"), {"reason": "funding", "note": "贷款未到位"})
    project.refresh_from_db()
    assert paused.status_code == 200, paused.content
    assert project.paused_since == clock.today() and project.pause_reason == "funding"
    assert paused.json()["pause_note"] == "贷款未到位"

    again = client.send("post", path_of(project, "pause"), {"reason": "land"})
    assert again.status_code == 409  # already paused: the state refuses it
    project.refresh_from_db()
    assert project.pause_reason == "funding"

    resumed = client.send("post", path_of(project, "resume"), {"date": clock.today().isoformat()})
    assert resumed.status_code == 200, resumed.content
    project.refresh_from_db()
    assert project.paused_since is None and resumed.json()["paused_since"] is None


def test_it_answers_409_resuming_a_project_not_paused(api_client, project):
    version = project.version
    response = api_client("office.julu").send("post", path_of(project, "resume"), {})

    assert response.status_code == 409
    project.refresh_from_db()
    assert project.version == version


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "other"}, "note"),
        ({"reason": "weather"}, "reason"),
        ({"reason": "land", "date": "x"}, "date"),
    ],
)
def test_it_refuses_a_bad_pause_with_400_naming_the_field(api_client, project, body, field):
    response = api_client("office.julu").send("post", path_of(project, "pause"), body)

    assert response.status_code == 400
    assert response.json()["field"] == field
    project.refresh_from_db()
    assert project.paused_since is None


def test_it_gives_and_clears_a_health_rating(api_client, project):
    client = api_client("office.julu")

    given = client.send("post", path_of(project, "health"), {"health": "red", "rationale": "用地未落实"})
    assert given.status_code == 200, given.content
    assert given.json()["health"] == "red" and given.json()["health_override_rationale"] == "用地未落实"
    project.refresh_from_db()
    assert project.health_override == "red"

    cleared = client.send("post", path_of(project, "health"), {"health": ""})
    assert cleared.status_code == 200
    project.refresh_from_db()
    assert project.health_override == "" and cleared.json()["health"] == cleared.json()["health_computed"]


def test_it_refuses_a_rating_without_a_rationale_in_the_users_language(api_client, project):
    response = api_client("office.julu", language="zh-hans").send(
        "post", path_of(project, "health"), {"health": "amber"}
    )

    assert response.status_code == 400
    assert response.json()["field"] == "rationale"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["detail"])
    project.refresh_from_db()
    assert project.health_override == ""


ACTIONS = {
    "stage": {"stage": "output", "note": "检查"},
    "pause": {"reason": "funding"},
    "health": {"health": "red", "rationale": "检查"},
}


@pytest.mark.parametrize("action", [*ACTIONS, "resume"])
@pytest.mark.parametrize("username", REFUSED)
def test_it_refuses_the_actions_as_the_page_does(api_client, client, login, project, action, username):
    if action == "resume":  # a paused project, so that only the permission can refuse it
        services.project_pause(actor=login("office.julu"), project=project, reason="land", on=clock.today())
    version = Project.objects.get(pk=project.pk).version

    response = api_client(username).send("post", path_of(project, action), ACTIONS.get(action, {}))

    expected = 404 if username == "office.ningjin" else 403
    assert response.status_code == expected
    page = f"/projects/julu/{project.code}/{action}/"
    assert page_status(client, login, username, page, ACTIONS.get(action)) == expected
    assert Project.objects.get(pk=project.pk).version == version


@pytest.mark.parametrize("username", ["admin", "office.julu"])
def test_it_lets_the_county_office_and_the_administrator_act(api_client, project, username):
    response = api_client(username).send("post", path_of(project, "pause"), {"reason": "market"})

    assert response.status_code == 200
    assert Project.objects.get(pk=project.pk).pause_reason == "market"


# ---- history -----------------------------------------------------------------------------------------------


def test_it_shows_the_history_as_the_page_does(api_client, project):
    client = api_client("office.julu", language="en")
    read = client.get(path_of(project)).json()
    client.send("put", path_of(project), as_sent(read) | {"address": "Chaoyang Road 1"})

    response = client.get(path_of(project, "history"))

    assert response.status_code == 200
    newest = response.json()["items"][0]
    assert newest["by"] == "office.julu" and newest["kind"] == "changed"
    assert newest["subject"] == f"Key project {project.code}"
    assert {"field": "address", "before": read["address"] or "—", "after": "Chaoyang Road 1"} in newest[
        "changes"
    ]


@pytest.mark.parametrize("username", READERS)
def test_it_shows_the_history_to_whoever_reads_the_project(api_client, project, username):
    assert api_client(username).get(path_of(project, "history")).status_code == 200


def test_it_answers_404_for_the_history_of_a_project_outside_the_scope(api_client, project):
    assert api_client("office.ningjin").get(path_of(project, "history")).status_code == 404


def test_it_reads_the_history_in_a_fixed_number_of_queries(
    api_client, persona, project, django_assert_max_num_queries
):
    client = api_client("office.julu")
    path = path_of(project, "history") + "?limit=500"
    with CaptureQueriesContext(connection) as few:
        before = client.get(path).json()["count"]
    office = persona("office.julu")
    milestone = project.milestones.order_by("order").first()
    for day in range(1, 11):
        services.project_override_health(
            actor=office, project=project, health="amber", rationale=f"第{day}次"
        )
        services.milestone_update(
            actor=office,
            milestone=milestone,
            planned_date=milestone.planned_date + timedelta(days=day),
            actual_date=None,
            reason=f"第{day}次",
        )

    with django_assert_max_num_queries(len(few)):
        after = client.get(path).json()["count"]

    assert after >= before + 20


# ---- milestones --------------------------------------------------------------------------------------------


@pytest.fixture
def milestone(project) -> Milestone:
    return project.milestones.filter(actual_date__isnull=True).order_by("order").first()


def test_it_moves_a_milestones_plan_with_a_reason(api_client, milestone):
    planned = milestone.planned_date + timedelta(days=30)
    response = api_client("office.julu").send(
        "put",
        f"/api/v1/milestones/{milestone.pk}",
        {"planned_date": planned.isoformat(), "reason": "审批延后"},
    )

    assert response.status_code == 200, response.content
    assert response.json()["id"] == milestone.pk and response.json()["planned_date"] == planned.isoformat()
    milestone.refresh_from_db()
    assert milestone.planned_date == planned


def test_it_records_a_milestones_actual_date(api_client, milestone):
    today = clock.today()
    response = api_client("office.julu").send(
        "put",
        f"/api/v1/milestones/{milestone.pk}",
        {"planned_date": milestone.planned_date.isoformat(), "actual_date": today.isoformat()},
    )

    assert response.status_code == 200
    assert response.json()["status"] == "done"
    milestone.refresh_from_db()
    assert milestone.actual_date == today


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"days": 10}, "reason"),  # a moved plan without a reason
        ({"days": 0, "actual": 5}, "actual_date"),  # an actual date in the future
        ({"days": 0, "reason": "x" * 301}, "reason"),
    ],
)
def test_it_refuses_a_bad_milestone_with_400_naming_the_field(api_client, milestone, body, field):
    today = clock.today()
    sent = {"planned_date": (milestone.planned_date + timedelta(days=body["days"])).isoformat()}
    if "actual" in body:
        sent["actual_date"] = (today + timedelta(days=body["actual"])).isoformat()
    if "reason" in body:
        sent["reason"] = body["reason"]

    response = api_client("office.julu").send("put", f"/api/v1/milestones/{milestone.pk}", sent)

    assert response.status_code == 400
    assert response.json()["field"] == field
    assert Milestone.objects.get(pk=milestone.pk).planned_date == milestone.planned_date


def test_it_rebaselines_a_milestone_keeping_the_original(api_client, milestone):
    baseline = milestone.baseline_date + timedelta(days=60)
    response = api_client("office.julu").send(
        "post",
        f"/api/v1/milestones/{milestone.pk}/rebaseline",
        {"baseline_date": baseline.isoformat(), "reason": "规划调整"},
    )

    assert response.status_code == 200, response.content
    assert response.json()["baseline_date"] == baseline.isoformat()
    milestone.refresh_from_db()
    assert milestone.baseline_date == baseline
    assert response.json()["original_baseline_date"] == milestone.original_baseline_date.isoformat()


def test_it_refuses_a_rebaseline_without_a_reason_in_the_users_language(api_client, milestone):
    response = api_client("office.julu", language="zh-hans").send(
        "post",
        f"/api/v1/milestones/{milestone.pk}/rebaseline",
        {"baseline_date": clock.today().isoformat(), "reason": ""},
    )

    assert response.status_code == 400
    assert response.json()["field"] == "reason"
    assert "必" in response.json()["detail"]  # 这个字段是必填项。
    assert Milestone.objects.get(pk=milestone.pk).baseline_date == milestone.baseline_date


MILESTONE_WRITES = {
    "": (
        "put",
        lambda m: {"planned_date": m.planned_date.isoformat(), "actual_date": clock.today().isoformat()},
    ),
    "/rebaseline": ("post", lambda m: {"baseline_date": clock.today().isoformat(), "reason": "检查"}),
}


@pytest.mark.parametrize("write", MILESTONE_WRITES)
@pytest.mark.parametrize("username", REFUSED)
def test_it_refuses_milestone_writes_as_the_page_does(api_client, client, login, milestone, write, username):
    method, body = MILESTONE_WRITES[write]

    response = api_client(username).send(method, f"/api/v1/milestones/{milestone.pk}{write}", body(milestone))

    expected = 404 if username == "office.ningjin" else 403
    assert response.status_code == expected
    page = f"/projects/milestones/{milestone.pk}{write}/"
    assert page_status(client, login, username, page) == expected
    stored = Milestone.objects.get(pk=milestone.pk)
    assert (stored.actual_date, stored.baseline_date) == (milestone.actual_date, milestone.baseline_date)


# ---- service guarantees ------------------------------------------------------------------------------------


def test_it_lists_a_projects_guarantees(api_client, project):
    response = api_client("ent.liangshan").get(path_of(project, "guarantees"))

    assert response.status_code == 200
    assert {g["id"] for g in response.json()} == set(project.guarantees.values_list("pk", flat=True))
    assert api_client("office.ningjin").get(path_of(project, "guarantees")).status_code == 404


def test_it_updates_a_guarantee(api_client, project):
    guarantee = project.guarantees.order_by("kind").first()
    today = clock.today()
    response = api_client("office.julu").send(
        "put",
        f"/api/v1/guarantees/{guarantee.pk}",
        {"status": "delivered", "delivered_on": today.isoformat()},
    )

    assert response.status_code == 200, response.content
    assert response.json() == {
        "id": guarantee.pk,
        "kind": guarantee.kind,
        "status": "delivered",
        "needed_by": None,
        "delivered_on": today.isoformat(),
    }
    guarantee.refresh_from_db()
    assert guarantee.status == GuaranteeStatus.DELIVERED and guarantee.delivered_on == today


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "delivered"}, "delivered_on"),
        ({"status": "lost"}, "status"),
        ({"status": "needed", "needed_by": "soon"}, "needed_by"),
    ],
)
def test_it_refuses_a_bad_guarantee_with_400_naming_the_field(api_client, project, body, field):
    guarantee = project.guarantees.order_by("kind").first()

    response = api_client("office.julu").send("put", f"/api/v1/guarantees/{guarantee.pk}", body)

    assert response.status_code == 400
    assert response.json()["field"] == field
    assert ServiceGuarantee.objects.get(pk=guarantee.pk).status == guarantee.status


@pytest.mark.parametrize("username", REFUSED)
def test_it_refuses_guarantee_writes_as_the_page_does(api_client, client, login, project, username):
    guarantee = project.guarantees.order_by("kind").first()
    body = {"status": "not_needed"}

    response = api_client(username).send("put", f"/api/v1/guarantees/{guarantee.pk}", body)

    expected = 404 if username == "office.ningjin" else 403
    assert response.status_code == expected
    assert page_status(client, login, username, f"/projects/guarantees/{guarantee.pk}/", body) == expected
    assert ServiceGuarantee.objects.get(pk=guarantee.pk).status == guarantee.status


# ---- what the operations declare ---------------------------------------------------------------------------


def test_it_declares_every_answer_of_its_operations():
    from keyprojects.api.routers.projects import router

    declared = {
        (path, method.lower()): set(operation.response_models)
        for path, view in router.path_operations.items()
        for operation in view.operations
        for method in operation.methods
    }
    writes = {200, 400, 401, 403, 404}
    assert declared[("/projects/{county}", "post")] == {201, 400, 401, 403, 404}
    assert declared[("/projects/{county}/{code}", "put")] == writes | {409}
    for action, conflicts in (("stage", False), ("pause", True), ("resume", True), ("health", False)):
        assert declared[(f"/projects/{{county}}/{{code}}/{action}", "post")] == writes | (
            {409} if conflicts else set()
        ), action
    assert declared[("/milestones/{milestone_id}", "put")] == writes
    assert declared[("/milestones/{milestone_id}/rebaseline", "post")] == writes
    assert declared[("/guarantees/{guarantee_id}", "put")] == writes
    assert declared[("/projects/{county}/{code}/history", "get")] == {200, 400, 401, 404}
    assert declared[("/projects/{county}/{code}/guarantees", "get")] == {200, 401, 404}
