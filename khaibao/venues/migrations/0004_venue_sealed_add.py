# Venues sealed where they followed a check-in (docs/venues.md, "Sealed, short-lived, never the
# venue's"), step 1 of 3: sealed columns beside the clear ones — the venue of an exposure and of a
# case's recorded visit (its id, encrypted, as CheckIn.venue_sealed) and the venues a run covers
# (sealed JSON). Nullable columns: added without a rewrite.

from django.db import migrations

import khaibao.core.fields


class Migration(migrations.Migration):
    dependencies = [("venues", "0003_checkin_day_partitions")]

    operations = [
        migrations.AddField(
            model_name="venueexposure", name="venue_sealed", field=khaibao.core.fields.EncryptedTextField(null=True),
        ),
        migrations.AddField(
            model_name="casevisit", name="venue_sealed", field=khaibao.core.fields.EncryptedTextField(null=True),
        ),
        migrations.AddField(
            model_name="venueexposurerun", name="venue_ids_sealed", field=khaibao.core.fields.EncryptedJSONField(null=True),
        ),
    ]
