"""Writes of the robots page: an office adds, changes, removes and tests its region's chat robots."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from keyprojects.accounts.models import Region, User
from keyprojects.core.audit import audit_record
from keyprojects.core.errors import DomainError, NotAllowed
from keyprojects.core.workflow import require_actor
from keyprojects.problems import delivery
from keyprojects.problems.models import Webhook
from keyprojects.robots import selectors


def _require_office(actor: User, robot_region: Region) -> None:
    require_actor(actor)
    if not selectors.robot_regions(user=actor).filter(pk=robot_region.pk).exists():
        raise NotAllowed(_("Only the project office of the region can configure its robots."))


def _owner_region(robot: Webhook) -> Region:
    return robot.region if robot.region_id else robot.department.region


def _check(robot: Webhook) -> None:
    if robot.kind == Webhook.Kind.GENERIC and not robot.secret:
        raise DomainError(_("A generic webhook needs a signing secret."), field="secret")
    unknown = set(robot.events) - set(Webhook.Event.values)
    if unknown:
        raise DomainError(
            _("Unknown events: %(events)s") % {"events": ", ".join(sorted(unknown))}, field="events"
        )
    robot.full_clean()


def _audit(actor: User, action: str, robot: Webhook) -> None:
    # Never the secret nor the URL (it carries the chat app's access token): what changed, not its keys.
    data = {
        "kind": robot.kind,
        "events": robot.events,
        "active": robot.active,
        "region": _owner_region(robot).slug,
    }
    audit_record(actor=actor, action=action, target=robot, data=data)


@transaction.atomic
def robot_create(
    *,
    actor: User,
    region: Region,
    kind: str,
    url: str,
    name: str = "",
    secret: str = "",
    events: list[str] | None = None,
    active: bool = True,
) -> Webhook:
    _require_office(actor, region)
    robot = Webhook(
        region=region, kind=kind, url=url, name=name, secret=secret, events=list(events or []), active=active
    )
    _check(robot)
    robot.save()
    _audit(actor, "robot.create", robot)
    return robot


@transaction.atomic
def robot_update(
    *,
    actor: User,
    robot: Webhook,
    kind: str,
    url: str,
    name: str = "",
    secret: str | None = None,
    events: list[str] | None = None,
    active: bool = True,
) -> Webhook:
    """Change a robot; `secret` None keeps the saved one, "" removes it."""
    _require_office(actor, _owner_region(robot))
    robot.kind, robot.url, robot.name, robot.events, robot.active = (
        kind,
        url,
        name,
        list(events or []),
        active,
    )
    if secret is not None:
        robot.secret = secret
    _check(robot)
    robot.save()
    _audit(actor, "robot.update", robot)
    return robot


@transaction.atomic
def robot_delete(*, actor: User, robot: Webhook) -> None:
    """Remove a robot and its delivery log (switching it off keeps both)."""
    _require_office(actor, _owner_region(robot))
    _audit(actor, "robot.delete", robot)
    robot.delete()


def robot_send_test(*, actor: User, robot: Webhook) -> str:
    """Send the robot a test message now; returns "" when it was taken, else why not (the office reads it)."""
    _require_office(actor, _owner_region(robot))
    try:
        delivery.send_test(robot)
    except delivery.DeliveryFailed as exc:
        error = str(exc) or "failed"
    else:
        error = ""
    audit_record(actor=actor, action="robot.test", target=robot, data={"error": error[:500]})
    return error
