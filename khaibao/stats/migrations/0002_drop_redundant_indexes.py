# Drop the indexes another index of the same table already serves (core/tests/test_indexes.py
# keeps it so): each costs a write on every insert and serves nothing the other does not.
# - stats_dailyarearollup_province_id_075e3620 (province_id): the index "stats_area_province_day"
#   (province_id, day)
# - stats_dailyarearollup_ward_id_4bc87ee6 (ward_id): the index "stats_area_ward_day" (ward_id, day)
# - stats_dailycoderollup_province_id_a9246fa4 (province_id): the index "stats_code_province_day"
#   (province_id, day)
# - stats_dailycoderollup_ward_id_cfd6a4db (ward_id): the index "stats_code_ward_day" (ward_id, day)
#
# As in monitoring 0009: the foreign keys' indexes go by a state change plus DROP INDEX, not an
# AlterField (which would drop and re-add the foreign key and re-check every row under lock).

import django.db.models.deletion
from django.db import migrations, models

from khaibao.core.migration_ops import drop_indexes

# (table, column, index Django created for the field)
INDEXES = (
    ("stats_dailyarearollup", "province_id", "stats_dailyarearollup_province_id_075e3620"),
    ("stats_dailyarearollup", "ward_id", "stats_dailyarearollup_ward_id_4bc87ee6"),
    ("stats_dailycoderollup", "province_id", "stats_dailycoderollup_province_id_a9246fa4"),
    ("stats_dailycoderollup", "ward_id", "stats_dailycoderollup_ward_id_cfd6a4db"),
)


class Migration(migrations.Migration):

    dependencies = [
        ("places", "0002_load_places"),
        ("stats", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="dailyarearollup",
                    name="province",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+",
                        to="places.province",
                    ),
                ),
                migrations.AlterField(
                    model_name="dailyarearollup",
                    name="ward",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+",
                        to="places.ward",
                    ),
                ),
                migrations.AlterField(
                    model_name="dailycoderollup",
                    name="province",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+",
                        to="places.province",
                    ),
                ),
                migrations.AlterField(
                    model_name="dailycoderollup",
                    name="ward",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+",
                        to="places.ward",
                    ),
                ),
            ],
            database_operations=drop_indexes(INDEXES),
        ),
    ]
