"""Row locks and version checks: concurrent writes take effect one at a time and never overwrite silently."""

from __future__ import annotations

from typing import TypeVar

from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from keyprojects.core.errors import Conflict
from keyprojects.core.models import AuditEntry

M = TypeVar("M", bound=models.Model)


def lock_fresh(instance: M) -> M:
    """Lock the instance's row until the transaction ends and reload it in place, so that the checks that
    follow see the latest committed state and nobody changes the row before the caller commits.

    PostgreSQL: SELECT … FOR UPDATE, a second caller waits here and then reads what the first wrote. SQLite
    has no row locks; it lets one writer at a time. Cached related objects whose key is unchanged are kept.
    """
    related = {
        field: field.get_cached_value(instance)
        for field in instance._meta.concrete_fields
        if field.is_relation and field.is_cached(instance)
    }
    instance.refresh_from_db(from_queryset=type(instance)._base_manager.select_for_update())
    for field, value in related.items():
        key = getattr(instance, field.attname)
        if value is not None and key == getattr(value, field.target_field.attname):
            field.set_cached_value(instance, value)
    return instance


def _last_change(instance: models.Model) -> tuple[str, str] | None:
    """Who changed the object last, and when: its latest audit entry (every service writes one), else its
    latest django-simple-history record."""
    entry = (
        AuditEntry.objects.filter(target_type=instance._meta.label_lower, target_id=str(instance.pk))
        .select_related("actor")
        .order_by("-at", "-id")
        .first()
    )
    if entry is not None:
        who, at = entry.actor, entry.at
    else:
        history = getattr(instance, "history", None)
        record = history.select_related("history_user").first() if history is not None else None
        if record is None:
            return None
        who, at = record.history_user, record.history_date
    when = formats.date_format(timezone.localtime(at), "SHORT_DATETIME_FORMAT")
    return (str(who) if who else _("the system")), when


def already_changed(instance: models.Model, *, status: str) -> Conflict:
    """The refusal for an action that came too late: someone changed the object since the caller read it."""
    change = _last_change(instance)
    name = instance._meta.verbose_name
    if change is None:
        return Conflict(
            _("This %(object)s was already changed by someone else (now “%(status)s”).")
            % {"object": name, "status": status}
        )
    return Conflict(
        _("This %(object)s was already changed by %(user)s at %(time)s (now “%(status)s”).")
        % {"object": name, "user": change[0], "time": change[1], "status": status}
    )


def saved_meanwhile(model: models.Model | type[models.Model]) -> Conflict:
    """The refusal for an edit made on a form that someone else's save has overtaken."""
    return Conflict(
        _(
            "Someone else saved this %(object)s since you opened it; your changes were not saved. "
            "Reload to see their changes."
        )
        % {"object": model._meta.verbose_name}
    )


def claim_version(instance: models.Model, *, expected_version: int | None) -> None:
    """On a freshly locked row: refuse if it was saved since the person opened it at `expected_version`
    (None: no check, for the system and scripts), else take the next version, stored with the instance."""
    if expected_version is not None and instance.version != expected_version:
        raise saved_meanwhile(instance)
    instance.version += 1
