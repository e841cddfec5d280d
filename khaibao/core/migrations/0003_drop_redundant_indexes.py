# PostgreSQL only: the varchar_pattern_ops copies Django adds beside a CharField's index (for
# LIKE 'abc%'), on columns nothing filters by prefix or substring; SQLite never had them.
# - core_workerheartbeat_worker_id_199ffab7_like (core_workerheartbeat.worker_id): a worker's id, looked up
#   exactly

from django.db import migrations

from khaibao.core.migration_ops import drop_pattern_indexes

# (table, column, varchar_pattern_ops index)
PATTERN_INDEXES = (
    ("core_workerheartbeat", "worker_id", "core_workerheartbeat_worker_id_199ffab7_like"),
)


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0002_scheduledrun"),
    ]

    operations = [
        drop_pattern_indexes(PATTERN_INDEXES),
    ]
