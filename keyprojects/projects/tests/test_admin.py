"""The Django admin reads and never writes: every write to a registered model belongs to a service, which
keeps the domain's rules (a region's path follows its parent), history and audit log. Issue 15: moving Julu
under the province in the admin left its path /hebei/xingtai/julu/."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from keyprojects.accounts.models import ApiToken, Region, User
from keyprojects.accounts.services import api_token_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(login) -> User:
    user = login("admin")
    assert user.is_superuser and user.is_staff
    return user


def region_post(region: Region, **changes) -> dict:
    data = {
        "slug": region.slug,
        "name_zh": region.name_zh,
        "name_en": region.name_en,
        "kind": region.kind,
        "parent": str(region.parent_id or ""),
    }
    return {**data, **changes}


def test_it_refuses_to_move_a_county_in_the_admin_and_changes_nothing(client, superuser):
    julu = Region.objects.get(slug="julu")
    province = Region.objects.get(kind=Region.Kind.PROVINCE)

    response = client.post(
        reverse("admin:accounts_region_change", args=[julu.pk]), region_post(julu, parent=str(province.pk))
    )

    assert response.status_code == 403
    stored = Region.objects.get(pk=julu.pk)
    assert (stored.parent_id, stored.path) == (julu.parent_id, julu.path)


def test_it_refuses_to_add_a_region_in_the_admin(client, superuser):
    province = Region.objects.get(kind=Region.Kind.PROVINCE)
    count = Region.objects.count()

    response = client.post(
        reverse("admin:accounts_region_add"),
        {
            "slug": "new-zone",
            "name_zh": "新园区",
            "name_en": "New zone",
            "kind": "zone",
            "parent": province.pk,
        },
    )

    assert response.status_code == 403
    assert Region.objects.count() == count


def test_it_refuses_to_revert_a_region_to_an_old_version_from_its_history(client, superuser):
    julu = Region.objects.get(slug="julu")
    version = julu.history.earliest()

    response = client.post(
        reverse("admin:accounts_region_simple_history", args=[julu.pk, version.history_id]),
        region_post(julu, name_en="Reverted"),
    )

    assert response.status_code == 403
    assert Region.objects.get(pk=julu.pk).name_en == julu.name_en


def test_it_refuses_to_delete_an_api_token_in_the_admin(client, superuser):
    token, _secret = api_token_create(user=superuser, name="script")

    response = client.post(reverse("admin:accounts_apitoken_delete", args=[token.pk]), {"post": "yes"})

    assert response.status_code == 403
    assert ApiToken.objects.filter(pk=token.pk).exists()


# Ours: the third-party models (auth's groups, unused; axes' lockouts, which the admin may lift; task results)
# have no service of ours.
OUR_MODELS = [m for m in admin.site._registry if m._meta.app_config.name.startswith("keyprojects.")]


def test_it_registers_our_models_in_the_admin():
    assert {m._meta.label for m in OUR_MODELS} >= {"accounts.Region", "accounts.User", "accounts.ApiToken"}


@pytest.mark.parametrize("model", OUR_MODELS, ids=lambda m: m._meta.label)
def test_it_lists_and_shows_every_model_read_only(client, superuser, model):
    model_admin = admin.site._registry[model]
    obj = model.objects.first()
    info = (model._meta.app_label, model._meta.model_name)

    changelist = client.get(reverse("admin:{}_{}_changelist".format(*info)))

    assert changelist.status_code == 200
    assert not model_admin.has_add_permission(changelist.wsgi_request)
    assert not model_admin.has_change_permission(changelist.wsgi_request, obj)
    assert not model_admin.has_delete_permission(changelist.wsgi_request, obj)
    if obj is not None:
        assert client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk])).status_code == 200
