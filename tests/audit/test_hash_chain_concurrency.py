"""Writers appending to one audit chain at once queue on its head; the chain never forks
(PostgreSQL: SQLite serialises writers anyway)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from tests.threads import run_at_once
from thuocdo.audit.models import AuditChainHead, AuditEntry
from thuocdo.audit.services import build_entry, record, record_many
from thuocdo.audit.verify import verify_audit

WRITERS, EACH = 8, 10


def test_concurrent_appends_never_fork_the_chain(transactional_db: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL: set DATABASE_URL")
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            start.wait(10)
            for step in range(EACH):
                with transaction.atomic():
                    if step % 3 == 0:
                        record_many(
                            [build_entry(actor=None, action=f"test.bulk{number}") for _ in range(3)]
                        )
                    else:
                        record(actor=None, action=f"test.one{number}", reason=str(step))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    run_at_once(writer, WRITERS, timeout=60)
    assert errors == []
    count = AuditEntry.objects.filter(agency_id=None).count()
    assert count == WRITERS * (4 * 3 + 6)
    assert AuditChainHead.objects.get(chain=0).length == count
    report = verify_audit()
    assert report.broken is None, report.broken
    hashes = list(AuditEntry.objects.filter(agency_id=None).values_list("prev_hash", flat=True))
    assert len(set(hashes)) == len(hashes)  # no two entries share a predecessor
