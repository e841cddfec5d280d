"""Partial indexes on the roster lines removed or declined that still name someone: the retention
purge finds the ones past `RETENTION_ROSTER_REMOVED_DAYS` without reading the whole roster
(privacy/retention.py, `erasure.roster_lines_anonymise`). The model declared them in stop 35; this
migration was missing until now.

On PostgreSQL they are built CONCURRENTLY: roster imports, confirmations and sign-ins keep
writing the table meanwhile. SQLite builds them as usual."""

from __future__ import annotations

from django.db import migrations, models
from django.db.models import Q

from khaibao.core.migration_ops import model_indexes_concurrently

_NAMED = ~Q(full_name="") | ~Q(phone="") | ~Q(phone_index="") | Q(person__isnull=False) | Q(account__isnull=False)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("orgs", "0012_reminder_outbox")]

    operations = [
        model_indexes_concurrently("orgs", "Member", [
            models.Index(fields=["removed_at"], name="member_removed_named", condition=_NAMED & Q(removed_at__isnull=False)),
            models.Index(fields=["declined_at"], name="member_declined_named", condition=_NAMED & Q(declined_at__isnull=False)),
        ])
    ]
