"""Indexes for the DPO's search by actor name and by date (privacy/audit_trail.py).

On PostgreSQL they are built CONCURRENTLY: the trail takes a row for nearly every request, and a
plain CREATE INDEX would hold its writers for as long as it reads the whole trail. SQLite builds
them as usual.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

_INDEXES = (("audit_actor_label", "actor_label"), ("audit_at", "at"))


def forward(apps: Any, schema_editor: Any) -> None:
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    for name, column in _INDEXES:
        # A CREATE INDEX CONCURRENTLY that failed leaves an invalid index of that name: drop it
        # first, or IF NOT EXISTS would keep it and the search would scan the trail unreported.
        schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {name}")
        schema_editor.execute(f"CREATE INDEX {concurrently}{name} ON audit_auditevent ({column})")


def backward(apps: Any, schema_editor: Any) -> None:
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    for name, _column in _INDEXES:
        schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("audit", "0007_list_people_index")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forward, backward, elidable=False)],
            state_operations=[
                migrations.AddIndex(
                    model_name="auditevent", index=models.Index(fields=["actor_label"], name="audit_actor_label")
                ),
                migrations.AddIndex(model_name="auditevent", index=models.Index(fields=["at"], name="audit_at")),
            ],
        )
    ]
