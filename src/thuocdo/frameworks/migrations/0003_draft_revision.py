"""A draft's revision (the drafting pages' stale-edit check).

On SQLite, adding a column with a default rebuilds the table, which drops the trigger of
migration 0002: it is created again here, so a used version stays immutable there too.
"""

import importlib

from django.db import migrations, models

TRIGGERS = importlib.import_module(
    "thuocdo.frameworks.migrations.0002_immutable_once_used_triggers"
)


def sqlite_trigger_again(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(TRIGGERS.SQLITE_DOWN)
        schema_editor.execute(TRIGGERS.SQLITE_UP)


class Migration(migrations.Migration):
    dependencies = [
        ("frameworks", "0002_immutable_once_used_triggers"),
    ]

    operations = [
        migrations.AddField(
            model_name="frameworkversion",
            name="revision",
            field=models.PositiveIntegerField(default=1),
        ),
        migrations.RunPython(sqlite_trigger_again, migrations.RunPython.noop),
    ]
