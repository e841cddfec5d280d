# Drop the indexes another index of the same table already serves (core/tests/test_indexes.py
# keeps it so): each costs a write on every insert and serves nothing the other does not.
# - news_announcement_province_id_42c81ba1 (province_id): the index "news_province_recent" (province_id,
#   publish_at DESC)
#
# As in monitoring 0009: the foreign keys' indexes go by a state change plus DROP INDEX, not an
# AlterField (which would drop and re-add the foreign key and re-check every row under lock).

import django.db.models.deletion
from django.db import migrations, models

from khaibao.core.migration_ops import drop_indexes

# (table, column, index Django created for the field)
INDEXES = (
    ("news_announcement", "province_id", "news_announcement_province_id_42c81ba1"),
)


class Migration(migrations.Migration):

    dependencies = [
        ("news", "0001_initial"),
        ("places", "0002_load_places"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="announcement",
                    name="province",
                    field=models.ForeignKey(
                        blank=True, db_index=False, help_text="Empty: the whole country.", null=True,
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="places.province",
                    ),
                ),
            ],
            database_operations=drop_indexes(INDEXES),
        ),
    ]
