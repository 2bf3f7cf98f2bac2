"""The outbox moved to the `core` app, which every app can use; its table and rows stay where they are."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("rotations", "0005_roster_review_joined"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # Forget the model here only: core.OutboxMessage now owns the same table.
            state_operations=[migrations.DeleteModel(name="OutboxMessage")],
            database_operations=[],
        ),
    ]
