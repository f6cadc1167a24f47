"""The dashboard's new reports per school, oldest first: a partial index of the new cases
(a few thousand of 100,000), read in its own order and without the table (issue 12)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0016_perf_indexes_case_export"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("status", "new")),
                fields=["school", "opened_at", "id"],
                name="case_new_by_school",
            ),
        ),
    ]
