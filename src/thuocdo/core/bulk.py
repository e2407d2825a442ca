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
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django.db import connection, connections, models
from django.db.models import signals
from django.db.models.base import ModelState

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
    texts = [postgres and isinstance(field, models.JSONField) for field in fields]

    def prepare(values: Sequence[Any]) -> list[Any]:
        out = []
        made: dict[int, str] = {}  # one object in two JSON columns of a row: encoded once
        for field, kinds, moment, text, value in zip(
            fields, plain, moments, texts, values, strict=True
        ):
            if value is None or type(value) in kinds:
                out.append(value)
            elif moment and type(value) is dt.datetime and value.tzinfo is not None:
                out.append(value)  # aware moments go to PostgreSQL as they are
            elif text:
                # the text Django's adapter would send (json.dumps with the field's encoder)
                if id(value) not in made:
                    made[id(value)] = json.dumps(value, cls=field.encoder)
                out.append(made[id(value)])
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
        attnames = [f.attname for f in fields]
        # pre_save: what bulk_create would store (auto_now fields get their moment); the
        # other fields store their attribute as it is, read without a call per value
        stamped = [(i, f) for i, f in enumerate(fields) if _stamps(f)]
        with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for obj in objects:
                held = obj.__dict__  # an unsaved instance holds every field
                row = [held[name] for name in attnames]
                for i, f in stamped:
                    row[i] = f.pre_save(obj, True)
                copy.write_row(prepare(row))
    for obj in objects:
        obj._state.adding, obj._state.db = False, connection.alias
    return len(objects)


def _stamps(field: Any) -> bool:
    """Whether the field's pre_save may give something other than its attribute."""
    if type(field).pre_save is models.Field.pre_save:
        return False
    if isinstance(field, models.DateField | models.TimeField):
        return bool(field.auto_now or field.auto_now_add)
    return True


def build(model: type[M], /, **values: Any) -> M:
    """An unsaved instance, as `model(**values)` makes it, for code that makes thousands.

    Django's keyword constructor walks every field through descriptors; this sets the
    values straight into the instance (through the positional constructor when something
    listens to the model's init signals). Values are given by field name or attname; a
    related object is kept in the instance's cache (reading it costs no query); missing
    fields get their defaults."""
    layout = _layout(model)
    data: dict[str, Any] = {}
    related: list[tuple[Any, Any]] = []
    for name, value in values.items():
        field = layout.by_name.get(name)
        if field is None:
            raise TypeError(f"{model.__name__} has no field(s) {name}")
        if name != field.attname and field.is_relation and value is not None:
            related.append((field, value))
            value = value.pk
        data[field.attname] = value
    for attname, default in layout.defaults:
        if attname not in data:
            data[attname] = default()
    if layout.signalled:
        instance = model(*(data[attname] for attname, _ in layout.defaults))
        for field, value in related:
            field.set_cached_value(instance, value)
        return instance
    instance = model.__new__(model)
    state = instance._state = ModelState()
    state.fields_cache = {field.cache_name: value for field, value in related}
    instance.__dict__.update(data)
    return instance


@dataclass(frozen=True)
class _Layout:
    by_name: dict[str, Any]  # field name and attname → field
    defaults: list[tuple[str, Callable[[], Any]]]  # (attname, default) in field order
    signalled: bool  # something listens to the model's pre_init or post_init


def _layout(model: type[models.Model]) -> _Layout:
    layout = _LAYOUTS.get(model)
    if layout is None:
        fields: list[Any] = list(model._meta.concrete_fields)
        by_name = {field.name: field for field in fields}
        by_name.update((field.attname, field) for field in fields)
        signalled = signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model)
        defaults = [(field.attname, field._get_default) for field in fields]
        layout = _LAYOUTS[model] = _Layout(by_name, defaults, signalled)
    return layout


_LAYOUTS: dict[type[models.Model], _Layout] = {}
