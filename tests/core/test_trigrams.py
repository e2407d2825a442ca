"""The search columns' trigram indexes (`thuocdo.core.trigrams`): made on PostgreSQL by
the migrations, absent (and not needed) on SQLite."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import connection

from thuocdo.core import trigrams

SEARCHED = [("org_person", "search_name"), ("work_task", "search_title")]


@pytest.mark.django_db
def test_the_search_columns_carry_a_trigram_index_on_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("trigram indexes are PostgreSQL's (pg_trgm); SQLite scans its tables")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(%s)",
            [[trigrams.index_name(table, column) for table, column in SEARCHED]],
        )
        found = dict(cursor.fetchall())
    for table, column in SEARCHED:
        definition = found[trigrams.index_name(table, column)]
        assert f"ON public.{table} USING gin ({column} gin_trgm_ops)" in definition


@pytest.mark.django_db
def test_no_trigram_index_is_attempted_on_sqlite() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite side of the same migration")
    # an editor that can run nothing: the SQLite path must not try
    editor = SimpleNamespace(connection=connection)
    assert trigrams.create(editor, "org_person", "search_name") is False
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE '%trgm'")
        assert cursor.fetchall() == []
