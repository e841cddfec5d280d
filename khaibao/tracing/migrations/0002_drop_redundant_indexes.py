# Drop the indexes another index of the same table already serves (core/tests/test_indexes.py
# keeps it so): each costs a write on every insert and serves nothing the other does not.
# - tracing_contact_source_id_37c33659 (source_id): the index "contact_source_recent" (source_id,
#   registered_at DESC)
#
# As in monitoring 0009: the foreign keys' indexes go by a state change plus DROP INDEX, not an
# AlterField (which would drop and re-add the foreign key and re-check every row under lock).

import django.db.models.deletion
from django.db import migrations, models

from khaibao.core.migration_ops import drop_indexes

# (table, column, index Django created for the field)
INDEXES = (
    ("tracing_contact", "source_id", "tracing_contact_source_id_37c33659"),
)


class Migration(migrations.Migration):

    dependencies = [
        ("people", "0003_drop_redundant_indexes"),
        ("tracing", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="contact",
                    name="source",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE,
                        related_name="traced_contacts", to="people.person",
                    ),
                ),
            ],
            database_operations=drop_indexes(INDEXES),
        ),
    ]
