"""Every SMS keyword, its misspellings, unknown messages and unregistered senders, through the webhook.

Replies are checked on what reads the same in Vietnamese and English (keywords, numbers,
names, level words from the shared catalogue), and always: no diacritics, within one SMS.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from khaibao.accounts.models import Account
from khaibao.accounts.phones import phone_index
from khaibao.audit.models import AuditEvent
from khaibao.declarations.tests.helpers import declaration
from khaibao.monitoring.models import DailyUpdate, PersonStatus
from khaibao.notifications.models import ChannelPreference
from khaibao.people.models import HouseholdMembership, IdNumberReview, Person
from khaibao.people.persons import id_number_index
from khaibao.smsin import grammar
from khaibao.smsin.models import InboundSms
from khaibao.smsin.tests.helpers import CCCD, REGISTER, Gateway

PHONE = "+84911000001"


def sms_person() -> Person:
    return Person.objects.get(id_number_index=id_number_index(CCCD))


def no_account() -> bool:
    return not Account.objects.filter(phone_index=phone_index(PHONE)).exists()


@pytest.fixture(autouse=True)
def _every_reply_is_one_plain_sms(gateway: Gateway, settings: Any) -> Any:
    yield
    for body in gateway.replies():
        assert body.isascii(), body
        assert len(body) <= settings.SMS_MAX_CHARS, body


# --- registration ---------------------------------------------------------------------------


def test_it_registers_a_phone_with_kb(world: Any, gateway: Gateway) -> None:
    reply = gateway.reply(REGISTER)

    person = sms_person()
    account = Account.objects.get(phone_index=phone_index(PHONE))
    assert (person.full_name, person.birth_year, person.sex, person.home_ward_id) == ("Nguyen Van An", 1990, "male", 70)
    assert person.account == account
    assert person.phone == PHONE
    assert HouseholdMembership.objects.filter(owner=account, person=person, relation="self").exists()
    assert "Nguyen Van An" in reply
    assert "1990" in reply
    assert {"account.sign_in_sms", "person.create", "sms.inbound"} <= set(
        AuditEvent.objects.filter(actor=account).values_list("action", flat=True)
    )
    assert InboundSms.objects.get().person == person


@pytest.mark.parametrize(
    "text",
    [
        "kb 001090012345 1990 70 nguyen van an",
        "K B 001090012345 1990 70 Nguyen Van An",
        "KHAIBAO 001090012345, 1990, 70, NGUYEN VAN AN.",
        "Khai bao: 001 090 012 345 - 1990 - 70 - Nguyễn Văn An",
        "KB001090012345 1990 70 NGUYEN VAN AN",
        "  dk   001090012345   1990  70   nguyen  van  an  ",
    ],
)
def test_it_reads_registrations_however_they_are_typed(world: Any, gateway: Gateway, text: str) -> None:
    gateway.reply(text)
    assert sms_person().full_name == "Nguyen Van An"


def test_it_takes_the_sex_from_the_cccd(world: Any, gateway: Gateway) -> None:
    gateway.reply("KB 079301000077 2001 26740 TRAN THI BE")  # '3': a woman born in the 2000s
    person = Person.objects.get(id_number_index=id_number_index("079301000077"))
    assert (person.sex, person.birth_year, person.home_ward_id) == ("female", 2001, 26740)


@pytest.mark.parametrize(
    ("text", "missing_words"),
    [
        ("KB", 4),
        (f"KB {CCCD}", 3),
        (f"KB {CCCD} 1990", 2),
        (f"KB {CCCD} 1990 70", 1),
        ("KB 00109001234 1990 70 NGUYEN VAN AN", 1),  # 11 digits: no ID number
    ],
)
def test_it_explains_what_a_registration_lacks(world: Any, gateway: Gateway, text: str, missing_words: int) -> None:
    reply = gateway.reply(text)
    assert "KB <CCCD> <NAM SINH> <MA PHUONG> <HO TEN>" in reply
    listed = reply.rsplit(":", 1)[1].split(".")[0]  # "Missing: birth year, ward code."
    assert listed.count(",") + 1 == missing_words
    assert InboundSms.objects.get().outcome == "invalid_incomplete"
    assert no_account()
    assert not Person.objects.filter(full_name="Nguyen Van An").exists()


@pytest.mark.parametrize("text", ["KB 00109001234\u0665 1990 70 NGUYEN VAN AN", "KB 00109001234\u096b 1990 70 NGUYEN VAN AN"])
def test_it_refuses_an_id_number_with_a_digit_of_another_script(world: Any, gateway: Gateway, text: str) -> None:
    """"٥" and "५" are digits to str.isdigit() and to int(), but not on a CCCD: the ID is missing,
    and the reply says so (not a 500)."""
    reply = gateway.reply(text)
    assert "KB <CCCD> <NAM SINH> <MA PHUONG> <HO TEN>" in reply
    assert InboundSms.objects.get().outcome == "invalid_incomplete"
    assert no_account()


def test_it_reads_a_superscript_digit_as_the_digit(world: Any, gateway: Gateway) -> None:
    # NFKD folds "²" to "2" before anything is read (grammar.normalise): the CCCD is whole.
    gateway.reply("KB 00109001234\u00b2 1990 70 NGUYEN VAN AN")
    assert Person.objects.filter(id_number_index=id_number_index("001090012342")).exists()


@pytest.mark.parametrize("id_number", ["001\u00b290012345", "00109001234\u00b2", "001\u0660900123\u0664\u0665", "001090012\u2463\u2464\u2465"])
def test_a_cccd_is_ascii_digits_only(id_number: str) -> None:
    # int("²") raises, int("٤") is 4: neither belongs in a CCCD's sex, century or year.
    assert grammar.cccd_facts(id_number) is None
    assert grammar.cccd_facts(CCCD) == (1990, "male")


def test_it_refuses_an_old_id_card(world: Any, gateway: Gateway) -> None:
    reply = gateway.reply("KB 012345678 1990 70 NGUYEN VAN AN")
    assert "CMND" in reply
    assert "CCCD" in reply
    assert no_account()


def test_it_refuses_a_birth_year_the_cccd_contradicts(world: Any, gateway: Gateway) -> None:
    reply = gateway.reply(f"KB {CCCD} 1991 70 NGUYEN VAN AN")
    assert "KB" in reply
    assert "CCCD" in reply
    assert no_account()
    assert not Person.objects.filter(full_name="Nguyen Van An").exists()


def test_it_refuses_an_unknown_ward_and_keeps_no_account(world: Any, gateway: Gateway) -> None:
    reply = gateway.reply(f"KB {CCCD} 1990 99999 NGUYEN VAN AN")
    assert "KB <CCCD>" in reply
    assert no_account()
    assert not Person.objects.filter(full_name="Nguyen Van An").exists()


def test_it_registers_an_id_number_held_elsewhere_and_hands_it_to_review(world: Any, gateway: Gateway) -> None:
    # No registration oracle (issue 18, item 4): registered like anyone, the duplicate reviewed.
    reply = gateway.reply("KB 001188000001 1988 70 NGUYEN THI LAN")  # Lan's CCCD
    assert "Lan" in reply  # the sender's own name, as they typed it
    assert "0900000001" not in reply
    assert "Hoan Kiem" not in reply
    assert InboundSms.objects.get().outcome == "registered"
    people = Person.objects.filter(id_number_index=id_number_index("001188000001")).order_by("pk")
    assert people.count() == 2
    assert people[1].id_number_reviews.get().holder_id == people[0].pk


def test_it_answers_a_second_kb_with_the_registration_it_has(world: Any, gateway: Gateway) -> None:
    gateway.reply(REGISTER)
    reply = gateway.reply("KB 001190099999 1990 4 LE THI KHAC")
    assert "Nguyen Van An" in reply
    assert Person.objects.filter(account__phone_index=phone_index(PHONE)).count() == 1
    assert not Person.objects.filter(full_name="Le Thi Khac").exists()


def test_it_adds_the_self_entry_to_an_account_that_signed_in_on_the_web(world: Any, gateway: Gateway, api: Any) -> None:
    api.post("/auth/otp/request", {"phone": "0911000001"})
    code = gateway.outbox.last_code(PHONE)
    assert api.post("/auth/otp/verify", {"phone": "0911000001", "code": code}).status_code == 200
    account = Account.objects.get(phone_index=phone_index(PHONE))

    gateway.reply(REGISTER)
    assert Account.objects.filter(phone_index=phone_index(PHONE)).count() == 1
    assert sms_person().account == account


def test_it_links_a_person_a_volunteer_registered_with_this_phone(world: Any, gateway: Gateway, api: Any, sms: Any) -> None:
    # She agreed by the code sent to this phone (a typed phone alone hands nothing over).
    resp = api.as_(world.volunteer).post("/volunteers/assisted", {
        "consent_method": "code",
        "full_name": "Phạm Thị Cúc", "sex": "female", "birth_year": 1940, "id_number": "001140000321",
        "ward_code": 70, "phone": "0911000001",
    })
    assert resp.status_code == 201, resp.content
    confirmed = api.as_(world.volunteer).post(
        f"/volunteers/assisted/{resp.json()['id']}/confirm", {"code": sms.last_code(PHONE)}
    )
    assert confirmed.status_code == 200, confirmed.content
    reply = gateway.reply("KB 001140000321 1940 70 PHAM THI CUC")
    cuc = Person.objects.get(id_number_index=id_number_index("001140000321"))
    assert cuc.account is not None
    assert cuc.account.phone_index == phone_index(PHONE)
    assert "Pham Thi Cuc" in reply


def test_a_phone_a_volunteer_only_typed_hands_nothing_over(world: Any, gateway: Gateway, api: Any) -> None:
    resp = api.as_(world.volunteer).post("/volunteers/assisted", {
        "consent_method": "witnessed", "witness_name": "Trần Văn Chứng", "attested": True,
        "full_name": "Phạm Thị Cúc", "sex": "female", "birth_year": 1940, "id_number": "001140000321",
        "ward_code": 70, "phone": "0911000001",
    })
    assert resp.status_code == 201, resp.content
    reply = gateway.reply("KB 001140000321 1940 70 PHAM THI CUC")
    assisted = Person.objects.get(pk=resp.json()["person"]["id"])
    assert assisted.account is None  # the volunteer's record stays theirs, not this phone's
    # She is registered all the same, as a person of her own; the two records with one ID
    # number go to the officials' duplicate review, as any other pair does.
    mine = HouseholdMembership.objects.get(owner__phone_index=phone_index(PHONE), relation="self").person
    assert mine.pk != assisted.pk
    assert "Pham Thi Cuc" in reply
    assert IdNumberReview.objects.filter(person=mine, holder_id=assisted.pk).exists()


# --- daily updates --------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["OK", "ok", "0K", "Ok.", " O K ", "KHOE", "khỏe", "Oke"])
def test_it_records_a_well_day_for_ok(world: Any, gateway: Gateway, text: str) -> None:
    gateway.reply(REGISTER)
    reply = gateway.reply(text)
    update = DailyUpdate.objects.get(person=sms_person())
    assert (update.day, update.symptoms, update.feeling, update.updated_as) == (
        timezone.localdate(), [], "well", "self",
    )
    assert "Thap" in reply or "Low" in reply
    assert timezone.localdate().strftime("%d/%m") in reply


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("SOT", ["fever"]),
        ("sot ho", ["fever", "cough"]),
        ("SOT HO KHOTHO", ["fever", "cough", "shortness_of_breath"]),
        ("xot, ho, kho tho!", ["fever", "cough", "shortness_of_breath"]),
        ("DAUHONG MATVI", ["sore_throat", "loss_of_taste_smell"]),
        ("dau hong mat vi giac", ["sore_throat", "loss_of_taste_smell"]),
        ("toi bi sot va ho", ["fever", "cough"]),
        ("Sốt, đau họng", ["fever", "sore_throat"]),
        ("SOT SOT HO", ["fever", "cough"]),
        ("met moi dau dau tieu chay", ["fatigue", "headache", "diarrhoea"]),
        ("so mui, buon non, dau nhuc co, viem phoi", ["runny_nose", "nausea", "body_aches", "pneumonia"]),
    ],
)
def test_it_records_symptom_words_as_the_questionnaires_codes(
    world: Any, gateway: Gateway, text: str, codes: list[str]
) -> None:
    gateway.reply(REGISTER)
    gateway.reply(text)
    update = DailyUpdate.objects.get(person=sms_person())
    assert (update.symptoms, update.feeling) == (codes, "unwell")


def test_it_raises_the_level_and_gives_the_advice(world: Any, gateway: Gateway) -> None:
    gateway.reply(REGISTER)
    gateway.reply("OK")
    reply = gateway.reply("SOT KHOTHO")
    assert PersonStatus.objects.get(person=sms_person()).level == "urgent"
    assert "Khan cap" in reply  # the level word
    assert "1900 9095" in reply  # the first advice of the urgent level: call the hotline
    assert DailyUpdate.objects.get().symptoms == ["fever", "shortness_of_breath"]  # replaced, one a day


def test_it_counts_a_message_held_past_midnight_for_the_day_it_was_sent(world: Any, gateway: Gateway) -> None:
    gateway.reply(REGISTER)
    sent = timezone.localtime() - timedelta(days=1)
    gateway.reply("OK", received_at=sent.isoformat())
    assert DailyUpdate.objects.get().day == sent.date()


@pytest.mark.parametrize("text", ["KHONG SOT", "ko ho", "het sot roi", "SOT 39 DO", "hello", "123", ""])
def test_it_records_nothing_it_is_not_sure_of_and_replies_with_help(world: Any, gateway: Gateway, text: str) -> None:
    gateway.reply(REGISTER)
    reply = gateway.reply(text)
    assert not DailyUpdate.objects.exists()
    assert "OK" in reply
    assert "TT" in reply
    assert "TROGIUP" in reply
    assert InboundSms.objects.filter(outcome="unknown").count() == 1


# --- status, help, unregistered -------------------------------------------------------------


@pytest.mark.parametrize("text", ["TT", "tt", "T T", "TINHTRANG", "tinh trang", "Tình trạng?"])
def test_it_answers_tt_with_the_level_and_advice(world: Any, gateway: Gateway, text: str) -> None:
    gateway.reply(REGISTER)
    gateway.reply("SOT KHOTHO")
    reply = gateway.reply(text)
    assert "Khan cap" in reply
    assert "1900 9095" in reply
    assert timezone.localdate().strftime("%d/%m/%Y") in reply
    assert DailyUpdate.objects.count() == 1


def _english(person: Person) -> None:
    ChannelPreference.objects.create(account=person.account, language="en")


def test_tt_says_the_day_the_last_update_is_for_not_when_it_was_sent(world: Any, gateway: Gateway) -> None:
    """Yesterday's update sent today (held by the gateway past midnight) leaves today's to do:
    "updated today" is the day an update is for, everywhere (monitoring.selectors.status_updated_on)."""
    gateway.reply(REGISTER)
    yesterday = timezone.localtime() - timedelta(days=1)
    gateway.reply("OK", received_at=yesterday.isoformat())
    assert timezone.localtime(PersonStatus.objects.get().last_update_at).date() == timezone.localdate()

    reply = gateway.reply("TT")
    assert yesterday.strftime("%d/%m/%Y") in reply
    assert timezone.localdate().strftime("%d/%m/%Y") not in reply
    _english(sms_person())
    assert "last update for " + yesterday.strftime("%d/%m/%Y") + "; today's: not sent yet." in gateway.reply("TT")


def test_tt_says_todays_update_is_done(world: Any, gateway: Gateway) -> None:
    gateway.reply(REGISTER)
    _english(sms_person())
    gateway.reply("OK")
    assert f"last update for {timezone.localdate():%d/%m/%Y}; today's: done." in gateway.reply("TT")


def test_tt_names_a_declaration_sent_after_the_last_update(world: Any, gateway: Gateway, api: Any) -> None:
    gateway.reply(REGISTER)
    person = sms_person()
    _english(person)
    gateway.reply("OK", received_at=(timezone.localtime() - timedelta(days=1)).isoformat())
    # A relative with a smartphone fills in the declaration for them (signed in with this phone).
    resp = api.as_(person.account).post(f"/people/{person.id}/declarations", declaration())
    assert resp.status_code == 201, resp.content

    reply = gateway.reply("TT")
    assert f"last was a health declaration on {timezone.localdate():%d/%m/%Y}; today's update: not sent yet." in reply


def test_it_answers_tt_before_any_update(world: Any, gateway: Gateway) -> None:
    gateway.reply(REGISTER)
    reply = gateway.reply("TT")
    assert "OK" in reply
    assert "SOT HO" in reply
    assert InboundSms.objects.filter(outcome="status").count() == 1


@pytest.mark.parametrize("text", ["TROGIUP", "tro giup", "HELP", "help!", "?", "HUONG DAN"])
@pytest.mark.parametrize("registered", [True, False])
def test_it_lists_the_commands_for_help(world: Any, gateway: Gateway, text: str, registered: bool) -> None:
    if registered:
        gateway.reply(REGISTER)
    reply = gateway.reply(text)
    for keyword in ("KB <CCCD>", "OK", "SOT HO KHOTHO", "TT", "CHECKIN", "1900 9095"):
        assert keyword in reply


def test_help_says_how_to_get_declared_without_a_smartphone(world: Any, gateway: Gateway, settings: Any) -> None:
    """A campaign reminder sends members without a smartphone to TROGIUP (orgs.reminders): SMS
    cannot carry the declaration form, so the help says who can fill it in for them."""
    gateway.reply(REGISTER)
    _english(sms_person())
    reply = gateway.reply("TROGIUP")
    for words in ("relative with a smartphone", "volunteer of your organisation", "ward health station"):
        assert words in reply
    assert reply.endswith("1900 9095.")  # one SMS, nothing cut
    assert len(reply) <= settings.SMS_MAX_CHARS


@pytest.mark.parametrize("text", ["OK", "SOT HO", "TT", "XN", "what is this"])
def test_it_explains_how_to_register_to_an_unknown_phone(world: Any, gateway: Gateway, text: str) -> None:
    reply = gateway.reply(text)
    assert "KB <CCCD> <NAM SINH> <MA PHUONG> <HO TEN>" in reply
    assert "KB 001090012345 1990 70" in reply
    assert no_account()
    assert not DailyUpdate.objects.exists()


def test_it_replies_in_english_to_an_account_that_chose_english(world: Any, gateway: Gateway) -> None:
    gateway.reply(REGISTER)
    ChannelPreference.objects.create(account=sms_person().account, language="en")
    reply = gateway.reply("SOT KHOTHO")
    assert "Urgent" in reply
    assert "Fever, Shortness of breath" in reply


def test_it_stops_replying_to_a_phone_that_texts_without_end(world: Any, gateway: Gateway, settings: Any) -> None:
    settings.SMS_INBOUND_REPLIES_PER_HOUR = 3
    for _ in range(5):
        assert gateway.post("TROGIUP").status_code == 200
    assert len(gateway.replies()) == 3
    assert InboundSms.objects.filter(reply_queued=False).count() == 2


def test_it_lets_no_staff_account_declare_by_sms(world: Any, gateway: Gateway) -> None:
    Account.objects.create_user(
        "gate-keeper", "pw-gate-keeper-2026", role="checkpoint", phone=PHONE, phone_index=phone_index(PHONE)
    )
    gateway.reply(REGISTER)
    gateway.reply("OK")
    assert not Person.objects.filter(full_name="Nguyen Van An").exists()
    assert set(InboundSms.objects.values_list("outcome", flat=True)) == {"not_citizen"}


def test_it_shows_system_admins_the_outcome_but_not_the_text(world: Any, gateway: Gateway, client: Any) -> None:
    gateway.reply(REGISTER)
    admin = Account.objects.create_user("ops-admin", "a-long-admin-password", is_staff=True, role="checkpoint")
    admin.user_permissions.add(*Permission.objects.filter(codename="view_inboundsms"))
    client.force_login(admin)
    row = InboundSms.objects.get()
    page = client.get(f"/admin/smsin/inboundsms/{row.pk}/change/").content.decode()
    assert "registered" in page
    assert CCCD not in page
    assert "Nguyen Van An" not in page
