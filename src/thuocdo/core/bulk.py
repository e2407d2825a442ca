"""Writing many rows at once: one statement per batch, never one per row.

- `update_rows` sets the same fields on many rows, each with its own values. PostgreSQL:
  the values are COPied into a temporary table, then one `UPDATE … FROM` it; SQLite: one
  prepared `UPDATE … WHERE id = ?` run with executemany (in-process, no round trips).
- `insert_objects` inserts unsaved model instances: COPY on PostgreSQL (ids taken from the
  table's sequence first when rows that follow must point at them), `bulk_create` on SQLite.

Values go through each field's own preparation, so JSON, decimals and moments are stored
exactly as the ORM stores them. Both run in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from django.db import connection, connections, models

BATCH = 1000
M = TypeVar("M", bound=models.Model)


# Field kinds whose database preparation on PostgreSQL hands these Python types to the
# driver unchanged: passing them straight on spares a million method calls per import.
_PLAIN: dict[type[models.Field[Any, Any]], tuple[type, ...]] = {
    models.CharField: (str,),
    models.TextField: (str,),
    models.IntegerField: (int,),
    models.BigIntegerField: (int,),
    models.PositiveIntegerField: (int,),
    models.PositiveSmallIntegerField: (int,),
    models.SmallIntegerField: (int,),
    models.BigAutoField: (int,),
    models.AutoField: (int,),
    models.BooleanField: (bool,),
    models.DecimalField: (Decimal,),
    models.DateField: (dt.date,),
    models.ForeignKey: (int,),
}


def _preparer(fields: Sequence[Any]) -> Callable[[Sequence[Any]], list[Any]]:
    """A function preparing one row of values for `fields` exactly as the ORM would."""
    real = connections[connection.alias]  # not the proxy: looked up once, not per value
    postgres = real.vendor == "postgresql"
    plain = [_PLAIN.get(type(field), ()) if postgres else () for field in fields]
    moments = [postgres and isinstance(field, models.DateTimeField) for field in fields]

    def prepare(values: Sequence[Any]) -> list[Any]:
        out = []
        for field, kinds, moment, value in zip(fields, plain, moments, values, strict=True):
            if value is None or type(value) in kinds:
                out.append(value)
            elif moment and type(value) is dt.datetime and value.tzinfo is not None:
                out.append(value)  # aware moments go to PostgreSQL as they are
            else:
                out.append(field.get_db_prep_save(value, real))
        return out

    return prepare


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
    prepare = _preparer(concrete)
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
                    copy.write_row([row[0], *prepare(row[1:])])
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
            cursor.executemany(sql, [(*prepare(row[1:]), row[0]) for row in part])
        return len(rows)


def insert_objects(objects: Sequence[models.Model], *, batch: int = 2000, ids: bool = False) -> int:
    """Inserts unsaved instances of one model. With `ids`, each instance gets its primary
    key (taken from the table's sequence first on PostgreSQL, read back on SQLite) so
    rows that point at it can follow; without, ids are not read back."""
    if not objects:
        return 0
    model = type(objects[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objects, batch_size=batch)
        return len(objects)
    key: Any = model._meta.pk
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    fields: list[Any] = [
        f for f in model._meta.concrete_fields if ids or not isinstance(f, models.AutoField)
    ]
    names = ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        if ids:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [model._meta.db_table, key.column, len(objects)],
            )
            for obj, (pk,) in zip(objects, cursor.fetchall(), strict=True):
                obj.pk = pk
        prepare = _preparer(fields)
        with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for obj in objects:
                # pre_save: what bulk_create would store (auto_now fields get their moment)
                copy.write_row(prepare([f.pre_save(obj, True) for f in fields]))
    for obj in objects:
        obj._state.adding, obj._state.db = False, connection.alias
    return len(objects)


def build(model: type[M], /, **values: Any) -> M:
    """An unsaved instance, as `model(**values)` makes it, for code that makes thousands.

    Django's keyword constructor walks every field through descriptors; the positional
    one only sets attributes. Values are given by field name or attname; a related object
    is kept in the instance's cache (reading it costs no query); missing fields get
    their defaults."""
    fields, defaults = _layout(model)
    args: list[Any] = []
    related: list[tuple[Any, Any]] = []
    for field, default in zip(fields, defaults, strict=True):
        if field.attname in values:
            args.append(values.pop(field.attname))
        elif field.name in values:
            value = values.pop(field.name)
            if field.is_relation and value is not None:
                related.append((field, value))
                value = value.pk
            args.append(value)
        else:
            args.append(default())
    if values:
        raise TypeError(f"{model.__name__} has no field(s) {', '.join(sorted(values))}")
    instance = model(*args)
    for field, value in related:
        field.set_cached_value(instance, value)
    return instance


def _layout(model: type[models.Model]) -> tuple[list[Any], list[Callable[[], Any]]]:
    layout = _LAYOUTS.get(model)
    if layout is None:
        fields: list[Any] = list(model._meta.concrete_fields)
        layout = _LAYOUTS[model] = (fields, [field._get_default for field in fields])
    return layout


_LAYOUTS: dict[type[models.Model], tuple[list[Any], list[Callable[[], Any]]]] = {}
