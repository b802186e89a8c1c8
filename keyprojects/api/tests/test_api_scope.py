"""The API reads the directory under the same scope as the pages: what a page hides, the API answers 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from keyprojects.accounts import selectors
from keyprojects.accounts.models import Department, Enterprise, Region

PERSONAS = ("admin", "city.xingtai", "office.julu", "leader.julu", "dept.julu.resources", "ent.liangshan")
MODELS = {"regions": Region, "departments": Department, "enterprises": Enterprise}
PAGES = {
    "regions": "accounts:region_detail",
    "departments": "accounts:department_detail",
    "enterprises": "accounts:enterprise_detail",
}

# fmt: off
DETAIL_MATRIX = [
    # collection,    slug,                 admin city office leader dept  ent
    ("regions",      "julu",               200,  200, 200,   200,   200,  200),
    ("regions",      "julu-edz",           200,  200, 200,   200,   200,  200),
    ("regions",      "ningjin",            200,  200, 404,   404,   404,  404),
    ("regions",      "xingtai",            200,  200, 404,   404,   404,  404),
    ("regions",      "hebei",              200,  404, 404,   404,   404,  404),
    ("departments",  "julu-resources",     200,  200, 200,   200,   200,  200),
    ("departments",  "julu-bank",          200,  200, 200,   200,   200,  200),
    ("departments",  "ningjin-resources",  200,  200, 404,   404,   404,  404),
    ("enterprises",  "liangshan",          200,  200, 200,   200,   200,  200),
    ("enterprises",  "newera",             200,  200, 200,   200,   200,  404),
    ("enterprises",  "hengyuan",           200,  200, 404,   404,   404,  404),
]
# fmt: on


def rows(client, path: str, query: dict | None = None) -> list[dict]:
    """The whole of a directory list (it pages: one page larger than the demo's directory)."""
    response = client.get(path, {"limit": 10_000, **(query or {})})
    assert response.status_code == 200, response.content
    return response.json()["items"]


@pytest.mark.parametrize(
    "username, collection, slug, expected",
    [
        pytest.param(username, collection, slug, statuses[i], id=f"{username}-{collection}-{slug}")
        for collection, slug, *statuses in DETAIL_MATRIX
        for i, username in enumerate(PERSONAS)
    ],
)
def test_it_answers_each_persona_as_the_scope_rules_say(api_client, username, collection, slug, expected):
    response = api_client(username).get(f"/api/v1/{collection}/{slug}")

    assert response.status_code == expected
    obj = MODELS[collection].objects.get(slug=slug)
    content = response.content.decode()
    if expected == 200:
        assert response.json()["slug"] == slug
    else:
        assert obj.name_zh not in content
        assert obj.name_en not in content


@pytest.mark.parametrize("username", PERSONAS)
@pytest.mark.parametrize("collection, slug", [row[:2] for row in DETAIL_MATRIX])
def test_it_answers_like_the_page_does(client, login, api_client, username, collection, slug):
    login(username)
    page = client.get(reverse(PAGES[collection], args=[slug]))
    api = api_client(username).get(f"/api/v1/{collection}/{slug}")
    assert api.status_code == page.status_code


@pytest.mark.parametrize("username", PERSONAS)
def test_it_lists_what_the_selectors_list(api_client, persona, username):
    user = persona(username)
    client = api_client(username)
    expected = {
        "regions": selectors.region_list(user=user),
        "departments": selectors.department_list(user=user),
        "enterprises": selectors.enterprise_list(user=user),
    }
    for collection, queryset in expected.items():
        listed = [row["slug"] for row in rows(client, f"/api/v1/{collection}")]
        assert len(listed) == len(set(listed)), collection
        assert set(listed) == set(queryset.values_list("slug", flat=True)), collection


def test_it_lists_nothing_of_ningjin_to_a_julu_county_office(api_client):
    client = api_client("office.julu")

    regions = {r["slug"] for r in rows(client, "/api/v1/regions")}
    departments = rows(client, "/api/v1/departments")
    enterprises = rows(client, "/api/v1/enterprises")

    assert regions == {"julu", "julu-edz", "julu-agri"}
    assert {d["region"] for d in departments} == {"julu"}
    assert "hengyuan" not in {e["slug"] for e in enterprises}
    assert {e["region"] for e in enterprises} == {"julu"}
    assert rows(client, "/api/v1/departments", {"q": "ningjin"}) == []


def test_it_lists_an_enterprise_only_itself(api_client):
    client = api_client("ent.liangshan")

    enterprises = rows(client, "/api/v1/enterprises")
    searched = rows(client, "/api/v1/enterprises", {"q": "河北"})

    assert [e["slug"] for e in enterprises] == ["liangshan"]
    assert [e["slug"] for e in searched] == ["liangshan"]
    assert {d["region"] for d in rows(client, "/api/v1/departments")} == {"julu"}


def test_it_lists_all_18_county_level_units_to_the_city_office(api_client):
    client = api_client("city.xingtai")
    units = [r for kind in Region.COUNTY_LEVEL_KINDS for r in rows(client, "/api/v1/regions", {"kind": kind})]
    assert len(units) == 18
    assert {r["parent"] for r in units} == {"xingtai"}


def test_it_searches_within_the_scope(api_client):
    client = api_client("office.julu")
    found = rows(client, "/api/v1/departments", {"q": "power"})
    assert [d["slug"] for d in found] == ["julu-power"]


def test_it_shows_a_department_the_fields_of_the_directory(api_client):
    body = api_client("dept.julu.bank").get("/api/v1/departments/julu-power").json()
    department = Department.objects.get(slug="julu-power")
    assert body == {
        "slug": "julu-power",
        "name_zh": department.name_zh,
        "name_en": department.name_en,
        "region": "julu",
        "kind": "power_supply",
        "phone": department.phone,
    }


@pytest.mark.parametrize("path", ["/api/v1/regions/ningjin", "/api/v1/enterprises/hengyuan"])
def test_it_answers_404_outside_the_scope_over_the_session_too(client, login, path):
    login("office.julu")
    assert client.get(path).status_code == 404


def test_it_answers_404_for_a_slug_that_does_not_exist(api_client):
    assert api_client("admin").get("/api/v1/enterprises/no-such-company").status_code == 404


@pytest.mark.parametrize("collection", ["departments", "enterprises"])
def test_it_offers_no_writes_on_the_directory(api_client, collection):
    # An office adds a record to a region (POST /regions/{slug}/departments): a collection takes none.
    response = api_client("admin").post(
        f"/api/v1/{collection}", {"slug": "x"}, content_type="application/json"
    )
    assert response.status_code == 405


# ---- endpoints that take a region ------------------------------------------------------------------

FIGURES_PERSONAS = ("admin", "city.xingtai", "office.julu", "leader.julu", "office.ningjin")
INVESTMENT_SUMMARY, INVESTMENT_RANKING = "/api/v1/investment/summary", "/api/v1/investment/ranking"
PROBLEM_SUMMARY = "/api/v1/problems/summary"

# fmt: off
REGION_MATRIX = [
    # A county-level user reads its own unit in full, its city's totals and ranking, nothing else; the
    # province is the administrator's only. 400: read, but not a city to rank.
    # endpoint,            region,     admin city office leader ningjin
    (INVESTMENT_SUMMARY,   "julu",     200,  200, 200,   200,   404),
    (INVESTMENT_SUMMARY,   "julu-edz", 200,  200, 200,   200,   404),
    (INVESTMENT_SUMMARY,   "ningjin",  200,  200, 404,   404,   200),
    (INVESTMENT_SUMMARY,   "xingtai",  200,  200, 200,   200,   200),
    (INVESTMENT_SUMMARY,   "hebei",    200,  404, 404,   404,   404),
    (INVESTMENT_RANKING,   "xingtai",  200,  200, 200,   200,   200),
    (INVESTMENT_RANKING,   "julu",     400,  400, 400,   400,   404),
    (INVESTMENT_RANKING,   "ningjin",  400,  400, 404,   404,   400),
    (INVESTMENT_RANKING,   "hebei",    400,  404, 404,   404,   404),
    (PROBLEM_SUMMARY,      "julu",     200,  200, 200,   200,   404),
    (PROBLEM_SUMMARY,      "ningjin",  200,  200, 404,   404,   200),
    (PROBLEM_SUMMARY,      "xingtai",  200,  200, 404,   404,   404),
    (PROBLEM_SUMMARY,      "hebei",    200,  404, 404,   404,   404),
]
# fmt: on


@pytest.mark.parametrize(
    "username, endpoint, region, expected",
    [
        pytest.param(username, endpoint, region, statuses[i], id=f"{username}-{endpoint[8:]}-{region}")
        for endpoint, region, *statuses in REGION_MATRIX
        for i, username in enumerate(FIGURES_PERSONAS)
    ],
)
def test_it_answers_a_region_s_figures_as_the_scope_rules_say(
    api_client, username, endpoint, region, expected
):
    response = api_client(username).get(endpoint, {"region": region})

    assert response.status_code == expected
    if expected == 404:
        assert set(response.json()) == {"detail"}


@pytest.mark.parametrize("username", ["office.julu", "leader.julu", "office.ningjin"])
@pytest.mark.parametrize("filters", [{"county": "ningjin"}, {"county": "julu"}, {"zone": "julu-edz"}, {}])
def test_it_lists_only_the_user_s_projects_whatever_region_is_asked_for(
    api_client, persona, username, filters
):
    from keyprojects.projects.models import Project
    from keyprojects.projects.selectors import project_scope_q

    client = api_client(username)
    visible = Project.objects.filter(project_scope_q(persona(username)))

    listed = client.get("/api/v1/projects", {**filters, "limit": 500})
    totals = client.get("/api/v1/projects/totals", filters)

    if listed.status_code == 400:  # a region the list page does not offer the user: refused, never widened
        assert totals.status_code == 400
        assert listed.json()["field"] == totals.json()["field"] in filters
        return
    rows = listed.json()["items"]
    assert {(p["county"], p["code"]) for p in rows} <= set(visible.values_list("county__slug", "code"))
    assert totals.json()["count"] == len(rows)
