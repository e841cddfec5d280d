# Drop the indexes another index of the same table already serves (core/tests/test_indexes.py
# keeps it so): each costs a write on every insert and serves nothing the other does not.
# - zones_placeversion_place_id_0d93959e (place_id): the unique constraint "place_version_number" (place_id,
#   number)
# - zones_zone_province_id_7a059397 (province_id): the index "zone_province_latest" (province_id, created_at
#   DESC)
# - zones_zoneversion_zone_id_26912a6a (zone_id): the unique constraint "zone_version_number" (zone_id,
#   number)
#
# As in monitoring 0009: the foreign keys' indexes go by a state change plus DROP INDEX, not an
# AlterField (which would drop and re-add the foreign key and re-check every row under lock).

import django.db.models.deletion
from django.db import migrations, models

from khaibao.core.migration_ops import drop_indexes

# (table, column, index Django created for the field)
INDEXES = (
    ("zones_placeversion", "place_id", "zones_placeversion_place_id_0d93959e"),
    ("zones_zone", "province_id", "zones_zone_province_id_7a059397"),
    ("zones_zoneversion", "zone_id", "zones_zoneversion_zone_id_26912a6a"),
)


class Migration(migrations.Migration):

    dependencies = [
        ("places", "0002_load_places"),
        ("zones", "0002_warning_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="placeversion",
                    name="place",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="versions",
                        to="zones.place",
                    ),
                ),
                migrations.AlterField(
                    model_name="zone",
                    name="province",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="zones",
                        to="places.province",
                    ),
                ),
                migrations.AlterField(
                    model_name="zoneversion",
                    name="zone",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="versions",
                        to="zones.zone",
                    ),
                ),
            ],
            database_operations=drop_indexes(INDEXES),
        ),
    ]
