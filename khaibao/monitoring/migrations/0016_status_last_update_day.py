# "Today's update is done" means an update *for* today (PersonStatus.last_update_day), not one
# sent today: yesterday's update sent this morning left today's marked done. The new column is
# filled from the daily updates in keyset batches of one short transaction each, so the status
# rows are never all locked at once.

from django.db import migrations, models, transaction

BATCH = 10_000


def fill(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT MIN(person_id), MAX(person_id) FROM monitoring_personstatus WHERE last_update_at IS NOT NULL")
        low, high = cursor.fetchone()
    if low is None:
        return
    for start in range(low, high + 1, BATCH):
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE monitoring_personstatus SET last_update_day = (SELECT MAX(d.day) FROM monitoring_dailyupdate d"
                " WHERE d.person_id = monitoring_personstatus.person_id)"
                " WHERE person_id >= %s AND person_id < %s AND last_update_at IS NOT NULL",
                [start, start + BATCH],
            )


class Migration(migrations.Migration):
    atomic = False  # one transaction per batch, not one for the whole table

    dependencies = [("monitoring", "0015_pending_assessment")]

    operations = [
        migrations.AddField(
            model_name="personstatus", name="last_update_day", field=models.DateField(blank=True, null=True)
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
