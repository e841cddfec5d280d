# Zone warnings sealed, step 2 of 3: existing rows are encrypted into the sealed columns in keyset
# batches of one short transaction each (core/sealing.py) — online, resumable; a version warns up
# to a million people, so never one transaction over the table.

from django.db import migrations

from khaibao.core.sealing import Column, dump_text, seal_copy

# The first column (reason) is never NULL, so "not sealed yet" is its sealed twin's NULL.
COLUMNS = (
    Column("reason", "reason_sealed", dump_text),
    Column("level_before", "level_before_sealed", dump_text),
    Column("level_after", "level_after_sealed", dump_text),
)


def seal(apps, schema_editor):
    seal_copy(schema_editor.connection, table="zones_zonewarning", columns=COLUMNS)


class Migration(migrations.Migration):
    atomic = False  # one transaction per batch, not one for the whole table

    dependencies = [("zones", "0007_warning_sealed_add")]

    operations = [migrations.RunPython(seal, migrations.RunPython.noop, elidable=True)]
