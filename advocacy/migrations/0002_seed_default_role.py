"""Seed the default advocate role description (version 1), editable in admin."""

from django.db import migrations

from advocacy import defaults


def seed(apps, schema_editor):
    defaults.ensure_default_role(
        apps.get_model("advocacy", "RoleDescription"), apps.get_model("advocacy", "RoleDescriptionVersion")
    )


def unseed(apps, schema_editor):
    apps.get_model("advocacy", "RoleDescription").objects.filter(
        name=defaults.DEFAULT_ROLE_NAME, is_default=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("advocacy", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
