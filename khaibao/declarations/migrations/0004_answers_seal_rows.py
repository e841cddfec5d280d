# Sealed health data (issue 18), step 2 of 3: every existing declaration's answers are encrypted
# into the sealed column and its travel indexed, in keyset batches of one short transaction each
# (core/sealing.py) — online: no lock beyond the rows of the batch, and a re-run resumes.

import json

from django.db import migrations, models

from khaibao.core.sealing import Column, dump_json, seal_copy
from khaibao.declarations.travel import travel_index

TABLE = "declarations_declaration"
COLUMNS = (Column("answers", "answers_sealed", dump_json),)


def seal(apps, schema_editor):
    connection = schema_editor.connection
    index_field = models.JSONField()

    def travel(clear):
        answers = clear["answers"]
        answers = json.loads(answers) if isinstance(answers, (bytes, str)) else answers
        return {"travel_index": index_field.get_db_prep_save(travel_index(answers), connection)}

    seal_copy(connection, table=TABLE, columns=COLUMNS, extra=travel)


class Migration(migrations.Migration):
    atomic = False  # one transaction per batch, not one for the whole table

    dependencies = [("declarations", "0003_answers_sealed_add")]

    operations = [migrations.RunPython(seal, migrations.RunPython.noop, elidable=True)]
