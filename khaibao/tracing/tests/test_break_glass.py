from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from khaibao.accounts.models import BreakGlassGrant
from khaibao.accounts.phones import phone_index
from khaibao.audit.models import AuditEvent
from khaibao.passes.tests.helpers import sign_in_staff
from khaibao.people.persons import id_number_index

LAN_ID = "001188000001"  # Nguyễn Thị Lan, Hoàn Kiếm (Hà Nội)
REASON = "Contact of our F0 case 12, lives in Hà Nội; checking her declarations."


def _open(api: Any, official: Any, **body: Any) -> Any:
    return api.as_(official).post("/break-glass", {"reason": REASON, **body})


def _contacts(api: Any, official: Any, person: Any) -> Any:
    return api.as_(official).get(f"/cases/{person.id}/contacts")


def test_it_opens_a_person_outside_the_jurisdiction_for_24_hours(world, api):
    assert _contacts(api, world.province_hcm, world.lan_self).status_code == 404

    resp = _open(api, world.province_hcm, id_number=LAN_ID)
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["person_id"] == world.lan_self.id
    grant = BreakGlassGrant.objects.get()
    assert grant.official_id == world.province_hcm.id
    assert grant.reason == REASON
    assert grant.expires_at - grant.granted_at == timedelta(hours=24)
    assert AuditEvent.objects.filter(action="break_glass.grant", person_id=world.lan_self.id).exists()

    assert _contacts(api, world.province_hcm, world.lan_self).status_code == 200
    view = AuditEvent.objects.filter(action="person.break_glass_view").get()
    assert view.actor_id == world.province_hcm.id
    assert view.person_id == world.lan_self.id
    assert view.data["grant_id"] == grant.id
    # The grant opens this one person, not her household nor anyone else of Hà Nội.
    assert _contacts(api, world.province_hcm, world.lan_child).status_code == 404
    assert _contacts(api, world.ward_official, world.hung_self).status_code == 404

    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1)):
        assert _contacts(api, world.province_hcm, world.lan_self).status_code == 404


def test_it_keeps_the_reason_out_of_the_audit_trail(world, api):
    _open(api, world.province_hcm, id_number=LAN_ID)
    for event in AuditEvent.objects.all():
        assert "F0 case 12" not in str(event.data) + event.reason
        assert LAN_ID not in str(event.data) + event.reason
    stored = BreakGlassGrant.objects.values_list("reason", flat=True).get()
    assert stored == REASON  # decrypted by the field; the column holds a token
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT reason FROM accounts_breakglassgrant")
        assert "F0 case" not in cursor.fetchone()[0]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"id_number": LAN_ID, "reason": ""}, "reason"),
        ({"id_number": LAN_ID, "reason": "   need it   "}, "reason"),
        ({"id_number": LAN_ID}, "reason"),
        ({"reason": REASON}, "id_number"),
        ({"id_number": LAN_ID, "phone": "0900000001", "reason": REASON}, "id_number"),
        ({"id_number": "00118800000", "reason": REASON}, "id_number"),
        ({"phone": "12345", "reason": REASON}, "phone"),
        ({"full_name": "Nguyễn Thị Lan", "reason": REASON}, "full_name"),
    ],
)
def test_it_refuses_without_a_reason_or_an_exact_number(world, api, body, field):
    resp = api.as_(world.province_hcm).post("/break-glass", body)
    assert resp.status_code == 400, resp.content
    assert field in resp.json()["error"]["fields"]
    assert not BreakGlassGrant.objects.exists()


def test_it_finds_no_one_with_a_number_nobody_has(world, api):
    resp = _open(api, world.province_hcm, id_number="001188000099")
    assert resp.status_code == 404
    assert not BreakGlassGrant.objects.exists()
    # The failed attempt is on record, without the number that was tried.
    from khaibao.audit.models import AuditEvent

    event = AuditEvent.objects.get(action="break_glass.open_refused")
    assert event.actor_id == world.province_hcm.id
    assert "001188000099" not in str(event.data)


def test_a_refused_open_names_the_number_tried_by_its_blind_index_only(world, api):
    assert _open(api, world.province_hcm, id_number="001188000099").status_code == 404
    world.lan_child.phone = world.lan_self.phone
    world.lan_child.phone_index = world.lan_self.phone_index
    world.lan_child.save()
    assert _open(api, world.province_hcm, phone="0900000001").status_code == 409

    absent, shared = AuditEvent.objects.filter(action="break_glass.open_refused").order_by("id")
    # The data-protection officer finds who tried a number by computing its index.
    assert absent.data["id_number_index"] == id_number_index("001188000099")
    assert (absent.data["by"], absent.data["matches"]) == ("id_number", 0)
    assert shared.data["phone_index"] == phone_index("+84900000001")
    assert (shared.data["by"], shared.data["matches"]) == ("phone", 2)
    for event in (absent, shared):
        trail = str(event.data) + event.reason
        assert "001188000099" not in trail
        assert "900000001" not in trail


def test_it_asks_to_choose_among_people_sharing_a_phone(world, api):
    world.lan_child.phone = world.lan_self.phone
    world.lan_child.phone_index = world.lan_self.phone_index
    world.lan_child.save()
    resp = _open(api, world.province_hcm, phone="0900000001")
    assert resp.status_code == 409
    assert resp.json()["error"]["code"] == "ambiguous"
    resp = _open(api, world.province_hcm, phone="0900000001", person_id=world.lan_child.id)
    assert resp.status_code == 201
    assert resp.json()["person_id"] == world.lan_child.id
    # An id outside the search's results cannot be opened.
    resp = _open(api, world.province_hcm, phone="0900000001", person_id=world.mai_self.id)
    assert resp.status_code == 404


def test_it_needs_no_grant_inside_the_jurisdiction(world, api):
    resp = _open(api, world.province, id_number=LAN_ID)
    assert resp.status_code == 200
    assert resp.json() == {"person_id": world.lan_self.id, "expires_at": None, "grant_id": None}
    assert not BreakGlassGrant.objects.exists()


@pytest.mark.parametrize("who", ["lan", "checkpoint", "org_admin", "dpo"])
def test_it_is_for_officials_only(world, api, who):
    resp = _open(api, getattr(world, who), id_number=LAN_ID)
    assert resp.status_code == 403
    assert api.as_(getattr(world, who)).get("/break-glass/review").status_code == 403
    assert not BreakGlassGrant.objects.exists()


def test_it_lists_grants_for_national_review_by_initials(world, api):
    _open(api, world.province_hcm, id_number=LAN_ID)
    for official in (world.province, world.province_hcm, world.ward_official):
        assert api.as_(official).get("/break-glass/review").status_code == 403
    national = api.as_(world.national)
    rows = national.get("/break-glass/review").json()
    assert len(rows) == 1
    row = rows[0]
    assert row["person_initials"] == "NTL"
    assert row["official"] == "demo-province-hcm"
    assert row["reason"] == REASON
    assert "Nguyễn Thị Lan" not in str(row)

    assert api.as_(world.province).post(f"/break-glass/review/{row['id']}", {"note": "ok"}).status_code == 403
    resp = national.post(f"/break-glass/review/{row['id']}", {"note": "Justified: contact tracing."})
    assert resp.status_code == 200, resp.content
    assert national.get("/break-glass/review").json() == []
    assert national.post(f"/break-glass/review/{row['id']}", {}).status_code == 409
    assert national.post("/break-glass/review/999999", {}).status_code == 404
    grant = BreakGlassGrant.objects.get()
    assert grant.reviewed_by_id == world.national.id
    assert grant.review_note == "Justified: contact tracing."
    assert AuditEvent.objects.filter(action="break_glass.review", actor=world.national).exists()


# --- console pages -----------------------------------------------------------------------


def test_it_searches_by_exact_number_and_opens_with_a_reason_in_the_console(world):
    client = Client()
    sign_in_staff(client, world.province_hcm)
    assert client.get("/staff/break-glass/").status_code == 200

    resp = client.post("/staff/break-glass/", {"step": "search", "id_number": LAN_ID})
    assert resp.status_code == 200
    page = resp.content.decode()
    assert "NTL" in page
    assert "1988" in page
    assert "Nguyễn Thị Lan" not in page
    search = AuditEvent.objects.get(action="break_glass.search")
    assert search.data == {
        "by": "id_number", "found": [world.lan_self.id], "people": [world.lan_self.id],
        "id_number_index": id_number_index(LAN_ID),
    }

    # A name is no search: nothing found, nothing shown.
    resp = client.post("/staff/break-glass/", {"step": "search", "id_number": "Nguyễn Thị Lan"})
    assert resp.status_code == 400
    assert "NTL" not in resp.content.decode()

    resp = client.post(
        "/staff/break-glass/", {"step": "open", "id_number": LAN_ID, "person_id": world.lan_self.id, "reason": "short"}
    )
    assert resp.status_code == 400
    assert not BreakGlassGrant.objects.exists()

    resp = client.post(
        "/staff/break-glass/", {"step": "open", "id_number": LAN_ID, "person_id": world.lan_self.id, "reason": REASON}
    )
    assert resp.status_code == 302
    assert str(world.lan_self.id) in resp["Location"]
    grant = BreakGlassGrant.objects.get(official=world.province_hcm, person=world.lan_self)
    opened = client.get(resp["Location"])
    assert opened.status_code == 200
    # The end of the access in Vietnam's time, as the review page shows it (not UTC).
    local_end = timezone.localtime(grant.expires_at).strftime("%H:%M %d/%m/%Y")
    assert local_end in opened.content.decode()


def test_a_console_search_that_finds_no_one_names_the_number_by_its_blind_index_only(world):
    """A search matching nobody is no silent way to test numbers: its event names the number
    tried by the people table's own blind index (as a refused open does), never in clear."""
    client = Client()
    sign_in_staff(client, world.province_hcm)
    for body in ({"id_number": "001188000099"}, {"phone": "0900 000 098"}):
        resp = client.post("/staff/break-glass/", {"step": "search", **body})
        assert resp.status_code == 400  # "No one is registered with this number."

    by_id, by_phone = AuditEvent.objects.filter(action="break_glass.search").order_by("id")
    assert by_id.data == {"by": "id_number", "found": [], "people": [], "id_number_index": id_number_index("001188000099")}
    assert by_phone.data == {"by": "phone", "found": [], "people": [], "phone_index": phone_index("+84900000098")}
    for event in (by_id, by_phone):
        assert event.actor_id == world.province_hcm.id
        assert "001188000099" not in str(event.data)
        assert "900000098" not in str(event.data)


def test_it_shows_the_review_page_to_national_officials_only(world, api):
    _open(api, world.province_hcm, id_number=LAN_ID)
    client = Client()
    sign_in_staff(client, world.province)
    assert client.get("/staff/break-glass/review/").status_code == 403
    client = Client()
    sign_in_staff(client, world.national)
    page = client.get("/staff/break-glass/review/").content.decode()
    assert "NTL" in page
    assert REASON in page
    assert "Nguyễn Thị Lan" not in page
    grant = BreakGlassGrant.objects.get()
    resp = client.post("/staff/break-glass/review/", {"grant_id": grant.id, "note": "ok"})
    assert resp.status_code == 302
    grant.refresh_from_db()
    assert grant.reviewed_at is not None
    assert "NTL" not in client.get("/staff/break-glass/review/").content.decode()


def test_it_keeps_citizens_out_of_the_break_glass_pages(world):
    client = Client()
    client.force_login(world.lan)
    assert client.get("/staff/break-glass/").status_code == 403
    assert client.get("/staff/break-glass/review/").status_code == 403


def test_it_shows_a_contacts_name_once_the_glass_is_broken_for_them(world, api):
    from khaibao.tracing.tests.helpers import contact, make_f0

    make_f0(world, api, world.hung_self)
    hcm = api.as_(world.province_hcm)
    hcm.post(f"/cases/{world.hung_self.id}/contacts", contact(phone="0900000001", ward_code=70))  # Lan, Hà Nội
    assert [r["full_name"] for r in hcm.get(f"/cases/{world.hung_self.id}/contacts").json()] == [None]
    _open(api, world.province_hcm, id_number=LAN_ID)
    assert [r["full_name"] for r in hcm.get(f"/cases/{world.hung_self.id}/contacts").json()] == ["Nguyễn Thị Lan"]
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        assert [r["full_name"] for r in hcm.get(f"/cases/{world.hung_self.id}/contacts").json()] == [None]
