"""The outbox, moved here from rotations without touching its table: pending jobs keep waiting to be sent."""

from django.db import migrations, models
from django.utils import timezone

OLD_FLUSH, NEW_FLUSH = "rotations.tasks.flush_outbox", "core.tasks.flush_outbox"
OLD_ENTRY, NEW_ENTRY = "rotations-flush-outbox", "core-flush-outbox"


def move_content_type(apps, schema_editor):
    """Keep the admin permissions granted on the outbox: its content type now belongs to core."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="core", model="outboxmessage").exists():
        ContentType.objects.filter(app_label="rotations", model="outboxmessage").update(app_label="core")


def rename_flush_task(apps, schema_editor):
    """Point the stored beat entry and any pending job at the flush task's new name."""
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    changed = PeriodicTask.objects.filter(task=OLD_FLUSH).update(task=NEW_FLUSH)
    if PeriodicTask.objects.filter(name=NEW_ENTRY).exists():
        changed += PeriodicTask.objects.filter(name=OLD_ENTRY).delete()[0]
    else:
        changed += PeriodicTask.objects.filter(name=OLD_ENTRY).update(name=NEW_ENTRY)
    if changed:  # tell a running beat that its schedule changed
        apps.get_model("django_celery_beat", "PeriodicTasks").objects.update_or_create(
            ident=1, defaults={"last_update": timezone.now()}
        )
    apps.get_model("core", "OutboxMessage").objects.filter(task_name=OLD_FLUSH).update(task_name=NEW_FLUSH)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        # The table was created there; this migration only takes it over.
        ("rotations", "0002_rotation_workflow"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_celery_beat", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="OutboxMessage",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("task_name", models.CharField(max_length=200)),
                        ("args", models.JSONField(default=list)),
                        ("kwargs", models.JSONField(default=dict)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("sent_at", models.DateTimeField(blank=True, db_index=True, null=True)),
                        ("attempts", models.PositiveIntegerField(default=0)),
                        ("last_error", models.CharField(blank=True, max_length=500)),
                    ],
                    options={
                        "db_table": "rotations_outboxmessage",
                        "ordering": ["created_at", "id"],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, migrations.RunPython.noop),
        migrations.RunPython(rename_flush_task, migrations.RunPython.noop),
    ]
