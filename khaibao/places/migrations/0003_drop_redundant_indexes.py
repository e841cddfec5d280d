# PostgreSQL only: the varchar_pattern_ops copies Django adds beside a CharField's index (for
# LIKE 'abc%'), on columns nothing filters by prefix or substring; SQLite never had them.
# - places_country_code_6fb0b3e5_like (places_country.code): the primary key (ISO code), joined and looked up
#   by equality

from django.db import migrations

# (table, column, varchar_pattern_ops index)
PATTERN_INDEXES = (
    ("places_country", "code", "places_country_code_6fb0b3e5_like"),
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
        ("places", "0002_load_places"),
    ]

    operations = [
        migrations.RunPython(drop_pattern_indexes, create_pattern_indexes),
    ]
