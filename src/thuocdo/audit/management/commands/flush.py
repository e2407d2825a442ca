"""Django's `flush`, able to empty the audit table despite its append-only triggers.

`flush` empties every table; the test runner calls it after each transactional test.
The audit table refuses DELETE (SQLite) and TRUNCATE (PostgreSQL), so this command lifts
those triggers for its own transaction and puts them back. It needs the table owner's
rights, which the application's role does not have (docs/operations.md).
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from thuocdo.audit.triggers import disabled


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        alias = options.get("database") or DEFAULT_DB_ALIAS
        with transaction.atomic(using=alias), disabled(connections[alias]):
            super().handle(**options)
