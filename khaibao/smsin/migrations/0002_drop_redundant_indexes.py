# PostgreSQL only: the varchar_pattern_ops copies Django adds beside a CharField's index (for
# LIKE 'abc%'), on columns nothing filters by prefix or substring; SQLite never had them.
# - smsin_inboundsms_message_id_c0649240_like (smsin_inboundsms.message_id): the gateway's message id, looked
#   up exactly to make receiving idempotent
# - smsin_inboundsms_phone_index_545649d7_like (smsin_inboundsms.phone_index): HMAC blind index, only ever
#   compared for equality

from django.db import migrations

# (table, column, varchar_pattern_ops index)
PATTERN_INDEXES = (
    ("smsin_inboundsms", "message_id", "smsin_inboundsms_message_id_c0649240_like"),
    ("smsin_inboundsms", "phone_index", "smsin_inboundsms_phone_index_545649d7_like"),
)


def drop_pattern_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for _table, _column, index in PATTERN_INDEXES:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{index}"')


def create_pattern_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table, column, index in PATTERN_INDEXES:
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS "{index}" ON "{table}" ("{column}" varchar_pattern_ops)'
            )


class Migration(migrations.Migration):

    dependencies = [
        ("smsin", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(drop_pattern_indexes, create_pattern_indexes),
    ]
