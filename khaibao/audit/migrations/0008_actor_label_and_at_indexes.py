"""Indexes for the DPO's search by actor name and by date (privacy/audit_trail.py).

On PostgreSQL they are built CONCURRENTLY: the trail takes a row for nearly every request, and a
plain CREATE INDEX would hold its writers for as long as it reads the whole trail. SQLite builds
them as usual.
"""

from __future__ import annotations

from django.db import migrations, models

from khaibao.core.migration_ops import indexes_concurrently

_INDEXES = (("audit_auditevent", "actor_label", "audit_actor_label"), ("audit_auditevent", "at", "audit_at"))


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("audit", "0007_list_people_index")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[indexes_concurrently(_INDEXES)],
            state_operations=[
                migrations.AddIndex(
                    model_name="auditevent", index=models.Index(fields=["actor_label"], name="audit_actor_label")
                ),
                migrations.AddIndex(model_name="auditevent", index=models.Index(fields=["at"], name="audit_at")),
            ],
        )
    ]
