from __future__ import annotations

import json

from django.test import Client

from khaibao.people.models import Person
from khaibao.privacy.models import Erasure, ErasureCode
from khaibao.privacy.tests.helpers import database_hits, immediate_tasks

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
LAN_PHONE = "+84900000001"


def _client(account) -> Client:
    client = Client()
    client.force_login(account)
    return client


def test_it_shows_my_data_with_purpose_and_retention(world):
    resp = _client(world.lan).get("/my-data/", **EN)
    assert resp.status_code == 200
    text = resp.content.decode()
    assert "only for epidemic prevention" in text
    assert "180 days" in text
    assert "Trần Minh An" in text
    assert "Download my data" in text


def test_it_shows_the_purpose_where_data_is_collected(world):
    client = _client(world.lan)
    for url in ("/household/add/", f"/people/{world.lan_child.id}/declare/"):
        resp = client.get(url, **EN)
        assert resp.status_code == 200, url
        assert "only for epidemic prevention" in resp.content.decode(), url
    assert "only for epidemic prevention" in Client().get("/sign-in/", **EN).content.decode()


def test_it_downloads_my_data(world):
    resp = _client(world.lan).get("/my-data/export.json")
    assert resp.status_code == 200
    assert resp["Cache-Control"] == "no-store"
    assert {p["full_name"] for p in json.loads(resp.content)["people"]} == {"Nguyễn Thị Lan", "Trần Minh An", "Nguyễn Văn Bình"}


def test_it_sends_anonymous_visitors_to_sign_in(db):
    resp = Client().get("/my-data/")
    assert resp.status_code == 302
    assert "/sign-in/" in resp["Location"]


def test_it_confirms_before_sending_a_code(world, sms):
    client = _client(world.lan)
    resp = client.get("/my-data/erase/", {"reason": "request", "person_ids": [world.lan_child.id]}, **EN)
    assert resp.status_code == 200
    text = resp.content.decode()
    assert "Erase this data?" in text
    assert "Trần Minh An" in text
    assert "cannot be undone" in text
    assert not ErasureCode.objects.exists()
    assert sms.messages() == []


def test_it_asks_to_choose_someone(world):
    resp = _client(world.lan).get("/my-data/erase/", {"reason": "request"}, **EN)
    assert resp.status_code == 400
    assert "Choose at least one person." in resp.content.decode()


def test_it_will_not_erase_another_households_person(world, sms):
    resp = _client(world.mai).post("/my-data/erase/", {"reason": "request", "person_ids": [world.lan_child.id]}, **EN)
    assert resp.status_code == 400
    assert not ErasureCode.objects.exists()


def test_it_erases_a_member_after_the_code(world, sms, settings):
    immediate_tasks(settings)
    client = _client(world.lan)
    resp = client.post("/my-data/erase/", {"reason": "consent_withdrawn", "person_ids": [world.lan_child.id]})
    assert resp.status_code == 302
    code_url = resp["Location"]
    page = client.get(code_url, **EN)
    assert page.status_code == 200
    assert "Enter the code" in page.content.decode()
    wrong = client.post(code_url, {"code": "12345"}, **EN)
    assert wrong.status_code == 400
    done = client.post(code_url, {"code": sms.last_code(LAN_PHONE)})
    assert done.status_code == 302
    assert done["Location"] == "/my-data/"
    assert Erasure.objects.get(person_id=world.lan_child.id).status == "done"
    assert database_hits("Trần Minh An") == []
    after = client.get("/my-data/", **EN).content.decode()
    assert "Consent withdrawn" in after
    # A used code's page is gone.
    assert client.get(code_url).status_code == 404


def test_it_signs_out_when_the_holder_erases_themselves(world, sms, settings):
    immediate_tasks(settings)
    client = _client(world.lan)
    confirm = client.get("/my-data/erase/", {"reason": "request", "person_ids": [world.lan_self.id]}, **EN)
    assert "your account is closed" in confirm.content.decode()
    assert "Trần Minh An" in confirm.content.decode()  # the whole household is listed
    resp = client.post("/my-data/erase/", {"reason": "request", "person_ids": [world.lan_self.id]})
    done = client.post(resp["Location"], {"code": sms.last_code(LAN_PHONE)})
    assert done.status_code == 302
    assert done["Location"] == "/"
    assert client.get("/my-data/").status_code == 302  # signed out
    assert not Person.objects.filter(pk__in=[world.lan_self.id, world.lan_child.id, world.lan_parent.id]).exists()


def test_it_hides_another_accounts_code_page(world, sms):
    resp = _client(world.lan).post("/my-data/erase/", {"reason": "request", "person_ids": [world.lan_child.id]})
    assert _client(world.mai).get(resp["Location"]).status_code == 404


def test_it_tells_officials_that_consent_was_withdrawn(world, api, sms):
    from khaibao.declarations.tests.helpers import declaration
    from khaibao.stats.tests.helpers import official_client

    api.as_(world.lan).post(f"/api/v1/people/{world.lan_child.id}/declarations", declaration())
    client = _client(world.lan)
    resp = client.post("/my-data/erase/", {"reason": "consent_withdrawn", "person_ids": [world.lan_child.id]})
    client.post(resp["Location"], {"code": sms.last_code(LAN_PHONE)})
    # The erasure is queued, not yet run: the ward official still reaches the person.
    page = official_client(world.ward_official).get(f"/staff/cases/{world.lan_child.id}/")
    assert page.status_code == 200
    assert "Consent withdrawn" in page.content.decode()
    other = official_client(world.ward_official).get(f"/staff/cases/{world.lan_parent.id}/")
    assert "Consent withdrawn" not in other.content.decode()


def test_it_lists_who_closing_the_account_erases(world, sms):
    from khaibao.people.models import HouseholdMembership

    HouseholdMembership.objects.create(owner=world.lan, person=world.mai_self, relation="other")
    client = _client(world.lan)
    confirm = client.get("/my-data/erase/", {"reason": "request", "person_ids": [world.lan_self.id]}, **EN)
    text = confirm.content.decode()
    assert "Trần Minh An" in text
    assert "Lê Thị Mai" not in text.split("<ul>")[1].split("</ul>")[0]
    resp = client.post("/my-data/erase/", {"reason": "request", "person_ids": [world.lan_self.id]})
    assert resp.status_code == 302
    assert world.mai_self.id not in ErasureCode.objects.get().person_ids
