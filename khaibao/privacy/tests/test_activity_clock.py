"""The retention clock (`PersonStatus.last_activity_at`, set only by `monitoring.assessment.status_acted`):
the person's declarations and updates and an official's follow-up action move it, a re-assessment
of the system does not. Before, an official's action left it where it was — a person who declared
179 days ago and became a confirmed case today was erased two days later, case and all — while a
new zone's re-assessment kept someone who had done nothing for longer than the consent notice says."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from khaibao.cases.models import FollowUpCase
from khaibao.monitoring.assessment import person_reassess
from khaibao.monitoring.models import PersonStatus
from khaibao.privacy.retention import inactive_people, retention_run
from khaibao.privacy.tests.helpers import declare_and_update

POSITIVE = {"kind": "test_result", "test_result": "positive", "test_date": timezone.localdate().isoformat()}


def _age(person: Any, days: int) -> None:
    # Everything the person did happened `days` ago.
    then = timezone.now() - timedelta(days=days)
    PersonStatus.objects.filter(person=person).update(
        last_activity_at=then, last_update_at=then, last_declaration_at=then
    )


def test_an_officials_action_keeps_the_persons_health_data(world: Any, api: Any) -> None:
    child = world.lan_child
    declare_and_update(api.as_(world.lan), child)
    _age(child, 179)

    action = api.as_(world.ward_official).post(f"/cases/{child.id}/actions", POSITIVE)
    assert action.status_code == 201, action.content

    in_two_days = timezone.now() + timedelta(days=2)
    assert child.pk not in set(inactive_people(in_two_days).values_list("pk", flat=True))
    retention_run()
    assert FollowUpCase.objects.filter(person=child).exists()
    assert PersonStatus.objects.filter(person=child, is_f0=True).exists()


def test_a_reassessment_of_the_system_is_nobodys_activity(world: Any, api: Any) -> None:
    child = world.lan_child
    declare_and_update(api.as_(world.lan), child)
    _age(child, 181)
    before = PersonStatus.objects.get(person=child).last_activity_at

    person_reassess(person=child, reason="zone:1:v1")

    status = PersonStatus.objects.get(person=child)
    assert status.assessed_at is not None
    assert status.assessed_at > before
    assert status.last_activity_at == before
    assert child.pk in set(inactive_people(timezone.now()).values_list("pk", flat=True))
