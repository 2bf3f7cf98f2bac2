# The at-risk customers of a program with their ids in the index: the log's at-risk filter (its
# counts and its page) reads them index-only instead of visiting every customer row.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("advocacy", "0008_invitations"),
        ("issues", "0024_fewer_indexes_for_the_planner"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="customer", name="customer_at_risk"),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                condition=models.Q(("at_risk", True)), fields=["program", "id"], name="customer_at_risk"
            ),
        ),
    ]
