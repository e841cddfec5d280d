# Venues sealed where they followed a check-in, step 2 of 3: existing rows are encrypted into the
# sealed columns in keyset batches of one short transaction each (core/sealing.py) — online,
# resumable. The venue's id is sealed as the check-ins seal it (venues/sealing.py `venue_seal`:
# the id as text), so the readers unseal old and new rows alike.

from django.db import migrations

from khaibao.core.sealing import Column, dump_json, dump_text, seal_copy

# (table, key, columns): the first column of each is never NULL, so "not sealed yet" is its NULL.
TABLES = (
    ("venues_venueexposure", "id", (Column("venue_id", "venue_sealed", dump_text),)),
    ("venues_casevisit", "id", (Column("venue_id", "venue_sealed", dump_text),)),
    ("venues_venueexposurerun", "id", (Column("venue_ids", "venue_ids_sealed", dump_json),)),
)


def seal(apps, schema_editor):
    for table, pk, columns in TABLES:
        seal_copy(schema_editor.connection, table=table, pk=pk, columns=columns)


class Migration(migrations.Migration):
    atomic = False  # one transaction per batch, not one for the whole table

    dependencies = [("venues", "0004_venue_sealed_add")]

    operations = [migrations.RunPython(seal, migrations.RunPython.noop, elidable=True)]
