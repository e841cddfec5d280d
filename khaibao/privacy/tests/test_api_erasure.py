from __future__ import annotations

import io
from datetime import timedelta

import time_machine
from django.utils import timezone

from khaibao.accounts import ratelimit
from khaibao.accounts.models import Account
from khaibao.accounts.phones import phone_index
from khaibao.audit.models import AuditEvent
from khaibao.declarations.models import Declaration
from khaibao.declarations.tests.helpers import declaration
from khaibao.monitoring.models import DailyUpdate
from khaibao.people.models import Person
from khaibao.people.persons import id_number_index
from khaibao.privacy.erasure import person_data_erase
from khaibao.privacy.models import ConsentWithdrawal, Erasure, ErasureCode
from khaibao.privacy.tests.helpers import database_hits, declare_and_update, immediate_tasks, rollups
from khaibao.smsin.models import InboundSms
from khaibao.smsin.tests.helpers import SECRET as SMS_SECRET
from khaibao.smsin.tests.helpers import Gateway
from khaibao.stats.services import rollup_refresh

LAN_PHONE = "+84900000001"


def _ask(client, person_ids, reason="request"):
    return client.post("/api/v1/privacy/erasure-codes", {"person_ids": person_ids, "reason": reason})


def _erase(client, sms, person_ids, reason="request"):
    resp = _ask(client, person_ids, reason)
    assert resp.status_code == 201, resp.content
    code = sms.last_code(LAN_PHONE)
    return resp, client.post(f"/api/v1/privacy/erasure-codes/{resp.json()['id']}/confirm", {"code": code})


def test_it_erases_a_member_so_that_nothing_in_the_database_names_them(world, api, sms, settings):
    immediate_tasks(settings)
    client = api.as_(world.lan)
    parent = world.lan_parent
    declare_and_update(client, parent)
    declare_and_update(client, world.lan_child)
    rollup_refresh()
    before = rollups()
    assert before
    needles = ("Nguyễn Văn Bình", "001055000003", id_number_index("001055000003"))
    assert database_hits(*needles)

    _, confirm = _erase(client, sms, [parent.id])

    assert confirm.status_code == 202, confirm.content
    body = confirm.json()
    assert body["account_closed"] is False
    assert [e["person_id"] for e in body["erasures"]] == [parent.id]
    assert body["erasures"][0]["status"] == "pending"  # the answer comes before the background run
    assert Erasure.objects.get(person_id=parent.id).status == "done"
    assert database_hits(*needles) == []
    assert rollups() == before
    rollup_refresh()  # the next refresh recomputes today and yesterday from the raw rows
    assert rollups() == before
    # The other members are untouched.
    assert Declaration.objects.filter(person=world.lan_child).exists()
    assert client.get(f"/api/v1/people/{parent.id}").status_code == 404
    event = AuditEvent.objects.get(action="privacy.person_erased")
    assert event.person_id == parent.id
    # Today's declaration and update are kept, anonymous, for the statistics still recomputed.
    assert event.data["counts"]["kept_for_statistics"] == 2
    assert event.data["counts"]["assessments"] == 2
    assert "Bình" not in str(event.data)
    assert "001055000003" not in str(event.data)


def test_it_removes_the_anonymous_shell_once_the_statistics_are_final(world, api, sms, settings):
    immediate_tasks(settings)
    client = api.as_(world.lan)
    declare_and_update(client, world.lan_parent)
    _erase(client, sms, [world.lan_parent.id])
    shell = Person.objects.get(pk=world.lan_parent.id)
    assert shell.full_name == ""
    assert shell.id_number == ""
    assert shell.id_number_index is None
    assert Declaration.objects.get(person=shell).answers == {"symptoms": [{"code": "cough", "onset": Declaration.objects.get(person=shell).answers["symptoms"][0]["onset"]}]}
    from django.core.management import call_command

    with time_machine.travel(timezone.now() + timedelta(days=3)):
        call_command("retention", stdout=io.StringIO())
    assert not Person.objects.filter(pk=world.lan_parent.id).exists()
    assert not DailyUpdate.objects.filter(person_id=world.lan_parent.id).exists()


def test_it_closes_the_account_when_the_holder_erases_themselves(world, api, sms, settings):
    immediate_tasks(settings)
    client = api.as_(world.lan)
    declare_and_update(client, world.lan_self)
    settings.SMS_INBOUND_SECRET = SMS_SECRET
    Gateway(sms).reply("SOT HO", sender="0900000001")  # an inbound SMS keeps the phone (and the text)
    ratelimit.hit(f"report:phone:{phone_index(LAN_PHONE)}", window_seconds=3600)
    ask = _ask(client, [world.lan_self.id])
    assert ask.status_code == 201
    assert ask.json()["account_closes"] is True
    assert sorted(ask.json()["person_ids"]) == sorted([world.lan_self.id, world.lan_child.id, world.lan_parent.id])
    confirm = client.post(f"/api/v1/privacy/erasure-codes/{ask.json()['id']}/confirm", {"code": sms.last_code(LAN_PHONE)})
    assert confirm.status_code == 202
    assert confirm.json()["account_closed"] is True
    assert client.get("/api/v1/me").status_code == 401
    needles = ("Nguyễn Thị Lan", "Trần Minh An", "Nguyễn Văn Bình", "001188000001", LAN_PHONE, phone_index(LAN_PHONE))
    assert database_hits(*needles) == []
    world.lan.refresh_from_db()
    assert not world.lan.is_active
    assert ratelimit.count(f"report:phone:{phone_index(LAN_PHONE)}") == 0


def test_it_leaves_nothing_of_a_person_registered_by_sms(world, api, sms, settings):
    """The inbound SMS hold the ID number and symptoms (text) and the name (reply): closing the
    account takes every message from its phone, also one that acted for no person."""
    immediate_tasks(settings)
    settings.SMS_INBOUND_SECRET = SMS_SECRET
    gateway = Gateway(sms)
    phone, name, cccd = "+84911000001", "Nguyen Van An", "001090012345"
    gateway.reply("SOT HO")  # before registering: a message from the phone, for no one
    gateway.reply(f"KB {cccd} 1990 {world.hoan_kiem.code} NGUYEN VAN AN")
    gateway.reply("SOT HO")
    account = Account.objects.get(phone_index=phone_index(phone))
    person = Person.objects.get(account=account)
    needles = (cccd, id_number_index(cccd), phone, phone_index(phone), name)
    assert {hit.split(".")[0] for hit in database_hits(*needles)} >= {"smsin_inboundsms"}
    client = api.as_(account)

    ask = client.post("/api/v1/privacy/erasure-codes", {"person_ids": [person.pk], "reason": "request"})
    assert ask.status_code == 201, ask.content
    confirm = client.post(f"/api/v1/privacy/erasure-codes/{ask.json()['id']}/confirm", {"code": sms.last_code(phone)})

    assert confirm.json()["account_closed"] is True
    assert database_hits(*needles) == []
    assert not InboundSms.objects.exists()
    closed = AuditEvent.objects.get(action="privacy.account_closed")
    assert closed.data["counts"]["inbound_sms"] == 3


def test_it_erases_the_messages_that_acted_for_a_person(world, api, sms, settings):
    settings.SMS_INBOUND_SECRET = SMS_SECRET
    gateway = Gateway(sms)
    gateway.reply(f"KB 001090012345 1990 {world.hoan_kiem.code} NGUYEN VAN AN")
    gateway.reply("OK")
    person = Person.objects.get(account__phone_index=phone_index("+84911000001"))
    assert InboundSms.objects.filter(person=person).count() == 2
    erasure = Erasure.objects.create(person_id=person.pk, reason="request", requested_at=timezone.now())

    counts = person_data_erase(erasure=erasure)

    assert counts["inbound_sms"] == 2
    assert not InboundSms.objects.exists()  # not only unlinked (SET_NULL): gone


def test_it_refuses_a_wrong_code_and_stops_after_five_tries(world, api, sms):
    client = api.as_(world.lan)
    ask = _ask(client, [world.lan_child.id])
    url = f"/api/v1/privacy/erasure-codes/{ask.json()['id']}/confirm"
    right = sms.last_code(LAN_PHONE)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        resp = client.post(url, {"code": wrong})
        assert resp.status_code == 400
        assert "code" in resp.json()["error"]["fields"]
    assert client.post(url, {"code": right}).status_code == 400
    assert Person.objects.filter(pk=world.lan_child.id).exists()
    assert not Erasure.objects.exists()


def test_it_stores_the_code_hashed(world, api, sms):
    _ask(api.as_(world.lan), [world.lan_child.id])
    code = sms.last_code(LAN_PHONE)
    assert code not in ErasureCode.objects.get().code_hash


def test_it_refuses_an_expired_code(world, api, sms):
    client = api.as_(world.lan)
    ask = _ask(client, [world.lan_child.id])
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        resp = client.post(f"/api/v1/privacy/erasure-codes/{ask.json()['id']}/confirm", {"code": sms.last_code(LAN_PHONE)})
    assert resp.status_code == 404  # an expired code is no longer there to confirm, as on the page
    assert Person.objects.filter(pk=world.lan_child.id).exists()


def test_it_hides_another_household(world, api, sms):
    resp = _ask(api.as_(world.mai), [world.lan_child.id])
    assert resp.status_code == 404
    assert not ErasureCode.objects.exists()
    assert sms.messages() == []


def test_it_will_not_confirm_another_accounts_code(world, api, sms):
    ask = _ask(api.as_(world.lan), [world.lan_child.id])
    resp = api.as_(world.mai).post(
        f"/api/v1/privacy/erasure-codes/{ask.json()['id']}/confirm", {"code": sms.last_code(LAN_PHONE)}
    )
    assert resp.status_code == 404  # the same answer as for a code that does not exist
    assert Person.objects.filter(pk=world.lan_child.id).exists()


def test_it_refuses_officials(world, api):
    resp = api.as_(world.ward_official).post("/api/v1/privacy/erasure-codes", {"person_ids": [1], "reason": "request"})
    assert resp.status_code == 403


def test_it_refuses_an_unknown_reason(world, api):
    resp = _ask(api.as_(world.lan), [world.lan_child.id], reason="because")
    assert resp.status_code == 400
    assert not ErasureCode.objects.exists()


def test_it_stops_processing_when_consent_is_withdrawn(world, api, sms, settings):
    client = api.as_(world.lan)
    declare_and_update(client, world.lan_child)
    _, confirm = _erase(client, sms, [world.lan_child.id], reason="consent_withdrawn")
    assert confirm.status_code == 202
    # The erasure is queued (not yet run): processing has stopped already.
    assert Erasure.objects.get(person_id=world.lan_child.id).status == "pending"
    withdrawal = ConsentWithdrawal.objects.get(person_id=world.lan_child.id)
    assert withdrawal.consent_version == "2026.1"
    resp = client.post(f"/api/v1/people/{world.lan_child.id}/declarations", declaration())
    assert resp.status_code == 404
    assert client.get(f"/api/v1/people/{world.lan_child.id}/pass").status_code == 404
    from khaibao.notifications.selectors import monitored_people_without_update

    assert world.lan_child not in monitored_people_without_update(
        today=timezone.localdate() + timedelta(days=1), after_person_id=0, limit=100
    )
    # The worker runs it later (or the hourly job picks up what is pending).
    from khaibao.privacy.tasks import retention_purge

    retention_purge.call()
    assert Erasure.objects.get(person_id=world.lan_child.id).status == "done"
    assert database_hits("Trần Minh An") == []


def test_it_warns_no_one_whose_consent_was_withdrawn(world, api, sms, settings):
    from khaibao.zones.models import ZoneWarning

    immediate_tasks(settings)
    client = api.as_(world.lan)
    declare_and_update(client, world.lan_child)  # kept as an anonymous shell for today's statistics
    _erase(client, sms, [world.lan_child.id], reason="consent_withdrawn")
    assert Person.objects.filter(pk=world.lan_child.id).exists()
    from khaibao.zones.tests.helpers import zone_body

    resp = api.as_(world.province).post("/api/v1/zones", zone_body())
    assert resp.status_code == 201, resp.content
    warned = set(ZoneWarning.objects.values_list("person_id", flat=True))
    assert world.lan_self.id in warned
    assert world.lan_child.id not in warned


def test_it_sends_one_code_per_minute_while_one_is_pending(world, api, sms):
    client = api.as_(world.lan)
    assert _ask(client, [world.lan_child.id]).status_code == 201
    again = _ask(client, [world.lan_child.id])
    assert again.status_code == 429
    assert "Retry-After" in again
    assert len(sms.messages()) == 1
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert _ask(client, [world.lan_child.id]).status_code == 201
    assert ErasureCode.objects.filter(consumed_at__isnull=True).count() == 1  # the newest only


def test_it_leaves_people_with_their_own_account_to_decide(world, api, sms):
    from khaibao.people.models import HouseholdMembership

    # Mai is also in Lan's household (added as a relative), but Mai has her own account.
    HouseholdMembership.objects.create(owner=world.lan, person=world.mai_self, relation="other")
    resp = _ask(api.as_(world.lan), [world.mai_self.id])
    assert resp.status_code == 400
    assert "person_ids" in resp.json()["error"]["fields"]
    assert not ErasureCode.objects.exists()
    # Mai herself can.
    assert api.as_(world.mai).post(
        "/api/v1/privacy/erasure-codes", {"person_ids": [world.mai_self.id], "reason": "request"}
    ).status_code == 201


def test_it_closes_an_account_without_erasing_a_member_who_has_their_own(world, api, sms, settings):
    from khaibao.people.models import HouseholdMembership

    immediate_tasks(settings)
    HouseholdMembership.objects.create(owner=world.lan, person=world.mai_self, relation="other")
    client = api.as_(world.lan)
    ask = _ask(client, [world.lan_self.id])
    assert ask.status_code == 201
    assert world.mai_self.id not in ask.json()["person_ids"]
    confirm = client.post(f"/api/v1/privacy/erasure-codes/{ask.json()['id']}/confirm", {"code": sms.last_code(LAN_PHONE)})
    assert confirm.json()["account_closed"] is True
    assert Person.objects.filter(pk=world.mai_self.id, full_name="Lê Thị Mai").exists()
    assert not HouseholdMembership.objects.filter(owner=world.lan).exists()
    assert api.as_(world.mai).get(f"/api/v1/people/{world.mai_self.id}").status_code == 200
