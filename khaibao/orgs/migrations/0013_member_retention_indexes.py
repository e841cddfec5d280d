"""Partial indexes on the roster lines removed or declined that still name someone: the retention
purge finds the ones past `RETENTION_ROSTER_REMOVED_DAYS` without reading the whole roster
(privacy/retention.py, `erasure.roster_lines_anonymise`). The model declared them in stop 35; this
migration was missing until now.

On PostgreSQL they are built CONCURRENTLY: roster imports, confirmations and sign-ins keep
writing the table meanwhile. SQLite builds them as usual."""

from __future__ import annotations

from typing import Any

from django.db import migrations, models
from django.db.models import Q

_NAMED = ~Q(full_name="") | ~Q(phone="") | ~Q(phone_index="") | Q(person__isnull=False) | Q(account__isnull=False)
INDEXES = [
    models.Index(fields=["removed_at"], name="member_removed_named", condition=_NAMED & Q(removed_at__isnull=False)),
    models.Index(fields=["declined_at"], name="member_declined_named", condition=_NAMED & Q(declined_at__isnull=False)),
]


def forward(apps: Any, schema_editor: Any) -> None:
    model = apps.get_model("orgs", "Member")
    postgres = schema_editor.connection.vendor == "postgresql"
    for index in INDEXES:
        schema_editor.execute(f"DROP INDEX {'CONCURRENTLY ' if postgres else ''}IF EXISTS {index.name}")
        extra = {"concurrently": True} if postgres else {}
        schema_editor.execute(index.create_sql(model, schema_editor, **extra))


def backward(apps: Any, schema_editor: Any) -> None:
    postgres = schema_editor.connection.vendor == "postgresql"
    for index in INDEXES:
        schema_editor.execute(f"DROP INDEX {'CONCURRENTLY ' if postgres else ''}IF EXISTS {index.name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("orgs", "0012_reminder_outbox")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forward, backward, elidable=False)],
            state_operations=[migrations.AddIndex(model_name="member", index=index) for index in INDEXES],
        )
    ]
