# Sealed health data (issue 18), step 3 of 3: rows written since step 2 are sealed with each
# table's writers held (EXCLUSIVE mode on PostgreSQL; readers go on), then the clear columns are
# dropped and the sealed ones take their names — catalogue changes only, no rewrite.

from django.db import migrations

import khaibao.core.fields
from khaibao.core.sealing import Column, dump_decimal, dump_json, dump_text, seal_copy

# As in 0012: (table, key, columns); the first column of each is never NULL.
TABLES = (
    ("monitoring_dailyupdate", "id", (
        Column("symptoms", "symptoms_sealed", dump_json),
        Column("temperature", "temperature_sealed", dump_decimal),
        Column("feeling", "feeling_sealed", dump_text),
    )),
    ("monitoring_assessment", "id", (Column("reasons", "reasons_sealed", dump_json),)),
    ("monitoring_personstatus", "person_id", (Column("reasons", "reasons_sealed", dump_json),)),
)


def seal_rest(apps, schema_editor):
    for table, pk, columns in TABLES:
        seal_copy(schema_editor.connection, table=table, pk=pk, columns=columns, lock=True)


def _swap(model, name, field):
    return [
        migrations.RemoveField(model_name=model, name=name),
        migrations.RenameField(model_name=model, old_name=f"{name}_sealed", new_name=name),
        migrations.AlterField(model_name=model, name=name, field=field),
    ]


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0012_health_seal_rows")]

    operations = [
        migrations.RunPython(seal_rest, migrations.RunPython.noop, elidable=True),
        *_swap("dailyupdate", "symptoms", khaibao.core.fields.EncryptedJSONField(blank=True, default=list, null=True)),
        *_swap("dailyupdate", "temperature", khaibao.core.fields.EncryptedDecimalField(blank=True, decimal_places=1, null=True)),
        *_swap("dailyupdate", "feeling", khaibao.core.fields.SealedTextField(
            choices=[("well", "Well"), ("unwell", "Unwell")], null=True,
        )),
        *_swap("assessment", "reasons", khaibao.core.fields.EncryptedJSONField(blank=True, default=list, null=True)),
        *_swap("personstatus", "reasons", khaibao.core.fields.EncryptedJSONField(blank=True, default=list, null=True)),
    ]
