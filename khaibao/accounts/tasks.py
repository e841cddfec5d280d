from __future__ import annotations

from django_tasks import task

from khaibao.accounts.access_tokens import deny_list_rewrite as rewrite


@task()
def deny_list_rewrite() -> int:
    """Every minute (settings.PERIODIC_TASKS): the deny entries of sessions revoked within an
    access token's lifetime, written to Redis again from the database — a sign-out that Redis
    missed (outage, restart) holds on every server within a run; with them the marker that lets
    servers trust the deny-list without the database (accounts/access_tokens.py)."""
    return rewrite()
