# Drop the indexes another index of the same table already serves (core/tests/test_indexes.py
# keeps it so): each costs a write on every insert and serves nothing the other does not.
# - cases_followupcase_assigned_to_id_304db324 (assigned_to_id): the index "followup_assigned_status"
#   (assigned_to_id, status)
# - cases_followupcase_person_id_e884ba6f (person_id): the index "followup_person_latest" (person_id,
#   opened_at DESC)
# - cases_followupaction_person_id_bce8e75d (person_id): the index "followup_action_person_latest" (person_id,
#   at DESC)
#
# As in monitoring 0009: the foreign keys' indexes go by a state change plus DROP INDEX, not an
# AlterField (which would drop and re-add the foreign key and re-check every row under lock).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from khaibao.core.migration_ops import drop_indexes

# (table, column, index Django created for the field)
INDEXES = (
    ("cases_followupcase", "assigned_to_id", "cases_followupcase_assigned_to_id_304db324"),
    ("cases_followupcase", "person_id", "cases_followupcase_person_id_e884ba6f"),
    ("cases_followupaction", "person_id", "cases_followupaction_person_id_bce8e75d"),
)


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0002_backfill_queue_columns"),
        ("people", "0002_volunteer_appointment"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="followupaction",
                    name="person",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE,
                        related_name="followup_actions", to="people.person",
                    ),
                ),
                migrations.AlterField(
                    model_name="followupcase",
                    name="assigned_to",
                    field=models.ForeignKey(
                        blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+", to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="followupcase",
                    name="person",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE,
                        related_name="followup_cases", to="people.person",
                    ),
                ),
            ],
            database_operations=drop_indexes(INDEXES),
        ),
    ]
