# Drop the indexes another index of the same table already serves (core/tests/test_indexes.py
# keeps it so): each costs a write on every insert and serves nothing the other does not.
# - declarations_declaration_person_id_58442819 (person_id): the unique constraint
#   "declaration_person_version" (person_id, version)
#
# And the Meta index "declaration_person_latest" (person_id, version DESC): the same columns as the
# unique constraint "declaration_person_version" (person_id, version). Every query by person
# (history newest first, the latest of a kind, the next version's MAX) has person_id = %s, so
# a backward scan of the constraint's index serves "version DESC" as well.
#
# As in monitoring 0009: the foreign keys' indexes go by a state change plus DROP INDEX, not an
# AlterField (which would drop and re-add the foreign key and re-check every row under lock).

import django.db.models.deletion
from django.db import migrations, models

from khaibao.core.migration_ops import drop_indexes

# (table, column, index Django created for the field)
INDEXES = (
    ("declarations_declaration", "person_id", "declarations_declaration_person_id_58442819"),
)


class Migration(migrations.Migration):

    dependencies = [
        ("declarations", "0001_initial"),
        ("people", "0002_volunteer_appointment"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="declaration",
            name="declaration_person_latest",
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="declaration",
                    name="person",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE,
                        related_name="declarations", to="people.person",
                    ),
                ),
            ],
            database_operations=drop_indexes(INDEXES),
        ),
    ]
