"""Token usability is one rule (accounts.tokens.token_usable) with one SQL twin (the last-use
stamp inside the token lookup): row for row, a token is accepted by the API exactly when the
SQL stamps its use."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from khaibao.accounts.models import ApiToken
from khaibao.accounts.tokens import token_issue
from khaibao.conftest import ApiClient

STATES = ["usable", "revoked", "expired", "expires_this_instant", "inactive_account", "revoked_and_expired"]


@pytest.mark.parametrize("state", STATES)
def test_the_api_accepts_a_token_exactly_when_the_sql_twin_stamps_it(world, state):
    now = timezone.now().replace(microsecond=0)
    value, token = token_issue(account=world.mai)
    changes: dict[str, object] = {}
    if state in ("revoked", "revoked_and_expired"):
        changes["revoked_at"] = now - timedelta(minutes=1)
    if state in ("expired", "revoked_and_expired"):
        changes["expires_at"] = now - timedelta(seconds=1)
    if state == "expires_this_instant":
        changes["expires_at"] = now
    if changes:
        ApiToken.objects.filter(pk=token.pk).update(**changes)
    if state == "inactive_account":
        world.mai.is_active = False
        world.mai.save(update_fields=["is_active"])

    with time_machine.travel(now, tick=False):
        status = ApiClient(value).get("/api/v1/me").status_code
    token.refresh_from_db()
    accepted = status == 200
    stamped = token.last_used_at is not None
    assert accepted == stamped, (state, status, token.last_used_at)
    assert accepted is (state == "usable")
