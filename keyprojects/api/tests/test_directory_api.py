"""The directory over the API: the leaders in charge, and departments and enterprises an office adds and
changes as on its pages — 404 outside the scope, 403 for those who read but do not keep the directory, 400
naming the refused field in the user's language."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from keyprojects.accounts.models import Department, Enterprise, Membership, Region, User
from keyprojects.core.models import AuditEntry

pytestmark = pytest.mark.django_db

DEPARTMENT = {"slug": "julu-statistics", "name_zh": "巨鹿县统计局", "name_en": "Julu Statistics Bureau",
              "kind": "development_reform", "phone": "0319-1234567"}  # fmt: skip
ENTERPRISE = {"slug": "julu-newco", "name_zh": "巨鹿新材料有限公司", "name_en": "Julu New Materials",
              "credit_code": "91130529MA0XXXXX1Y", "contact_name": "王经理", "contact_phone": "13800000000"}  # fmt: skip


# ---- leaders in charge --------------------------------------------------------------------------------


def test_it_lists_the_leaders_of_the_counties_a_county_office_reads(api_client):
    rows = api_client("office.julu").get("/api/v1/leaders", {"limit": 100}).json()["items"]

    expected = Membership.objects.filter(role=Membership.Role.LEADER, region__slug="julu")
    assert rows
    assert {r["username"] for r in rows} == {m.user.username for m in expected}
    assert {r["region"] for r in rows} == {"julu"}
    leader = User.objects.get(username="leader.julu")
    assert {"id": leader.pk, "username": "leader.julu", "region": "julu"}.items() <= next(
        r for r in rows if r["username"] == "leader.julu"
    ).items()


def test_a_city_office_reads_the_leaders_of_all_its_units_and_searches_them(api_client):
    client = api_client("city.xingtai")

    every = client.get("/api/v1/leaders", {"limit": 1000}).json()
    found = client.get("/api/v1/leaders", {"q": "leader.ningjin"}).json()["items"]

    assert len({r["region"] for r in every["items"]}) > 10
    assert (
        every["count"]
        == Membership.objects.filter(
            role=Membership.Role.LEADER, region__path__startswith=Region.objects.get(slug="xingtai").path
        ).count()
    )
    assert found and all(r["username"].startswith("leader.ningjin") for r in found)


def test_a_leaders_id_filters_the_registry(api_client):
    client = api_client("office.julu")
    leader = next(r for r in client.get("/api/v1/leaders").json()["items"] if r["username"] == "leader.julu")

    projects = client.get("/api/v1/projects", {"leader": leader["id"], "limit": 1000}).json()["items"]

    assert projects
    assert {p["leader_in_charge"] for p in projects} == {"leader.julu"}


def test_it_lists_leaders_in_a_fixed_number_of_queries(api_client):
    client = api_client("admin")

    def queries(limit: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/leaders", {"limit": limit}).status_code == 200
        return len(captured.captured_queries)

    assert queries(2) == queries(50)


# ---- departments and enterprises ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "collection, body, model",
    [("departments", DEPARTMENT, Department), ("enterprises", ENTERPRISE, Enterprise)],
)
def test_the_county_office_adds_and_changes_a_record(api_client, collection, body, model):
    client = api_client("office.julu")

    created = client.send("post", f"/api/v1/regions/julu/{collection}", body)
    changed = client.send(
        "put",
        f"/api/v1/{collection}/{body['slug']}",
        {k: v for k, v in body.items() if k != "slug"} | {"name_en": "Renamed"},
    )

    assert created.status_code == 201, created.content
    assert created.json()["region"] == "julu"
    assert changed.status_code == 200, changed.content
    stored = model.objects.get(slug=body["slug"])
    assert (stored.region.slug, stored.name_zh, stored.name_en) == ("julu", body["name_zh"], "Renamed")
    assert AuditEntry.objects.filter(target_id=str(stored.pk), action__endswith=".update").exists()


@pytest.mark.parametrize(
    "username, status",
    [
        ("dept.julu.power", 403),
        ("leader.julu", 403),
        ("ent.liangshan", 403),
        ("city.xingtai", 403),
        ("office.ningjin", 404),
    ],
)
def test_only_the_office_keeping_the_directory_adds_to_it(api_client, username, status):
    response = api_client(username).send("post", "/api/v1/regions/julu/departments", DEPARTMENT)

    assert response.status_code == status
    assert not Department.objects.filter(slug=DEPARTMENT["slug"]).exists()


def test_an_office_of_another_county_cannot_change_a_julu_record(api_client):
    response = api_client("office.ningjin").send(
        "put", "/api/v1/departments/julu-power", {"name_zh": "改名", "kind": "power_supply"}
    )

    assert response.status_code == 404
    assert Department.objects.get(slug="julu-power").name_zh != "改名"


def test_the_office_changes_a_departments_phone(api_client):
    department = Department.objects.get(slug="julu-power")

    response = api_client("office.julu").send(
        "put", "/api/v1/departments/julu-power",
        {"name_zh": department.name_zh, "name_en": "Julu Power Supply", "kind": department.kind, "phone": "0319-7654321"},
    )  # fmt: skip

    assert response.status_code == 200, response.content
    assert response.json()["phone"] == "0319-7654321"
    assert Department.objects.get(slug="julu-power").phone == "0319-7654321"


@pytest.mark.parametrize(
    "path, body, field",
    [
        ("/api/v1/regions/julu/departments", DEPARTMENT | {"slug": "julu-power"}, "slug"),
        ("/api/v1/regions/julu/departments", DEPARTMENT | {"kind": "ministry"}, "kind"),
        ("/api/v1/regions/julu/departments", DEPARTMENT | {"name_zh": ""}, "name_zh"),
        ("/api/v1/regions/julu/enterprises", ENTERPRISE | {"slug": "Not A Slug"}, "slug"),
    ],
)
def test_it_refuses_what_the_form_refuses_naming_the_field(api_client, path, body, field):
    before = Department.objects.count(), Enterprise.objects.count()

    response = api_client("office.julu", "en").send("post", path, body)

    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert (Department.objects.count(), Enterprise.objects.count()) == before


def test_it_refuses_in_chinese_for_a_chinese_reader(api_client):
    response = api_client("office.julu", "zh-hans").send(
        "post", "/api/v1/regions/julu/departments", DEPARTMENT | {"slug": "julu-power"}
    )

    assert response.status_code == 400
    assert "已存在" in response.json()["detail"]


def test_it_refuses_text_that_is_no_text(api_client):
    response = api_client("office.julu").post(
        "/api/v1/regions/julu/departments",
        '{"slug": "julu-x", "name_zh": "\\ud800", "kind": "water"}',
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["field"] == "name_zh"
