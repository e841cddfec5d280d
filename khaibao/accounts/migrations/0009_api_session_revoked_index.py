"""A partial index on the revoked app sessions: every minute the deny-list's rewrite reads the
sessions revoked within an access token's lifetime (accounts/access_tokens.py
`deny_list_rewrite`), a few among millions of sessions.

On PostgreSQL it is built CONCURRENTLY: sign-ins and refreshes keep writing the table meanwhile.
SQLite builds it as usual."""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

INDEX = models.Index(fields=["revoked_at"], name="api_session_revoked", condition=models.Q(revoked_at__isnull=False))


def forward(apps: Any, schema_editor: Any) -> None:
    postgres = schema_editor.connection.vendor == "postgresql"
    schema_editor.execute(f"DROP INDEX {'CONCURRENTLY ' if postgres else ''}IF EXISTS {INDEX.name}")
    extra = {"concurrently": True} if postgres else {}
    schema_editor.execute(INDEX.create_sql(apps.get_model("accounts", "ApiSession"), schema_editor, **extra))


def backward(apps: Any, schema_editor: Any) -> None:
    postgres = schema_editor.connection.vendor == "postgresql"
    schema_editor.execute(f"DROP INDEX {'CONCURRENTLY ' if postgres else ''}IF EXISTS {INDEX.name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("accounts", "0008_username_verbose_name")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forward, backward, elidable=False)],
            state_operations=[migrations.AddIndex(model_name="apisession", index=INDEX)],
        )
    ]
