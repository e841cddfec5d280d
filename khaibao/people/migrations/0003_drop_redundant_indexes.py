# Drop the indexes another index of the same table already serves (core/tests/test_indexes.py
# keeps it so): each costs a write on every insert and serves nothing the other does not.
# - people_person_home_ward_id_18aca43b (home_ward_id): the index "person_home_ward" (home_ward_id): an exact
#   duplicate
# - people_householdmembership_owner_id_c11806e1 (owner_id): the unique constraint "household_unique_person"
#   (owner_id, person_id)
# - people_volunteerappointment_account_id_3a39b154 (account_id): the index "volunteer_appt_active"
#   (account_id, expires_at)
#
# PostgreSQL only: the varchar_pattern_ops copies Django adds beside a CharField's index (for
# LIKE 'abc%'), on columns nothing filters by prefix or substring; SQLite never had them.
# - people_person_id_number_index_d11272fc_like (people_person.id_number_index): HMAC blind index, only ever
#   compared for equality
# - people_person_phone_index_645eefb9_like (people_person.phone_index): HMAC blind index, only ever compared
#   for equality
# - people_person_nationality_id_6d326f82_like (people_person.nationality_id): a foreign key to a country
#   code, joined and filtered by equality
#
# As in monitoring 0009: the foreign keys' indexes go by a state change plus DROP INDEX, not an
# AlterField (which would drop and re-add the foreign key and re-check every row under lock).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from khaibao.core.migration_ops import drop_indexes, drop_pattern_indexes

# (table, column, index Django created for the field)
INDEXES = (
    ("people_person", "home_ward_id", "people_person_home_ward_id_18aca43b"),
    ("people_householdmembership", "owner_id", "people_householdmembership_owner_id_c11806e1"),
    ("people_volunteerappointment", "account_id", "people_volunteerappointment_account_id_3a39b154"),
)
# (table, column, varchar_pattern_ops index)
PATTERN_INDEXES = (
    ("people_person", "id_number_index", "people_person_id_number_index_d11272fc_like"),
    ("people_person", "phone_index", "people_person_phone_index_645eefb9_like"),
    ("people_person", "nationality_id", "people_person_nationality_id_6d326f82_like"),
)


class Migration(migrations.Migration):

    dependencies = [
        ("people", "0002_volunteer_appointment"),
        ("places", "0002_load_places"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="householdmembership",
                    name="owner",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="household",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="person",
                    name="home_ward",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="residents",
                        to="places.ward",
                    ),
                ),
                migrations.AlterField(
                    model_name="volunteerappointment",
                    name="account",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE,
                        related_name="appointments", to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=drop_indexes(INDEXES),
        ),
        drop_pattern_indexes(PATTERN_INDEXES),
    ]
