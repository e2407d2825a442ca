from django.db import migrations, models


class Migration(migrations.Migration):
    """Whom an integration client may act for; existing clients start with nobody."""

    dependencies = [
        ("api", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="integrationclient",
            name="act_for_units",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="integrationclient",
            name="act_for_people",
            field=models.JSONField(blank=True, default=list),
        ),
    ]
