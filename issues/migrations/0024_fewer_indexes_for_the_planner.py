# The planner weighs every index of issues_hotissue for each scan of it, and a log page scans it a
# dozen times: single-column copies of composite indexes, and a LIKE index on a token never
# searched by prefix, cost every log query planning time and served none.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

LIKE_INDEX = "issues_hotissue_tracking_token_e7ec8def_like"  # Django's name for it (PostgreSQL only)


def drop_token_like_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {LIKE_INDEX}")


def restore_token_like_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {LIKE_INDEX} ON issues_hotissue (tracking_token varchar_pattern_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("advocacy", "0008_invitations"),
        ("issues", "0023_issue_event_customer"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="hotissue",
            name="department",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="issues",
                to="issues.department",
            ),
        ),
        migrations.AlterField(
            model_name="hotissue",
            name="owner",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="owned_issues",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="hotissue",
            name="program",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="hot_issues",
                to="advocacy.program",
            ),
        ),
        migrations.RunPython(drop_token_like_index, restore_token_like_index),
    ]
