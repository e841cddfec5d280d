# Sealed health data (issue 18), step 3 of 3: the rows declared since step 2 are sealed with the
# table's writers held (core/sealing.py: EXCLUSIVE mode on PostgreSQL, readers go on), then the
# clear column is dropped and the sealed one takes its name — both catalogue changes, no rewrite.

import json

from django.db import migrations, models

import khaibao.core.fields
from khaibao.core.sealing import Column, dump_json, seal_copy
from khaibao.declarations.travel import travel_index

TABLE = "declarations_declaration"


def seal_rest(apps, schema_editor):
    connection = schema_editor.connection
    index_field = models.JSONField()

    def travel(clear):
        answers = clear["answers"]
        answers = json.loads(answers) if isinstance(answers, (bytes, str)) else answers
        return {"travel_index": index_field.get_db_prep_save(travel_index(answers), connection)}

    seal_copy(connection, table=TABLE, columns=(Column("answers", "answers_sealed", dump_json),), extra=travel, lock=True)


class Migration(migrations.Migration):
    dependencies = [("declarations", "0004_answers_seal_rows")]

    operations = [
        migrations.RunPython(seal_rest, migrations.RunPython.noop, elidable=True),
        migrations.RemoveField(model_name="declaration", name="answers"),
        migrations.RenameField(model_name="declaration", old_name="answers_sealed", new_name="answers"),
        migrations.AlterField(
            model_name="declaration", name="answers", field=khaibao.core.fields.EncryptedJSONField(default=dict, null=True),
        ),
    ]
