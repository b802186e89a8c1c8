"""Writes to organisations, users, roles and API tokens. Each validates, then saves in a transaction."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from decimal import Decimal

from axes.utils import reset as axes_reset
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from keyprojects.accounts import selectors
from keyprojects.accounts.models import (
    ApiToken,
    Department,
    Enterprise,
    Membership,
    Region,
    User,
    password_stamp,
)
from keyprojects.accounts.naming import pinyin_name, unique_slug
from keyprojects.accounts.permissions import forget_scope, scope_for
from keyprojects.core import clock
from keyprojects.core.audit import audit_record, audit_records
from keyprojects.core.errors import DomainError, NotAllowed
from keyprojects.core.history import bulk_create_with_history
from keyprojects.core.workflow import SYSTEM, SystemActor, person, require_actor

TOKEN_PREFIX = "kp_"  # noqa: S105 - a marker that makes leaked tokens easy to grep for, not a secret


def _is_admin(actor: User | SystemActor) -> bool:
    """SYSTEM (the demo loader, management commands) may do everything; None is refused (TypeError)."""
    require_actor(actor)
    return actor is SYSTEM or scope_for(actor).is_admin


def require_manage(actor: User | SystemActor, region: Region) -> None:
    """SYSTEM (the demo loader, management commands) manages every region; None is refused (TypeError)."""
    require_actor(actor)
    if actor is not SYSTEM and not scope_for(actor).manages_region(region):
        raise NotAllowed(_("You may not change records of %(region)s.") % {"region": region.name})


@transaction.atomic
def region_create(
    *,
    actor: User | SystemActor,
    slug: str,
    name_zh: str,
    name_en: str,
    kind: str,
    parent: Region | None = None,
    seat_lat: Decimal | None = None,
    seat_lng: Decimal | None = None,
) -> Region:
    if parent is not None:
        require_manage(actor, parent)
    elif not _is_admin(actor):
        raise NotAllowed(_("Only an administrator can create a top-level region."))
    allowed_parents = Region.PARENT_KINDS.get(kind)
    if allowed_parents is None:
        raise DomainError(_("Unknown region kind: %(kind)s.") % {"kind": kind}, field="kind")
    if parent is None and allowed_parents:
        raise DomainError(
            _("A region of kind “%(kind)s” needs a parent region.") % {"kind": Region.Kind(kind).label},
            field="parent",
        )
    if parent is not None and parent.kind not in allowed_parents:
        raise DomainError(
            _("A region of kind “%(kind)s” cannot be placed under %(parent)s.")
            % {"kind": Region.Kind(kind).label, "parent": parent.name},
            field="parent",
        )
    region = Region(
        slug=slug,
        name_zh=name_zh,
        name_en=name_en,
        kind=kind,
        parent=parent,
        path=f"{parent.path if parent else '/'}{slug}/",
        seat_lat=seat_lat,
        seat_lng=seat_lng,
    )
    region.full_clean()
    region.save()
    audit_record(actor=actor, action="region.create", target=region)
    return region


DEPARTMENT_FIELDS = ("name_zh", "name_en", "kind", "phone")
ENTERPRISE_FIELDS = ("name_zh", "name_en", "credit_code", "contact_name", "contact_phone")


@transaction.atomic
def department_create(
    *,
    actor: User | SystemActor,
    region: Region,
    slug: str,
    name_zh: str,
    name_en: str,
    kind: str,
    phone: str = "",
) -> Department:
    require_manage(actor, region)
    department = Department(
        region=region, slug=slug, name_zh=name_zh, name_en=name_en, kind=kind, phone=phone
    )
    department.full_clean()
    department.save()
    audit_record(actor=actor, action="department.create", target=department)
    return department


@transaction.atomic
def department_update(*, actor: User | SystemActor, department: Department, **changes: object) -> Department:
    require_manage(actor, department.region)
    _apply_changes(department, changes, DEPARTMENT_FIELDS)
    audit_record(actor=actor, action="department.update", target=department, data=_changed(changes))
    return department


@transaction.atomic
def enterprise_create(
    *,
    actor: User | SystemActor,
    region: Region,
    slug: str,
    name_zh: str,
    name_en: str,
    credit_code: str = "",
    contact_name: str = "",
    contact_phone: str = "",
) -> Enterprise:
    require_manage(actor, region)
    enterprise = Enterprise(
        region=region,
        slug=slug,
        name_zh=name_zh,
        name_en=name_en,
        credit_code=credit_code.upper(),
        contact_name=contact_name,
        contact_phone=contact_phone,
    )
    enterprise.full_clean()
    enterprise.save()
    audit_record(actor=actor, action="enterprise.create", target=enterprise)
    return enterprise


@transaction.atomic
def enterprise_update(*, actor: User | SystemActor, enterprise: Enterprise, **changes: object) -> Enterprise:
    require_manage(actor, enterprise.region)
    if "credit_code" in changes:
        changes["credit_code"] = str(changes["credit_code"]).upper()
    _apply_changes(enterprise, changes, ENTERPRISE_FIELDS)
    audit_record(actor=actor, action="enterprise.update", target=enterprise, data=_changed(changes))
    return enterprise


def _apply_changes(obj: Department | Enterprise, changes: dict, allowed: tuple[str, ...]) -> None:
    unknown = set(changes) - set(allowed)
    if unknown:
        raise DomainError(
            _("These fields cannot be changed here: %(fields)s.") % {"fields": ", ".join(unknown)}
        )
    for name, value in changes.items():
        setattr(obj, name, value)
    obj.full_clean()
    obj.save()


def _changed(changes: dict) -> dict:
    return {k: str(v) for k, v in changes.items()}


@transaction.atomic
def user_create(
    *,
    actor: User | SystemActor,
    username: str,
    password: str | None,
    display_name: str = "",
    email: str = "",
    language: str = User.Language.CHINESE,
    is_staff: bool = False,
) -> User:
    if not _is_admin(actor):
        raise NotAllowed(_("Only an administrator can create users."))
    user = User(
        username=username, display_name=display_name, email=email, language=language, is_staff=is_staff
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    audit_record(actor=actor, action="user.create", target=user)
    return user


@transaction.atomic
def membership_grant(
    *,
    actor: User | SystemActor,
    user: User,
    role: str,
    region: Region | None = None,
    department: Department | None = None,
    enterprise: Enterprise | None = None,
) -> Membership:
    if not _is_admin(actor):
        raise NotAllowed(_("Only an administrator can grant roles."))
    kinds = Membership.REGION_KINDS_FOR_ROLE.get(role)
    if kinds is not None and (region is None or region.kind not in kinds):
        raise DomainError(
            _("The role %(role)s needs a region of kind %(kinds)s.")
            % {
                "role": Membership.Role(role).label,
                "kinds": ", ".join(str(Region.Kind(k).label) for k in kinds),
            },
            field="region",
        )
    membership, created = Membership.objects.get_or_create(
        user=user, role=role, region=region, department=department, enterprise=enterprise
    )
    if role == Membership.Role.ADMIN and not (user.is_staff and user.is_superuser):
        # The Django admin is for administrators only; the role and the flags move together.
        user.is_staff = user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])
    forget_scope(user)
    if created:
        audit_record(actor=actor, action="membership.grant", target=membership)
    return membership


@transaction.atomic
def user_set_language(*, user: User, language: str) -> User:
    if language not in User.Language.values:
        raise DomainError(_("Unsupported language: %(language)s.") % {"language": language}, field="language")
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return user


@transaction.atomic
def user_set_email(*, actor: User | SystemActor, user: User, email: str) -> User:
    """Set or clear (empty) a user's e-mail address: where notices and password-reset links go, so it is unique
    among users whatever its case, and every change is audited with the old and the new address."""
    require_actor(actor)
    if actor is not SYSTEM and actor.pk != user.pk and not scope_for(actor).is_admin:
        raise NotAllowed(_("You may only change your own e-mail address."))
    email = User.objects.normalize_email(email.strip())
    if email:
        try:
            validate_email(email)
            if len(email) > User._meta.get_field("email").max_length:
                raise ValidationError("too long")
        except ValidationError as exc:
            raise DomainError(_("Enter a valid e-mail address."), field="email") from exc
        # Checked here, not by a constraint: existing databases may hold duplicates an administrator must
        # first sort out. The other user is not named.
        if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
            raise DomainError(_("Another user already has this e-mail address."), field="email")
    if email == user.email:
        return user
    previous, user.email = user.email, email
    user.save(update_fields=["email"])
    audit_record(actor=actor, action="user.set_email", target=user, data={"from": previous, "to": email})
    return user


def _require_manage_user(actor: User | SystemActor, user: User) -> None:
    """An administrator, or the county office of a region where the user holds every one of their roles."""
    if _is_admin(actor):
        return
    if not selectors.user_manageable(user=actor, target=user):
        raise NotAllowed(_("You may only manage the users of your own county."))


def _revoke_all_tokens(*, actor: User | SystemActor, user: User, reason: str) -> int:
    tokens = list(ApiToken.objects.filter(user=user, revoked_at__isnull=True))
    now = clock.now()
    ApiToken.objects.filter(pk__in=[t.pk for t in tokens]).update(revoked_at=now)
    for token in tokens:
        audit_record(actor=actor, action="api_token.revoke", target=token, data={"reason": reason})
    return len(tokens)


@transaction.atomic
def user_password_changed(*, user: User) -> int:
    """After the user's own password change or reset: their API tokens are revoked (a token issued before
    the change stops working in any case, see api_token_authenticate; this also shows it on the tokens
    page). Returns how many were revoked."""
    return _revoke_all_tokens(actor=user, user=user, reason="password changed")


@transaction.atomic
def user_deactivate(*, actor: User | SystemActor, user: User) -> User:
    """The user can no longer log in, and every API token of theirs is revoked (for good: reactivating the
    user does not bring them back)."""
    _require_manage_user(actor, user)
    if actor is not SYSTEM and actor.pk == user.pk:
        raise DomainError(_("You cannot deactivate your own account."))
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
        audit_record(actor=actor, action="user.deactivate", target=user)
    _revoke_all_tokens(actor=actor, user=user, reason="user deactivated")
    return user


@transaction.atomic
def user_reactivate(*, actor: User | SystemActor, user: User) -> User:
    """The user may log in again (with the password they had); their revoked tokens stay revoked."""
    _require_manage_user(actor, user)
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
        audit_record(actor=actor, action="user.reactivate", target=user)
    return user


@transaction.atomic
def user_twofactor_reset(*, actor: User | SystemActor, user: User) -> int:
    """Remove the user's two-factor devices (a lost phone): their next log-in needs only the password, and they
    may set up a new device. Returns how many devices were removed."""
    _require_manage_user(actor, user)
    removed, _by_model = TOTPDevice.objects.filter(user=user).delete()
    if removed:
        audit_record(actor=actor, action="user.twofactor_reset", target=user, data={"devices": removed})
    return removed


def user_unlock(*, actor: User | SystemActor, user: User) -> int:
    """Lift a log-in lockout (too many wrong passwords) of this user from every address, before the cool-off
    ends. Returns how many recorded failures were cleared."""
    _require_manage_user(actor, user)
    with transaction.atomic():
        cleared = axes_reset(username=user.username)
        audit_record(actor=actor, action="user.unlock", target=user, data={"failures_cleared": cleared})
    return cleared


def _hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str = "", second_factor: bool = False) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret; the secret is shown once and never stored.
    `second_factor`: the caller saw the user pass a two-factor log-in; a user with a device gets no token on
    the strength of a password alone (POST /api/v1/auth/token), else the token would step around the code."""
    if not user.is_active:
        raise NotAllowed(_("An inactive user cannot have API tokens."))
    if not second_factor and TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise NotAllowed(
            _(
                "This account uses two-factor log-in: create API tokens on the “API tokens” page of your account "
                "after logging in."
            )
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name[:80],
        prefix=secret[:10],
        key_hash=_hash_token(secret),
        password_stamp=password_stamp(user.password),
        expires_at=clock.now() + timedelta(days=settings.KEYPROJECTS_API_TOKEN_DAYS),
    )
    token.full_clean(exclude=["key_hash"])
    token.save()
    audit_record(actor=user, action="api_token.create", target=token)
    return token, secret


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    require_actor(actor)
    if token.user_id != actor.pk:
        raise NotAllowed(_("You may only revoke your own tokens."))
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="api_token.revoke", target=token)
    return token


def api_token_authenticate(secret: str) -> User | None:
    """The active user owning this unexpired, unrevoked token, or None."""
    if not secret or not secret.startswith(TOKEN_PREFIX):
        return None
    now = clock.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(
            key_hash=_hash_token(secret), revoked_at__isnull=True, expires_at__gt=now, user__is_active=True
        )
        .first()
    )
    if token is None or not constant_time_compare(token.password_stamp, password_stamp(token.user.password)):
        return None  # unknown, or issued before the owner's password last changed
    # Record use at most once a minute: a script polling the API should not write on every call.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def organisations_bulk_create(
    *,
    actor: User | SystemActor,
    county: Region,
    enterprises: list[Enterprise],
    departments: list[Department],
    leaders: list[User],
) -> None:
    """Register in one go the enterprises, departments and leaders an imported list names and the county does not
    have yet: the given objects carry the Chinese name; English names and slugs are made from the pinyin, leaders
    get no password (an administrator gives them one) and the role of leader in charge in the county."""
    require_manage(actor, county)
    for obj in (*enterprises, *departments):
        obj.region = county
        obj.name_en = obj.name_en or pinyin_name(obj.name_zh)
    taken = set(Enterprise.objects.values_list("slug", flat=True))
    for enterprise in enterprises:
        enterprise.slug = unique_slug(enterprise.name_zh, taken, prefix=county.slug, max_length=80)
    taken = set(Department.objects.values_list("slug", flat=True))
    for department in departments:
        department.slug = unique_slug(department.name_zh, taken, prefix=county.slug, max_length=80)
    taken = set(User.objects.values_list("username", flat=True))
    for leader in leaders:
        leader.username = unique_slug(leader.display_name, taken, max_length=150).replace("-", ".")
        leader.set_unusable_password()
    bulk_create_with_history(enterprises, Enterprise, user=person(actor), reason="import")
    bulk_create_with_history(departments, Department, user=person(actor), reason="import")
    bulk_create_with_history(leaders, User, user=person(actor), reason="import")
    bulk_create_with_history(
        [Membership(user=u, role=Membership.Role.LEADER, region=county) for u in leaders],
        Membership,
        user=person(actor),
        reason="import",
    )
    audit_records(
        actor=actor,
        entries=[("enterprise.create", e, {}) for e in enterprises]
        + [("department.create", d, {}) for d in departments]
        + [("user.create", u, {"role": Membership.Role.LEADER}) for u in leaders],
    )
