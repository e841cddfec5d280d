"""A partial index on the revoked app sessions: every minute the deny-list's rewrite reads the
sessions revoked within an access token's lifetime (accounts/access_tokens.py
`deny_list_rewrite`), a few among millions of sessions.

On PostgreSQL it is built CONCURRENTLY: sign-ins and refreshes keep writing the table meanwhile.
SQLite builds it as usual."""

from __future__ import annotations

from django.db import migrations, models

from khaibao.core.migration_ops import model_indexes_concurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("accounts", "0008_username_verbose_name")]

    operations = [
        model_indexes_concurrently("accounts", "ApiSession", [
            models.Index(fields=["revoked_at"], name="api_session_revoked", condition=models.Q(revoked_at__isnull=False)),
        ])
    ]
