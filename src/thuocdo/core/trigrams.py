"""Trigram indexes for the accent-insensitive search (`LIKE '%word%'` on the folded
columns), PostgreSQL only: without one every search reads the whole table, 500,000 tasks
at a ministry's size (docs/dashboards.md, "Search"; docs/operations.md on upgrading).

pg_trgm ships with PostgreSQL and is a trusted extension (the database's owner may create
it). Where it cannot be created the migration goes on without the index, with a warning:
search still answers, only slower. SQLite has no such index and scans its (smaller) tables.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError, migrations, transaction

log = logging.getLogger(__name__)


def index_name(table: str, column: str) -> str:
    return f"{table}_{column}_trgm"


def create(schema_editor: Any, table: str, column: str) -> bool:
    """Creates the trigram index of `table.column`; False when not on PostgreSQL or when
    the extension cannot be created here."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return False
    try:
        with transaction.atomic(using=connection.alias):  # a savepoint: a refusal ends here
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as error:
        log.warning("pg_trgm unavailable (%s): %s.%s searched unindexed", error, table, column)
        return False
    quote = schema_editor.quote_name
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {quote(index_name(table, column))} "
        f"ON {quote(table)} USING gin ({quote(column)} gin_trgm_ops)"
    )
    return True


def drop(schema_editor: Any, table: str, column: str) -> None:
    if schema_editor.connection.vendor == "postgresql":
        quote = schema_editor.quote_name
        schema_editor.execute(f"DROP INDEX IF EXISTS {quote(index_name(table, column))}")


def operation(table: str, column: str) -> migrations.RunPython:
    """The migration step that creates (and on the way back drops) one such index."""

    def forwards(_apps: Any, schema_editor: Any) -> None:
        create(schema_editor, table, column)

    def backwards(_apps: Any, schema_editor: Any) -> None:
        drop(schema_editor, table, column)

    return migrations.RunPython(forwards, backwards, elidable=False)
