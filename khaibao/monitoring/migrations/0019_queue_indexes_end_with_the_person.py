"""The province and ward queue indexes end with the person, as the queue's order does, so that a
triage page after a cursor is an index range even inside a group of one rank and one time (a
zone's set-based warning gives thousands of people the same `queue_since`).

On PostgreSQL each is built CONCURRENTLY under a new name, the old one dropped CONCURRENTLY and the
new one renamed: the status table takes a write for every daily update, and a plain CREATE INDEX
would hold them for as long as it reads the table. SQLite rebuilds them as usual.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

_COLUMNS = {"status_queue_province": "home_province_id", "status_queue_ward": "home_ward_id"}


def _rebuild(schema_editor: Any, *, with_person: bool) -> None:
    postgres = schema_editor.connection.vendor == "postgresql"
    concurrently = "CONCURRENTLY " if postgres else ""
    tail = ", person_id" if with_person else ""
    for name, scope in _COLUMNS.items():
        columns = f"{scope}, in_queue, queue_rank DESC, queue_since{tail}"
        if postgres:
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}_new")
            schema_editor.execute(f"CREATE INDEX CONCURRENTLY {name}_new ON monitoring_personstatus ({columns})")
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
            schema_editor.execute(f"ALTER INDEX {name}_new RENAME TO {name}")
        else:
            schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {name}")
            schema_editor.execute(f"CREATE INDEX {name} ON monitoring_personstatus ({columns})")


def forward(apps: Any, schema_editor: Any) -> None:
    _rebuild(schema_editor, with_person=True)


def backward(apps: Any, schema_editor: Any) -> None:
    _rebuild(schema_editor, with_person=False)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("monitoring", "0018_pending_assessment_failures")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forward, backward, elidable=False)],
            state_operations=[
                migrations.RemoveIndex(model_name="personstatus", name="status_queue_province"),
                migrations.RemoveIndex(model_name="personstatus", name="status_queue_ward"),
                migrations.AddIndex(
                    model_name="personstatus",
                    index=models.Index(
                        fields=["home_province", "in_queue", "-queue_rank", "queue_since", "person"],
                        name="status_queue_province",
                    ),
                ),
                migrations.AddIndex(
                    model_name="personstatus",
                    index=models.Index(
                        fields=["home_ward", "in_queue", "-queue_rank", "queue_since", "person"],
                        name="status_queue_ward",
                    ),
                ),
            ],
        )
    ]
