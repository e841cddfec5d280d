"""A GIN index on the ids a list event names (`data -> 'people'`, audit/lists.py), so the DPO's
"who saw person X in a list" is an index lookup on PostgreSQL. Built CONCURRENTLY (no lock on the
trail while it builds). SQLite has no such index: the search reads the list events with json_each.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

_INDEX = "audit_list_people_gin"


def forward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {_INDEX} ON audit_auditevent "
        "USING gin ((data -> 'people') jsonb_path_ops)"
    )


def backward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {_INDEX}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("audit", "0006_auditchainanchor")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
