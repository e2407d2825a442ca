"""A trigram index on work_task.search_title for search (PostgreSQL only: thuocdo.core.trigrams)."""

from django.db import migrations

from thuocdo.core import trigrams


class Migration(migrations.Migration):
    dependencies = [
        ('work', '0009_task_open_indexes'),
    ]

    operations = [trigrams.operation("work_task", "search_title")]
