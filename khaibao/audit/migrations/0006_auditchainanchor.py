# AuditChainAnchor moves here from the privacy app: the table `privacy_auditchainanchor`
# (created by privacy.0001) is kept with its row, so this only records the model in audit's
# state; privacy.0003 drops it from the privacy app's state.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0005_drop_hash_pattern_index"),
        ("privacy", "0002_drop_redundant_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditChainAnchor",
                    fields=[
                        ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                        ("last_id", models.BigIntegerField()),
                        ("last_hash", models.CharField(max_length=64)),
                        ("pruned_rows", models.BigIntegerField(default=0)),
                        ("pruned_at", models.DateTimeField()),
                    ],
                    options={"db_table": "privacy_auditchainanchor"},
                ),
            ],
            database_operations=[],
        ),
    ]
