# The log's owner and department lists kept by each web worker until the database says they changed
# (FilterListsVersion, changed by the triggers in issues/filter_lists.py on PostgreSQL).

from django.db import migrations, models

from issues import filter_lists


def install(apps, schema_editor):
    filter_lists.install(schema_editor)


def uninstall(apps, schema_editor):
    filter_lists.uninstall(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("issues", "0025_at_risk_ids_in_the_index"),
        ("advocacy", "0008_invitations"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.CreateModel(
            name="FilterListsVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("n", models.BigIntegerField()),
            ],
        ),
        migrations.RunPython(install, uninstall),
    ]
