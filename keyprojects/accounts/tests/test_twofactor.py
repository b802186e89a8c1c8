"""Two-factor log-in (issue 15): offices and administrators may set up an authenticator app; from then on the
password alone leaves the session anonymous until a valid code is given. Codes are real TOTP codes computed
from the device's key at a frozen time."""

from __future__ import annotations

import base64
import re
from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from keyprojects.accounts import services, twofactor
from keyprojects.accounts.demo import DEMO_PASSWORD
from keyprojects.core import clock
from keyprojects.core.errors import NotAllowed
from keyprojects.core.models import AuditEntry

pytestmark = pytest.mark.django_db

HOME = reverse("dashboards:home")
LOGIN = reverse("accounts:login")
CODE = reverse("accounts:login_code")
SETTINGS = reverse("accounts:twofactor")


@pytest.fixture(autouse=True)
def english(english_pages):
    yield


@pytest.fixture
def frozen():
    """Time stands still unless a test moves it: a code stays valid for the whole test."""
    with time_machine.travel(clock.now(), tick=False) as traveller:
        yield traveller


def code_for(device: TOTPDevice) -> str:
    """The code the user's authenticator app shows now."""
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{value:0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    right = int(code_for(device))
    return f"{(right + 500_000) % 1_000_000:06d}"


def with_device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name=twofactor.DEVICE_NAME, confirmed=True)


def log_in(client: Client, username: str, password: str = DEMO_PASSWORD, **data):
    return client.post(LOGIN, {"username": username, "password": password, **data}, REMOTE_ADDR="10.0.0.1")


def give_code(client: Client, code: str):
    return client.post(CODE, {"code": code}, REMOTE_ADDR="10.0.0.1")


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# ---- who is offered it ---------------------------------------------------------------------------------


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
def test_it_offers_two_factor_log_in_to_the_offices_and_administrators_only(client, login, username, status):
    login(username)

    assert client.get(SETTINGS).status_code == status
    assert client.post(reverse("accounts:twofactor_start")).status_code == (302 if status == 200 else 403)
    assert TOTPDevice.objects.filter(user__username=username).exists() == (status == 200)
    profile = client.get(reverse("accounts:profile")).content.decode()
    assert ('data-testid="twofactor-link"' in profile) == (status == 200)


def test_the_service_refuses_a_role_that_is_not_offered_it(persona):
    with pytest.raises(NotAllowed):
        twofactor.twofactor_setup_start(user=persona("leader.julu"))


# ---- setting it up -------------------------------------------------------------------------------------


def test_it_sets_up_a_device_confirmed_by_a_real_code(client, login, frozen):
    user = login("office.julu")
    client.post(reverse("accounts:twofactor_start"))
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed

    page = client.get(SETTINGS).content.decode()
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    shown = page.split('data-testid="twofactor-secret">')[1].split("<")[0]
    assert shown.replace(" ", "") == secret
    assert reverse("accounts:twofactor_qr") in page
    assert not re.search(r"<script(?![^>]*\bsrc=)|<style|\sstyle=", page)  # nothing inline (the CSP)

    qr = client.get(reverse("accounts:twofactor_qr"))
    assert qr.status_code == 200
    assert qr["Content-Type"] == "image/svg+xml"
    assert qr.content.lstrip().startswith(b"<?xml") or b"<svg" in qr.content[:300]
    assert b"<script" not in qr.content
    assert "no-store" in qr["Cache-Control"] or "no-cache" in qr["Cache-Control"]

    refused = client.post(SETTINGS, {"code": wrong_code(device)})
    assert refused.status_code == 200
    assert "This code is wrong or has expired" in refused.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert device.throttling_failure_count == 1  # counted, though the error rolled the set-up back

    frozen.shift(timedelta(seconds=2))  # past the throttle's one-second pause
    response = client.post(SETTINGS, {"code": code_for(device)})

    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEntry.objects.filter(action="user.twofactor_enable", target_id=str(user.pk)).exists()
    # This session gave the code: it stays logged in, and is verified.
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get(HOME).status_code == 200
    assert client.get(reverse("accounts:twofactor_qr")).status_code == 404  # the secret is shown no more
    assert 'data-testid="twofactor-on"' in client.get(SETTINGS).content.decode()


def test_the_provisioning_address_names_the_site_the_user_and_the_secret(persona):
    device = TOTPDevice.objects.create(user=persona("office.julu"), confirmed=False)
    uri = twofactor.provisioning_uri(device)
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    assert uri.startswith("otpauth://totp/")
    assert "office.julu" in uri
    assert f"secret={secret}" in uri
    assert "digits=6" in uri and "period=30" in uri


# ---- logging in with a device --------------------------------------------------------------------------


def test_the_password_alone_does_not_log_in_a_user_with_a_device(client, persona, frozen):
    device = with_device(persona("office.julu"))

    response = log_in(client, "office.julu")

    assert response.status_code == 302
    assert response["Location"] == CODE
    assert not logged_in(client)
    assert client.get(HOME)["Location"].startswith(LOGIN)  # still anonymous: no page opens
    assert client.get(CODE).status_code == 200

    response = give_code(client, code_for(device))

    assert response.status_code == 302
    assert response["Location"] == HOME
    assert logged_in(client)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get(HOME).status_code == 200


def test_a_user_without_a_device_logs_in_with_the_password(client):
    response = log_in(client, "office.julu")
    assert response["Location"] == HOME
    assert logged_in(client)


def test_a_wrong_code_is_refused_with_a_clear_message(client, persona, frozen):
    device = with_device(persona("office.julu"))
    log_in(client, "office.julu")

    response = give_code(client, wrong_code(device))

    assert response.status_code == 200
    assert "This code is wrong or has expired" in response.content.decode()
    assert not logged_in(client)
    assert AccessAttempt.objects.get(username="office.julu").failures_since_start == 1


@pytest.mark.parametrize("code", ["", "abcdef", "12345", "1234567", "１２３４５６", "12 34 5x"])
def test_a_malformed_code_is_refused(client, persona, frozen, code):
    with_device(persona("office.julu"))
    log_in(client, "office.julu")

    response = give_code(client, code)

    assert response.status_code == 200
    assert not logged_in(client)


def test_a_code_with_spaces_as_some_apps_show_it_is_accepted(client, persona, frozen):
    device = with_device(persona("office.julu"))
    log_in(client, "office.julu")
    code = code_for(device)

    assert give_code(client, f"{code[:3]} {code[3:]}").status_code == 302
    assert logged_in(client)


def test_wrong_codes_are_throttled(client, persona, frozen):
    device = with_device(persona("office.julu"))
    log_in(client, "office.julu")
    give_code(client, wrong_code(device))

    response = give_code(client, code_for(device))  # right, but too soon after a wrong one

    assert "Too many wrong codes. Wait" in response.content.decode()
    assert not logged_in(client)
    frozen.shift(timedelta(seconds=2))
    assert give_code(client, code_for(device)).status_code == 302


def test_wrong_codes_count_towards_the_lockout_of_the_user_and_address(client, persona, frozen):
    device = with_device(persona("office.julu"))
    log_in(client, "office.julu")
    statuses = []
    for _ in range(5):
        statuses.append(give_code(client, wrong_code(device)).status_code)
        frozen.shift(timedelta(minutes=1))  # past every throttle pause

    assert statuses[:4] == [200, 200, 200, 200]
    assert statuses[4] == 429  # the lockout page
    assert not logged_in(client)
    # The password is refused too now, and the pending log-in is gone.
    assert log_in(client, "office.julu").status_code == 429
    assert client.get(CODE)["Location"] == LOGIN


def test_a_code_cannot_be_used_twice(client, persona, frozen):
    device = with_device(persona("office.julu"))
    code = code_for(device)
    log_in(client, "office.julu")
    assert give_code(client, code).status_code == 302

    other = Client()
    log_in(other, "office.julu")
    frozen.shift(timedelta(seconds=5))
    response = give_code(other, code)

    assert response.status_code == 200
    assert not logged_in(other)


def test_the_step_between_password_and_code_expires(client, persona, frozen):
    device = with_device(persona("office.julu"))
    log_in(client, "office.julu")

    frozen.shift(timedelta(minutes=6))
    response = give_code(client, code_for(device))

    assert response["Location"] == LOGIN
    assert not logged_in(client)


def test_the_code_page_without_a_password_first_leads_to_the_log_in(client):
    assert client.get(CODE)["Location"] == LOGIN
    assert client.post(CODE, {"code": "123456"})["Location"] == LOGIN


def test_a_next_within_the_site_survives_the_second_step_and_one_elsewhere_does_not(client, persona, frozen):
    device = with_device(persona("office.julu"))
    profile = reverse("accounts:profile")

    log_in(client, "office.julu", next=profile)
    assert give_code(client, code_for(device))["Location"] == profile

    client.logout()
    frozen.shift(timedelta(minutes=1))
    log_in(client, "office.julu", next="https://evil.example/")
    assert give_code(client, code_for(device))["Location"] == HOME


def test_a_session_from_before_the_device_was_set_up_ends(persona, frozen):
    user = persona("office.julu")
    elsewhere = Client()
    elsewhere.force_login(user)
    assert elsewhere.get(HOME).status_code == 200

    with_device(user)
    response = elsewhere.get(HOME)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert not logged_in(elsewhere)


def test_the_admin_log_in_page_does_not_step_around_the_code(persona, frozen):
    with_device(persona("admin"))
    browser = Client()
    browser.post(
        reverse("admin:login"), {"username": "admin", "password": DEMO_PASSWORD}, REMOTE_ADDR="10.0.0.1"
    )

    response = browser.get(reverse("admin:index"))

    assert response.status_code == 302
    assert not logged_in(browser)


# ---- turning it off, and the office's reset ------------------------------------------------------------


def test_the_user_turns_it_off_with_a_valid_code(client, login, frozen):
    user = login("city.xingtai")
    device = with_device(user)
    session = client.session  # the session passed the second step
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()

    client.post(reverse("accounts:twofactor_disable"), {"code": wrong_code(device)})
    assert TOTPDevice.objects.filter(user=user).exists()

    frozen.shift(timedelta(seconds=2))
    client.post(reverse("accounts:twofactor_disable"), {"code": code_for(device)})

    assert not TOTPDevice.objects.filter(user=user).exists()
    assert AuditEntry.objects.filter(action="user.twofactor_disable", target_id=str(user.pk)).exists()


def test_the_county_office_resets_a_lost_device(client, login, persona, frozen):
    office = login("office.julu")
    colleague = persona("leader.julu")
    with_device(colleague)

    response = client.post(reverse("accounts:user_twofactor_reset", args=["leader.julu"]))

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=colleague).exists()
    entry = AuditEntry.objects.get(action="user.twofactor_reset", target_id=str(colleague.pk))
    assert entry.actor_id == office.pk
    assert log_in(Client(), "leader.julu")["Location"] == HOME  # the password alone again


def test_another_county_office_cannot_reset_it(client, login, persona):
    login("office.ningjin")
    device = with_device(persona("leader.julu"))

    response = client.post(reverse("accounts:user_twofactor_reset", args=["leader.julu"]))

    assert response.status_code == 404
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    with pytest.raises(NotAllowed):
        services.user_twofactor_reset(actor=persona("office.ningjin"), user=persona("leader.julu"))


# ---- API tokens ----------------------------------------------------------------------------------------


def me(secret: str) -> int:
    return Client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code


def test_a_token_keeps_working_when_its_owner_sets_up_two_factor(persona):
    user = persona("office.julu")
    _token, secret = services.api_token_create(user=user)

    with_device(user)

    assert me(secret) == 200


def test_a_password_alone_issues_no_token_to_a_user_with_a_device(persona):
    with_device(persona("office.julu"))

    response = Client().post(
        "/api/v1/auth/token",
        {"username": "office.julu", "password": DEMO_PASSWORD},
        content_type="application/json",
        headers={"Accept-Language": "en"},
    )

    assert response.status_code == 403
    assert "two-factor" in response.json()["detail"]


def test_a_verified_session_creates_tokens_on_the_page(client, persona, frozen):
    device = with_device(persona("office.julu"))
    log_in(client, "office.julu")
    give_code(client, code_for(device))

    response = client.post(reverse("accounts:tokens"), {"name": "script"})

    assert response.status_code == 200
    assert 'data-testid="new-token"' in response.content.decode()
