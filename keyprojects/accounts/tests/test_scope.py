"""The scope rules, tested on the selectors: what each role reads of regions, departments, enterprises, users."""

from __future__ import annotations

import pytest
from django.http import Http404

from keyprojects.accounts import selectors, services
from keyprojects.accounts.models import Department, Enterprise, Membership, Region, User
from keyprojects.accounts.permissions import scope_for
from keyprojects.core.workflow import SYSTEM

JULU_REGIONS = {"julu", "julu-edz", "julu-agri"}
JULU_ENTERPRISES = 11  # liangshan, newera, binhao and the 8 generated Julu companies
UNIT_DEPARTMENTS = 10  # one per DEPARTMENT_TEMPLATES entry
JULU_USERS = {
    "office.julu",
    "leader.julu",
    "dept.julu.resources",
    "dept.julu.power",
    "dept.julu.bank",
    "ent.liangshan",
    "ent.newera",
    "ent.binhao",
}
NINGJIN_USERS = {
    "office.ningjin",
    "leader.ningjin",
    "dept.ningjin.resources",
    "dept.ningjin.power",
    "dept.ningjin.bank",
    "ent.hengyuan",
}

# Personas whose whole reach is Julu's directory (regions, departments, enterprises), read-only.
JULU_DIRECTORY_READERS = ["office.julu", "leader.julu", "dept.julu.resources", "dept.julu.bank"]
# Everyone below the city who belongs to Julu: none of them sees anything of Ningjin.
JULU_PERSONAS = [*JULU_DIRECTORY_READERS, "ent.liangshan"]


def slugs(qs) -> set[str]:
    return set(qs.values_list("slug", flat=True))


def usernames(qs) -> set[str]:
    return set(qs.values_list("username", flat=True))


# ---- administrator ---------------------------------------------------------------------------------


def test_it_shows_the_administrator_everything(persona):
    admin = persona("admin")
    assert selectors.region_list(user=admin).count() == Region.objects.count()
    assert selectors.department_list(user=admin).count() == Department.objects.count()
    assert selectors.enterprise_list(user=admin).count() == Enterprise.objects.count()
    assert selectors.user_list(user=admin).count() == User.objects.count()
    assert selectors.region_get(user=admin, slug="hebei").slug == "hebei"


# ---- city office -----------------------------------------------------------------------------------


def test_it_shows_the_city_office_all_18_county_level_units(persona):
    city = persona("city.xingtai")
    units = selectors.region_list(user=city).filter(kind__in=Region.COUNTY_LEVEL_KINDS)
    assert units.count() == 18
    assert {"julu", "ningjin", "xindu", "shahe", "nangong"} <= slugs(units)


def test_it_shows_the_city_office_its_city_but_not_the_province(persona):
    city = persona("city.xingtai")
    regions = slugs(selectors.region_list(user=city))
    assert len(regions) == 1 + 18 + 5  # the city, its units and their development zones
    assert "xingtai" in regions
    assert "hebei" not in regions
    with pytest.raises(Http404):
        selectors.region_get(user=city, slug="hebei")


def test_it_shows_the_city_office_every_department_enterprise_and_user_of_the_city(persona):
    city = persona("city.xingtai")
    assert selectors.department_list(user=city).count() == 18 * UNIT_DEPARTMENTS
    assert selectors.enterprise_list(user=city).count() == Enterprise.objects.count()
    assert selectors.department_get(user=city, slug="ningjin-resources").region.slug == "ningjin"
    assert selectors.enterprise_get(user=city, slug="hengyuan").region.slug == "ningjin"
    assert JULU_USERS | NINGJIN_USERS | {"city.xingtai"} <= usernames(selectors.user_list(user=city))


def test_it_lets_the_city_office_read_but_manage_nothing(persona):
    scope = scope_for(persona("city.xingtai"))
    for slug in ("xingtai", "julu", "julu-edz", "ningjin"):
        region = Region.objects.get(slug=slug)
        assert scope.reads_region(region)
        assert not scope.manages_region(region)


# ---- county project office -------------------------------------------------------------------------


def test_it_shows_the_county_office_its_county_and_zones(persona):
    office = persona("office.julu")
    assert slugs(selectors.region_list(user=office)) == JULU_REGIONS


def test_it_shows_the_county_office_its_departments_and_enterprises(persona):
    office = persona("office.julu")
    departments = selectors.department_list(user=office)
    assert departments.count() == UNIT_DEPARTMENTS
    assert all(slug.startswith("julu-") for slug in slugs(departments))
    enterprises = slugs(selectors.enterprise_list(user=office))
    assert len(enterprises) == JULU_ENTERPRISES
    assert {"liangshan", "newera", "binhao"} <= enterprises


def test_it_shows_the_county_office_the_users_of_its_county(persona):
    users = usernames(selectors.user_list(user=persona("office.julu")))
    assert users >= JULU_USERS
    # Everyone else holds a Julu role too (the demo may add more leaders or staff to Julu).
    assert all(".julu" in name for name in users - JULU_USERS), users - JULU_USERS
    assert not users & {"admin", "city.xingtai", "office.xindu", "leader.xindu"}


@pytest.mark.parametrize(
    "model, slug",
    [
        (Region, "ningjin"),
        (Region, "ningjin-edz"),
        (Department, "ningjin-resources"),
        (Enterprise, "hengyuan"),
    ],
)
def test_it_hides_everything_of_ningjin_from_a_julu_county_office(persona, model, slug):
    office = persona("office.julu")
    get = {
        Region: selectors.region_get,
        Department: selectors.department_get,
        Enterprise: selectors.enterprise_get,
    }[model]
    with pytest.raises(Http404):
        get(user=office, slug=slug)


def test_it_lists_nothing_of_ningjin_to_a_julu_county_office(persona):
    office = persona("office.julu")
    assert not selectors.region_list(user=office).filter(path__startswith="/hebei/xingtai/ningjin/").exists()
    assert not selectors.department_list(user=office).filter(region__slug__startswith="ningjin").exists()
    assert not selectors.enterprise_list(user=office).filter(region__slug__startswith="ningjin").exists()
    assert not usernames(selectors.user_list(user=office)) & NINGJIN_USERS
    # Searching or narrowing by a region does not widen the scope either.
    assert not selectors.department_list(user=office, search="ningjin").exists()
    ningjin = Region.objects.get(slug="ningjin")
    assert not selectors.enterprise_list(user=office, region=ningjin).exists()


def test_it_lets_the_county_office_manage_its_county_and_zones_only(persona):
    scope = scope_for(persona("office.julu"))
    assert scope.manages_region(Region.objects.get(slug="julu"))
    assert scope.manages_region(Region.objects.get(slug="julu-edz"))
    assert not scope.manages_region(Region.objects.get(slug="ningjin"))
    assert not scope.manages_region(Region.objects.get(slug="xingtai"))


def test_it_does_not_mistake_a_county_whose_slug_begins_like_julu_for_julu(persona):
    # Paths end with "/", so /hebei/xingtai/julu/ is not a prefix of /hebei/xingtai/julunew/.
    julunew = services.region_create(
        actor=SYSTEM,
        slug="julunew",
        name_zh="巨鹿新县",
        name_en="Julunew County",
        kind=Region.Kind.COUNTY,
        parent=Region.objects.get(slug="xingtai"),
    )
    services.department_create(
        actor=SYSTEM, region=julunew, slug="julunew-water", name_zh="水务局", name_en="Water", kind="water"
    )
    office = persona("office.julu")
    assert "julunew" not in slugs(selectors.region_list(user=office))
    assert "julunew-water" not in slugs(selectors.department_list(user=office))
    assert not scope_for(office).manages_region(julunew)


# ---- leader in charge and departments --------------------------------------------------------------


@pytest.mark.parametrize("username", ["leader.julu", "dept.julu.resources", "dept.julu.bank"])
def test_it_shows_leaders_and_departments_the_county_directory(persona, username):
    user = persona(username)
    assert slugs(selectors.region_list(user=user)) == JULU_REGIONS
    assert selectors.department_list(user=user).count() == UNIT_DEPARTMENTS
    assert len(slugs(selectors.enterprise_list(user=user))) == JULU_ENTERPRISES


@pytest.mark.parametrize("username", ["leader.julu", "dept.julu.resources", "dept.julu.bank"])
def test_it_lets_leaders_and_departments_manage_nothing(persona, username):
    scope = scope_for(persona(username))
    for slug in ("julu", "julu-edz", "ningjin"):
        assert not scope.manages_region(Region.objects.get(slug=slug))


@pytest.mark.parametrize("username", ["leader.julu", "dept.julu.resources", "ent.liangshan"])
def test_it_shows_users_who_are_not_offices_only_themselves(persona, username):
    assert usernames(selectors.user_list(user=persona(username))) == {username}


def test_it_shows_a_ningjin_department_the_ningjin_directory_only(persona):
    dept = persona("dept.ningjin.power")
    assert slugs(selectors.region_list(user=dept)) == {"ningjin", "ningjin-edz"}
    assert "hengyuan" in slugs(selectors.enterprise_list(user=dept))
    assert not selectors.enterprise_list(user=dept).filter(region__slug="julu").exists()
    with pytest.raises(Http404):
        selectors.department_get(user=dept, slug="julu-power")


# ---- enterprise ------------------------------------------------------------------------------------


def test_it_shows_an_enterprise_its_own_record_only(persona):
    ent = persona("ent.liangshan")
    assert slugs(selectors.enterprise_list(user=ent)) == {"liangshan"}
    assert selectors.enterprise_get(user=ent, slug="liangshan").slug == "liangshan"
    assert not selectors.enterprise_list(user=ent, search="河北").exclude(slug="liangshan").exists()


@pytest.mark.parametrize("slug", ["newera", "binhao", "julu-tianrun-pharma", "hengyuan"])
def test_it_hides_other_enterprises_from_an_enterprise(persona, slug):
    with pytest.raises(Http404):
        selectors.enterprise_get(user=persona("ent.liangshan"), slug=slug)


def test_it_shows_an_enterprise_its_county_region_and_departments(persona):
    ent = persona("ent.liangshan")
    assert slugs(selectors.region_list(user=ent)) == JULU_REGIONS
    departments = selectors.department_list(user=ent)
    assert departments.count() == UNIT_DEPARTMENTS
    assert all(slug.startswith("julu-") for slug in slugs(departments))
    assert selectors.department_get(user=ent, slug="julu-resources").slug == "julu-resources"


def test_it_hides_the_departments_and_regions_of_other_counties_from_an_enterprise(persona):
    ent = persona("ent.liangshan")
    with pytest.raises(Http404):
        selectors.region_get(user=ent, slug="ningjin")
    with pytest.raises(Http404):
        selectors.region_get(user=ent, slug="xingtai")
    with pytest.raises(Http404):
        selectors.department_get(user=ent, slug="ningjin-resources")


def test_it_shows_a_ningjin_enterprise_the_ningjin_departments(persona):
    ent = persona("ent.hengyuan")
    assert slugs(selectors.enterprise_list(user=ent)) == {"hengyuan"}
    assert selectors.department_list(user=ent).count() == UNIT_DEPARTMENTS
    assert not selectors.department_list(user=ent).filter(region__slug="julu").exists()


def test_it_lets_an_enterprise_manage_nothing_not_even_its_own_county(persona):
    scope = scope_for(persona("ent.liangshan"))
    assert not scope.manages_region(Region.objects.get(slug="julu"))


def test_it_does_not_count_other_enterprises_for_an_enterprise_in_the_subordinate_units(persona):
    zone = Region.objects.get(slug="julu-edz")
    services.enterprise_create(
        actor=SYSTEM, region=zone, slug="edz-rival", name_zh="开发区对手公司", name_en="Rival Co."
    )
    office_children = selectors.region_children(user=persona("office.julu"), region=zone.parent)
    assert office_children.get(slug="julu-edz").enterprise_count == 1
    ent_children = selectors.region_children(user=persona("ent.liangshan"), region=zone.parent)
    assert ent_children.get(slug="julu-edz").enterprise_count == 0


# ---- zones and new records -------------------------------------------------------------------------


def test_it_puts_records_of_a_zone_into_its_county_scope(persona):
    zone = Region.objects.get(slug="julu-edz")
    services.department_create(
        actor=SYSTEM,
        region=zone,
        slug="julu-edz-admin",
        name_zh="管委会",
        name_en="Zone Admin",
        kind="zone_admin",
    )
    services.enterprise_create(
        actor=SYSTEM, region=zone, slug="edz-maker", name_zh="制造公司", name_en="Maker"
    )
    for username in ("office.julu", "leader.julu", "dept.julu.power", "city.xingtai"):
        user = persona(username)
        assert "julu-edz-admin" in slugs(selectors.department_list(user=user)), username
        assert "edz-maker" in slugs(selectors.enterprise_list(user=user)), username
    for username in ("office.ningjin", "dept.ningjin.power", "ent.hengyuan"):
        user = persona(username)
        assert "julu-edz-admin" not in slugs(selectors.department_list(user=user)), username
        assert "edz-maker" not in slugs(selectors.enterprise_list(user=user)), username
    assert "edz-maker" not in slugs(selectors.enterprise_list(user=persona("ent.liangshan")))


# ---- users without a usable scope ------------------------------------------------------------------


def test_it_shows_a_user_without_a_role_nothing_but_themselves(persona):
    nobody = services.user_create(actor=SYSTEM, username="nobody", password=None)
    assert not selectors.region_list(user=nobody).exists()
    assert not selectors.department_list(user=nobody).exists()
    assert not selectors.enterprise_list(user=nobody).exists()
    assert usernames(selectors.user_list(user=nobody)) == {"nobody"}


def test_it_shows_a_deactivated_office_user_nothing(persona):
    office = persona("office.julu")
    office.is_active = False
    office.save()
    office = persona("office.julu")
    assert not selectors.region_list(user=office).exists()
    assert not selectors.department_list(user=office).exists()
    assert not selectors.enterprise_list(user=office).exists()


def test_it_widens_the_scope_when_a_second_county_is_granted(persona):
    office = persona("office.julu")
    scope_for(office)  # cached on the object: the grant must drop it
    services.membership_grant(
        actor=SYSTEM,
        user=office,
        role=Membership.Role.COUNTY_OFFICE,
        region=Region.objects.get(slug="ningjin"),
    )
    assert "hengyuan" in slugs(selectors.enterprise_list(user=office))
    assert scope_for(office).manages_region(Region.objects.get(slug="ningjin"))


# ---- API tokens ------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["admin", "office.julu", "ent.liangshan"])
def test_it_lists_only_the_users_own_tokens(persona, username):
    mine, _secret = services.api_token_create(user=persona(username), name="mine")
    theirs, _secret = services.api_token_create(user=persona("city.xingtai"), name="theirs")
    tokens = set(selectors.api_token_list(user=persona(username)))
    assert mine in tokens
    assert theirs not in tokens


# ---- organisations registered in a development zone ------------------------------------------------


@pytest.fixture
def zone_enterprise_user(db):
    """A user of an enterprise registered in Julu's development zone (zones belong to their county)."""
    enterprise = services.enterprise_create(
        actor=SYSTEM,
        region=Region.objects.get(slug="julu-edz"),
        slug="edz-maker",
        name_zh="制造公司",
        name_en="Maker",
    )
    user = services.user_create(actor=SYSTEM, username="ent.edz-maker", password=None)
    services.membership_grant(actor=SYSTEM, user=user, role=Membership.Role.ENTERPRISE, enterprise=enterprise)
    return user


def test_it_shows_an_enterprise_of_a_zone_its_countys_region_and_departments(zone_enterprise_user):
    assert slugs(selectors.region_list(user=zone_enterprise_user)) == JULU_REGIONS
    departments = selectors.department_list(user=zone_enterprise_user)
    assert departments.count() == UNIT_DEPARTMENTS
    assert selectors.department_get(user=zone_enterprise_user, slug="julu-resources").region.slug == "julu"


def test_it_still_hides_other_enterprises_from_an_enterprise_of_a_zone(zone_enterprise_user):
    assert slugs(selectors.enterprise_list(user=zone_enterprise_user)) == {"edz-maker"}
    with pytest.raises(Http404):
        selectors.enterprise_get(user=zone_enterprise_user, slug="liangshan")
    with pytest.raises(Http404):
        selectors.department_get(user=zone_enterprise_user, slug="ningjin-resources")


def test_it_shows_a_department_of_a_zone_its_countys_directory(persona):
    department = services.department_create(
        actor=SYSTEM,
        region=Region.objects.get(slug="julu-edz"),
        slug="julu-edz-admin",
        name_zh="管委会",
        name_en="Zone Administration",
        kind=Department.Kind.ZONE_ADMIN,
    )
    user = services.user_create(actor=SYSTEM, username="dept.julu-edz", password=None)
    services.membership_grant(actor=SYSTEM, user=user, role=Membership.Role.DEPARTMENT, department=department)

    assert slugs(selectors.region_list(user=user)) == JULU_REGIONS
    assert selectors.department_list(user=user).count() == UNIT_DEPARTMENTS + 1
    assert len(slugs(selectors.enterprise_list(user=user))) == JULU_ENTERPRISES
    assert not selectors.enterprise_list(user=user).filter(region__slug="ningjin").exists()
    assert not scope_for(user).manages_region(Region.objects.get(slug="julu-edz"))
