"""Import jobs become jobs of the job queue: their history is copied, then the table goes.
A job still queued or running here ran in a thread of a process that is now gone."""

import uuid

from django.db import migrations


def copy_history(apps, schema_editor):
    ImportJob = apps.get_model("imports", "ImportJob")
    Job = apps.get_model("jobs", "Job")
    moved = []
    for old in ImportJob.objects.all().order_by("id").iterator():
        finished = old.status in ("done", "failed")
        moved.append(
            Job(
                uid=uuid.uuid4(),
                kind="imports.run",
                agency_id=old.agency_id,
                target="",
                title=f"Nhập Excel: {old.file_name}"[:300],
                title_en=f"Excel import: {old.file_name}"[:300],
                params={"kind": old.kind, "file_name": old.file_name},
                state=old.status if finished else "failed",
                done=old.done,
                total=old.total,
                result={"counts": old.counts or {}},
                errors=(old.errors or [])
                if finished
                else [
                    {
                        "message_vi": "Lượt nhập bị dừng khi nâng cấp hệ thống; hãy nhập lại tệp.",
                        "message_en": "The import stopped when the system was upgraded; "
                        "import the file again.",
                    }
                ],
                created_by_id=old.created_by_id,
                created_at=old.created_at,
                started_at=old.started_at,
                finished_at=old.finished_at,
            )
        )
    Job.objects.bulk_create(moved, batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ("imports", "0001_initial"),
        ("jobs", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(copy_history, migrations.RunPython.noop),
        migrations.DeleteModel(name="ImportJob"),
    ]
