"""A trigram index on org_person.search_name for search (PostgreSQL only: thuocdo.core.trigrams)."""

from django.db import migrations

from thuocdo.core import trigrams


class Migration(migrations.Migration):
    dependencies = [
        ('org', '0002_notification_preference'),
    ]

    operations = [trigrams.operation("org_person", "search_name")]
