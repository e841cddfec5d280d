# Sealed health data (issue 18), step 1 of 3: sealed columns beside the clear ones — the daily
# update's answers (symptoms, temperature, feeling) and the rule ids that fired (the assessment's
# and the status row's reasons restate the answers). Nullable columns: added without a rewrite,
# on the partitioned daily-update table too (its partitions inherit them).

from django.db import migrations

import khaibao.core.fields


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0010_drop_redundant_status_indexes")]

    operations = [
        migrations.AddField(
            model_name="dailyupdate", name="symptoms_sealed", field=khaibao.core.fields.EncryptedJSONField(null=True),
        ),
        migrations.AddField(
            model_name="dailyupdate", name="temperature_sealed",
            field=khaibao.core.fields.EncryptedDecimalField(decimal_places=1, null=True),
        ),
        migrations.AddField(
            model_name="dailyupdate", name="feeling_sealed", field=khaibao.core.fields.SealedTextField(null=True),
        ),
        migrations.AddField(
            model_name="assessment", name="reasons_sealed", field=khaibao.core.fields.EncryptedJSONField(null=True),
        ),
        migrations.AddField(
            model_name="personstatus", name="reasons_sealed", field=khaibao.core.fields.EncryptedJSONField(null=True),
        ),
    ]
