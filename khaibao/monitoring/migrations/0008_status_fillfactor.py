# Room in every page of the status table for a new row version (PostgreSQL fillfactor 70).
#
# Every daily update rewrites the person's PersonStatus row. For most people the columns that
# are indexed (level, priority, ward, queue) do not change, so PostgreSQL can make the update
# "HOT" — the new version in the same page, no entry added to the table's seven indexes — but
# only when the page has free space. At the default fillfactor (100) pages are full and most
# updates touch every index (bench/RESULTS.md, "Hot path": 30% HOT before). Existing pages are
# repacked only by a rewrite: run `VACUUM FULL monitoring_personstatus` (or pg_repack) once in a
# quiet hour after this migration (docs/operations.md). SQLite has no such setting.

from django.db import migrations

TABLE = "monitoring_personstatus"
FILLFACTOR = 70


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} SET (fillfactor = {FILLFACTOR})")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0007_dailyupdate_partitions")]

    operations = [migrations.RunPython(forward, backward)]
