"""An index on `created_at` for the hourly prune of inbound messages (services.inbound_sms_prune):
without it each run read the whole table. Built CONCURRENTLY on PostgreSQL, so that the webhook
keeps writing while it builds; SQLite builds it as usual.
"""

from __future__ import annotations

from django.db import migrations, models

from khaibao.core.migration_ops import indexes_concurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("smsin", "0003_daily_update_command")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[indexes_concurrently((("smsin_inboundsms", "created_at", "smsin_created_at"),))],
            state_operations=[
                migrations.AddIndex(
                    model_name="inboundsms", index=models.Index(fields=["created_at"], name="smsin_created_at")
                ),
            ],
        )
    ]
