# Check-ins partitioned by day on PostgreSQL (issue 20, item 5; venues/partitions.py).
#
# SQLite keeps a plain table. On PostgreSQL the table is rebuilt in this migration's one
# transaction by core.partitions.table_partition (the same mechanics as the daily updates'
# months): a partition per day from the retention horizon to a few days ahead, a DEFAULT
# partition for any other day (older rows there are the retention rule's), every row moved, the
# indexes (checkin_venue_at, checkin_person_at, checkin_at) and foreign keys re-created under
# their names, the primary key (id, day). Nothing holds a foreign key to a check-in, so no
# constraint elsewhere has to give way.

from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone

from khaibao.core.partitions import table_partition, table_unpartition

TABLE = "venues_checkin"
DAYS_AHEAD = 3


def partition(apps, schema_editor):
    today = timezone.localdate()
    keep = getattr(settings, "VENUE_CHECKIN_KEEP_DAYS", 21)
    with schema_editor.connection.cursor() as cursor:
        table_partition(
            cursor, table=TABLE, period="day", first=today - timedelta(days=keep), last=today + timedelta(days=DAYS_AHEAD)
        )


def unpartition(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        table_unpartition(cursor, table=TABLE)


class Migration(migrations.Migration):

    dependencies = [
        ("venues", "0002_indexes_that_earn_their_keep"),
    ]

    operations = [
        migrations.RunPython(partition, unpartition, elidable=False),
    ]
