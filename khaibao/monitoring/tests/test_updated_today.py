""""Today's update is done" means an update *for* today, whenever it was sent: yesterday's update
sent this morning leaves today's to do — on the status page, for the reminder, for organisations
(monitoring.selectors.status_updated_on and the queries that filter PersonStatus.last_update_day)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from khaibao.declarations.tests.helpers import ago, declaration
from khaibao.monitoring.models import PersonStatus
from khaibao.notifications.selectors import monitored_people_without_update
from khaibao.orgs.compliance import member_facts

WELL = {"symptoms": [], "temperature": None, "feeling": "well"}


def _update(client: Any, person: Any, days_ago: int) -> None:
    resp = client.put(f"/people/{person.id}/updates/{ago(days_ago)}", WELL)
    assert resp.status_code in (200, 201), resp.content


def _updated_today(client: Any, person: Any) -> bool:
    return bool(client.get(f"/people/{person.id}/status").json()["monitoring"]["updated_today"])


def test_yesterdays_update_sent_this_morning_leaves_todays_to_do(world, api):
    client = api.as_(world.lan)
    assert client.post(f"/people/{world.lan_child.id}/declarations", declaration()).status_code == 201
    PersonStatus.objects.filter(person=world.lan_child).update(monitoring_until=timezone.localdate())

    _update(client, world.lan_child, 1)  # yesterday's, sent now
    assert _updated_today(client, world.lan_child) is False
    status = PersonStatus.objects.get(person=world.lan_child)
    assert status.last_update_day == timezone.localdate() - timezone.timedelta(days=1)
    today = timezone.localdate()
    assert world.lan_child in monitored_people_without_update(today=today, after_person_id=0, limit=100)
    facts = member_facts(starts_on=today, day=today, last_declaration_at=None, last_update_day=status.last_update_day)
    assert facts.updated_today is False

    _update(client, world.lan_child, 0)  # today's
    assert _updated_today(client, world.lan_child) is True
    assert world.lan_child not in monitored_people_without_update(today=today, after_person_id=0, limit=100)

    _update(client, world.lan_child, 1)  # yesterday's corrected afterwards: today's stays done
    assert _updated_today(client, world.lan_child) is True
    assert PersonStatus.objects.get(person=world.lan_child).last_update_day == today
