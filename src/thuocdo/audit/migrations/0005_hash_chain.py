"""The audit hash chain (thuocdo.audit.chain): two columns, the chain heads, a backfill of
existing rows in id order, and triggers refusing TRUNCATE (PostgreSQL) and DELETE (SQLite).

The backfill lifts the UPDATE trigger for its own transaction. On SQLite, adding the
columns rebuilds the table, which drops its triggers: they are created again after.
"""

from django.db import migrations, models

from thuocdo.audit import chain

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
# The chain's head moves with each insert, in the database (no extra round trip): a
# statement trigger with the inserted rows on PostgreSQL (one UPDATE per COPY), a row
# trigger on SQLite. The writer has locked the head before it inserts.
PG_HEAD_UP = """
CREATE OR REPLACE FUNCTION audit_chain_advance() RETURNS trigger AS $$
BEGIN
    UPDATE audit_auditchainhead AS h
    SET last_hash = n.hash, length = h.length + n.added
    FROM (
        SELECT DISTINCT ON (coalesce(agency_id, 0)) coalesce(agency_id, 0) AS chain, hash,
               count(*) OVER (PARTITION BY coalesce(agency_id, 0)) AS added
        FROM audit_new_rows
        ORDER BY coalesce(agency_id, 0), id DESC
    ) AS n
    WHERE h.chain = n.chain;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_entry_chain_head AFTER INSERT ON audit_auditentry
    REFERENCING NEW TABLE AS audit_new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_advance();
"""
PG_HEAD_DOWN = """
DROP TRIGGER IF EXISTS audit_entry_chain_head ON audit_auditentry;
DROP FUNCTION IF EXISTS audit_chain_advance();
"""
SQLITE_HEAD_UP = """
CREATE TRIGGER audit_entry_chain_head AFTER INSERT ON audit_auditentry
BEGIN
    UPDATE audit_auditchainhead SET last_hash = NEW.hash, length = length + 1
    WHERE chain = coalesce(NEW.agency_id, 0);
END;
"""
SQLITE_HEAD_DOWN = "DROP TRIGGER IF EXISTS audit_entry_chain_head"
CHUNK = 2000


def lift(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_no_update")
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_entry_no_update")
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_entry_no_delete")


def backfill_and_guard(apps, schema_editor):
    from thuocdo.core.bulk import update_rows

    entry_model = apps.get_model("audit", "AuditEntry")
    head_model = apps.get_model("audit", "AuditChainHead")
    db = schema_editor.connection.alias
    last: dict[int, tuple[str, int]] = {}
    pending: list[tuple[int, str, str]] = []
    rows = (
        entry_model.objects.using(db)
        .order_by("id")
        .values("id", *chain.CONTENT)
        .iterator(chunk_size=CHUNK)
    )
    for row in rows:
        key = chain.chain_of(row["agency_id"])
        prev, length = last.get(key, (chain.GENESIS, 0))
        digest = chain.digest(chain.content_of(row), prev)
        last[key] = (digest, length + 1)
        pending.append((row["id"], prev, digest))
        if len(pending) >= CHUNK:
            update_rows(entry_model, ["prev_hash", "hash"], pending)
            pending = []
    update_rows(entry_model, ["prev_hash", "hash"], pending)
    head_model.objects.using(db).bulk_create(
        head_model(chain=key, last_hash=digest, length=length)
        for key, (digest, length) in last.items()
    )
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_entry_no_update")
        schema_editor.execute(PG_TRUNCATE_UP)
        schema_editor.execute(PG_HEAD_UP)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_UPDATE)
        schema_editor.execute(SQLITE_DELETE)
        schema_editor.execute(SQLITE_HEAD_UP)


def unguard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_TRUNCATE_DOWN)
        schema_editor.execute(PG_HEAD_DOWN)
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_entry_no_update")
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_entry_no_delete")
        schema_editor.execute(SQLITE_HEAD_DOWN)


def restore(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_entry_no_update")
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_UPDATE)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_clock_now")]

    operations = [
        migrations.RunPython(lift, restore),
        migrations.AddField(
            model_name="auditentry",
            name="prev_hash",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="hash",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.CreateModel(
            name="AuditChainHead",
            fields=[
                ("chain", models.BigIntegerField(primary_key=True, serialize=False)),
                ("last_hash", models.CharField(max_length=64)),
                ("length", models.BigIntegerField(default=0)),
            ],
            options={
                "verbose_name": "đầu chuỗi nhật ký",
                "verbose_name_plural": "đầu chuỗi nhật ký",
            },
        ),
        migrations.RunPython(backfill_and_guard, unguard),
    ]
