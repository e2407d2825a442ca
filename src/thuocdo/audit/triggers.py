"""The database's own refusal to change audit rows (migrations 0003 and 0005).

PostgreSQL: row triggers refuse UPDATE and DELETE, a statement trigger refuses TRUNCATE.
SQLite: triggers refuse UPDATE and DELETE (it has no TRUNCATE; `DELETE FROM` without a
WHERE clause fires the DELETE trigger, as a table with triggers is never truncated).
The table's owner can still lift them (ALTER TABLE … DISABLE TRIGGER, DROP TRIGGER): so
the application runs as a role that does not own the table (docs/operations.md), and the
hash chain (thuocdo.audit.chain) shows what an owner changed behind the triggers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'audit_auditentry is append-only: ' || TG_OP || ' refused';
END;
$$ LANGUAGE plpgsql;
"""
PG_TRUNCATE_UP = """
CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only();
"""
PG_TRUNCATE_DOWN = "DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_auditentry;"

SQLITE_UPDATE = """
CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_auditentry
BEGIN
    SELECT RAISE(ABORT, 'audit_auditentry is append-only (UPDATE refused)');
END;
"""
SQLITE_DELETE = """
CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_auditentry
BEGIN
    SELECT RAISE(ABORT, 'audit_auditentry is append-only (DELETE refused)');
END;
"""


@contextmanager
def disabled(connection: Any) -> Iterator[None]:
    """Lifts the triggers inside the caller's transaction (owner only); put back after.

    On an error the caller's transaction rolls back, which puts them back as well."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # ALTER TABLE refuses while deferred foreign-key checks are pending: run them.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER USER")
        elif connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS audit_entry_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS audit_entry_no_delete")
    yield
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER USER")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        elif connection.vendor == "sqlite":
            cursor.execute(SQLITE_UPDATE)
            cursor.execute(SQLITE_DELETE)
