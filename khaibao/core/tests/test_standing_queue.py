"""A standing queue (core/overload.py `standing_queue`): when the queue in front of a process never
empties, the wait a request may have had drops to OVERLOAD_STANDING_QUEUE_MS — refused past it, a
daily update stored first up to it — so that under a 10× burst the queue shrinks instead of growing
until the phones give up."""

from __future__ import annotations

import time

import pytest

from khaibao.core import overload
from khaibao.declarations.tests.helpers import ago
from khaibao.monitoring.models import DailyUpdate

UPDATE = ("PUT", f"/api/v1/people/7/updates/{ago(0)}")
STATUS = ("GET", "/api/v1/people/7/status")
T0 = 1_800_000_000.0


@pytest.fixture
def limits(settings):
    settings.OVERLOAD_MAX_QUEUE_MS = 1000
    settings.RUSH_MAX_QUEUE_MS = 2500
    settings.RUSH_MODE = True
    settings.OVERLOAD_STANDING_QUEUE_MS = 1000  # the clear mark: 200 ms
    settings.OVERLOAD_STANDING_AFTER_MS = 1000
    overload.rush_reset()
    yield settings
    overload.rush_reset()


def _ask(route: tuple[str, str], waited_ms: float, now: float) -> str | None:
    return overload.admission(route[0], route[1], f"t={now - waited_ms / 1000:.6f}", now)


def _queue_for(seconds: float, waited_ms: float = 400) -> float:
    """Status reads that each waited `waited_ms`, ten a second for `seconds`; the time after."""
    now = T0
    for i in range(int(seconds * 10) + 1):
        now = T0 + i / 10
        assert _ask(STATUS, waited_ms, now) is None  # served: under every limit
    return now


def test_a_passing_burst_keeps_the_long_bounds(limits):
    now = _queue_for(0.5)
    assert not overload.standing_queue(None, now)
    # Late, but the queue has not stood for a second yet: stored first up to RUSH_MAX_QUEUE_MS.
    assert _ask(UPDATE, 1500, now) == "rush"
    assert _ask(UPDATE, 2600, now) == "refuse"


def test_a_standing_queue_refuses_what_waited_past_its_bound_and_stores_first_the_rest(limits):
    now = _queue_for(1.2)
    assert _ask(UPDATE, 1500, now) == "refuse"  # 1.5 s < RUSH_MAX_QUEUE_MS, but the queue stands
    assert _ask(STATUS, 1100, now) == "refuse"
    assert _ask(UPDATE, 600, now) == "rush"  # not late, yet stored first: the server is overloaded
    assert _ask(STATUS, 600, now) is None  # anything else under the bound is served as usual


def test_one_request_that_barely_waited_ends_it(limits):
    now = _queue_for(1.2)
    assert _ask(STATUS, 50, now) is None
    overload.rush_reset()  # only to look at the bounds without the rush hold
    _queue_for(0.5)
    assert _ask(UPDATE, 1500, T0 + 0.6) == "rush"


def test_a_pause_is_not_a_standing_queue(limits):
    _queue_for(0.5)
    later = T0 + 5  # nothing stamped came for 4.5 s
    assert not overload.standing_queue(400, later)
    assert _ask(UPDATE, 1500, later + 0.2) == "rush"


def test_unstamped_requests_tell_nothing(limits):
    now = _queue_for(1.2)
    assert overload.admission(*STATUS, None, now) is None
    assert _ask(UPDATE, 1500, now + 0.05) == "refuse"  # still standing


def test_the_check_is_off_at_zero(limits):
    limits.OVERLOAD_STANDING_QUEUE_MS = 0
    now = _queue_for(3)
    assert _ask(UPDATE, 1500, now) == "rush"


def test_through_the_api_a_standing_queue_refuses_a_late_daily_update_and_writes_nothing(world, api, limits):
    client = api.as_(world.lan)
    now = time.time()
    for i in range(12):  # the queue stood for 1.1 s before this request
        overload.standing_queue(400, now - 1.1 + i / 10)

    resp = client.put(f"/people/{world.lan_child.id}/updates/{ago(0)}",
                      {"symptoms": [], "temperature": None, "feeling": "well"},
                      headers={"X-Request-Start": f"t={time.time() - 1.5:.3f}"})

    assert resp.status_code == 503, resp.content
    assert resp["Retry-After"] == str(limits.OVERLOAD_RETRY_AFTER_SECONDS)
    assert resp.json()["error"]["code"] == "overloaded"
    assert not DailyUpdate.objects.exists()
