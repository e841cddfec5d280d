# PostgreSQL only: the varchar_pattern_ops copies Django adds beside a CharField's index (for
# LIKE 'abc%'), on columns nothing filters by prefix or substring; SQLite never had them.
# - core_workerheartbeat_worker_id_199ffab7_like (core_workerheartbeat.worker_id): a worker's id, looked up
#   exactly

from django.db import migrations

# (table, column, varchar_pattern_ops index)
PATTERN_INDEXES = (
    ("core_workerheartbeat", "worker_id", "core_workerheartbeat_worker_id_199ffab7_like"),
)


def drop_pattern_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for _table, _column, index in PATTERN_INDEXES:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{index}"')


def create_pattern_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table, column, index in PATTERN_INDEXES:
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS "{index}" ON "{table}" ("{column}" varchar_pattern_ops)'
            )


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0002_scheduledrun"),
    ]

    operations = [
        migrations.RunPython(drop_pattern_indexes, create_pattern_indexes),
    ]
