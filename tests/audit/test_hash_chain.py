"""Each audit entry's hash covers its content and its predecessor's; verify_audit walks the
chains and names the first broken entry, whatever an owner did behind the triggers."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from tests.conftest import Cast
from thuocdo.audit import chain
from thuocdo.audit.models import AuditChainHead, AuditEntry
from thuocdo.audit.services import build_entry, record, record_many
from thuocdo.audit.triggers import disabled
from thuocdo.audit.verify import verify_audit

COLUMNS = (
    "at, actor_id, actor_name, agency_id, action, object_type, object_id, object_repr, "
    '"before", "after", reason, channel, ip, user_agent, path, request_id, prev_hash, hash'
)


def _entries(cast: Cast, count: int = 4) -> list[AuditEntry]:
    return [
        record(actor=None, action=f"test.step{i}", agency_id=cast.agency_a.pk, reason=f"#{i}")
        for i in range(count)
    ]


def _sql(sql: str, params: list[object] | None = None) -> None:
    with transaction.atomic(), disabled(connection), connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def _broken_id() -> int | None:
    broken = verify_audit().broken
    assert broken is not None
    return broken.entry_id


def test_an_untouched_log_verifies(cast: Cast) -> None:
    _entries(cast)
    record_many(
        [
            build_entry(actor=None, action="test.bulk", agency_id=agency)
            for agency in (cast.agency_a.pk, cast.agency_b.pk, None, cast.agency_a.pk)
        ]
    )
    report = verify_audit()
    assert report.broken is None, report.broken
    assert report.entries == AuditEntry.objects.count()
    call_command("verify_audit")  # exits 0


def test_each_entry_links_to_its_predecessor_in_its_agencys_chain(cast: Cast) -> None:
    first, second = _entries(cast, 2)
    record(actor=None, action="test.other", agency_id=cast.agency_b.pk)
    third = record(actor=None, action="test.again", agency_id=cast.agency_a.pk)
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    head = AuditChainHead.objects.get(chain=cast.agency_a.pk)
    assert (head.length, head.last_hash) == (
        AuditEntry.objects.filter(agency_id=cast.agency_a.pk).count(),
        third.hash,
    )
    assert chain.digest(chain.content_of(AuditEntry.objects.get(pk=third.pk)), second.hash) == (
        third.hash
    )


def test_an_altered_row_is_named(cast: Cast) -> None:
    entries = _entries(cast)
    _sql("UPDATE audit_auditentry SET actor_name = 'Kẻ giả mạo' WHERE id = %s", [entries[1].pk])
    broken = verify_audit().broken
    assert broken is not None and broken.entry_id == entries[1].pk
    assert "nội dung đã bị sửa" in broken.what
    with pytest.raises(CommandError, match=f"mục #{entries[1].pk}") as error:
        call_command("verify_audit")
    assert error.value.returncode == 1


def test_a_deleted_row_breaks_the_link_of_the_next(cast: Cast) -> None:
    entries = _entries(cast)
    _sql("DELETE FROM audit_auditentry WHERE id = %s", [entries[1].pk])
    broken = verify_audit().broken
    assert broken is not None and broken.entry_id == entries[2].pk
    assert "liên kết" in broken.what


def test_a_deleted_last_row_is_missed_by_the_head(cast: Cast) -> None:
    entries = _entries(cast)
    _sql("DELETE FROM audit_auditentry WHERE id = %s", [entries[-1].pk])
    broken = verify_audit().broken
    assert broken is not None and "mất các mục cuối" in broken.what
    assert f"#{entries[-2].pk}" in broken.what


def test_two_swapped_rows_are_detected(cast: Cast) -> None:
    entries = _entries(cast)
    a, b = entries[1].pk, entries[2].pk
    with transaction.atomic(), disabled(connection), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE audit_swap AS SELECT id, {COLUMNS} FROM audit_auditentry"
        )
        cursor.execute(
            f"UPDATE audit_auditentry SET ({COLUMNS}) = (SELECT {COLUMNS} FROM audit_swap s "
            "WHERE s.id = CASE WHEN audit_auditentry.id = %s THEN %s ELSE %s END) "
            "WHERE id IN (%s, %s)",
            [a, b, a, a, b],
        )
        cursor.execute("DROP TABLE audit_swap")
    assert AuditEntry.objects.get(pk=a).reason == "#2"
    assert _broken_id() == a


def test_an_emptied_table_is_detected(cast: Cast) -> None:
    _entries(cast)
    if connection.vendor == "postgresql":
        _sql("TRUNCATE audit_auditentry")
    else:
        _sql("DELETE FROM audit_auditentry")
    assert AuditEntry.objects.count() == 0
    broken = verify_audit().broken
    assert broken is not None and "mất các mục cuối" in broken.what


def test_the_database_refuses_truncate_and_delete(cast: Cast) -> None:
    entry = _entries(cast, 1)[0]
    statements = [
        "DELETE FROM audit_auditentry WHERE id = %s",
        "UPDATE audit_auditentry SET reason = 'x' WHERE id = %s",
    ]
    if connection.vendor == "postgresql":
        statements.append("SET CONSTRAINTS ALL IMMEDIATE; TRUNCATE audit_auditentry")
    for sql in statements:
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry.pk] if "%s" in sql else [])
    assert AuditEntry.objects.filter(pk=entry.pk, reason="#0").exists()
    assert verify_audit().broken is None


def test_a_rewritten_chain_is_caught_by_an_anchor_kept_elsewhere(cast: Cast) -> None:
    entries = _entries(cast)
    key = cast.agency_a.pk
    anchor = {row[0]: {row[1]: row[2]} for row in verify_audit().heads}[key]
    # The owner forges one entry and recomputes every hash after it, and the head.
    with transaction.atomic(), disabled(connection), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditentry SET actor_name = 'Kẻ giả mạo' WHERE id = %s", [entries[1].pk]
        )
        prev = entries[0].hash
        for entry in AuditEntry.objects.filter(agency_id=key, pk__gt=entries[0].pk).order_by("id"):
            digest = chain.digest(chain.content_of(entry), prev)
            cursor.execute(
                "UPDATE audit_auditentry SET prev_hash = %s, hash = %s WHERE id = %s",
                [prev, digest, entry.pk],
            )
            prev = digest
        cursor.execute(
            "UPDATE audit_auditchainhead SET last_hash = %s WHERE chain = %s", [prev, key]
        )
    assert verify_audit().broken is None  # what a chain alone cannot see
    broken = verify_audit(anchors={key: anchor}).broken
    assert broken is not None and "viết lại" in broken.what
    length, digest = next(iter(anchor.items()))
    with pytest.raises(CommandError, match="viết lại"):
        call_command("verify_audit", anchor=[f"{key}:{length}:{digest}"])
