"""The missed-updates job with a fixed clock: missed days, escalation at 2, lost to follow-up."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from khaibao.cases import tasks
from khaibao.cases.tests.helpers import MISSED_DAY0, lan_and_nam_monitored, missed_day, update
from khaibao.monitoring.models import PersonStatus

HANOI_TIME = ZoneInfo("Asia/Ho_Chi_Minh")
DAY0 = MISSED_DAY0


at = missed_day


def status(person: Any) -> PersonStatus:
    return PersonStatus.objects.get(person=person)


def queue(api: Any, official: Any, query: str = "") -> list[dict[str, Any]]:
    resp = api.as_(official).get(f"/triage{query}")
    assert resp.status_code == 200
    return resp.json()["items"]  # type: ignore[no-any-return]


@pytest.fixture
def monitored(world: Any, api: Any) -> Any:
    """Lan (medium, under monitoring from day 0) and Nam (medium as well, 61, same ward)."""
    return lan_and_nam_monitored(world, api)


def test_it_counts_escalates_and_marks_lost_day_by_day(monitored: Any, api: Any) -> None:
    w = monitored
    with at(1):
        tasks.missed_updates_refresh.call()
        assert status(w.lan_self).missed_days == 0
        update(api, w.nam, w.nam_self, (DAY0 + timedelta(days=1)).date().isoformat())
    with at(2):
        tasks.missed_updates_refresh.call()
        s = status(w.lan_self)
        assert (s.missed_days, s.escalated_at, s.lost_to_followup_at) == (1, None, None)
        assert [i["person_id"] for i in queue(api, w.ward_official, "?reason=missed_updates")] == [w.lan_self.id]
        update(api, w.nam, w.nam_self, (DAY0 + timedelta(days=2)).date().isoformat())
    with at(3):
        tasks.missed_updates_refresh.call()
        s = status(w.lan_self)
        assert s.missed_days == 2
        assert s.escalated_at is not None
        assert s.lost_to_followup_at is None
        # escalated: Lan now comes before Nam (both medium, neither vulnerable; Nam waited as long)
        items = queue(api, w.ward_official, "?level=medium")
        assert [i["person_id"] for i in items][:2] == [w.lan_self.id, w.nam_self.id]
        assert "escalation" in items[0]["reasons"]
        update(api, w.nam, w.nam_self, (DAY0 + timedelta(days=3)).date().isoformat())
    with at(4):
        tasks.missed_updates_refresh.call()
        s = status(w.lan_self)
        assert s.missed_days == 3
        assert s.lost_to_followup_at is not None
        assert [i["person_id"] for i in queue(api, w.ward_official, "?reason=lost_to_followup")] == [w.lan_self.id]
        assert [i["person_id"] for i in queue(api, w.ward_official, "?min_missed=3")] == [w.lan_self.id]
        # the job is idempotent: a second run in the same slot changes nothing
        before = status(w.lan_self)
        assert tasks.missed_updates_refresh.call()["changed"] == 0
        after = status(w.lan_self)
        assert (before.escalated_at, before.lost_to_followup_at, before.queue_rank) == (
            after.escalated_at, after.lost_to_followup_at, after.queue_rank)


def test_it_does_not_mark_lost_when_an_official_acted(monitored: Any, api: Any) -> None:
    w = monitored
    with at(3):
        tasks.missed_updates_refresh.call()
        assert status(w.lan_self).escalated_at is not None
        resp = api.as_(w.ward_official).post(f"/cases/{w.lan_self.id}/actions", {"kind": "called_reached"})
        assert resp.status_code == 201
        assert status(w.lan_self).escalated_at is None  # acknowledged
    with at(4):
        tasks.missed_updates_refresh.call()
        s = status(w.lan_self)
        # still 3 days without an update, but the official's call on day 3 was contact
        assert s.missed_days == 3
        assert s.lost_to_followup_at is None
        assert s.escalated_at is None
    with at(6):
        tasks.missed_updates_refresh.call()
        s = status(w.lan_self)
        assert s.escalated_at is not None
        assert s.lost_to_followup_at is None
    with at(7):
        tasks.missed_updates_refresh.call()
        assert status(w.lan_self).lost_to_followup_at is not None
        # the person comes back: an update ends the run and the lost mark
        update(api, w.lan, w.lan_self, (DAY0 + timedelta(days=7)).date().isoformat())
        s = status(w.lan_self)
        assert (s.missed_days, s.lost_to_followup_at) == (0, None)
        tasks.missed_updates_refresh.call()
        assert status(w.lan_self).lost_to_followup_at is None


def test_it_keeps_an_official_lost_mark_until_contact(monitored: Any, api: Any) -> None:
    w = monitored
    with at(1):
        api.as_(w.ward_official).post(f"/cases/{w.nam_self.id}/actions", {"kind": "lost_to_followup"})
        assert status(w.nam_self).lost_to_followup_at is not None
        tasks.missed_updates_refresh.call()
        assert status(w.nam_self).lost_to_followup_at is not None
        api.as_(w.ward_official).post(f"/cases/{w.nam_self.id}/actions", {"kind": "called_reached"})
        assert status(w.nam_self).lost_to_followup_at is None


def test_it_follows_the_configured_number_of_days(monitored: Any, api: Any, settings: Any) -> None:
    settings.FOLLOWUP_LOST_AFTER_DAYS = 5
    w = monitored
    with at(4):
        tasks.missed_updates_refresh.call()
        assert status(w.lan_self).lost_to_followup_at is None
        assert "5" in api.as_(w.ward_official).get("/triage").json()["lost_to_followup_rule"]
    with at(6):
        tasks.missed_updates_refresh.call()
        assert status(w.lan_self).lost_to_followup_at is not None


def test_it_resets_missed_days_when_monitoring_ends(monitored: Any, api: Any) -> None:
    w = monitored
    with at(5):
        tasks.missed_updates_refresh.call()
        assert status(w.lan_self).missed_days == 4
    until = status(w.lan_self).monitoring_until
    assert until is not None
    with time_machine.travel(datetime.combine(until + timedelta(days=1), DAY0.timetz()), tick=False):
        tasks.missed_updates_refresh.call()
        assert status(w.lan_self).missed_days == 0
        assert timezone.localdate() > until


def test_it_is_registered_as_a_periodic_job(settings: Any) -> None:
    assert ("khaibao.cases.tasks.missed_updates_refresh", 300) in settings.PERIODIC_TASKS
