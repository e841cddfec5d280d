# Drop the indexes another index of the same table already serves (core/tests/test_indexes.py
# keeps it so): each costs a write on every insert and serves nothing the other does not.
# - accounts_breakglassgrant_official_id_b2a48935 (official_id): the index "break_glass_active" (official_id,
#   person_id, expires_at)
# - accounts_otpchallenge_phone_index_87292837 (phone_index): the index "otp_phone_recent" (phone_index,
#   created_at DESC)
#
# PostgreSQL only: the varchar_pattern_ops copies Django adds beside a CharField's index (for
# LIKE 'abc%'), on columns nothing filters by prefix or substring; SQLite never had them.
# - accounts_account_phone_index_66790eee_like (accounts_account.phone_index): HMAC blind index, only ever
#   compared for equality
# - accounts_account_username_b5f69a28_like (accounts_account.username): matched exactly, or by
#   username__iexact, which is UPPER(username) = UPPER(%s) and cannot use it
# - accounts_apitoken_token_hash_32b482d2_like (accounts_apitoken.token_hash): a token's hash, looked up
#   exactly
# - accounts_otpchallenge_phone_index_87292837_like (accounts_otpchallenge.phone_index): HMAC blind index,
#   only ever compared for equality
#
# As in monitoring 0009: the foreign keys' indexes go by a state change plus DROP INDEX, not an
# AlterField (which would drop and re-add the foreign key and re-check every row under lock).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from khaibao.core.migration_ops import drop_indexes, drop_pattern_indexes

# (table, column, index Django created for the field)
INDEXES = (
    ("accounts_breakglassgrant", "official_id", "accounts_breakglassgrant_official_id_b2a48935"),
    ("accounts_otpchallenge", "phone_index", "accounts_otpchallenge_phone_index_87292837"),
)
# (table, column, varchar_pattern_ops index)
PATTERN_INDEXES = (
    ("accounts_account", "phone_index", "accounts_account_phone_index_66790eee_like"),
    ("accounts_account", "username", "accounts_account_username_b5f69a28_like"),
    ("accounts_apitoken", "token_hash", "accounts_apitoken_token_hash_32b482d2_like"),
    ("accounts_otpchallenge", "phone_index", "accounts_otpchallenge_phone_index_87292837_like"),
)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_alter_breakglassgrant_review_note"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="breakglassgrant",
                    name="official",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.PROTECT,
                        related_name="break_glass_grants", to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="otpchallenge",
                    name="phone_index",
                    field=models.CharField(max_length=64),
                ),
            ],
            database_operations=drop_indexes(INDEXES),
        ),
        drop_pattern_indexes(PATTERN_INDEXES),
    ]
