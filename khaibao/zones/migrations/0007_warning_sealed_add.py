# Zone warnings sealed, step 1 of 3: sealed columns beside the clear ones. Why a person was warned
# ("traveller" is their declared travel) and their risk level before and after re-assessment are
# health data, kept as long as the person stays active (docs/privacy.md, "Sealed health data").
# Nullable columns: added without a rewrite.

from django.db import migrations

import khaibao.core.fields


class Migration(migrations.Migration):
    dependencies = [("zones", "0006_finished_runs_forget_travellers")]

    operations = [
        migrations.AddField(
            model_name="zonewarning", name="reason_sealed", field=khaibao.core.fields.SealedTextField(null=True),
        ),
        migrations.AddField(
            model_name="zonewarning", name="level_before_sealed", field=khaibao.core.fields.SealedTextField(null=True),
        ),
        migrations.AddField(
            model_name="zonewarning", name="level_after_sealed", field=khaibao.core.fields.SealedTextField(null=True),
        ),
    ]
