"""Many plain rows at once, for the writes of an import of thousands of rows.

`bulk_create` builds a model object per row and prepares every value field by field; with django-simple-history
each row gets a second, historical object too. For the hundreds of thousands of rows of a large import (each
project brings milestones, guarantees, planned months, audit entries) that per-object work was most of the
write. Here rows are tuples: PostgreSQL takes them by COPY, SQLite by one prepared INSERT; the history rows of
what is inserted here are copied from the stored rows by the database itself (core.history.copy_history).

Nothing here checks business rules: the services that call it have done that.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
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
