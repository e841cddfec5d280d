"""An index on when a follow-up action was recorded: the statistics refresh counts each day's
actions every run (stats/services.py) and read the whole table to find them.

On PostgreSQL it is built CONCURRENTLY: officials keep recording while it reads the table."""

from __future__ import annotations

from django.db import migrations, models

from khaibao.core.migration_ops import indexes_concurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("cases", "0003_drop_redundant_indexes")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[indexes_concurrently((("cases_followupaction", "at", "followup_action_at"),))],
            state_operations=[
                migrations.AddIndex(model_name="followupaction", index=models.Index(fields=["at"], name="followup_action_at"))
            ],
        )
    ]
