"""Fill the triage-queue columns of existing PersonStatus rows: home ward and province (copied
from the person) and in_queue / queue_rank / queue_since (khaibao.monitoring.queue.queue_fields).

Keyset batches by person id, so it runs in bounded memory on a large table.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.utils import timezone

BATCH = 1000


def backfill(apps: Any, schema_editor: Any) -> None:
    from khaibao.monitoring.queue import queue_fields

    PersonStatus = apps.get_model("monitoring", "PersonStatus")
    now = timezone.now()
    today = timezone.localdate(now)
    last_id = 0
    while True:
        rows = list(
            PersonStatus.objects.filter(person_id__gt=last_id)
            .select_related("person__home_ward")
            .order_by("person_id")[:BATCH]
        )
        if not rows:
            return
        for status in rows:
            ward = status.person.home_ward
            status.home_ward_id = ward.pk
            status.home_province_id = ward.province_id
            for name, value in queue_fields(status, today, now).items():
                setattr(status, name, value)
        PersonStatus.objects.bulk_update(
            rows, ["home_ward", "home_province", "in_queue", "queue_rank", "queue_since"], batch_size=BATCH
        )
        last_id = rows[-1].person_id


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0001_initial"),
        ("monitoring", "0003_triage_fields"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
