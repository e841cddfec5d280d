# PostgreSQL only: the varchar_pattern_ops copies Django adds beside a CharField's index (for
# LIKE 'abc%'), on columns nothing filters by prefix or substring; SQLite never had them.
# - smsin_inboundsms_message_id_c0649240_like (smsin_inboundsms.message_id): the gateway's message id, looked
#   up exactly to make receiving idempotent
# - smsin_inboundsms_phone_index_545649d7_like (smsin_inboundsms.phone_index): HMAC blind index, only ever
#   compared for equality

from django.db import migrations

from khaibao.core.migration_ops import drop_pattern_indexes

# (table, column, varchar_pattern_ops index)
PATTERN_INDEXES = (
    ("smsin_inboundsms", "message_id", "smsin_inboundsms_message_id_c0649240_like"),
    ("smsin_inboundsms", "phone_index", "smsin_inboundsms_phone_index_545649d7_like"),
)


class Migration(migrations.Migration):

    dependencies = [
        ("smsin", "0001_initial"),
    ]

    operations = [
        drop_pattern_indexes(PATTERN_INDEXES),
    ]
