# Drop the indexes another index of the same table already serves (core/tests/test_indexes.py
# keeps it so): each costs a write on every insert and serves nothing the other does not.
# - reports_report_reporter_id_d54be306 (reporter_id): the index "report_reporter" (reporter_id, created_at)
# - reports_report_ward_id_c2d63ff3 (ward_id): the index "report_ward_status" (ward_id, status, created_at)
#
# PostgreSQL only: the varchar_pattern_ops copies Django adds beside a CharField's index (for
# LIKE 'abc%'), on columns nothing filters by prefix or substring; SQLite never had them.
# - reports_report_tracking_hash_bbecd658_like (reports_report.tracking_hash): a tracking code's hash, looked
#   up exactly
#
# As in monitoring 0009: the foreign keys' indexes go by a state change plus DROP INDEX, not an
# AlterField (which would drop and re-add the foreign key and re-check every row under lock).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from khaibao.core.migration_ops import drop_indexes, drop_pattern_indexes

# (table, column, index Django created for the field)
INDEXES = (
    ("reports_report", "reporter_id", "reports_report_reporter_id_d54be306"),
    ("reports_report", "ward_id", "reports_report_ward_id_c2d63ff3"),
)
# (table, column, varchar_pattern_ops index)
PATTERN_INDEXES = (
    ("reports_report", "tracking_hash", "reports_report_tracking_hash_bbecd658_like"),
)


class Migration(migrations.Migration):

    dependencies = [
        ("places", "0002_load_places"),
        ("reports", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="report",
                    name="reporter",
                    field=models.ForeignKey(
                        blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL,
                        related_name="reports", to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="report",
                    name="ward",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                        to="places.ward",
                    ),
                ),
            ],
            database_operations=drop_indexes(INDEXES),
        ),
        drop_pattern_indexes(PATTERN_INDEXES),
    ]
