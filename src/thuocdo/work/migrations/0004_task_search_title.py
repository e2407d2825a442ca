"""Tasks get their title folded for the header search; existing tasks are filled here."""

from typing import Any

from django.db import migrations, models

from thuocdo.core.text import fold


def fill(apps: Any, schema_editor: Any) -> None:
    Task = apps.get_model("work", "Task")
    batch = []
    for task in Task.objects.only("pk", "title").iterator(chunk_size=2000):
        task.search_title = fold(task.title)
        batch.append(task)
        if len(batch) >= 2000:
            Task.objects.bulk_update(batch, ["search_title"])
            batch.clear()
    if batch:
        Task.objects.bulk_update(batch, ["search_title"])


class Migration(migrations.Migration):
    dependencies = [
        ("work", "0003_live_points"),
    ]

    operations = [
        migrations.AddField(
            model_name="task",
            name="search_title",
            field=models.CharField(blank=True, editable=False, max_length=500),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
