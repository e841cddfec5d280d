"""An index on when a daily update was last written: the statistics refresh reads the updates
written since its last run (stats/counting.py) instead of two whole days of them.

On PostgreSQL a BRIN index (a summary per block range, autosummarized): rows arrive in the order
of their `updated_at`, so the few newest ranges answer "since", and a summary is kept up to date
at a fraction of a B-tree's cost on the hot path's one-statement write (bench/RESULTS.md,
"Statistics at national size"). The table is partitioned by month: the index is made on the
parent only, then on each partition CONCURRENTLY and attached, so daily updates keep flowing while
each partition is read; partitions made later get theirs when attached (core/partitions.py).
SQLite (development) gets a plain index. Not in the model's state: Django has no portable BRIN.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

_TABLE = "monitoring_dailyupdate"
_INDEX = "daily_update_updated_brin"


def forward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{_INDEX}" ON "{_TABLE}" ("updated_at")')
        return
    using = "USING brin (updated_at) WITH (autosummarize = on)"
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [_TABLE])
        partitioned = cursor.fetchone()[0] == "p"
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = to_regclass(%s) ORDER BY c.relname",
            [_TABLE],
        )
        partitions = [name for (name,) in cursor.fetchall()]
    if not partitioned:
        schema_editor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{_INDEX}"')
        schema_editor.execute(f'CREATE INDEX CONCURRENTLY "{_INDEX}" ON "{_TABLE}" {using}')
        return
    schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{_INDEX}" ON ONLY "{_TABLE}" {using}')
    for partition in partitions:
        index = f"{partition}_updated_brin"
        # A failed concurrent build leaves an invalid index under that name: drop it and build again.
        schema_editor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{index}"')
        schema_editor.execute(f'CREATE INDEX CONCURRENTLY "{index}" ON "{partition}" {using}')
        schema_editor.execute(f'ALTER INDEX "{_INDEX}" ATTACH PARTITION "{index}"')


def backward(apps: Any, schema_editor: Any) -> None:
    schema_editor.execute(f'DROP INDEX IF EXISTS "{_INDEX}"')


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("monitoring", "0019_queue_indexes_end_with_the_person")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
