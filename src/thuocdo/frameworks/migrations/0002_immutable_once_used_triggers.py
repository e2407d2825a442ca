"""The database itself refuses to change a framework version once a score used it.

Once ``first_used_at`` is set, an UPDATE that changes ``document``, ``content_hash`` or
``version``, or clears ``first_used_at``, is refused. PostgreSQL also refuses DELETE of a
used row (SQLite's test flush deletes rows, so there the model refuses DELETE instead).
No '%' in the SQL: psycopg would read it as a placeholder.
"""

from django.db import migrations

PG_UP = """
CREATE OR REPLACE FUNCTION frameworks_version_immutable_once_used() RETURNS trigger AS $$
BEGIN
    IF OLD.first_used_at IS NULL THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION USING MESSAGE =
            'frameworks_frameworkversion ' || OLD.id || ' was used for scoring: DELETE refused';
    END IF;
    IF NEW.first_used_at IS NULL
        OR NEW.document IS DISTINCT FROM OLD.document
        OR NEW.content_hash IS DISTINCT FROM OLD.content_hash
        OR NEW.version IS DISTINCT FROM OLD.version THEN
        RAISE EXCEPTION USING MESSAGE =
            'frameworks_frameworkversion ' || OLD.id
            || ' was used for scoring: document, content_hash and version are immutable';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER frameworks_version_immutable BEFORE UPDATE OR DELETE
    ON frameworks_frameworkversion
    FOR EACH ROW EXECUTE FUNCTION frameworks_version_immutable_once_used();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS frameworks_version_immutable ON frameworks_frameworkversion;
DROP FUNCTION IF EXISTS frameworks_version_immutable_once_used();
"""
SQLITE_UP = """
CREATE TRIGGER frameworks_version_immutable BEFORE UPDATE ON frameworks_frameworkversion
WHEN OLD.first_used_at IS NOT NULL AND (
    NEW.first_used_at IS NULL
    OR NEW.document IS NOT OLD.document
    OR NEW.content_hash IS NOT OLD.content_hash
    OR NEW.version IS NOT OLD.version
)
BEGIN
    SELECT RAISE(ABORT, 'frameworks_frameworkversion was used for scoring: document, content_hash and version are immutable');
END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS frameworks_version_immutable;"


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_UP)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_UP)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DOWN)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("frameworks", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
