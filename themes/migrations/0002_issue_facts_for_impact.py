# A link copies the issue columns a theme's impact sums, kept equal to the issue by triggers
# (themes/triggers.py), so the impact is an index-only aggregate over the theme's links.

from django.db import migrations, models

from core.triggers import install_in_migration
from themes import triggers


def add_triggers(apps, schema_editor):
    install_in_migration(schema_editor, triggers.install)


def drop_triggers(apps, schema_editor):
    triggers.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("issues", "0020_company_log_indexes"),
        ("themes", "0001_themes"),
    ]

    operations = [
        migrations.AddField(
            model_name="themeissue",
            name="issue_created_at",
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="themeissue",
            name="issue_customer_id",
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="themeissue",
            name="issue_level",
            field=models.PositiveSmallIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="themeissue",
            name="issue_public",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunPython(add_triggers, drop_triggers),
        migrations.AddIndex(
            model_name="themeissue",
            index=models.Index(
                fields=["theme", "issue_customer_id"],
                include=("issue_level", "issue_public", "issue_created_at"),
                name="theme_issue_impact",
            ),
        ),
    ]
