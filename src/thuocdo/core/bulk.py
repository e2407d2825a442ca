"""Writing many rows at once: one statement per batch, never one per row.

`update_rows` sets the same fields on many rows, each with its own values:
PostgreSQL gets `UPDATE … FROM (VALUES …)` (one statement per batch), SQLite one prepared
`UPDATE … WHERE id = ?` run with executemany (in-process, no round trips). Values go
through each field's own preparation, so JSON, decimals and moments are stored exactly
as the ORM stores them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models

BATCH = 1000


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
    pk = quote(key.column)
    columns = [quote(field.column) for field in concrete]

    def prepared(row: tuple[Any, ...]) -> list[Any]:
        pairs = zip(concrete, row[1:], strict=True)
        return [row[0], *(field.get_db_prep_save(value, connection) for field, value in pairs)]

    written = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            types = [key.db_type(connection)] + [field.db_type(connection) for field in concrete]
            cells = "(" + ", ".join(f"%s::{kind}" for kind in types) + ")"
            names = ", ".join(["id", *[f"c{i}" for i in range(len(columns))]])
            sets = ", ".join(f"{column} = v.c{i}" for i, column in enumerate(columns))
            for start in range(0, len(rows), batch):
                part = rows[start : start + batch]
                sql = (
                    f"UPDATE {table} AS t SET {sets} FROM (VALUES "
                    + ", ".join([cells] * len(part))
                    + f") AS v({names}) WHERE t.{pk} = v.id"
                )
                cursor.execute(sql, [value for row in part for value in prepared(row)])
                written += cursor.rowcount
        else:
            sets = ", ".join(f"{column} = %s" for column in columns)
            sql = f"UPDATE {table} SET {sets} WHERE {pk} = %s"
            for start in range(0, len(rows), batch):
                values = [prepared(row) for row in rows[start : start + batch]]
                cursor.executemany(sql, [(*value[1:], value[0]) for value in values])
                written += len(values)
    return written
