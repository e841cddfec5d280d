# PostgreSQL: drop the varchar_pattern_ops copy Django adds beside the unique index of a CharField
# (for LIKE 'abc%' lookups). Nothing searches hashes by prefix, and every audited write (each daily
# update among them) inserted into it (bench/RESULTS.md, "Hot path, second pass"). The unique index
# that keeps the chain's hashes distinct stays. SQLite never had it.

from django.db import migrations

INDEX = "audit_auditevent_hash_d0c402da_like"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX}"')


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON "audit_auditevent" ("hash" varchar_pattern_ops)'
        )


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_auditevent_unsealed")]

    operations = [migrations.RunPython(forward, backward)]
