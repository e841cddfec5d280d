# Sealed health data (issue 18), step 1 of 3: the sealed column beside the clear one, and the
# travel index the zone warning job looks travellers up by (declarations/travel.py). Adding
# nullable columns is instant on PostgreSQL and SQLite: no row is rewritten.

from django.db import migrations, models

import khaibao.core.fields


class Migration(migrations.Migration):
    dependencies = [("declarations", "0002_drop_redundant_indexes")]

    operations = [
        migrations.AddField(
            model_name="declaration", name="answers_sealed",
            field=khaibao.core.fields.EncryptedJSONField(null=True),
        ),
        migrations.AddField(
            model_name="declaration", name="travel_index", field=models.JSONField(blank=True, default=list),
        ),
    ]
