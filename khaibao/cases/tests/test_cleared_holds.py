"""An official's "Cleared" holds: the answers it judged (dated up to the clearing day) never raise
the level again — not the person's next daily update, a new declaration restating them, nor an
epidemic zone's re-assessment — while a need that is new after it (a contact, symptoms, a positive
test) does (docs/officials.md, "Cleared")."""

from __future__ import annotations

from datetime import datetime, timedelta
from importlib import import_module
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.db import connection
from django.utils import timezone

from khaibao.cases.tests.helpers import declare, update
from khaibao.declarations.tests.helpers import ago, declaration
from khaibao.monitoring.models import PersonStatus
from khaibao.zones.models import ZoneWarningRun
from khaibao.zones.tasks import zone_warnings_run
from khaibao.zones.tests.helpers import zone_body

HANOI_TIME = ZoneInfo("Asia/Ho_Chi_Minh")
DAY0 = datetime(2026, 3, 2, 9, 0, tzinfo=HANOI_TIME)
HOAN_KIEM = 70


def at(days: int, hours: int = 0) -> Any:
    return time_machine.travel(DAY0 + timedelta(days=days, hours=hours), tick=False)


def status(person: Any) -> PersonStatus:
    return PersonStatus.objects.get(person=person)


def queue_ids(api: Any, official: Any) -> list[int]:
    resp = api.as_(official).get("/triage")
    assert resp.status_code == 200
    return [i["person_id"] for i in resp.json()["items"]]


def clear(api: Any, official: Any, person: Any) -> None:
    resp = api.as_(official).post(f"/cases/{person.id}/actions", {"kind": "cleared"})
    assert resp.status_code == 201, resp.content


def assert_cleared_stands(api: Any, person: Any, official: Any) -> None:
    row = status(person)
    assert (row.level, row.in_queue) == ("low", False)
    assert row.monitoring_until is None or row.monitoring_until < timezone.localdate()
    assert not [r for r in row.reasons if r.startswith(("medium.", "high.", "urgent."))]
    assert person.id not in queue_ids(api, official)


def test_it_keeps_a_well_update_after_cleared_low_and_out_of_the_queue(world: Any, api: Any) -> None:
    with at(0):
        declare(api, world.lan, world.lan_self, "high")  # contact with a confirmed case 2 days ago
        assert world.lan_self.id in queue_ids(api, world.ward_official)
    with at(0, hours=2):
        clear(api, world.ward_official, world.lan_self)
        assert status(world.lan_self).cleared_at is not None
        assert_cleared_stands(api, world.lan_self, world.ward_official)
    with at(0, hours=4):
        resp = update(api, world.lan, world.lan_self, ago(0))
        assert resp.json()["assessment"]["level"] == "low"
        assert_cleared_stands(api, world.lan_self, world.ward_official)
    with at(1):  # and the next day's too
        resp = update(api, world.lan, world.lan_self, ago(0))
        assert resp.json()["assessment"]["level"] == "low"
        assert_cleared_stands(api, world.lan_self, world.ward_official)


def test_it_keeps_a_zone_reassessment_after_cleared_low(world: Any, api: Any) -> None:
    with at(0):
        # Mai (Ba Đình) met a confirmed case and went through Hoàn Kiếm; cleared by the province.
        resp = api.as_(world.mai).post(f"/people/{world.mai_self.id}/declarations", declaration(
            exposures=[{"code": "contact_confirmed", "date": ago(2)}],
            travel=[{"ward_code": HOAN_KIEM, "from": ago(4), "to": ago(3)}],
        ))
        assert resp.status_code == 201, resp.content
        assert resp.json()["assessment"]["level"] == "high"
        clear(api, world.province, world.mai_self)
        assert_cleared_stands(api, world.mai_self, world.province)
    with at(1):
        resp = api.as_(world.province).post("/zones", zone_body(valid_from=ago(6)))
        assert resp.status_code == 201, resp.content
        zone = resp.json()
        run = ZoneWarningRun.objects.get(zone_version__zone_id=zone["zone_id"], zone_version__number=zone["version"])
        assert zone_warnings_run.call(run.pk)["status"] == "done"
        assessed_at = status(world.mai_self).assessed_at
        assert assessed_at is not None
        assert timezone.localdate(assessed_at) == DAY0.date() + timedelta(days=1)  # the run re-assessed her
        assert_cleared_stands(api, world.mai_self, world.province)


def test_it_raises_again_for_an_exposure_after_cleared(world: Any, api: Any) -> None:
    with at(0):
        declare(api, world.lan, world.lan_self, "high")
        clear(api, world.ward_official, world.lan_self)
    with at(1):
        # The same answers declared again (the contact now 3 days ago): nothing new.
        resp = api.as_(world.lan).post(f"/people/{world.lan_self.id}/declarations", declaration(
            exposures=[{"code": "contact_confirmed", "date": ago(3)}],
        ))
        assert resp.status_code == 201, resp.content
        assert resp.json()["assessment"]["level"] == "low"
        assert_cleared_stands(api, world.lan_self, world.ward_official)
        # A contact on the day after the clearing is a new need.
        resp = api.as_(world.lan).post(f"/people/{world.lan_self.id}/declarations", declaration(
            exposures=[{"code": "contact_confirmed", "date": ago(3)}, {"code": "contact_confirmed", "date": ago(0)}],
        ))
        assert resp.status_code == 201, resp.content
        assert resp.json()["assessment"]["level"] == "high"
        row = status(world.lan_self)
        assert (row.level, row.in_queue) == ("high", True)
        assert "high.contact_confirmed" in row.reasons
        assert row.monitoring_until == DAY0.date() + timedelta(days=1 + 14)
        assert world.lan_self.id in queue_ids(api, world.ward_official)


def test_it_raises_again_for_symptoms_after_cleared(world: Any, api: Any) -> None:
    with at(0):
        declare(api, world.lan, world.lan_self, "high")
        update(api, world.lan, world.lan_self, ago(0), symptoms=["cough"])
        clear(api, world.ward_official, world.lan_self)
    with at(0, hours=3):
        # Today's cough again: the official cleared her knowing of it.
        resp = update(api, world.lan, world.lan_self, ago(0), symptoms=["cough"])
        assert resp.json()["assessment"]["level"] == "low"
    with at(1):
        resp = update(api, world.lan, world.lan_self, ago(0), symptoms=["fever", "cough"])
        assert resp.json()["assessment"]["level"] != "low"
        row = status(world.lan_self)
        assert row.level != "low"
        assert row.in_queue
        assert row.monitoring_until is not None
        assert row.monitoring_until > DAY0.date()
        assert world.lan_self.id in queue_ids(api, world.ward_official)


def test_it_raises_again_for_a_positive_test_after_cleared(world: Any, api: Any) -> None:
    with at(0):
        declare(api, world.lan, world.lan_self, "high")
        clear(api, world.ward_official, world.lan_self)
    with at(2):
        resp = api.as_(world.ward_official).post(f"/cases/{world.lan_self.id}/actions", {
            "kind": "test_result", "test_result": "positive", "test_date": ago(0),
        })
        assert resp.status_code == 201, resp.content
        assert status(world.lan_self).level == "urgent"
        resp = update(api, world.lan, world.lan_self, ago(0))
        assert resp.json()["assessment"]["level"] == "urgent"
        assert world.lan_self.id in queue_ids(api, world.ward_official)


def test_people_cleared_before_the_column_existed_get_their_clearing_time(world: Any, api: Any) -> None:
    """cases 0005: the latest "cleared" action's time, for statuses that have none."""
    backfill = import_module("khaibao.cases.migrations.0005_cleared_at_backfill")._BACKFILL
    with at(0):
        declare(api, world.lan, world.lan_self, "high")
        declare(api, world.lan, world.lan_child, "high")
    with at(0, hours=2):
        clear(api, world.ward_official, world.lan_self)
    cleared = status(world.lan_self).cleared_at
    PersonStatus.objects.filter(person=world.lan_self).update(cleared_at=None)  # as before monitoring 0021
    with connection.cursor() as cursor:
        cursor.execute(backfill)
    assert status(world.lan_self).cleared_at == cleared
    assert status(world.lan_child).cleared_at is None  # never cleared: left alone
