# Drop the single-column person_id indexes of daily updates and assessments: the unique
# (person, day) constraint and "assessment_person_latest" (person, -created_at) lead with
# person_id and serve every lookup by person, and each daily update wrote both indexes for
# nothing (bench/RESULTS.md, "Hot path, second pass").
#
# Only the index is dropped. An AlterField would also drop and re-add the foreign key, which
# re-checks every row of the largest tables under lock; the state change and a plain
# DROP INDEX (SQLite and PostgreSQL alike; on a partitioned table it drops the partitions'
# indexes too) are enough.

import django.db.models.deletion
from django.db import migrations, models

INDEXES = (
    ("monitoring_assessment", "monitoring_assessment_person_id_da6f8b12"),
    ("monitoring_dailyupdate", "monitoring_dailyupdate_person_id_9fc860a5"),
)


class Migration(migrations.Migration):

    dependencies = [
        ("monitoring", "0008_status_fillfactor"),
        ("people", "0002_volunteer_appointment"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name=model_name,
                    name="person",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name=related_name,
                        to="people.person",
                    ),
                )
                for model_name, related_name in (("assessment", "assessments"), ("dailyupdate", "daily_updates"))
            ],
            database_operations=[
                migrations.RunSQL(
                    sql=f'DROP INDEX IF EXISTS "{index}"',
                    reverse_sql=f'CREATE INDEX IF NOT EXISTS "{index}" ON "{table}" ("person_id")',
                )
                for table, index in INDEXES
            ],
        ),
    ]
