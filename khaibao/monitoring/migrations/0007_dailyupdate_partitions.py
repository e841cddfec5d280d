# Daily updates partitioned by month on PostgreSQL (issue 9, DESIGN.md §8; monitoring/partitions.py).
#
# SQLite keeps a plain table. On PostgreSQL the table is rebuilt as a partitioned table in this
# migration's one transaction: the new parent and its month partitions are created, the rows
# copied, the old table dropped and the new one renamed, then the constraints and indexes are
# re-created under their old names — except the primary key, which becomes (id, day) because
# every unique index of a partitioned table must contain the partition key. Django keeps `id` as
# the model's primary key: ids still come from one identity sequence, so they stay unique.
#
# The foreign key from Assessment.daily_update cannot reference `id` alone any more, hence
# db_constraint=False first (Django's on_delete=SET_NULL still applies).

from datetime import date

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone

TABLE = "monitoring_dailyupdate"
NEW = f"{TABLE}_new"
OLD_ROWS_MONTHS = 24  # rows older than this many months before today go to the default partition
MONTHS_AHEAD = 3


def _month_add(month, months):
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _relkind(cursor):
    cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [TABLE])
    row = cursor.fetchone()
    return row[0] if row else None


def _definitions(cursor):
    cursor.execute(
        "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = to_regclass(%s) "
        "AND contype IN ('p', 'u', 'f', 'c') ORDER BY contype DESC, conname",
        [TABLE],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = to_regclass(%s) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1",
        [TABLE],
    )
    indexes = [row[0].replace(" ON ONLY ", " ON ") for row in cursor.fetchall()]
    return constraints, indexes


def _swap(cursor, constraints, indexes, primary_key):
    cursor.execute(f"INSERT INTO {NEW} SELECT * FROM {TABLE}")
    cursor.execute(f"DROP TABLE {TABLE}")
    cursor.execute(f"ALTER TABLE {NEW} RENAME TO {TABLE}")
    cursor.execute(f"ALTER SEQUENCE {NEW}_id_seq RENAME TO {TABLE}_id_seq")
    cursor.execute(
        f"SELECT setval('{TABLE}_id_seq', COALESCE((SELECT max(id) FROM {TABLE}), 0) + 1, false)"
    )
    for name, kind, definition in constraints:
        if kind == "p":
            definition = primary_key
        cursor.execute(f'ALTER TABLE {TABLE} ADD CONSTRAINT "{name}" {definition}')
    for definition in indexes:
        cursor.execute(definition)


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        if _relkind(cursor) != "r":
            return
        cursor.execute(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")
        constraints, indexes = _definitions(cursor)
        cursor.execute(
            f"CREATE TABLE {NEW} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING IDENTITY) PARTITION BY RANGE (day)"
        )
        today = timezone.localdate()
        current = today.replace(day=1)
        first = _month_add(current, -1)  # yesterday may be last month
        cursor.execute(f"SELECT min(day), max(day) FROM {TABLE}")
        low, high = cursor.fetchone()
        if low is not None:
            first = min(first, max(low.replace(day=1), _month_add(current, -OLD_ROWS_MONTHS)))
        last = _month_add(current, MONTHS_AHEAD)
        if high is not None:
            last = max(last, min(high.replace(day=1), _month_add(current, OLD_ROWS_MONTHS)))
        month = first
        while month <= last:
            nxt = _month_add(month, 1)
            cursor.execute(
                f"CREATE TABLE {TABLE}_y{month.year:04d}m{month.month:02d} PARTITION OF {NEW} "
                f"FOR VALUES FROM ('{month.isoformat()}') TO ('{nxt.isoformat()}')"
            )
            month = nxt
        cursor.execute(f"CREATE TABLE {TABLE}_default PARTITION OF {NEW} DEFAULT")
        _swap(cursor, constraints, indexes, "PRIMARY KEY (id, day)")


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        if _relkind(cursor) != "p":
            return
        cursor.execute(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")
        constraints, indexes = _definitions(cursor)
        cursor.execute(f"CREATE TABLE {NEW} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING IDENTITY)")
        _swap(cursor, constraints, indexes, "PRIMARY KEY (id)")


class Migration(migrations.Migration):

    dependencies = [
        ('monitoring', '0006_queue_national_index'),
    ]

    operations = [
        migrations.AlterField(
            model_name='assessment',
            name='daily_update',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='assessments', to='monitoring.dailyupdate'),
        ),
        migrations.RunPython(partition, unpartition, elidable=False),
    ]
