from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.declarations.tests.helpers import ago, declaration, today
from khaibao.monitoring.models import Assessment, DailyUpdate, PersonStatus

WELL = {"symptoms": [], "temperature": None, "feeling": "well"}


def _put(client: Any, person: Any, day: str, body: dict[str, Any] = WELL) -> Any:
    return client.put(f"/api/v1/people/{person.id}/updates/{day}", body)


def _at_noon(days_ago: int) -> datetime:
    day = today() - timedelta(days=days_ago)
    return timezone.make_aware(datetime.combine(day, time(12, 0)))


def test_it_upserts_one_update_per_day(world, api):
    client = api.as_(world.lan)
    first = _put(client, world.lan_child, ago(0))
    assert first.status_code == 201, first.content
    assert first.json()["assessment"]["level"] == "low"
    second = _put(client, world.lan_child, ago(0), {"symptoms": ["cough"], "temperature": 37.2, "feeling": "unwell"})
    assert second.status_code == 200
    assert second.json()["symptoms"] == ["cough"]
    assert second.json()["temperature"] == 37.2
    update = DailyUpdate.objects.get(person=world.lan_child)
    assert update.feeling == "unwell"
    assert update.updated_as == "household_owner"
    assert second.json()["assessment"]["level"] == "medium"
    assert AuditEvent.objects.filter(action="daily_update.replace", person_id=world.lan_child.id).count() == 1


def test_it_accepts_yesterday(world, api):
    resp = _put(api.as_(world.lan), world.lan_child, ago(1))
    assert resp.status_code == 201
    assert DailyUpdate.objects.get(person=world.lan_child).day == today() - timedelta(days=1)


BAD_UPDATES: list[tuple[str, str, dict[str, Any], str]] = [
    ("tomorrow", ago(-1), WELL, "day"),
    ("the day before yesterday", ago(2), WELL, "day"),
    ("not a date", "2026-02-30", WELL, "day"),
    ("too cold", ago(0), {**WELL, "temperature": 33.9}, "temperature"),
    ("too hot", ago(0), {**WELL, "temperature": 43.1}, "temperature"),
    ("absurdly hot", ago(0), {**WELL, "temperature": 1e300}, "temperature"),
    ("unknown feeling", ago(0), {**WELL, "feeling": "meh"}, "feeling"),
    ("unknown symptom", ago(0), {**WELL, "symptoms": ["hiccups"]}, "symptoms.0"),
    ("no feeling", ago(0), {"symptoms": []}, "feeling"),
]


@pytest.mark.parametrize(("case", "day", "body", "field"), BAD_UPDATES, ids=[c[0] for c in BAD_UPDATES])
def test_it_refuses_a_bad_update(world, api, case, day, body, field):
    resp = _put(api.as_(world.lan), world.lan_child, day, body)
    assert resp.status_code == 400, resp.content
    assert field in resp.json()["error"]["fields"]
    assert not DailyUpdate.objects.exists()
    assert not PersonStatus.objects.exists()


def test_it_refuses_a_temperature_that_is_not_a_number(world, api):
    client = api.as_(world.lan)
    resp = client.client.put(
        f"/api/v1/people/{world.lan_child.id}/updates/{ago(0)}",
        '{"symptoms": [], "temperature": NaN, "feeling": "well"}',
        content_type="application/json", headers=client._headers(None),
    )
    assert resp.status_code == 400
    assert not DailyUpdate.objects.exists()


def test_it_counts_a_measured_fever(world, api):
    client = api.as_(world.lan)
    resp = _put(client, world.lan_self, ago(0), {"symptoms": ["shortness_of_breath"], "temperature": 38.5, "feeling": "unwell"})
    assert resp.json()["assessment"]["level"] == "urgent"
    assert "urgent.breathing_with_fever" in [r["rule"] for r in resp.json()["assessment"]["reasons"]]


def test_it_raises_the_level_on_new_symptoms(world, api):
    client = api.as_(world.lan)
    client.post(f"/api/v1/people/{world.lan_self.id}/declarations",
                declaration(exposures=[{"code": "contact_suspected", "date": ago(2)}]))
    assert PersonStatus.objects.get(person=world.lan_self).level == "medium"
    resp = _put(client, world.lan_self, ago(0), {"symptoms": ["cough"], "temperature": None, "feeling": "unwell"})
    assert resp.json()["assessment"]["level"] == "high"
    assert PersonStatus.objects.get(person=world.lan_self).level == "high"


def test_it_never_silently_lowers_an_open_high_level(world, api):
    client = api.as_(world.lan)
    client.post(f"/api/v1/people/{world.lan_self.id}/declarations",
                declaration(exposures=[{"code": "contact_confirmed", "date": ago(1)}]))
    # A new declaration without the contact, and a "well" update: the engine says low...
    redeclared = client.post(f"/api/v1/people/{world.lan_self.id}/declarations", declaration())
    well = _put(client, world.lan_self, ago(0))
    for resp in (redeclared, well):
        assessment = resp.json()["assessment"]
        # ...but the person keeps "high" until monitoring ends or an official decides.
        assert assessment["level"] == "high"
        assert assessment["level_kept"] is True
        assert "monitoring.level_kept" in [r["rule"] for r in assessment["reasons"]]
    latest = Assessment.objects.filter(person=world.lan_self).latest("created_at")
    assert latest.engine_level == "low"
    status = PersonStatus.objects.get(person=world.lan_self)
    assert status.level == "high"
    assert status.monitoring_until == today() - timedelta(days=1) + timedelta(days=14)


def test_it_lowers_a_medium_level(world, api):
    client = api.as_(world.lan)
    client.post(f"/api/v1/people/{world.lan_self.id}/declarations",
                declaration(symptoms=[{"code": "cough", "onset": ago(1)}]))
    resp = client.post(f"/api/v1/people/{world.lan_self.id}/declarations", declaration())
    assert resp.json()["assessment"]["level"] == "low"
    assert resp.json()["assessment"]["level_kept"] is False


def test_it_lowers_a_high_level_once_monitoring_is_over(world, api):
    client = api.as_(world.lan)
    with time_machine.travel(_at_noon(20), tick=False):
        client.post(f"/api/v1/people/{world.lan_self.id}/declarations",
                    declaration(exposures=[{"code": "contact_confirmed", "date": ago(0)}]))
    assert PersonStatus.objects.get(person=world.lan_self).level == "high"
    resp = _put(client, world.lan_self, ago(0))
    assert resp.json()["assessment"]["level"] == "low"


def test_it_follows_a_household_member_from_declaration_to_status(world, api):
    """The whole flow: declare → assessment → daily updates (one day missed) → status."""
    client = api.as_(world.lan)
    person = world.lan_child
    # Dates inside a time_machine block are relative to that (earlier) day.
    with time_machine.travel(_at_noon(4), tick=False):
        resp = client.post(f"/api/v1/people/{person.id}/declarations",
                           declaration(exposures=[{"code": "contact_suspected", "date": ago(5)}]))
        assert resp.status_code == 201
        assert resp.json()["assessment"]["level"] == "medium"
        assert _put(client, person, ago(0)).status_code == 201
    with time_machine.travel(_at_noon(3), tick=False):
        assert _put(client, person, ago(0)).status_code == 201
    # Two days ago: nothing sent. Yesterday's update is sent late, today.
    assert _put(client, person, ago(1)).status_code == 201
    assert _put(client, person, ago(0)).status_code == 201

    status = client.get(f"/api/v1/people/{person.id}/status")
    assert status.status_code == 200
    body = status.json()
    assert body["level"] == "medium"
    assert [r["rule"] for r in body["reasons"]] == ["medium.contact_without_symptoms"]
    assert body["recommendations"][0]["message"]
    monitoring = body["monitoring"]
    assert monitoring["open"] is True
    assert monitoring["until"] == (today() - timedelta(days=9) + timedelta(days=14)).isoformat()
    # The contact was 9 days ago: day 9 of 14.
    assert monitoring["day"] == 9
    assert monitoring["length"] == 14
    assert monitoring["missed_days"] == 1
    assert monitoring["updated_today"] is True
    assert body["pass"]["colour"] == "yellow"
    assert body["pass"]["token"]
    assert body["pass"]["expires_at"]


def test_it_shows_a_grey_status_before_any_declaration(world, api):
    body = api.as_(world.lan).get(f"/api/v1/people/{world.lan_child.id}/status").json()
    assert body["level"] is None
    assert body["reasons"] == []
    assert body["monitoring"] == {"open": False, "until": None, "day": None, "length": 14, "missed_days": 0, "updated_today": False}
    assert body["pass"]["colour"] == "grey"


def test_it_lets_a_volunteer_update_for_ong_tu(world, api):
    resp = _put(api.as_(world.volunteer), world.ong_tu, ago(0))
    assert resp.status_code == 201
    assert DailyUpdate.objects.get(person=world.ong_tu).updated_as == "volunteer"


def test_it_refuses_updates_by_an_official(world, api):
    resp = _put(api.as_(world.ward_official), world.lan_parent, ago(0))
    assert resp.status_code == 404
    assert not DailyUpdate.objects.exists()
