"""Many plain rows at once, for the writes of an import of thousands of rows.

`bulk_create` builds a model object per row and prepares every value field by field; with django-simple-history
each row gets a second, historical object too. For the hundreds of thousands of rows of a large import (each
project brings milestones, guarantees, planned months, audit entries) that per-object work was most of the
write. Here rows are tuples: PostgreSQL takes them by COPY, SQLite by one prepared INSERT; and history rows are
copied from the stored rows by the database itself (INSERT … SELECT), so they are what simple_history would
have written: the row as stored, with the time, the user, the reason and the kind ('+' created, '~' changed).

Nothing here checks business rules: the services that call it have done that.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import connection, models

# Ids per INSERT … SELECT: SQLite binds at most 999 values in one statement.
ID_SLICE = 500


def _adapter(field: models.Field) -> Callable[[Any], Any] | None:
    """How a value reaches the driver: dates, datetimes and decimals as the backend stores them (SQLite keeps
    them as text), JSON as text; everything else as it is."""
    if isinstance(field, models.JSONField):
        return lambda value: json.dumps(value, ensure_ascii=False, cls=field.encoder)
    if connection.vendor == "postgresql":
        return None  # psycopg sends dates, datetimes and decimals itself
    if isinstance(field, models.DateField | models.DecimalField):
        return lambda value: field.get_db_prep_save(value, connection)
    return None


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert `rows` (tuples of the values of `fields`, foreign keys as ids) into the model's table, in the
    caller's transaction. Answers the number of rows."""
    meta = model._meta
    chosen = [meta.get_field(name) for name in fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in chosen)
    table = connection.ops.quote_name(meta.db_table)
    adapters = [(i, a) for i, a in ((i, _adapter(f)) for i, f in enumerate(chosen)) if a is not None]

    def adapted(row: Sequence[Any]) -> Sequence[Any]:
        if not adapters:
            return row
        values = list(row)
        for i, adapt in adapters:
            if values[i] is not None:
                values[i] = adapt(values[i])
        return values

    # Every row is made before the statement starts: making one may query (a related object's name), and the
    # connection takes no other statement while a COPY is open — it would wait for itself for ever.
    values = [adapted(row) for row in rows]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(chosen))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", values)  # noqa: S608
    return len(values)


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
    `reason`, `kind` and the user. The many-to-many fields whose history the model keeps get theirs too."""
    meta, history = model._meta, model.history.model
    quote = connection.ops.quote_name
    table, history_table = quote(meta.db_table), quote(history._meta.db_table)
    columns = ", ".join(quote(f.column) for f in meta.concrete_fields)
    key = quote(meta.pk.column if by == "pk" else meta.get_field(by).column)
    stamp = [connection.ops.adapt_datetimefield_value(when), reason[:100], kind, user_id]
    m2m = _m2m_histories(model)
    with connection.cursor() as cursor:
        for start in range(0, len(ids), ID_SLICE):
            part = list(ids[start : start + ID_SLICE])
            marks = ", ".join(["%s"] * len(part))
            cursor.execute(
                f"INSERT INTO {history_table} ({columns}, history_date, history_change_reason, history_type, "  # noqa: S608
                f"history_user_id) SELECT {columns}, %s, %s, %s, %s FROM {table} WHERE {key} IN ({marks})",
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
    for field in getattr(history, "_history_m2m_fields", []):
        through = field.remote_field.through
        owner = next(f for f in through._meta.concrete_fields if f.related_model is model)
        m2m_history = next(
            rel.related_model
            for rel in history._meta.related_objects
            if {f.column for f in through._meta.concrete_fields}
            <= {f.column for f in rel.related_model._meta.concrete_fields}
        )
        found.append(
            (
                quote(through._meta.db_table),
                quote(owner.column),
                quote(m2m_history._meta.db_table),
                [quote(f.column) for f in through._meta.concrete_fields],
            )
        )
    return found
