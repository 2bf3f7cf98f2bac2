# Each theme's impact (issues, customers, dissatisfaction, public ones, the latest) kept in a row
# of its own by triggers (themes/triggers.py), recounted whenever the theme's links change, so
# pages read five numbers instead of counting the links on every request.

import django.db.models.deletion
from django.db import migrations, models

from core.triggers import install_in_migration
from themes import triggers


def add_triggers(apps, schema_editor):
    install_in_migration(schema_editor, triggers.install_impact)


def drop_triggers(apps, schema_editor):
    triggers.uninstall_impact(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("themes", "0002_issue_facts_for_impact"),
    ]

    operations = [
        migrations.CreateModel(
            name="ThemeImpact",
            fields=[
                (
                    "theme",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="impact_counts",
                        serialize=False,
                        to="themes.theme",
                    ),
                ),
                ("issues", models.PositiveIntegerField(default=0, editable=False)),
                ("customers", models.PositiveIntegerField(default=0, editable=False)),
                ("level_sum", models.PositiveIntegerField(default=0, editable=False)),
                ("public", models.PositiveIntegerField(default=0, editable=False)),
                ("latest_at", models.DateTimeField(editable=False, null=True)),
            ],
            options={
                "verbose_name": "impact of a theme",
                "verbose_name_plural": "impact of themes",
            },
        ),
        migrations.RunPython(add_triggers, drop_triggers),
    ]
