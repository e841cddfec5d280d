# Drop the indexes another index of the same table already serves (core/tests/test_indexes.py
# keeps it so): each costs a write on every insert and serves nothing the other does not.
# - passes_passcode_person_id_a3abb4e2 (person_id): the index "passcode_person_latest" (person_id, expires_at
#   DESC)
#
# PostgreSQL only: the varchar_pattern_ops copies Django adds beside a CharField's index (for
# LIKE 'abc%'), on columns nothing filters by prefix or substring; SQLite never had them.
# - passes_passcode_code_d11a8773_like (passes_passcode.code): the pass code, looked up exactly when a pass is
#   checked
#
# As in monitoring 0009: the foreign keys' indexes go by a state change plus DROP INDEX, not an
# AlterField (which would drop and re-add the foreign key and re-check every row under lock).

import django.db.models.deletion
from django.db import migrations, models

from khaibao.core.migration_ops import drop_indexes, drop_pattern_indexes

# (table, column, index Django created for the field)
INDEXES = (
    ("passes_passcode", "person_id", "passes_passcode_person_id_a3abb4e2"),
)
# (table, column, varchar_pattern_ops index)
PATTERN_INDEXES = (
    ("passes_passcode", "code", "passes_passcode_code_d11a8773_like"),
)


class Migration(migrations.Migration):

    dependencies = [
        ("passes", "0001_initial"),
        ("people", "0002_volunteer_appointment"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="passcode",
                    name="person",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE,
                        related_name="pass_codes", to="people.person",
                    ),
                ),
            ],
            database_operations=drop_indexes(INDEXES),
        ),
        drop_pattern_indexes(PATTERN_INDEXES),
    ]
