# Drop the single-column home_ward_id and home_province_id indexes of the status table: the
# triage-queue indexes "status_queue_ward" and "status_queue_province" lead with the same
# columns and serve every lookup by ward or province (cases/tests/test_queue_plans.py shows the
# plans at realistic row counts). The status row is rewritten by every daily update and
# declaration; when the update cannot stay on its page (not HOT), each index gets a new entry,
# so these two cost a write on the hot path for nothing.
#
# As in 0009: only the index, not an AlterField (which would drop and re-add the foreign key
# and re-check every row under lock).

import django.db.models.deletion
from django.db import migrations, models

from khaibao.core.migration_ops import drop_indexes

TABLE = "monitoring_personstatus"
FIELDS = (
    # (field, column, target, index Django created for the foreign key)
    ("home_ward", "home_ward_id", "places.ward", "monitoring_personstatus_home_ward_id_01cfd4d0"),
    ("home_province", "home_province_id", "places.province", "monitoring_personstatus_home_province_id_e0b22d95"),
)


class Migration(migrations.Migration):

    dependencies = [
        ("monitoring", "0009_drop_redundant_person_indexes"),
        ("places", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="personstatus",
                    name=field,
                    field=models.ForeignKey(
                        blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+", to=target,
                    ),
                )
                for field, _column, target, _index in FIELDS
            ],
            database_operations=drop_indexes(tuple((TABLE, column, index) for _field, column, _target, index in FIELDS)),
        ),
    ]
