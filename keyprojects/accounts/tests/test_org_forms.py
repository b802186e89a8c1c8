"""The county office creates and edits departments and enterprises through the pages."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import escape

from keyprojects.accounts.models import Department, Enterprise, Region
from keyprojects.core.models import AuditEntry

NEW_DEPARTMENT = {
    "slug": "julu-emergency",
    "name_zh": "巨鹿县应急管理局",
    "name_en": "Julu County Emergency Management Bureau",
    "kind": "other",
    "phone": "0319-5551234",
}
NEW_ENTERPRISE = {
    "slug": "julu-yongxing-glass",
    "name_zh": "巨鹿永兴玻璃有限公司",
    "name_en": "Julu Yongxing Glass Co., Ltd.",
    "credit_code": "91130500MA0EXAMPL1",
    "contact_name": "张伟",
    "contact_phone": "13800000000",
}


@pytest.fixture
def office(login):
    return login("office.julu")


def audit_entries(obj, action: str):
    return AuditEntry.objects.filter(action=action, target_type=obj._meta.label_lower, target_id=str(obj.pk))


def assert_form_error(response, field: str | None, fragment: str = "") -> str:
    """The form came back (200) with an error on `field` (None: the whole form), shown on the page."""
    assert response.status_code == 200
    form = response.context["form"]
    errors = form.errors.get(field or "__all__")
    assert errors, form.errors
    message = errors[0]
    assert fragment in message
    assert escape(message) in response.content.decode()
    return message


def edit_url(kind: str, slug: str) -> str:
    return reverse(f"accounts:{kind}_edit", args=[slug])


# ---- departments: create ---------------------------------------------------------------------------


def test_it_shows_the_new_department_form(client, office):
    response = client.get(reverse("accounts:department_create", args=["julu"]))
    assert response.status_code == 200
    assert set(response.context["form"].fields) == {"slug", "name_zh", "name_en", "kind", "phone"}


def test_it_creates_a_department(client, office):
    response = client.post(reverse("accounts:department_create", args=["julu"]), NEW_DEPARTMENT)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:department_detail", args=["julu-emergency"])
    department = Department.objects.get(slug="julu-emergency")
    assert department.region.slug == "julu"
    assert department.name_en == NEW_DEPARTMENT["name_en"]
    assert department.phone == "0319-5551234"
    assert department.history.count() == 1
    assert department.history.get().history_user == office
    entry = audit_entries(department, "department.create").get()
    assert entry.actor == office


def test_it_creates_a_department_in_a_zone_of_its_county(client, office):
    response = client.post(reverse("accounts:department_create", args=["julu-edz"]), NEW_DEPARTMENT)
    assert response.status_code == 302
    assert Department.objects.get(slug="julu-emergency").region.slug == "julu-edz"


def test_it_shows_the_success_message_after_creating(client, office):
    response = client.post(reverse("accounts:department_create", args=["julu"]), NEW_DEPARTMENT, follow=True)
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    assert NEW_DEPARTMENT["name_zh"] in response.content.decode()


@pytest.mark.parametrize(
    "field, value",
    [
        ("name_zh", ""),
        ("name_en", ""),
        ("slug", ""),
        ("slug", "julu emergency!"),
        ("kind", "ministry_of_magic"),
        ("phone", "0" * 41),
    ],
)
def test_it_refuses_an_invalid_department_and_saves_nothing(client, office, field, value):
    before = (Department.objects.count(), AuditEntry.objects.count())
    response = client.post(
        reverse("accounts:department_create", args=["julu"]), {**NEW_DEPARTMENT, field: value}
    )
    assert_form_error(response, field)
    assert (Department.objects.count(), AuditEntry.objects.count()) == before


@pytest.mark.parametrize("slug", ["julu-resources", "ningjin-resources"])
def test_it_refuses_a_duplicate_department_slug(client, office, slug):
    # Slugs are unique across the whole system, also against counties the office cannot see.
    existing = Department.objects.get(slug=slug)
    before = Department.objects.count()
    response = client.post(
        reverse("accounts:department_create", args=["julu"]), {**NEW_DEPARTMENT, "slug": slug}
    )
    assert_form_error(response, "slug")
    assert Department.objects.count() == before
    assert Department.objects.get(slug=slug).name_zh == existing.name_zh
    assert existing.history.count() == 1


# ---- departments: edit -----------------------------------------------------------------------------


def test_it_edits_a_department(client, office):
    department = Department.objects.get(slug="julu-resources")
    values = {"name_zh": "巨鹿县自然资源局", "name_en": "Julu Natural Resources", "kind": "natural_resources"}
    response = client.post(edit_url("department", "julu-resources"), {**values, "phone": "0319-1"})

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:department_detail", args=["julu-resources"])
    department.refresh_from_db()
    assert department.name_zh == "巨鹿县自然资源局"
    assert department.phone == "0319-1"
    assert department.history.count() == 2
    assert department.history.first().history_user == office
    entry = audit_entries(department, "department.update").get()
    assert entry.actor == office
    assert entry.data["name_zh"] == "巨鹿县自然资源局"


def test_it_shows_the_current_values_in_the_department_edit_form(client, office):
    response = client.get(edit_url("department", "julu-resources"))
    assert response.status_code == 200
    form = response.context["form"]
    assert "slug" not in form.fields
    assert form.initial["name_zh"] == Department.objects.get(slug="julu-resources").name_zh


def test_it_keeps_the_slug_and_region_when_editing_a_department(client, office):
    department = Department.objects.get(slug="julu-power")
    ningjin = Region.objects.get(slug="ningjin")
    response = client.post(
        edit_url("department", "julu-power"),
        {
            "slug": "hijacked",
            "region": ningjin.pk,
            "name_zh": department.name_zh,
            "name_en": department.name_en,
            "kind": department.kind,
            "phone": "",
        },
    )
    assert response.status_code == 302
    department.refresh_from_db()
    assert department.slug == "julu-power"
    assert department.region.slug == "julu"


def test_it_refuses_an_invalid_department_edit_and_changes_nothing(client, office):
    department = Department.objects.get(slug="julu-resources")
    name = department.name_zh
    response = client.post(
        edit_url("department", "julu-resources"),
        {"name_zh": "", "name_en": department.name_en, "kind": "nonsense", "phone": ""},
    )
    assert_form_error(response, "name_zh")
    assert_form_error(response, "kind")
    department.refresh_from_db()
    assert department.name_zh == name
    assert department.history.count() == 1
    assert not audit_entries(department, "department.update").exists()


# ---- enterprises: create ---------------------------------------------------------------------------


def test_it_creates_an_enterprise(client, office):
    response = client.post(reverse("accounts:enterprise_create", args=["julu"]), NEW_ENTERPRISE)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:enterprise_detail", args=["julu-yongxing-glass"])
    enterprise = Enterprise.objects.get(slug="julu-yongxing-glass")
    assert enterprise.region.slug == "julu"
    assert enterprise.credit_code == "91130500MA0EXAMPL1"
    assert enterprise.contact_name == "张伟"
    assert enterprise.history.count() == 1
    assert enterprise.history.get().history_user == office
    assert audit_entries(enterprise, "enterprise.create").get().actor == office


def test_it_stores_the_credit_code_in_capitals(client, office):
    client.post(
        reverse("accounts:enterprise_create", args=["julu"]),
        {**NEW_ENTERPRISE, "credit_code": "91130500ma0exampl1"},
    )
    assert Enterprise.objects.get(slug="julu-yongxing-glass").credit_code == "91130500MA0EXAMPL1"


def test_it_allows_several_enterprises_without_a_credit_code(client, office):
    url = reverse("accounts:enterprise_create", args=["julu"])
    for slug in ("julu-no-code-1", "julu-no-code-2"):
        response = client.post(url, {**NEW_ENTERPRISE, "slug": slug, "credit_code": ""})
        assert response.status_code == 302
    assert Enterprise.objects.filter(slug__startswith="julu-no-code-", credit_code="").count() == 2


@pytest.mark.parametrize(
    "field, value",
    [
        ("name_zh", ""),
        ("name_en", ""),
        ("slug", ""),
        ("slug", "巨鹿 玻璃"),
        ("credit_code", "91130500MA0EXAMPLE1"),  # 19 characters
    ],
)
def test_it_refuses_an_invalid_enterprise_and_saves_nothing(client, office, field, value):
    before = (Enterprise.objects.count(), AuditEntry.objects.count())
    response = client.post(
        reverse("accounts:enterprise_create", args=["julu"]), {**NEW_ENTERPRISE, field: value}
    )
    assert_form_error(response, field)
    assert (Enterprise.objects.count(), AuditEntry.objects.count()) == before


@pytest.mark.parametrize("slug", ["liangshan", "hengyuan"])
def test_it_refuses_a_duplicate_enterprise_slug(client, office, slug):
    before = Enterprise.objects.count()
    response = client.post(
        reverse("accounts:enterprise_create", args=["julu"]), {**NEW_ENTERPRISE, "slug": slug}
    )
    assert_form_error(response, "slug")
    assert Enterprise.objects.count() == before


@pytest.mark.parametrize("case", [str.upper, str.lower], ids=["same-case", "lower-case"])
def test_it_refuses_a_duplicate_credit_code(client, office, case):
    existing = Enterprise.objects.get(slug="newera")
    before = (Enterprise.objects.count(), AuditEntry.objects.count())
    response = client.post(
        reverse("accounts:enterprise_create", args=["julu"]),
        {**NEW_ENTERPRISE, "credit_code": case(existing.credit_code)},
    )
    message = assert_form_error(response, "credit_code")
    assert "enterprise_unique_credit_code" not in message  # a sentence for people, not a constraint name
    assert (Enterprise.objects.count(), AuditEntry.objects.count()) == before


# ---- enterprises: edit -----------------------------------------------------------------------------


def test_it_edits_an_enterprise(client, office):
    enterprise = Enterprise.objects.get(slug="liangshan")
    response = client.post(
        edit_url("enterprise", "liangshan"),
        {
            "name_zh": enterprise.name_zh,
            "name_en": enterprise.name_en,
            "credit_code": enterprise.credit_code,
            "contact_name": "牛先兵",
            "contact_phone": "13912345678",
        },
    )
    assert response.status_code == 302
    enterprise.refresh_from_db()
    assert enterprise.contact_phone == "13912345678"
    assert enterprise.history.count() == 2
    assert enterprise.history.first().history_user == office
    entry = audit_entries(enterprise, "enterprise.update").get()
    assert entry.actor == office
    assert entry.data["contact_phone"] == "13912345678"


def test_it_keeps_its_own_credit_code_when_editing_an_enterprise(client, office):
    # The enterprise's own code is not a duplicate of itself.
    enterprise = Enterprise.objects.get(slug="newera")
    response = client.post(
        edit_url("enterprise", "newera"),
        {
            "name_zh": "河北新时代纺织科技股份有限公司",
            "name_en": enterprise.name_en,
            "credit_code": enterprise.credit_code.lower(),
            "contact_name": "",
            "contact_phone": "",
        },
    )
    assert response.status_code == 302
    enterprise.refresh_from_db()
    assert enterprise.name_zh == "河北新时代纺织科技股份有限公司"
    assert enterprise.credit_code == enterprise.credit_code.upper()


@pytest.mark.parametrize("case", [str.upper, str.lower], ids=["same-case", "lower-case"])
def test_it_refuses_to_give_an_enterprise_another_ones_credit_code(client, office, case):
    enterprise = Enterprise.objects.get(slug="liangshan")
    other = Enterprise.objects.get(slug="binhao")
    response = client.post(
        edit_url("enterprise", "liangshan"),
        {
            "name_zh": "改名公司",
            "name_en": enterprise.name_en,
            "credit_code": case(other.credit_code),
            "contact_name": "",
            "contact_phone": "",
        },
    )
    message = assert_form_error(response, "credit_code")
    assert "enterprise_unique_credit_code" not in message
    enterprise.refresh_from_db()
    assert enterprise.name_zh != "改名公司"
    assert enterprise.credit_code != other.credit_code
    assert enterprise.history.count() == 1
    assert not audit_entries(enterprise, "enterprise.update").exists()


def test_it_refuses_an_invalid_enterprise_edit_and_changes_nothing(client, office):
    enterprise = Enterprise.objects.get(slug="binhao")
    response = client.post(
        edit_url("enterprise", "binhao"),
        {"name_zh": "", "name_en": "", "credit_code": "X" * 19, "contact_name": "", "contact_phone": ""},
    )
    assert_form_error(response, "name_zh")
    assert_form_error(response, "credit_code")
    fresh = Enterprise.objects.get(slug="binhao")
    assert (fresh.name_zh, fresh.credit_code) == (enterprise.name_zh, enterprise.credit_code)
    assert fresh.history.count() == 1
