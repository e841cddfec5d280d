"""A token's last use is stamped at most once per LAST_USE_RESOLUTION, and only while usable."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.utils import timezone

from khaibao.accounts.models import ApiToken
from khaibao.accounts.tokens import LAST_USE_RESOLUTION, token_issue
from khaibao.conftest import ApiClient


def _use(value: str) -> int:
    return ApiClient(value).get("/api/v1/me").status_code


def test_it_stamps_the_first_use_then_at_most_once_per_period(world):
    value, token = token_issue(account=world.lan)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert _use(value) == 200
    token.refresh_from_db()
    assert token.last_used_at == start
    with time_machine.travel(start + LAST_USE_RESOLUTION - timedelta(seconds=1), tick=False):
        assert _use(value) == 200
    token.refresh_from_db()
    assert token.last_used_at == start, "used again within the period: not written again"
    later = start + LAST_USE_RESOLUTION + timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        assert _use(value) == 200
    token.refresh_from_db()
    assert token.last_used_at == later


def test_an_unusable_token_is_refused_and_not_stamped(world):
    revoked_value, revoked = token_issue(account=world.lan)
    ApiToken.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    expired_value, expired = token_issue(account=world.lan, ttl_days=0)
    inactive_value, inactive = token_issue(account=world.mai)
    world.mai.is_active = False
    world.mai.save(update_fields=["is_active"])
    for value in (revoked_value, expired_value, inactive_value):
        assert _use(value) == 401
    assert list(ApiToken.objects.filter(pk__in=[revoked.pk, expired.pk, inactive.pk]).values_list(
        "last_used_at", flat=True)) == [None, None, None]
