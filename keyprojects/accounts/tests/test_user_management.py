"""The county office's users pages (issue 15): deactivate, reactivate, unlock — within its county only, each
audited; a deactivated user's session and tokens stop working on their next request."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from keyprojects.accounts import services
from keyprojects.accounts.demo import DEMO_PASSWORD
from keyprojects.accounts.models import ApiToken, User
from keyprojects.core.errors import DomainError
from keyprojects.core.models import AuditEntry

pytestmark = pytest.mark.django_db

HOME = reverse("dashboards:home")
LOGIN = reverse("accounts:login")


@pytest.fixture(autouse=True)
def english(english_pages):
    yield


def me(secret: str) -> int:
    return Client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code


def lock_out(username: str) -> None:
    guesser = Client()
    for n in range(5):
        guesser.post(LOGIN, {"username": username, "password": f"wrong-{n}"}, REMOTE_ADDR="10.0.0.9")


def action(name: str, username: str) -> str:
    return reverse(f"accounts:user_{name}", args=[username])


# ---- the pages -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "username, status",
    [
        ("admin", 200),
        ("city.xingtai", 200),
        ("office.julu", 200),
        ("leader.julu", 403),
        ("dept.julu.resources", 403),
        ("ent.liangshan", 403),
    ],
)
def test_the_users_list_is_for_the_offices_and_administrators(client, login, username, status):
    login(username)
    assert client.get(reverse("accounts:user_list")).status_code == status


def test_the_county_office_lists_the_users_of_its_county_only(client, login):
    login("office.julu")

    response = client.get(reverse("accounts:user_list"))

    names = {u.username for u in response.context["page"]}
    assert {"office.julu", "leader.julu", "dept.julu.resources"} <= names
    assert "office.ningjin" not in names
    assert "admin" not in names
    assert client.get(reverse("accounts:user_detail", args=["office.ningjin"])).status_code == 404


def test_the_users_list_runs_a_fixed_number_of_queries(client, login, django_assert_max_num_queries):
    login("admin")
    with django_assert_max_num_queries(15):
        response = client.get(reverse("accounts:user_list"))
    assert response.context["page"].paginator.count > 10


def test_the_detail_shows_the_buttons_to_the_office_that_manages_the_user(client, login):
    login("office.julu")
    content = client.get(reverse("accounts:user_detail", args=["leader.julu"])).content.decode()
    assert action("deactivate", "leader.julu") in content


def test_the_city_office_sees_a_user_but_has_no_buttons_and_may_not_act(client, login, persona):
    login("city.xingtai")
    content = client.get(reverse("accounts:user_detail", args=["leader.julu"])).content.decode()
    assert 'data-testid="user-actions"' not in content

    assert client.post(action("deactivate", "leader.julu")).status_code == 403
    assert persona("leader.julu").is_active


def test_the_office_has_no_button_to_deactivate_itself_and_the_service_refuses(client, login, persona):
    login("office.julu")
    content = client.get(reverse("accounts:user_detail", args=["office.julu"])).content.decode()
    assert action("deactivate", "office.julu") not in content

    client.post(action("deactivate", "office.julu"))

    assert persona("office.julu").is_active
    with pytest.raises(DomainError, match="your own account"):
        services.user_deactivate(actor=persona("office.julu"), user=persona("office.julu"))


# ---- deactivate, reactivate ----------------------------------------------------------------------------


def test_deactivating_ends_the_users_session_and_tokens_on_their_next_request(client, login, persona):
    user = persona("leader.julu")
    theirs = Client()
    theirs.force_login(user)
    assert theirs.get(HOME).status_code == 200
    _token, secret = services.api_token_create(user=user)
    assert me(secret) == 200
    office = login("office.julu")

    response = client.post(action("deactivate", "leader.julu"), follow=True)

    assert "is deactivated" in response.content.decode()
    assert not persona("leader.julu").is_active
    assert theirs.get(HOME)["Location"].startswith(LOGIN)
    assert theirs.get("/api/v1/me").status_code == 401  # the session, through the API
    assert me(secret) == 401
    assert ApiToken.objects.get(user=user).revoked_at is not None
    entry = AuditEntry.objects.get(action="user.deactivate", target_id=str(user.pk))
    assert entry.actor_id == office.pk
    assert Client().post(LOGIN, {"username": "leader.julu", "password": DEMO_PASSWORD}).status_code == 200


def test_reactivating_lets_the_user_log_in_again_without_their_old_tokens(client, login, persona):
    user = persona("leader.julu")
    _token, secret = services.api_token_create(user=user)
    login("office.julu")
    client.post(action("deactivate", "leader.julu"))

    response = client.post(action("reactivate", "leader.julu"), follow=True)

    assert "can log in again" in response.content.decode()
    assert persona("leader.julu").is_active
    assert Client().post(LOGIN, {"username": "leader.julu", "password": DEMO_PASSWORD}).status_code == 302
    assert me(secret) == 401
    assert AuditEntry.objects.filter(action="user.reactivate", target_id=str(user.pk)).exists()


# ---- unlock --------------------------------------------------------------------------------------------


def test_the_office_unlocks_a_locked_out_user_from_the_page(client, login, persona):
    lock_out("leader.julu")
    login("office.julu")
    detail = client.get(reverse("accounts:user_detail", args=["leader.julu"])).content.decode()
    assert "locked out" in detail
    assert action("unlock", "leader.julu") in detail

    response = client.post(action("unlock", "leader.julu"), follow=True)

    assert "is no longer locked out" in response.content.decode()
    logged = Client().post(
        LOGIN, {"username": "leader.julu", "password": DEMO_PASSWORD}, REMOTE_ADDR="10.0.0.9"
    )
    assert logged.status_code == 302
    assert AuditEntry.objects.filter(action="user.unlock", target_id=str(persona("leader.julu").pk)).exists()


# ---- the permission matrix of the actions --------------------------------------------------------------

ACTIONS = ["deactivate", "reactivate", "unlock", "twofactor_reset"]


@pytest.mark.parametrize("name", ACTIONS)
@pytest.mark.parametrize(
    "actor, target, status",
    [
        ("office.julu", "leader.julu", 302),
        ("admin", "leader.julu", 302),
        ("office.ningjin", "leader.julu", 404),  # another county: not even seen
        ("city.xingtai", "leader.julu", 403),  # sees, may not change
        ("leader.julu", "dept.julu.resources", 403),  # never uses these pages
        ("ent.liangshan", "leader.julu", 403),
        ("office.julu", "admin", 404),
    ],
)
def test_only_the_users_county_office_or_an_administrator_acts(client, login, name, actor, target, status):
    login(actor)
    before = User.objects.filter(username=target).values_list("is_active", flat=True).get()
    audited = AuditEntry.objects.filter(action__startswith="user.").count()

    response = client.post(action(name, target))

    assert response.status_code == status
    if status != 302:
        assert User.objects.filter(username=target).values_list("is_active", flat=True).get() == before
        assert AuditEntry.objects.filter(action__startswith="user.").count() == audited


@pytest.mark.parametrize("name", ACTIONS)
def test_the_actions_refuse_a_get(client, login, name):
    login("office.julu")
    assert client.get(action(name, "leader.julu")).status_code == 405
