"""An index on `created_at` for the hourly prune of inbound messages (services.inbound_sms_prune):
without it each run read the whole table. Built CONCURRENTLY on PostgreSQL, so that the webhook
keeps writing while it builds; SQLite builds it as usual.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

_INDEX = "smsin_created_at"


def forward(apps: Any, schema_editor: Any) -> None:
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    # A CREATE INDEX CONCURRENTLY that failed leaves an invalid index of that name: drop it first,
    # or IF NOT EXISTS would keep it and the prune would scan the table with nothing reported.
    schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {_INDEX}")
    schema_editor.execute(f"CREATE INDEX {concurrently}{_INDEX} ON smsin_inboundsms (created_at)")


def backward(apps: Any, schema_editor: Any) -> None:
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {_INDEX}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("smsin", "0003_daily_update_command")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forward, backward, elidable=False)],
            state_operations=[
                migrations.AddIndex(
                    model_name="inboundsms", index=models.Index(fields=["created_at"], name="smsin_created_at")
                ),
            ],
        )
    ]
