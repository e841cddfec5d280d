"""What an Idempotency-Key's record keeps of the request: a keyed digest (crypto.request_digest),
never a plain hash a dump could be brute-forced against to recover a daily update's answers."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

import pytest

from khaibao.accounts.access_tokens import session_start
from khaibao.core import crypto
from khaibao.core.models import IdempotencyRecord
from khaibao.declarations.tests.helpers import ago, declaration

COUGH = {"symptoms": ["cough"], "temperature": 37.9, "feeling": "unwell"}


def _update_with_key(api: Any, world: Any, key: str) -> tuple[IdempotencyRecord, bytes]:
    client = api.as_(world.lan)
    assert client.post(f"/people/{world.lan_child.id}/declarations", declaration()).status_code == 201
    resp = client.put(f"/people/{world.lan_child.id}/updates/{ago(0)}", COUGH, headers={"Idempotency-Key": key})
    assert resp.status_code == 201, resp.content
    record = IdempotencyRecord.objects.get(key=key)
    return record, b"\n".join([b"PUT", record.path.encode(), json.dumps(COUGH).encode()])


def test_a_daily_updates_record_keeps_the_keyed_digest_not_the_plain_hash(world, api):
    record, request = _update_with_key(api, world, "update-1")

    assert record.request_hash == crypto.request_digest(request)
    assert record.request_hash != hashlib.sha256(request).hexdigest()


def test_the_digest_is_under_the_configured_key(world, api, settings):
    settings.BLIND_INDEX_KEY = "another-blind-index-key-of-at-least-32-characters"
    record, request = _update_with_key(api, world, "update-2")

    assert record.request_hash == crypto.request_digest(request)
    settings.BLIND_INDEX_KEY = "yet-another-blind-index-key-of-32-characters-or-more"
    assert record.request_hash != crypto.request_digest(request)


@pytest.mark.postgres_only
def test_the_rush_lanes_record_keeps_the_keyed_digest_too(world, api, settings):
    # Rush mode with a late request (as api/tests/test_rush_lane.py): stored first by api/rush.py.
    settings.RUSH_MODE = settings.RUSH_LANE = True
    settings.OVERLOAD_MAX_QUEUE_MS, settings.RUSH_MAX_QUEUE_MS, settings.OVERLOAD_STANDING_QUEUE_MS = 500, 10_000, 0
    client = type(api)(token=session_start(account=world.lan).access_token)
    late = {"X-Request-Start": f"t={time.time() - 2:.3f}", "Idempotency-Key": "rush-1"}
    resp = client.put(f"/people/{world.lan_child.id}/updates/{ago(0)}", COUGH, headers=late)
    assert resp.status_code == 202, resp.content

    record = IdempotencyRecord.objects.get(key="rush-1")
    request = b"\n".join([b"PUT", record.path.encode(), json.dumps(COUGH).encode()])
    assert record.request_hash == crypto.request_digest(request)
    assert record.request_hash != hashlib.sha256(request).hexdigest()
