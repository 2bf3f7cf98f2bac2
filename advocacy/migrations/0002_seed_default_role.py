"""Seed the default advocate role description (version 1), editable in admin."""

from django.db import migrations

from advocacy import defaults


def seed(apps, schema_editor):
    RoleDescription = apps.get_model("advocacy", "RoleDescription")
    RoleDescriptionVersion = apps.get_model("advocacy", "RoleDescriptionVersion")
    if RoleDescription.objects.filter(is_default=True).exists():
        return
    role = RoleDescription.objects.create(name=defaults.DEFAULT_ROLE_NAME, is_default=True)
    RoleDescriptionVersion.objects.create(
        role=role,
        number=1,
        title=defaults.DEFAULT_TITLE,
        summary=defaults.DEFAULT_SUMMARY,
        mandate=defaults.DEFAULT_MANDATE,
        responsibilities=defaults.DEFAULT_RESPONSIBILITIES,
        qualities=defaults.DEFAULT_QUALITIES,
        change_note="Initial version",
    )


def unseed(apps, schema_editor):
    apps.get_model("advocacy", "RoleDescription").objects.filter(
        name=defaults.DEFAULT_ROLE_NAME, is_default=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("advocacy", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
