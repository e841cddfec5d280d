# A daily update by SMS was recorded in clear as "ok" (well) or "symptoms" (unwell), which tells
# anyone reading the table who was unwell on which day — what the sealed daily update hides. Both
# become "daily_update" (khaibao.smsin.services.recorded_command); the detail stays in the
# encrypted text. Keyset batches by id, one short transaction each, so the table is never locked
# whole. The `sms.inbound` audit events already written keep their "command": the trail is
# append-only (docs/privacy.md, "Inbound SMS").

from django.db import migrations, transaction

BATCH = 5000
OLD = ("ok", "symptoms")
NEW = "daily_update"


def collapse(apps, schema_editor):
    InboundSms = apps.get_model("smsin", "InboundSms")
    alias = schema_editor.connection.alias
    rows = InboundSms.objects.using(alias)
    last_id = 0
    while True:
        ids = list(rows.filter(pk__gt=last_id, command__in=OLD).order_by("pk").values_list("pk", flat=True)[:BATCH])
        if not ids:
            return
        with transaction.atomic(using=alias):
            rows.filter(pk__in=ids, command__in=OLD).update(command=NEW)
        last_id = ids[-1]


class Migration(migrations.Migration):
    atomic = False  # one transaction per batch, not one for the whole table

    dependencies = [("smsin", "0002_drop_redundant_indexes")]

    operations = [migrations.RunPython(collapse, migrations.RunPython.noop, elidable=True)]
