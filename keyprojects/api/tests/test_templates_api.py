"""The milestone templates over the API, as on the templates page: the county office reads the template in
force per category, takes its own copy and changes its steps; others read but may not change them."""

from __future__ import annotations

import pytest

from keyprojects.projects.models import Category, MilestoneTemplateStep

pytestmark = pytest.mark.django_db

CATEGORY = Category.INDUSTRY


def own_steps(county: str = "julu"):
    return MilestoneTemplateStep.objects.filter(county__slug=county, category=CATEGORY)


def test_it_reads_the_template_in_force_for_each_category(api_client):
    templates = api_client("office.julu").get("/api/v1/templates/julu").json()

    assert [t["category"] for t in templates] == list(Category.values)
    industry = next(t for t in templates if t["category"] == CATEGORY)
    expected = (
        own_steps()
        if own_steps().exists()
        else MilestoneTemplateStep.objects.filter(county=None, category=CATEGORY)
    )
    assert industry["own"] == own_steps().exists()
    assert [s["code"] for s in industry["steps"]] == list(
        expected.order_by("order").values_list("code", flat=True)
    )


def test_the_county_office_takes_its_own_copy_and_changes_a_step(api_client):
    own_steps().delete()
    client = api_client("office.julu")

    copied = client.send("post", "/api/v1/templates/julu", {"category": CATEGORY})
    again = client.send("post", "/api/v1/templates/julu", {"category": CATEGORY})
    step = own_steps().order_by("order").first()
    changed = client.send(
        "put", f"/api/v1/templates/steps/{step.pk}",
        {"name_zh": "土地摘牌", "name_en": "Land acquired", "days_from_start": -30, "time_limit_days": 20},
    )  # fmt: skip

    assert copied.status_code == 201, copied.content
    assert next(t for t in copied.json() if t["category"] == CATEGORY)["own"] is True
    assert again.status_code == 409
    assert changed.status_code == 200, changed.content
    step.refresh_from_db()
    assert (step.name_zh, step.days_from_start, step.time_limit_days) == ("土地摘牌", -30, 20)


@pytest.mark.parametrize(
    "username, status", [("leader.julu", 403), ("city.xingtai", 403), ("office.ningjin", 404)]
)
def test_only_the_county_office_takes_a_copy(api_client, username, status):
    own_steps().delete()

    response = api_client(username).send("post", "/api/v1/templates/julu", {"category": CATEGORY})

    assert response.status_code == status
    assert not own_steps().exists()


def test_only_an_administrator_changes_the_default_template(api_client):
    default = MilestoneTemplateStep.objects.filter(county=None).order_by("pk").first()
    body = {"name_zh": default.name_zh, "name_en": "Changed", "days_from_start": default.days_from_start}

    by_office = api_client("office.julu").send("put", f"/api/v1/templates/steps/{default.pk}", body)
    by_admin = api_client("admin").send("put", f"/api/v1/templates/steps/{default.pk}", body)

    assert by_office.status_code in (403, 404)
    assert by_admin.status_code == 200
    default.refresh_from_db()
    assert default.name_en == "Changed"


def test_it_refuses_a_step_out_of_bounds_naming_the_field(api_client):
    own_steps().delete()
    client = api_client("office.julu", "en")
    client.send("post", "/api/v1/templates/julu", {"category": CATEGORY})
    step = own_steps().order_by("order").first()

    response = client.send(
        "put", f"/api/v1/templates/steps/{step.pk}", {"name_zh": "x", "name_en": "x", "days_from_start": 9999}
    )

    assert response.status_code == 400
    assert response.json()["field"] == "days_from_start"
    assert "less than or equal to 3000" in response.json()["detail"]


def test_a_region_that_is_not_a_county_level_unit_has_no_templates(api_client):
    assert api_client("city.xingtai").get("/api/v1/templates/xingtai").status_code == 404
