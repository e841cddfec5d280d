"""An index on the task rows still open (READY or RUNNING) by task path, so that the scheduler's
"is this job's previous run still queued or running?" (core/schedule.py, `previous_run_busy`)
is an index probe, not a scan of a week of finished task rows. django_tasks_db has no such
index; it lives here, in raw SQL (no model state changes). Built CONCURRENTLY on PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

_INDEX = "core_open_task_path"
_TABLE = "django_tasks_database_dbtaskresult"


def forward(apps: Any, schema_editor: Any) -> None:
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(
        f"CREATE INDEX {concurrently}IF NOT EXISTS {_INDEX} ON {_TABLE} (task_path) "
        "WHERE status IN ('READY', 'RUNNING')"
    )


def backward(apps: Any, schema_editor: Any) -> None:
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {_INDEX}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("core", "0005_worker_alive_and_ops_counters"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
