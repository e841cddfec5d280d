# Venues sealed where they followed a check-in, step 3 of 3: rows written since step 2 are sealed
# with each table's writers held (EXCLUSIVE mode on PostgreSQL; readers go on), then the clear
# columns are dropped — the venue foreign keys of exposures and case visits (their sealed column
# keeps its name, `venue_sealed`, as in CheckIn), and the run's clear `venue_ids`, whose sealed
# twin takes its name. Catalogue changes only, no rewrite on PostgreSQL.

from django.db import migrations

import khaibao.core.fields
from khaibao.core.sealing import Column, dump_json, dump_text, seal_copy

# As in 0005: (table, key, columns); the first column of each is never NULL.
TABLES = (
    ("venues_venueexposure", "id", (Column("venue_id", "venue_sealed", dump_text),)),
    ("venues_casevisit", "id", (Column("venue_id", "venue_sealed", dump_text),)),
    ("venues_venueexposurerun", "id", (Column("venue_ids", "venue_ids_sealed", dump_json),)),
)


def seal_rest(apps, schema_editor):
    for table, pk, columns in TABLES:
        seal_copy(schema_editor.connection, table=table, pk=pk, columns=columns, lock=True)


class Migration(migrations.Migration):
    dependencies = [("venues", "0005_venue_seal_rows")]

    operations = [
        migrations.RunPython(seal_rest, migrations.RunPython.noop, elidable=True),
        migrations.RemoveField(model_name="venueexposure", name="venue"),
        migrations.RemoveField(model_name="casevisit", name="venue"),
        migrations.RemoveField(model_name="venueexposurerun", name="venue_ids"),
        migrations.RenameField(model_name="venueexposurerun", old_name="venue_ids_sealed", new_name="venue_ids"),
        migrations.AlterField(
            model_name="venueexposurerun", name="venue_ids",
            field=khaibao.core.fields.EncryptedJSONField(default=list, null=True),
        ),
    ]
