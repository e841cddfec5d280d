# Drop the indexes another index of the same table already serves (core/tests/test_indexes.py
# keeps it so): each costs a write on every insert and serves nothing the other does not.
# - exports_exportjob_owner_id_09c7ba2c (owner_id): the index "export_owner_created" (owner_id, created_at
#   DESC)
#
# As in monitoring 0009: the foreign keys' indexes go by a state change plus DROP INDEX, not an
# AlterField (which would drop and re-add the foreign key and re-check every row under lock).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from khaibao.core.migration_ops import drop_indexes

# (table, column, index Django created for the field)
INDEXES = (
    ("exports_exportjob", "owner_id", "exports_exportjob_owner_id_09c7ba2c"),
)


class Migration(migrations.Migration):

    dependencies = [
        ("exports", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="exportjob",
                    name="owner",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="exports",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=drop_indexes(INDEXES),
        ),
    ]
