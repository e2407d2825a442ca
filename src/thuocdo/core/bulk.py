"""Writing many rows at once: one statement per batch, never one per row.

- `update_rows` sets the same fields on many rows, each with its own values. PostgreSQL:
  the values are COPied into a temporary table, then one `UPDATE … FROM` it; SQLite: one
  prepared `UPDATE … WHERE id = ?` run with executemany (in-process, no round trips).
- `insert_objects` inserts unsaved model instances: COPY on PostgreSQL, `bulk_create` on
  SQLite.

Values go through each field's own preparation, so JSON, decimals and moments are stored
exactly as the ORM stores them. Both run in the caller's transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from django.db import connection, models

BATCH = 1000


def _prepared(fields: Sequence[Any], values: Sequence[Any]) -> list[Any]:
    return [
        field.get_db_prep_save(value, connection)
        for field, value in zip(fields, values, strict=True)
    ]


def update_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    batch: int = BATCH,
) -> int:
    """Each row is (pk, value of fields[0], value of fields[1], …). Returns rows written."""
    if not rows:
        return 0
    concrete: list[Any] = [model._meta.get_field(name) for name in fields]
    key: Any = model._meta.pk
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = [quote(field.column) for field in concrete]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            scratch = quote(f"bulk_{uuid.uuid4().hex[:12]}")
            kinds = [key.db_type(connection), *(f.db_type(connection) for f in concrete)]
            names = ["id", *(f"c{i}" for i in range(len(columns)))]
            cursor.execute(
                f"CREATE TEMP TABLE {scratch} ("
                + ", ".join(f"{n} {k}" for n, k in zip(names, kinds, strict=True))
                + ")"
            )
            with cursor.cursor.copy(f"COPY {scratch} ({', '.join(names)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[0], *_prepared(concrete, row[1:])])
            sets = ", ".join(f"{column} = s.c{i}" for i, column in enumerate(columns))
            cursor.execute(
                f"UPDATE {table} AS t SET {sets} FROM {scratch} AS s "
                f"WHERE t.{quote(key.column)} = s.id"
            )
            written = cursor.rowcount
            cursor.execute(f"DROP TABLE {scratch}")
            return written
        sets = ", ".join(f"{column} = %s" for column in columns)
        sql = f"UPDATE {table} SET {sets} WHERE {quote(key.column)} = %s"
        for start in range(0, len(rows), batch):
            part = rows[start : start + batch]
            cursor.executemany(sql, [(*_prepared(concrete, row[1:]), row[0]) for row in part])
        return len(rows)


def insert_objects(objects: Sequence[models.Model], *, batch: int = 2000) -> int:
    """Inserts unsaved instances of one model (their ids are not read back)."""
    if not objects:
        return 0
    model = type(objects[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objects, batch_size=batch)
        return len(objects)
    fields: list[Any] = [
        f for f in model._meta.concrete_fields if not isinstance(f, models.AutoField)
    ]
    quote = connection.ops.quote_name
    names = ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        sql = f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            for obj in objects:
                copy.write_row(_prepared(fields, [getattr(obj, f.attname) for f in fields]))
    return len(objects)
