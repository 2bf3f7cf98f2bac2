"""Give every existing program the default root-cause list (new programs get it when created)."""

from django.db import migrations

# A copy, not an import: a migration must keep doing what it did when it was written.
DEFAULTS = (
    "Product defect",
    "Billing error",
    "Policy",
    "Handoff between departments",
    "Slow response",
    "Communication",
    "Delivery",
    "Staff behaviour",
    "Expectation mismatch",
    "Other",
)


def seed(apps, schema_editor):
    Program = apps.get_model("advocacy", "Program")
    RootCause = apps.get_model("issues", "RootCause")
    have = set(RootCause.objects.values_list("program_id", flat=True).distinct())
    RootCause.objects.bulk_create(
        RootCause(program_id=program_id, name=name, position=position)
        for program_id in Program.objects.exclude(pk__in=have).values_list("pk", flat=True)
        for position, name in enumerate(DEFAULTS, start=1)
    )


class Migration(migrations.Migration):
    dependencies = [("issues", "0018_root_causes")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
