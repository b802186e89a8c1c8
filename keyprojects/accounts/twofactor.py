"""Two-factor log-in (TOTP, django-otp): who may use it, setting it up, and the second step of a log-in.

Offered to the county and city offices and administrators: the accounts that change or read a whole county.
A user with a confirmed device is logged in only after a valid code from their authenticator app: the password
alone leaves the session anonymous, with the user "pending" in it (see `pending_*`). API tokens are not
affected (they are issued from a logged-in session and die with the password or the user).
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote, urlencode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.models import VerifyNotAllowed
from django_otp.plugins.otp_totp.models import TOTPDevice

from keyprojects.accounts.models import Membership, User
from keyprojects.accounts.permissions import scope_for
from keyprojects.core import clock
from keyprojects.core.audit import audit_record
from keyprojects.core.errors import DomainError, NotAllowed

OFFERED_ROLES = (Membership.Role.ADMIN, Membership.Role.CITY_OFFICE, Membership.Role.COUNTY_OFFICE)
DEVICE_NAME = "authenticator"
# How long the password step stays good while the code is being typed.
PENDING_MINUTES = 5
# Wrong codes in one pending log-in before the password must be given again (each also counts towards the
# lockout of the user and address, like a wrong password).
MAX_WRONG_CODES = 5
PENDING_SESSION_KEY = "accounts_twofactor_pending"


# ---- reads --------------------------------------------------------------------------------------------


def twofactor_offered(user: User) -> bool:
    """May set up two-factor log-in: an office (county or city) or an administrator."""
    scope = scope_for(user)
    return scope.is_admin or any(role in scope.roles for role in OFFERED_ROLES)


def twofactor_device(user: User) -> TOTPDevice | None:
    """The user's confirmed device: with one, every log-in needs a code."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def twofactor_required(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def twofactor_unconfirmed_device(user: User) -> TOTPDevice | None:
    """The device being set up (its secret shown, no code confirmed yet)."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def secret_for_display(device: TOTPDevice) -> str:
    """The secret as authenticator apps ask for it when typed in: base32, in groups of four."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(device: TOTPDevice) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    issuer = str(settings.SITE_TITLE).replace(":", "")
    label = quote(f"{issuer}:{device.user.get_username()}")
    params = urlencode(
        {
            "secret": base64.b32encode(device.bin_key).decode().rstrip("="),
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": device.digits,
            "period": device.step,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{params}"


def qr_code_svg(device: TOTPDevice) -> bytes:
    """The provisioning address as an SVG image (drawn here: the secret never leaves the server)."""
    image = qrcode.make(provisioning_uri(device), image_factory=qrcode.image.svg.SvgPathFillImage, box_size=8)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


# ---- the user's own writes ----------------------------------------------------------------------------


def _require_offered(user: User) -> None:
    if not twofactor_offered(user):
        raise NotAllowed(_("Two-factor log-in is offered to the county and city offices and administrators."))


@transaction.atomic
def twofactor_setup_start(*, user: User) -> TOTPDevice:
    """A new secret for the user's authenticator app; nothing changes at log-in until a code confirms it."""
    _require_offered(user)
    if twofactor_required(user):
        raise DomainError(_("Two-factor log-in is already on."))
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()  # an abandoned set-up
    return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def twofactor_setup_confirm(*, user: User, code: str) -> TOTPDevice:
    """The first code from the app proves it holds the secret: from now on every log-in asks for a code."""
    _require_offered(user)
    device = twofactor_unconfirmed_device(user)
    if device is None:
        raise DomainError(_("Start the set-up again: no secret is waiting for a code."))
    # Checked outside the transaction: a wrong code must stay counted (the throttle) when the error rolls back.
    _verify(device, code, field="code")
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_record(actor=user, action="user.twofactor_enable", target=user)
    return device


def twofactor_disable(*, user: User, code: str) -> None:
    """The user turns it off themselves, with a valid code (a session left open is not enough)."""
    device = twofactor_device(user)
    if device is None:
        raise DomainError(_("Two-factor log-in is not on."))
    _verify(device, code, field="code")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        audit_record(actor=user, action="user.twofactor_disable", target=user)


def _verify(device: TOTPDevice, code: str, *, field: str | None = None) -> None:
    """Raises a DomainError saying why the code is refused; each wrong code slows the next try down."""
    allowed, why = device.verify_is_allowed()
    if not allowed and why and why.get("reason") == VerifyNotAllowed.N_FAILED_ATTEMPTS:
        wait = max(1, int((why["locked_until"] - clock.now()).total_seconds()) + 1)
        raise DomainError(
            _("Too many wrong codes. Wait %(seconds)d seconds, then enter the current code.")
            % {"seconds": wait},
            field=field,
        )
    code = "".join(code.split())
    if not (code.isascii() and code.isdigit() and len(code) == device.digits) or not device.verify_token(
        code
    ):
        raise DomainError(
            _("This code is wrong or has expired. Enter the 6-digit code your authenticator app shows now."),
            field=field,
        )


# ---- the second step of a log-in ----------------------------------------------------------------------


@dataclass(frozen=True)
class PendingLogin:
    """A user who gave the right password and still owes a code: kept in the (anonymous) session."""

    user: User
    backend: str
    next_url: str
    wrong_codes: int


def pending_start(session: SessionBase, *, user: User, backend: str, next_url: str) -> None:
    session.cycle_key()  # a new session id once the password is right, as login() would do
    session[PENDING_SESSION_KEY] = {
        "user": user.pk,
        "backend": backend,
        "next": next_url,
        "since": clock.now().isoformat(),
        "wrong": 0,
    }


def pending_get(session: SessionBase) -> PendingLogin | None:
    """The pending log-in of this session, or None (none, expired, or its user since deactivated)."""
    data = session.get(PENDING_SESSION_KEY)
    if not data:
        return None
    since = datetime.fromisoformat(data["since"])
    user = User.objects.filter(pk=data["user"], is_active=True).first()
    if (
        user is None
        or clock.now() - since > timedelta(minutes=PENDING_MINUTES)
        or data["wrong"] >= MAX_WRONG_CODES
    ):
        pending_end(session)
        return None
    return PendingLogin(user=user, backend=data["backend"], next_url=data["next"], wrong_codes=data["wrong"])


def pending_wrong_code(session: SessionBase) -> int:
    """Count a wrong code; returns how many more the pending log-in allows."""
    data = dict(session[PENDING_SESSION_KEY])
    data["wrong"] += 1
    session[PENDING_SESSION_KEY] = data
    return max(0, MAX_WRONG_CODES - data["wrong"])


def pending_end(session: SessionBase) -> None:
    session.pop(PENDING_SESSION_KEY, None)


def pending_verify(pending: PendingLogin, code: str) -> TOTPDevice:
    """The user's device if the code is valid for it; a DomainError saying why not otherwise."""
    device = twofactor_device(pending.user)
    if device is None:  # reset by the office meanwhile: the password was enough after all
        raise DomainError(_("Two-factor log-in has been turned off for this account. Log in again."))
    _verify(device, code, field="code")
    return device


def session_needs_code(user: User, *, verified: bool) -> bool:
    """A logged-in session that never passed the second step although the user now has a device (set up in
    another browser, or logged in through a door that has no second step): it must end."""
    if verified or not getattr(user, "is_authenticated", False):
        return False
    # The role is read first: it is cached for the request, so most users cost no query here.
    return twofactor_offered(user) and twofactor_required(user)
