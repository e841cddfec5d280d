"""The case page of a dependent and of a person whose processing stopped (review-browser findings 3
and 4): a child without a phone is reached through the household owner who declares for them, and
a person who withdrew consent gets a reduced page — no action forms, an age group, a heading."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client
from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.cases.services import person_reveal
from khaibao.cases.tests.helpers import sign_in_staff

LAN_PHONE = "+84900000001"
REASON = {"reveal-reason": "Gọi điện cho phụ huynh để hỏi triệu chứng"}


def _section(html: str, section: str) -> str:
    match = re.search(rf'<section class="card" id="{section}".*?</section>', html, re.S)
    assert match, section
    return match.group(0)


def test_it_reveals_the_household_owners_phone_for_a_child_without_one(world: Any, client: Client) -> None:
    child = world.lan_child
    assert not child.phone
    sign_in_staff(client, world.ward_official)
    resp = client.post(f"/staff/cases/{child.id}/reveal/", REASON)
    assert resp.status_code == 200
    identity = _section(resp.content.decode(), "identity")
    assert f'href="tel:{LAN_PHONE}"' in identity
    assert "Chủ hộ — khai báo thay người này" in identity
    assert "Nguyễn Thị Lan" in identity
    # One audit event, naming whose phone was shown with the person's own.
    (event,) = AuditEvent.objects.filter(action="person.reveal", person_id=child.pk)
    assert event.data == {"contacts": [world.lan.pk]}


def test_it_reveals_no_one_elses_phone_for_a_person_with_their_own(world: Any, client: Client) -> None:
    revealed = person_reveal(actor=world.ward_official, person=world.lan_self, reason="Gọi điện theo dõi")
    assert revealed["phone"] == LAN_PHONE
    assert revealed["contacts"] == []
    assert AuditEvent.objects.get(action="person.reveal").data == {}


def test_the_household_is_worded_from_the_childs_side(world: Any, client: Client) -> None:
    sign_in_staff(client, world.ward_official)
    household = _section(client.get(f"/staff/cases/{world.lan_child.id}/").content.decode(), "household")
    assert "Nguyễn Thị Lan</strong> — Chủ hộ — khai báo thay người này" in household
    assert "Bản thân" not in household.replace("Bản thân — chủ hộ", "")
    assert "Trần Minh An — Người này — Con của chủ hộ" in household


def _withdraw_and_erase(api: Any, sms: Any, world: Any, settings: Any, person: Any) -> None:
    from khaibao.privacy.tests.helpers import immediate_tasks

    immediate_tasks(settings)
    client = api.as_(world.lan)
    # A daily update today: erasure keeps an anonymous shell (decade of birth) for the statistics.
    update = client.put(
        f"/people/{person.id}/updates/{timezone.localdate().isoformat()}", {"symptoms": ["cough"], "feeling": "unwell"}
    )
    assert update.status_code in (200, 201)
    ask = client.post("/privacy/erasure-codes", {"person_ids": [person.id], "reason": "consent_withdrawn"})
    assert ask.status_code == 201, ask.content
    confirm = client.post(f"/privacy/erasure-codes/{ask.json()['id']}/confirm", {"code": sms.last_code(LAN_PHONE)})
    assert confirm.status_code == 202, confirm.content


def test_it_shows_a_reduced_page_once_consent_is_withdrawn(
    world: Any, api: Any, sms: Any, settings: Any, client: Client
) -> None:
    child = world.lan_child
    _withdraw_and_erase(api, sms, world, settings, child)
    child.refresh_from_db()
    assert (child.full_name, child.birth_year) == ("", 2010)
    sign_in_staff(client, world.ward_official)
    resp = client.get(f"/staff/cases/{child.id}/")
    assert resp.status_code == 200
    html = resp.content.decode()
    (heading,) = re.findall(r"<h1>(.*?)</h1>", html, re.S)
    assert heading.strip() == "Đã rút lại sự đồng ý"
    identity = _section(html, "identity")
    assert "2010–2019" in identity
    assert not re.search(r"\d+ tuổi", identity)  # no age from a rounded year
    for form in ('name="kind"', 'name="reveal-reason"', 'name="to_me"', "household-limit", 'id="contacts"'):
        assert form not in html, form


def test_the_api_reveals_the_household_owners_phone_for_a_child_without_one(world: Any, api: Any) -> None:
    resp = api.as_(world.ward_official).post(f"/cases/{world.lan_child.id}/reveal", {"reason": "Gọi cho phụ huynh"})
    assert resp.status_code == 200
    body = resp.json()
    assert body["phone"] is None
    assert [(c["role"], c["phone"]) for c in body["contacts"]] == [("household_owner", world.lan.phone)]
