"""The statistics page without a read replica (the real-replica tests: core/tests/test_replica.py)."""

from __future__ import annotations

from khaibao.core.dbrouter import REPLICA, use_replica
from khaibao.stats.tests.helpers import declare, official_client, refresh


def test_it_says_nothing_about_a_replica_when_none_is_configured(world, api, settings):
    assert REPLICA not in settings.DATABASES
    declare(api, world.lan, world.lan_self)
    refresh()
    html = official_client(world.province).get("/staff/stats/").content.decode()
    assert "Declarations" in html
    assert "data-replica-lag" not in html
    assert "replica" not in html.lower()


def test_it_reads_from_the_primary_inside_use_replica_without_a_replica(db):
    from django.db import router

    from khaibao.stats.models import DailyAreaRollup

    with use_replica():
        assert router.db_for_read(DailyAreaRollup) == "default"
