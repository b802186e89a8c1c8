"""History rows (django-simple-history): the client address on each, writes of many rows that keep their history,
and the field-level changes of an object's versions for its history page."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection, models
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from simple_history import utils as simple_history_utils

from keyprojects.core.audit import current_address
from keyprojects.core.money import format_money
from keyprojects.core.rows import ID_SLICE

# Fields every save changes by itself: a version that changed only these changed nothing a person did.
BOOKKEEPING_FIELDS = frozenset({"id", "created_at", "updated_at", "version"})


class AddressedHistory(models.Model):
    """The base of every historical model (`HistoricalRecords(bases=[AddressedHistory])`): the address the
    change came from, beside simple_history's who, when and why."""

    history_address = models.GenericIPAddressField(gettext_lazy("IP address"), null=True, blank=True)

    class Meta:
        abstract = True


def stamp_address(sender: Any, history_instance: models.Model, **kwargs: Any) -> None:
    """Receiver of simple_history's pre_create_historical_record (connected in CoreConfig.ready): each history
    row written by a save or a delete carries the address of the request being served (None outside one)."""
    if hasattr(history_instance, "history_address"):
        history_instance.history_address = current_address()


# ---- many rows at once --------------------------------------------------------------------------------------
# simple_history's bulk helpers send no signal: the address is passed to them as a custom attribute.


def bulk_create_with_history(
    objs: Sequence[models.Model],
    model: type[models.Model],
    *,
    user: Any = None,
    reason: str = "",
    batch_size: int | None = None,
) -> list[models.Model]:
    """`Model.objects.bulk_create` with a '+' history row for each (who: `user`, or the request's user)."""
    return simple_history_utils.bulk_create_with_history(
        objs,
        model,
        batch_size=batch_size,
        default_user=user,
        default_change_reason=reason,
        custom_historical_attrs={"history_address": current_address()},
    )


def bulk_update_with_history(
    objs: Sequence[models.Model],
    model: type[models.Model],
    fields: Sequence[str],
    *,
    user: Any = None,
    reason: str = "",
    batch_size: int | None = None,
) -> int:
    """`Model.objects.bulk_update` with a '~' history row for each."""
    return simple_history_utils.bulk_update_with_history(
        objs,
        model,
        list(fields),
        batch_size=batch_size,
        default_user=user,
        default_change_reason=reason,
        custom_historical_attrs={"history_address": current_address()},
    )


def copy_history(
    model: type[models.Model],
    ids: Sequence[Any],
    *,
    by: str = "pk",
    kind: str,
    when: datetime,
    user_id: int | None,
    reason: str,
) -> None:
    """Write the history rows of the stored rows whose `by` field (the primary key, or a foreign key such as a
    plan's months' `plan`) is in `ids`, as simple_history records a save of each: the row's values, `when`,
    `reason`, `kind`, the user and the request's address. Copied by the database itself (INSERT … SELECT): for
    the hundreds of thousands of rows of an import, building a historical object per row was half the write.
    The many-to-many fields whose history the model keeps get theirs too."""
    meta, history = model._meta, model.history.model
    quote = connection.ops.quote_name
    table, history_table = quote(meta.db_table), quote(history._meta.db_table)
    columns = ", ".join(quote(f.column) for f in meta.concrete_fields)
    key = quote(meta.pk.column if by == "pk" else meta.get_field(by).column)
    stamp = [connection.ops.adapt_datetimefield_value(when), reason[:100], kind, user_id, current_address()]
    m2m = _m2m_histories(model)
    with connection.cursor() as cursor:
        for start in range(0, len(ids), ID_SLICE):
            part = list(ids[start : start + ID_SLICE])
            marks = ", ".join(["%s"] * len(part))
            cursor.execute(
                f"INSERT INTO {history_table} ({columns}, history_date, history_change_reason, history_type, "  # noqa: S608
                f"history_user_id, history_address) SELECT {columns}, %s, %s, %s, %s, %s FROM {table} "
                f"WHERE {key} IN ({marks})",
                [*stamp, *part],
            )
            for through, owner, m2m_table, through_columns in m2m:
                # The links as they are now, tied to the history rows just written (same time, same kind).
                cursor.execute(
                    f"INSERT INTO {m2m_table} ({', '.join(through_columns)}, history_id) "  # noqa: S608
                    f"SELECT {', '.join('t.' + c for c in through_columns)}, h.history_id "
                    f"FROM {through} t JOIN {history_table} h ON h.{quote(meta.pk.column)} = t.{owner} "
                    f"WHERE h.history_date = %s AND h.history_type = %s AND t.{owner} IN "
                    f"(SELECT {quote(meta.pk.column)} FROM {table} WHERE {key} IN ({marks}))",
                    [stamp[0], kind, *part],
                )


def _m2m_histories(model: type[models.Model]) -> list[tuple[str, str, str, list[str]]]:
    """(through table, its column of the model, the history table of the links, the through's columns) for each
    many-to-many field the model's history keeps."""
    quote = connection.ops.quote_name
    found = []
    history = model.history.model
    for m2m_field in getattr(history, "_history_m2m_fields", []):
        through = m2m_field.remote_field.through
        owner = next(f for f in through._meta.concrete_fields if f.related_model is model)
        m2m_history = _m2m_history_model(history, m2m_field)
        found.append(
            (
                quote(through._meta.db_table),
                quote(owner.column),
                quote(m2m_history._meta.db_table),
                [quote(f.column) for f in through._meta.concrete_fields],
            )
        )
    return found


def _m2m_history_model(history: type[models.Model], m2m_field: models.ManyToManyField) -> type[models.Model]:
    """The model simple_history keeps the links of `m2m_field` in, one row per link and history row."""
    through = m2m_field.remote_field.through
    return next(
        rel.related_model
        for rel in history._meta.related_objects
        if {f.column for f in through._meta.concrete_fields}
        <= {f.column for f in rel.related_model._meta.concrete_fields}
    )


# ---- reading: the versions of objects and what each changed -------------------------------------------------


@dataclass
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class Version:
    """One history row of one object, with what it changed against the object's version before it."""

    when: datetime
    who: Any  # the user, or None (the system: the demo, a script, a task without a person)
    address: str | None
    reason: str
    kind: str  # "+" created, "~" changed, "-" deleted
    subject: str  # what changed: the object ("Key project JL-001", "Milestone: 开工")
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return {
            "+": pgettext("history", "created"),
            "~": pgettext("history", "changed"),
            "-": pgettext("history", "deleted"),
        }.get(self.kind, self.kind)


def versions(
    records: Iterable[models.Model],
    *,
    subject: Any = None,
    money_fields: Iterable[str] = (),
    hidden_fields: Iterable[str] = (),
    unit: str = "wan",
) -> list[Version]:
    """The versions of the objects whose history rows are `records` (of one historical model; select the
    history user with them), newest first, each with its field changes against the same object's version
    before it. `subject(record)` names the object a row belongs to (default: the model's name); amounts of
    `money_fields` are shown as money (in 万元 or 亿元: `unit`); `hidden_fields` are never shown. A fixed number of queries, whatever the
    number of rows: the names of related objects and the links of many-to-many fields are read once."""
    records = sorted(records, key=lambda r: (r.history_date, r.history_id))
    if not records:
        return []
    history = type(records[0])
    source = history.instance_type
    hidden = BOOKKEEPING_FIELDS | set(hidden_fields)
    money = set(money_fields)
    shown = [f for f in history.tracked_fields if f.name not in hidden and f.attname not in hidden]
    links = _m2m_links(records, history)
    names = _related_names(records, shown, links)
    previous: dict[Any, models.Model] = {}
    found = []
    for record in records:
        before = previous.get(record.id)
        previous[record.id] = record
        changes = []
        if before is None or record.history_type != "-":
            for f in shown:
                old = getattr(before, f.attname) if before is not None else None
                new = getattr(record, f.attname)
                if before is not None and old == new:
                    continue
                if before is None and new in (None, ""):
                    continue  # a created object: only the fields it was given
                changes.append(
                    FieldChange(
                        str(f.verbose_name),
                        _shown(f, old, names, money, unit) if before is not None else "",
                        _shown(f, new, names, money, unit),
                    )
                )
            for m2m_field, by_record in links.items():
                new_links = by_record.get(record.history_id, frozenset())
                old_links = (
                    by_record.get(before.history_id, frozenset()) if before is not None else frozenset()
                )
                if new_links != old_links:
                    changes.append(
                        FieldChange(
                            str(m2m_field.verbose_name),
                            _names_of(old_links, names[m2m_field.related_model]),
                            _names_of(new_links, names[m2m_field.related_model]),
                        )
                    )
        if (
            before is not None
            and not changes
            and record.history_type == "~"
            and not record.history_change_reason
        ):
            continue  # a save that changed nothing shown (the version number, the time of update)
        found.append(
            Version(
                when=record.history_date,
                who=record.history_user,
                address=getattr(record, "history_address", None),
                reason=record.history_change_reason or "",
                kind=record.history_type,
                subject=str(subject(record) if subject else source._meta.verbose_name),
                changes=changes,
            )
        )
    found.reverse()
    return found


def merged(*timelines: list[Version]) -> list[Version]:
    """Several objects' versions in one timeline, newest first."""
    return sorted((v for timeline in timelines for v in timeline), key=lambda v: v.when, reverse=True)


def _related_names(
    records: list[models.Model], shown: list[models.Field], links: dict[models.Field, dict]
) -> dict[type[models.Model], dict[Any, str]]:
    """The names of every object the rows' foreign keys and links point to, one query per related model."""
    wanted: dict[type[models.Model], set] = defaultdict(set)
    for f in shown:
        if f.is_relation and f.related_model is not None:
            wanted[f.related_model] |= {getattr(r, f.attname) for r in records} - {None}
    for m2m_field, by_record in links.items():
        for linked in by_record.values():
            wanted[m2m_field.related_model] |= linked
    names: dict[type[models.Model], dict[Any, str]] = defaultdict(dict)
    for model, ids in wanted.items():
        if ids:
            names[model] = {obj.pk: str(obj) for obj in model._base_manager.filter(pk__in=ids)}
    return names


def _m2m_links(records: list[models.Model], history: type[models.Model]) -> dict[models.Field, dict]:
    """For each many-to-many field the history keeps: history row id → the ids linked in that version."""
    found = {}
    for m2m_field in getattr(history, "_history_m2m_fields", []):
        m2m_history = _m2m_history_model(history, m2m_field)
        target = next(
            f.attname for f in m2m_history._meta.concrete_fields if f.related_model is m2m_field.related_model
        )
        by_record: dict[Any, set] = defaultdict(set)
        for history_id, linked in m2m_history.objects.filter(
            history_id__in=[r.history_id for r in records]
        ).values_list("history_id", target):
            by_record[history_id].add(linked)
        found[m2m_field] = {k: frozenset(v) for k, v in by_record.items()}
    return found


def _names_of(ids: frozenset, names: dict[Any, str]) -> str:
    return "、".join(sorted(names.get(i, str(i)) for i in ids)) or "—"


def _shown(f: models.Field, value: Any, names: dict, money: set[str], unit: str) -> str:
    """A stored value as a person reads it: a choice by its label, a related object by its name, money in 万元
    or millions, a date as a date."""
    if value is None or value == "":
        return "—"
    if f.is_relation and f.related_model is not None:
        return names[f.related_model].get(value, str(value))
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if f.name in money:
        return format_money(value, unit)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value), "Y-m-d H:i")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return formats.number_format(value, use_l10n=True)
    return str(value)
