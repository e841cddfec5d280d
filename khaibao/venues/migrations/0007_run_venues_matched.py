# The exposure run's venue cursor: the match commits venue by venue (review-scale finding 4).
# A constant default: a catalogue change on PostgreSQL, no rewrite. A run pending from before
# starts its match over from the first venue; its rows are unique, so a repeat adds none.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('venues', '0006_venue_sealed_swap'),
    ]

    operations = [
        migrations.AddField(
            model_name='venueexposurerun',
            name='venues_matched',
            field=models.PositiveIntegerField(default=0),
        ),
    ]
