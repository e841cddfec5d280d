# PostgreSQL only: the varchar_pattern_ops copies Django adds beside a CharField's index (for
# LIKE 'abc%'), on columns nothing filters by prefix or substring; SQLite never had them.
# - places_country_code_6fb0b3e5_like (places_country.code): the primary key (ISO code), joined and looked up
#   by equality

from django.db import migrations

from khaibao.core.migration_ops import drop_pattern_indexes

# (table, column, varchar_pattern_ops index)
PATTERN_INDEXES = (
    ("places_country", "code", "places_country_code_6fb0b3e5_like"),
)


class Migration(migrations.Migration):

    dependencies = [
        ("places", "0002_load_places"),
    ]

    operations = [
        drop_pattern_indexes(PATTERN_INDEXES),
    ]
