"""Once consent is withdrawn, officials no longer process the person either (people.access
`processing_allowed`, the rule the zone warnings and the rush worker read too): a case action, an
assignment or a contact flag was accepted and brought back the status row and the triage-queue
entry the withdrawal deleted — a nameless urgent entry for someone who had said stop. Officials
may still open the person and see why."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from khaibao.cases.models import FollowUpCase
from khaibao.monitoring.models import PersonStatus
from khaibao.privacy.tests.helpers import immediate_tasks
from khaibao.tracing.models import Contact
from khaibao.tracing.tests.helpers import contact, make_f0

LAN_PHONE = "+84900000001"
POSITIVE = {"kind": "test_result", "test_result": "positive"}


def _withdraw(api: Any, sms: Any, world: Any, person: Any) -> None:
    client = api.as_(world.lan)
    ask = client.post("/privacy/erasure-codes", {"person_ids": [person.id], "reason": "consent_withdrawn"})
    assert ask.status_code == 201, ask.content
    confirm = client.post(f"/privacy/erasure-codes/{ask.json()['id']}/confirm", {"code": sms.last_code(LAN_PHONE)})
    assert confirm.status_code == 202, confirm.content


def _refused(response: Any) -> None:
    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "processing_stopped"


def test_an_official_cannot_bring_an_erased_person_back_into_the_queue(world: Any, api: Any, sms: Any, settings: Any) -> None:
    immediate_tasks(settings)
    child = world.lan_child
    update = api.as_(world.lan).put(
        f"/people/{child.id}/updates/{timezone.localdate().isoformat()}", {"symptoms": ["cough"], "feeling": "unwell"}
    )
    assert update.status_code in (200, 201)
    _withdraw(api, sms, world, child)  # erased: an anonymous shell with a home ward is kept for today's statistics
    official = api.as_(world.ward_official)

    _refused(official.post(f"/cases/{child.id}/actions", {**POSITIVE, "test_date": timezone.localdate().isoformat()}))
    _refused(official.post(f"/cases/{child.id}/assign", {}))
    assert official.get(f"/cases/{child.id}").json()["privacy_state"] == "Đã rút lại sự đồng ý"  # Consent withdrawn

    assert not PersonStatus.objects.filter(person_id=child.pk).exists()
    assert not FollowUpCase.objects.filter(person_id=child.pk).exists()
    assert child.pk not in [item["person_id"] for item in official.get("/triage").json()["items"]]


def test_an_official_still_opens_the_person_and_is_told_why(world: Any, api: Any, sms: Any) -> None:
    parent = world.lan_parent
    _withdraw(api, sms, world, parent)  # the erasure has not run yet

    opened = api.as_(world.ward_official).get(f"/cases/{parent.id}")

    assert opened.status_code == 200
    assert opened.json()["privacy_state"] == "Đã rút lại sự đồng ý"  # Consent withdrawn
    _refused(api.as_(world.ward_official).post(f"/cases/{parent.id}/actions", {"kind": "called_reached"}))
    _refused(api.as_(world.ward_official).post(f"/cases/{parent.id}/reveal", {"reason": "Gọi điện xác minh tiếp xúc F0"}))


def test_a_contact_matching_a_person_who_withdrew_is_not_flagged(world: Any, api: Any, sms: Any) -> None:
    make_f0(world, api, world.lan_self)
    parent = world.lan_parent
    _withdraw(api, sms, world, parent)  # not erased yet: the ID number still finds them

    body = contact(full_name="Nguyễn Văn Bình", phone="0987654321", id_number="001055000003", birth_year=None, sex=None)
    registered = api.as_(world.ward_official).post(f"/cases/{world.lan_self.id}/contacts", body)

    _refused(registered)
    assert not Contact.objects.filter(person=parent).exists()
    assert not PersonStatus.objects.filter(person=parent).exists()


def test_no_contact_is_registered_for_a_case_who_withdrew(world: Any, api: Any, sms: Any) -> None:
    make_f0(world, api, world.lan_parent)
    _withdraw(api, sms, world, world.lan_parent)  # his status, and so his F0, are gone at once

    registered = api.as_(world.ward_official).post(
        f"/cases/{world.lan_parent.id}/contacts", contact(full_name="Hoa", phone="0900000004")
    )

    _refused(registered)  # said so, not "contacts can only be registered for a confirmed case"
    assert not Contact.objects.filter(source=world.lan_parent).exists()
