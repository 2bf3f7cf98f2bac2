# A theme's links are found by the unique (theme, issue) constraint and the (theme, …) indexes;
# the foreign key's own single-column index was one more to write and to weigh.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("themes", "0003_impact_kept_by_the_database"),
    ]

    operations = [
        migrations.AlterField(
            model_name="themeissue",
            name="theme",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="links",
                to="themes.theme",
            ),
        ),
    ]
