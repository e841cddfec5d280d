"""An index on when a declaration was written: the statistics refresh reads those written since its
last run (stats/counting.py) instead of every declaration of two days.

On PostgreSQL it is built CONCURRENTLY: declarations keep coming while it reads the table."""

from __future__ import annotations

from django.db import migrations, models

from khaibao.core.migration_ops import indexes_concurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("declarations", "0005_answers_sealed_swap")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[indexes_concurrently((("declarations_declaration", "created_at", "declaration_created"),))],
            state_operations=[
                migrations.AddIndex(
                    model_name="declaration", index=models.Index(fields=["created_at"], name="declaration_created")
                )
            ],
        )
    ]
