# Sealed health data (issue 18), step 2 of 3: existing rows are encrypted into the sealed columns
# in keyset batches of one short transaction each (core/sealing.py) — online, resumable.

from django.db import migrations

from khaibao.core.sealing import Column, dump_decimal, dump_json, dump_text, seal_copy

# (table, key, columns): the first column of each is never NULL, so "not sealed yet" is its NULL.
TABLES = (
    ("monitoring_dailyupdate", "id", (
        Column("symptoms", "symptoms_sealed", dump_json),
        Column("temperature", "temperature_sealed", dump_decimal),
        Column("feeling", "feeling_sealed", dump_text),
    )),
    ("monitoring_assessment", "id", (Column("reasons", "reasons_sealed", dump_json),)),
    ("monitoring_personstatus", "person_id", (Column("reasons", "reasons_sealed", dump_json),)),
)


def seal(apps, schema_editor):
    for table, pk, columns in TABLES:
        seal_copy(schema_editor.connection, table=table, pk=pk, columns=columns)


class Migration(migrations.Migration):
    atomic = False  # one transaction per batch, not one for the whole table

    dependencies = [("monitoring", "0011_health_sealed_add")]

    operations = [migrations.RunPython(seal, migrations.RunPython.noop, elidable=True)]
