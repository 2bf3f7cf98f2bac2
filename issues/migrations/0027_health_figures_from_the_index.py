# The health pages' cohorts read from the index alone: it now holds every column their figures count
# (the id for its history, the contact target and when the satisfaction answer came).

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("advocacy", "0008_invitations"),
        ("issues", "0026_filter_lists_version"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="hotissue",
            name="hot_issue_program_created",
        ),
        migrations.AddIndex(
            model_name="hotissue",
            index=models.Index(
                fields=["program", "created_at"],
                include=(
                    "id",
                    "first_outreach_at",
                    "first_outreach_due_at",
                    "satisfaction",
                    "satisfaction_at",
                    "status",
                    "resolved_at",
                    "runaround",
                    "level",
                ),
                name="hot_issue_program_created",
            ),
        ),
    ]
