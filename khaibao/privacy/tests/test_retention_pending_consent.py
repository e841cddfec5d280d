"""A person a volunteer registered who never agreed (consent by code) is not kept for ever:
VOLUNTEER_PENDING_CONSENT_DAYS after the last code expired retention ends the delegation, and
erases the person unless somebody else looks after them (people.households.person_ties_q)."""

from __future__ import annotations

import io
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.people.models import (
    Delegation,
    HouseholdMembership,
    IdNumberReview,
    Person,
    Relation,
    VolunteerAppointment,
)
from khaibao.people.tests.test_volunteers_api import ASSISTED_PHONE, start
from khaibao.privacy.retention import retention_run


def _pending(api, world, **overrides) -> Delegation:
    resp = start(api, world, world.volunteer, consent_method="code", phone=ASSISTED_PHONE, **overrides)
    assert resp.status_code == 201, resp.json()
    return Delegation.objects.get(pk=resp.json()["id"])


def _line(output: str, table: str) -> list[str]:
    return next(line.split() for line in output.splitlines() if line.startswith(table + " "))


def test_it_erases_a_person_who_never_agreed_once_the_grace_is_over(world, api, sms, settings, time_machine):
    settings.VOLUNTEER_PENDING_CONSENT_DAYS = 7
    # Registered with the ID number of someone already known: an ID-number review waits too.
    known = start(api, world, world.volunteer, full_name="Trần Văn Tám")  # witnessed: agreed
    assert known.status_code == 201, known.json()
    delegation = _pending(api, world)
    person_id = delegation.person_id
    assert IdNumberReview.objects.filter(person_id=person_id).exists()
    # Whoever appointed the volunteer let the appointment end: nobody can end the delegation by hand.
    VolunteerAppointment.objects.filter(account=world.volunteer).update(expires_at=timezone.now() - timedelta(days=1))

    time_machine.move_to(timezone.now() + timedelta(days=6))
    assert retention_run().get("lapsed_assisted_people") is None
    assert Person.objects.filter(pk=person_id).exists()

    time_machine.move_to(timezone.now() + timedelta(days=2))
    out = io.StringIO()
    call_command("retention", "--dry-run", stdout=out)
    assert _line(out.getvalue(), "lapsed_consent_delegations") == ["lapsed_consent_delegations", "end", "1"]
    assert _line(out.getvalue(), "lapsed_assisted_people") == ["lapsed_assisted_people", "delete", "1"]

    done = retention_run()
    assert done["lapsed_consent_delegations"] == 1
    assert done["lapsed_assisted_people"] == 1
    assert not Person.objects.filter(pk=person_id).exists()
    assert not Delegation.objects.filter(pk=delegation.pk).exists()
    assert not IdNumberReview.objects.filter(person_id=person_id).exists()
    event = AuditEvent.objects.filter(action="privacy.retention").latest("id")
    assert event.data["counts"]["lapsed_assisted_people"] == 1
    assert Person.objects.filter(pk=known.json()["person"]["id"]).exists()


def test_it_ends_the_delegation_but_keeps_a_person_somebody_else_looks_after(world, api, sms, settings, time_machine):
    settings.VOLUNTEER_PENDING_CONSENT_DAYS = 7
    delegation = _pending(api, world)
    HouseholdMembership.objects.create(owner=world.lan, person_id=delegation.person_id, relation=Relation.OTHER)
    time_machine.move_to(timezone.now() + timedelta(days=8))
    done = retention_run()
    assert done["lapsed_consent_delegations"] == 1
    assert "lapsed_assisted_people" not in done
    assert Person.objects.filter(pk=delegation.person_id).exists()
    delegation.refresh_from_db()
    assert delegation.ended_at is not None


def test_it_leaves_people_who_agreed(world, api, sms, settings, time_machine):
    resp = start(api, world, world.volunteer)  # witnessed: consented at once
    assert resp.status_code == 201, resp.json()
    time_machine.move_to(timezone.now() + timedelta(days=400))
    done = retention_run()
    assert "lapsed_consent_delegations" not in done
    assert "lapsed_assisted_people" not in done
    assert Delegation.objects.filter(pk=resp.json()["id"], ended_at__isnull=True).exists()
    assert Person.objects.filter(pk=resp.json()["person"]["id"]).exists()
