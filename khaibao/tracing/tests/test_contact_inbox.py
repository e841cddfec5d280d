"""A traced contact's invitation to declare reaches their inbox as well as their phone: whoever
looks after the contact with an account finds it there (the preferences page promises every
message in the inbox), with no second SMS, and — like the SMS — naming no case, place or time."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.test import Client
from django.utils import translation

from khaibao.notifications import labels
from khaibao.notifications.models import ChannelPreference, Delivery, Notification, WebPushSubscription
from khaibao.tracing.models import Contact
from khaibao.tracing.tests.helpers import ago, contact, make_f0

HOA_PHONE = "+84900000004"
LAN_PHONE = "+84900000001"


def _register(api: Any, official: Any, case: Any, body: dict[str, Any]) -> Any:
    resp = api.as_(official).post(f"/cases/{case.id}/contacts", body)
    assert resp.status_code in (200, 201), resp.content
    return resp


def _sms_to(sms: Any, phone: str) -> list[str]:
    return [m["body"] for m in sms.messages() if m["to"] == phone]


def _hoa_as_contact_of_lan(world: Any, api: Any) -> Any:
    make_f0(world, api, world.lan_self)  # Hoàn Kiếm, Hà Nội
    return _register(api, world.ward_official, world.lan_self, contact(full_name="Võ Thị Hoa", phone="0900000004"))


def test_it_puts_one_invitation_in_the_registered_contacts_inbox_beside_the_one_sms(world, api, sms):
    # Hoa would get e-mail and Web Push for messages that use them: this one is the inbox's only.
    ChannelPreference.objects.create(account=world.hoa, email=True, email_address="hoa@example.com")
    WebPushSubscription.objects.create(account=world.hoa, endpoint="https://fcm.googleapis.com/fcm/send/hoa", p256dh="k", auth="a")
    sms_before = len(_sms_to(sms, HOA_PHONE))

    resp = _hoa_as_contact_of_lan(world, api)

    assert resp.status_code == 201
    assert resp.json()["person_id"] == world.hoa_self.id
    notes = list(Notification.objects.filter(account=world.hoa))
    assert len(notes) == 1
    note = notes[0]
    assert note.kind == "contact_invitation"
    assert note.person_id == world.hoa_self.id
    assert note.link == f"/people/{world.hoa_self.id}/"
    assert not Delivery.objects.filter(notification=note).exists()  # no second SMS, nor anything else
    assert len(_sms_to(sms, HOA_PHONE)) == sms_before + 1  # the tracing SMS, as before

    # Her inbox page shows it (it said "Chưa có thông báo nào." before).
    browser = Client()
    browser.force_login(world.hoa)
    page = browser.get("/notifications/").content.decode()
    assert note.title in page
    assert "Chưa có thông báo nào." not in page


def test_it_names_no_case_no_place_and_no_time(world, api, sms):
    _hoa_as_contact_of_lan(world, api)

    note = Notification.objects.get(account=world.hoa, kind="contact_invitation")
    text = f"{note.title} {note.body}"
    case = world.lan_self
    contact_day = date.fromisoformat(ago(2))
    for secret in [
        case.full_name, *case.full_name.split()[1:], case.home_ward.name, case.home_ward.province.name,
        contact_day.isoformat(), contact_day.strftime("%d/%m/%Y"), contact_day.strftime("%d/%m"),
    ]:
        assert secret not in text, secret
    assert "Hoa" in note.body  # the contact's own given name, as the daily reminder names them
    assert "COVID-19" in note.body


def test_it_tells_the_household_owner_of_a_contact_without_an_account(world, api, sms):
    # Bình, Lan's father, has no account: found by his ID number, invited on Lan's phone.
    make_f0(world, api, world.hung_self)
    sms_before = len(_sms_to(sms, LAN_PHONE))
    _register(
        api, world.province_hcm, world.hung_self,
        contact(full_name="Nguyễn Văn Bình", phone="0900000001", id_number="001055000003", ward_code=world.hoan_kiem.code),
    )

    notes = list(Notification.objects.filter(kind="contact_invitation"))
    assert [(n.account_id, n.person_id) for n in notes] == [(world.lan.id, world.lan_parent.id)]
    assert "Bình" in notes[0].body
    assert notes[0].link == f"/people/{world.lan_parent.id}/"
    assert len(_sms_to(sms, LAN_PHONE)) == sms_before + 1


def test_a_contact_not_registered_yet_gets_the_sms_only(world, api, sms):
    make_f0(world, api, world.lan_self)
    resp = _register(api, world.ward_official, world.lan_self, contact())  # a stranger, created here

    assert resp.json()["matched_by"] == "new"
    assert not Notification.objects.filter(kind="contact_invitation").exists()
    assert len(_sms_to(sms, "+84912345678")) == 1


def test_registering_the_same_contact_again_sends_nothing_more(world, api, sms):
    _hoa_as_contact_of_lan(world, api)
    sms_after_first = len(_sms_to(sms, HOA_PHONE))

    again = _register(api, world.ward_official, world.lan_self, contact(full_name="Võ Thị Hoa", phone="0900000004"))

    assert again.status_code == 200
    assert Contact.objects.filter(person=world.hoa_self).count() == 1
    assert Notification.objects.filter(account=world.hoa, kind="contact_invitation").count() == 1
    assert len(_sms_to(sms, HOA_PHONE)) == sms_after_first


def test_the_invitation_reads_in_the_accounts_language(world, api, sms):
    ChannelPreference.objects.create(account=world.hoa, language="en")
    _hoa_as_contact_of_lan(world, api)

    note = Notification.objects.get(account=world.hoa, kind="contact_invitation")
    assert note.title == "The health service asks for a health declaration"
    with translation.override("en"):
        assert labels.notification_kind_label(note.kind) == "Request from the health service to declare"
    with translation.override("vi"):
        assert labels.notification_kind_label(note.kind) == "Đề nghị khai báo y tế từ cơ quan y tế"
    assert note.person_id == world.hoa_self.id
