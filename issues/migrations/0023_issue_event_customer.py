# A customer's issues counted from one covering index; each event carries its issue's customer, kept by the database (issues/triggers.py), so a
# customer's timeline and its count are one range of one index, however many issues they have.

import django.db.models.deletion
from django.db import migrations, models

from core.triggers import install_in_migration
from issues import triggers


def fill_and_install(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        # No issue changes customer between the fill and the trigger that follows such changes
        # (adding the column already keeps every writer off the events table until commit).
        schema_editor.execute("LOCK TABLE issues_hotissue IN SHARE ROW EXCLUSIVE MODE")
    triggers.fill(connection)
    install_in_migration(schema_editor, triggers.install)


def uninstall(apps, schema_editor):
    triggers.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("issues", "0022_theme_timeline_kinds"),
    ]

    operations = [
        # A customer's issues: one index that also holds what their page counts (replaces the FK's own).
        migrations.AddIndex(
            model_name="hotissue",
            index=models.Index(
                fields=["customer", "created_at"], include=("status", "is_repeat"), name="hot_issue_customer"
            ),
        ),
        migrations.AlterField(
            model_name="hotissue",
            name="customer",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="issues",
                to="issues.customer",
            ),
        ),
        migrations.AddField(
            model_name="issueevent",
            name="customer",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="issues.customer",
            ),
        ),
        migrations.RunPython(fill_and_install, uninstall),
        migrations.AddIndex(
            model_name="issueevent",
            index=models.Index(fields=["customer", "-at", "-id"], name="issue_event_customer_timeline"),
        ),
    ]
