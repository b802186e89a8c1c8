"""Trust (issue 15): guessing passwords locks out, the client's address is not what it claims, password
rules, API tokens that die with a password change or a deactivation, sessions that end, safe ?next=."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from keyprojects.accounts import services
from keyprojects.accounts.addresses import client_address
from keyprojects.accounts.demo import DEMO_PASSWORD
from keyprojects.accounts.models import ApiToken, User
from keyprojects.core import clock
from keyprojects.core.errors import NotAllowed
from keyprojects.core.models import AuditEntry

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "Qiao-liang 2026 gang-jin"
HOME = reverse("dashboards:home")
LOGIN = reverse("accounts:login")


def log_in(client: Client, username: str, password: str, address: str = "10.0.0.1", **extra):
    return client.post(
        LOGIN,
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        headers={"Accept-Language": "en", **extra.pop("headers", {})},
        **extra,
    )


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def guess(client: Client, username: str, times: int = 5, address: str = "10.0.0.1") -> None:
    statuses = [log_in(client, username, f"wrong-guess-{n}", address).status_code for n in range(times)]
    # The form again, with its error; the fifth wrong password already answers with the lockout.
    assert statuses == [200, 200, 200, 200, 429][:times]
    assert not logged_in(client)


# ---- the client's address -------------------------------------------------------------------------


def request_from(remote: str, forwarded: str | None = None):
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, headers=headers)


def test_it_takes_the_address_of_the_connection_and_ignores_a_forwarded_for_by_default():
    assert client_address(request_from("10.0.0.7", "203.0.113.9")) == "10.0.0.7"


@pytest.mark.parametrize(
    "forwarded, expected",
    [
        ("203.0.113.9", "203.0.113.9"),
        ("198.51.100.1, 203.0.113.9", "203.0.113.9"),  # the left part was written by the client
        ("203.0.113.9, 10.0.0.2", "203.0.113.9"),  # a second trusted proxy in the chain is skipped
        ("not-an-address", "10.0.0.1"),
        (None, "10.0.0.1"),
    ],
)
def test_it_believes_a_forwarded_for_only_from_a_trusted_proxy(settings, forwarded, expected):
    settings.KEYPROJECTS_TRUSTED_PROXIES = ["10.0.0.1", "10.0.0.2"]
    assert client_address(request_from("10.0.0.1", forwarded)) == expected
    assert client_address(request_from("10.0.0.9", forwarded)) == "10.0.0.9"  # not a proxy of ours


# ---- the log-in lockout ---------------------------------------------------------------------------


def test_it_locks_a_user_out_after_five_wrong_passwords(client):
    guess(client, "leader.julu")

    response = log_in(client, "leader.julu", DEMO_PASSWORD)

    assert response.status_code == 429
    assert not logged_in(client)
    content = response.content.decode()
    assert "Too many wrong passwords for this user from this computer. Try again in 15 minutes" in content
    assert "county project office to unlock" in content
    assert int(response["Retry-After"]) == 15 * 60


def test_it_still_lets_in_after_four_wrong_passwords(client):
    guess(client, "leader.julu", times=4)

    response = log_in(client, "leader.julu", DEMO_PASSWORD)

    assert response.status_code == 302
    assert logged_in(client)
    assert not AccessAttempt.objects.filter(username="leader.julu").exists()  # a success starts afresh


def test_it_does_not_lock_the_same_user_at_another_address_nor_another_user(client):
    guess(client, "leader.julu", address="10.0.0.1")

    elsewhere = log_in(Client(), "leader.julu", DEMO_PASSWORD, address="10.0.0.2")
    other_user = log_in(Client(), "office.julu", DEMO_PASSWORD, address="10.0.0.1")

    assert (elsewhere.status_code, other_user.status_code) == (302, 302)


def test_it_is_not_fooled_by_a_forwarded_for_that_the_client_wrote(client):
    guess(client, "leader.julu", address="10.0.0.1")

    response = log_in(client, "leader.julu", DEMO_PASSWORD, headers={"X-Forwarded-For": "203.0.113.9"})

    assert response.status_code == 429


def test_it_locks_the_client_behind_a_trusted_proxy_not_the_proxy(settings):
    settings.KEYPROJECTS_TRUSTED_PROXIES = ["10.0.0.1"]
    attacker = Client(headers={"X-Forwarded-For": "203.0.113.9"})
    statuses = [log_in(attacker, "leader.julu", f"wrong-{n}").status_code for n in range(5)]
    assert statuses[-1] == 429

    locked = log_in(attacker, "leader.julu", DEMO_PASSWORD)
    colleague = log_in(Client(headers={"X-Forwarded-For": "203.0.113.10"}), "leader.julu", DEMO_PASSWORD)

    assert (locked.status_code, colleague.status_code) == (429, 302)


def test_it_lets_in_again_after_the_cool_off(client):
    with time_machine.travel(clock.now(), tick=False) as traveller:
        guess(client, "leader.julu")
        assert log_in(client, "leader.julu", DEMO_PASSWORD).status_code == 429

        traveller.shift(timedelta(minutes=14))
        assert log_in(client, "leader.julu", DEMO_PASSWORD).status_code == 429

        traveller.shift(timedelta(minutes=16))
        response = log_in(client, "leader.julu", DEMO_PASSWORD)

    assert response.status_code == 302
    assert logged_in(client)


@pytest.mark.parametrize("unlocker", ["office.julu", "admin"])
def test_the_county_office_or_an_administrator_unlocks_a_user(client, persona, unlocker):
    guess(client, "leader.julu")

    cleared = services.user_unlock(actor=persona(unlocker), user=persona("leader.julu"))

    assert cleared >= 1
    assert log_in(client, "leader.julu", DEMO_PASSWORD).status_code == 302
    assert AuditEntry.objects.filter(action="user.unlock", target_id=str(persona("leader.julu").pk)).exists()


@pytest.mark.parametrize("unlocker", ["office.ningjin", "leader.julu", "dept.julu.power"])
def test_nobody_else_unlocks_a_user(client, persona, unlocker):
    guess(client, "office.julu")

    with pytest.raises(NotAllowed):
        services.user_unlock(actor=persona(unlocker), user=persona("office.julu"))

    assert log_in(client, "office.julu", DEMO_PASSWORD).status_code == 429


def test_the_unlock_command_unlocks_a_user(client):
    guess(client, "leader.julu")

    call_command("unlock", "leader.julu", "--by", "office.julu", stdout=__import__("io").StringIO())

    assert log_in(client, "leader.julu", DEMO_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    "args, error",
    [(["nobody.here"], "No user is called"), (["leader.julu", "--by", "office.ningjin"], "own county")],
)
def test_the_unlock_command_refuses(args, error):
    with translation.override("en"), pytest.raises(CommandError, match=error):
        call_command("unlock", *args)


# ---- password rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password, reason",
    [
        ("keyprojects", "name of the product"),
        ("My-KeyProjects-2026!", "name of the product"),
        ("Key.Projects.Demo", "name of the product"),
        ("Qz7-xv2", "too short"),
        ("Qz7-xv2-9a", None),  # ten characters are enough
        ("8203917465012", "entirely numeric"),
        ("password123", "too common"),
        ("leader.julu1", "too similar"),
        (GOOD_PASSWORD, None),
    ],
)
def test_it_enforces_the_password_rules(persona, password, reason):
    user = persona("leader.julu")
    with translation.override("en"):
        if reason is None:
            validate_password(password, user)
            return
        with pytest.raises(ValidationError) as refused:
            validate_password(password, user)
    assert reason in " ".join(refused.value.messages)


def test_it_refuses_the_product_name_on_the_change_password_page(client, login):
    user = login("leader.julu")
    user.language = "en"  # the page speaks the user's language
    user.save(update_fields=["language"])

    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": DEMO_PASSWORD, "new_password1": "keyprojects", "new_password2": "keyprojects"},
        headers={"Accept-Language": "en"},
    )

    assert response.status_code == 200
    assert "name of the product" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(DEMO_PASSWORD)


def test_it_refuses_a_weak_password_on_the_reset_page(client, persona):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    user = persona("ent.liangshan")
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    link = reverse("accounts:password_reset_confirm", args=[uid, default_token_generator.make_token(user)])
    form_url = client.get(link)["Location"]

    response = client.post(
        form_url,
        {"new_password1": "12345678901", "new_password2": "12345678901"},
        headers={"Accept-Language": "en"},
    )

    assert response.status_code == 200
    assert "entirely numeric" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(DEMO_PASSWORD)


def test_the_demo_users_still_log_in_with_the_demo_password(client):
    assert log_in(client, "office.julu", DEMO_PASSWORD).status_code == 302


# ---- API tokens die with the password or the user ------------------------------------------------


def me(secret: str) -> int:
    return Client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code


def test_a_password_change_ends_the_tokens_issued_before_it(client, login):
    user = login("leader.julu")
    _token, before = services.api_token_create(user=user, name="before")
    assert me(before) == 200

    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": DEMO_PASSWORD, "new_password1": GOOD_PASSWORD, "new_password2": GOOD_PASSWORD},
    )
    assert response.status_code == 302
    _token, after = services.api_token_create(user=User.objects.get(pk=user.pk), name="after")

    assert me(before) == 401
    assert me(after) == 200
    assert ApiToken.objects.get(name="before").revoked_at is not None  # shown as revoked on the page too


def test_a_password_set_anywhere_else_ends_the_tokens_too(persona):
    # The admin's form, `manage.py changepassword`, a shell: none calls our services, the stamp still differs.
    user = persona("leader.julu")
    _token, secret = services.api_token_create(user=user)

    user.set_password(GOOD_PASSWORD)
    user.save()

    assert me(secret) == 401


def test_deactivating_a_user_revokes_their_tokens_for_good(persona):
    user = persona("leader.julu")
    token, secret = services.api_token_create(user=user)

    services.user_deactivate(actor=persona("office.julu"), user=user)
    assert me(secret) == 401
    user.is_active = True
    user.save()

    assert me(secret) == 401
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEntry.objects.filter(action="user.deactivate", target_id=str(user.pk)).exists()


def test_only_the_users_county_office_deactivates_them(persona):
    user = persona("leader.julu")
    _token, secret = services.api_token_create(user=user)

    with pytest.raises(NotAllowed):
        services.user_deactivate(actor=persona("office.ningjin"), user=user)

    user.refresh_from_db()
    assert user.is_active
    assert me(secret) == 200


# ---- sessions, and where log-in leads ------------------------------------------------------------


def test_a_session_ends_after_twelve_hours_and_with_the_browser(client):
    with time_machine.travel(clock.now(), tick=False) as traveller:
        response = log_in(client, "leader.julu", DEMO_PASSWORD)
        assert response.cookies["sessionid"]["max-age"] == ""  # a browser-session cookie
        assert client.get(HOME).status_code == 200

        traveller.shift(timedelta(hours=11, minutes=59))
        assert client.get(HOME).status_code == 200

        traveller.shift(timedelta(minutes=2))
        response = client.get(HOME)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example",
        "//evil.example/accounts/",
        "https:evil.example",
        "/\\evil.example",
    ],
)
def test_it_never_sends_a_user_off_site_after_logging_in(client, target):
    response = client.post(
        f"{LOGIN}?next={target}", {"username": "leader.julu", "password": DEMO_PASSWORD, "next": target}
    )

    assert response.status_code == 302
    assert response["Location"] == HOME


def test_it_follows_a_next_within_the_site(client):
    target = reverse("accounts:profile")
    response = client.post(LOGIN, {"username": "leader.julu", "password": DEMO_PASSWORD, "next": target})
    assert response["Location"] == target
