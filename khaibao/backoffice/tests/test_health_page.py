"""The officials' service health page: rush mode in words, with its numbers (decision D)."""

from __future__ import annotations

import time

from django.test import Client

from khaibao.core import overload
from khaibao.declarations.tests.helpers import ago
from khaibao.monitoring.pending import pending_assess_all
from khaibao.stats.tests.helpers import official_client

WELL = {"symptoms": [], "temperature": None, "feeling": "well"}


def test_it_shows_rush_mode_on_while_updates_wait_then_off(world, api, settings):
    settings.OVERLOAD_MAX_QUEUE_MS = 500
    settings.RUSH_MAX_QUEUE_MS = 0  # no upper bound: a loaded test machine must not push it past one
    late = {"X-Request-Start": f"t={time.time() - 2:.3f}"}
    sent = api.as_(world.lan).put(f"/people/{world.lan_child.id}/updates/{ago(0)}", WELL, headers=late)
    assert sent.status_code == 202
    console = official_client(world.ward_official)

    page = console.get("/staff/health/").content.decode()

    assert 'id="rush-on"' in page
    assert '<dd id="rush-pending">1</dd>' in page
    assert '<dd id="rush-failing">0</dd>' in page
    assert '<dd id="rush-given-up">0</dd>' in page
    assert 'hx-trigger="every 5s"' in page
    assert "Service health" in page  # in the console's navigation too

    pending_assess_all()
    overload.rush_reset()
    page = console.get("/staff/health/").content.decode()
    assert 'id="rush-off"' in page
    assert '<dd id="rush-pending">0</dd>' in page
    assert '<dd id="rush-assessed">1</dd>' in page


def test_it_is_for_officials_only(world):
    citizen = Client()
    citizen.force_login(world.lan)
    assert citizen.get("/staff/health/").status_code == 403
    assert Client().get("/staff/health/").status_code == 302
