# Zone warnings sealed, step 3 of 3: rows written since step 2 are sealed with the table's writers
# held (EXCLUSIVE mode on PostgreSQL; readers go on), then the clear columns are dropped and the
# sealed ones take their names — catalogue changes only, no rewrite.

from django.db import migrations

import khaibao.core.fields
from khaibao.core.sealing import Column, dump_text, seal_copy

# As in 0008.
COLUMNS = (
    Column("reason", "reason_sealed", dump_text),
    Column("level_before", "level_before_sealed", dump_text),
    Column("level_after", "level_after_sealed", dump_text),
)


def seal_rest(apps, schema_editor):
    seal_copy(schema_editor.connection, table="zones_zonewarning", columns=COLUMNS, lock=True)


def _swap(name, field):
    return [
        migrations.RemoveField(model_name="zonewarning", name=name),
        migrations.RenameField(model_name="zonewarning", old_name=f"{name}_sealed", new_name=name),
        migrations.AlterField(model_name="zonewarning", name=name, field=field),
    ]


class Migration(migrations.Migration):
    dependencies = [("zones", "0008_warning_seal_rows")]

    operations = [
        migrations.RunPython(seal_rest, migrations.RunPython.noop, elidable=True),
        *_swap("reason", khaibao.core.fields.SealedTextField(
            choices=[("resident", "Lives there"), ("traveller", "Declared travel there")], null=True,
        )),
        *_swap("level_before", khaibao.core.fields.SealedTextField(blank=True, null=True)),
        *_swap("level_after", khaibao.core.fields.SealedTextField(blank=True, null=True)),
    ]
