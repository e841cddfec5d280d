"""An Idempotency-Key the API refuses is refused in rush mode too: the rush lane (api/rush.py) runs
before the Idempotency-Key middleware and must not store, with no key, what the middleware answers
400 `invalid_idempotency_key` (one owner of a key's validity: api/idempotency.py
`idempotency_key_read`)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from khaibao.accounts.access_tokens import session_start
from khaibao.api.idempotency import INVALID_KEY, idempotency_key_read
from khaibao.audit.models import AuditEvent
from khaibao.core.models import IdempotencyRecord
from khaibao.declarations.tests.helpers import ago
from khaibao.monitoring.models import DailyUpdate, PendingAssessment

COUGH = {"symptoms": ["cough"], "temperature": 37.9, "feeling": "unwell"}
BAD_KEYS = ["   ", "k" * 256]


@pytest.fixture
def overloaded(settings: Any) -> Any:
    settings.OVERLOAD_TRUST_REQUEST_START = True  # stamped by the proxy, as in production
    settings.OVERLOAD_MAX_QUEUE_MS = 500
    settings.RUSH_MAX_QUEUE_MS = 0  # no bound: a slow first request of the run is not refused
    settings.RUSH_MODE = True
    settings.OVERLOAD_STANDING_QUEUE_MS = 0
    settings.RUSH_LANE = True
    return settings


def _put(api: Any, world: Any, key: str, *, late: bool) -> Any:
    client = type(api)(token=session_start(account=world.lan).access_token)
    headers = {"Idempotency-Key": key}
    if late:
        headers["X-Request-Start"] = f"t={time.time() - 2:.3f}"
    return client.put(f"/people/{world.lan_child.id}/updates/{ago(0)}", COUGH, headers=headers)


def _nothing_written(world: Any) -> None:
    assert not DailyUpdate.objects.filter(person=world.lan_child).exists()
    assert not PendingAssessment.objects.exists()
    assert not AuditEvent.objects.filter(person_id=world.lan_child.id, action="daily_update.replace").exists()
    assert not IdempotencyRecord.objects.exists()


# The rush lane (one statement) is PostgreSQL's; RUSH_LANE=0 and SQLite store first through the view.
@pytest.mark.parametrize("lane", [True, False])
@pytest.mark.parametrize("key", BAD_KEYS)
def test_a_key_the_api_refuses_is_refused_in_rush_mode_and_nothing_is_stored(world, api, overloaded, lane, key):
    overloaded.RUSH_LANE = lane
    for _attempt in range(2):  # a retry is refused again: no replace, no attempts reset
        resp = _put(api, world, key, late=True)
        assert resp.status_code == 400, resp.content
        assert resp.json()["error"]["code"] == "invalid_idempotency_key"
    _nothing_written(world)


@pytest.mark.parametrize("key", BAD_KEYS)
def test_a_key_the_api_refuses_is_refused_outside_rush_mode_too(world, api, overloaded, key):
    # The hot lane (api/hot_lane.py) comes after the Idempotency-Key middleware: the same 400.
    resp = _put(api, world, key, late=False)
    assert resp.status_code == 400, resp.content
    assert resp.json()["error"]["code"] == "invalid_idempotency_key"
    _nothing_written(world)


@pytest.mark.parametrize(
    ("header", "read"),
    [(None, None), ("  k-1 ", "k-1"), ("k" * 255, "k" * 255), ("", INVALID_KEY), ("   ", INVALID_KEY), ("k" * 256, INVALID_KEY)],
)
def test_one_reading_of_the_key(rf, header, read):
    headers = {} if header is None else {"Idempotency-Key": header}
    assert idempotency_key_read(rf.put("/api/v1/people/1/updates/2026-01-01", headers=headers)) == read
    # Not a write under /api/: no key, whatever it says.
    assert idempotency_key_read(rf.get("/api/v1/people/1/status", headers=headers)) is None
    assert idempotency_key_read(rf.post("/pages/", headers=headers)) is None
