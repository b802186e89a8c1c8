"""The audit log: every service that changes business data calls `audit_record`; `audit_entry_list` reads one
object's entries back (the API's /audit, after the caller's scope has found the object)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from keyprojects.core import clock
from keyprojects.core.errors import DomainError
from keyprojects.core.models import AuditEntry
from keyprojects.core.rows import insert_rows
from keyprojects.core.workflow import person

# The address the current request comes from (set by accounts.middleware.RequestAddressMiddleware, which
# knows which proxies to trust); None outside a request (a worker task, a management command).
_request_address: ContextVar[str | None] = ContextVar("keyprojects_request_address", default=None)


def current_address() -> str | None:
    """The client address of the request being served, for the audit log and the history rows."""
    return _request_address.get()


@contextmanager
def acting_from(address: str | None) -> Iterator[None]:
    """Every audit record and history row written inside carries `address`."""
    token = _request_address.set(address or None)
    try:
        yield
    finally:
        _request_address.reset(token)


def audit_record(*, actor: Any, action: str, target: models.Model, data: dict | None = None) -> AuditEntry:
    """`actor`: the user who acted, or SYSTEM (recorded without a person); None is refused (TypeError)."""
    return AuditEntry.objects.create(
        actor=person(actor),
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_repr=str(target)[:255],
        data=data or {},
        address=current_address(),
    )


def audit_records(*, actor: Any, entries: list[tuple[str, models.Model, dict]]) -> None:
    """Many records at once (an import of thousands of rows), as plain rows."""
    actor_id, at, address = getattr(person(actor), "pk", None), clock.now(), current_address()
    insert_rows(
        AuditEntry,
        ["at", "actor", "address", "action", "target_type", "target_id", "target_repr", "data"],
        (
            (at, actor_id, address, action, target._meta.label_lower, str(target.pk), str(target)[:255], data)
            for action, target, data in entries
        ),
    )


def _day_start(day: date, *, field: str) -> datetime:
    """Midnight starting `day` in the county's time zone; a day outside the years the system handles is
    refused (400), naming the parameter."""
    try:
        clock.validate_day(day)
    except ValidationError as exc:
        raise DomainError(
            _("%(field)s: %(error)s") % {"field": field, "error": exc.messages[0]}, field=field
        ) from None
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_entry_list(
    *, target: models.Model, action: str = "", since: date | None = None, until: date | None = None
) -> models.QuerySet[AuditEntry]:
    """The entries of one object, newest first, with their actors: only `action` if given, from the start of
    day `since` through the end of day `until` (both optional, in the county's time). Whether the caller may
    read this object's log is decided before, by the selector that found the object."""
    entries = AuditEntry.objects.filter(target_type=target._meta.label_lower, target_id=str(target.pk))
    if action:
        entries = entries.filter(action=action)
    if since is not None:
        entries = entries.filter(at__gte=_day_start(since, field="since"))
    if until is not None:
        # The day after the last one ends the range (MAX_YEAR is far from date.max: the day after exists).
        entries = entries.filter(at__lt=_day_start(until, field="until") + timedelta(days=1))
    if since is not None and until is not None and since > until:
        error = _("Give a day on or after the day of “since”.")
        raise DomainError(_("%(field)s: %(error)s") % {"field": "until", "error": error}, field="until")
    return entries.select_related("actor")
