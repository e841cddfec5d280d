"""Someone who registers by SMS is like everyone else: the ward's triage queue, zone warnings,
and their organisation's compliance (roster matched by phone, confirmed by SMS)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from khaibao.notifications.models import Delivery, Notification
from khaibao.orgs import tasks as org_tasks
from khaibao.orgs.models import Campaign, Member, OrgUnit
from khaibao.orgs.tests.helpers import csv_file, upload
from khaibao.people.models import Person
from khaibao.people.persons import id_number_index
from khaibao.smsin.models import InboundSms
from khaibao.smsin.tests.helpers import CCCD, REGISTER, Gateway
from khaibao.zones.models import ZoneWarning, ZoneWarningRun
from khaibao.zones.tasks import zone_warnings_run
from khaibao.zones.tests.helpers import zone_body


def sms_person() -> Person:
    return Person.objects.get(id_number_index=id_number_index(CCCD))


def triage_ids(api: Any, official: Any) -> list[int]:
    resp = api.as_(official).get("/triage")
    assert resp.status_code == 200, resp.content
    return [item["person_id"] for item in resp.json()["items"]]


def test_it_puts_an_sms_person_in_their_wards_triage_queue(world: Any, gateway: Gateway, api: Any) -> None:
    gateway.reply(REGISTER)  # home ward 70: Hoàn Kiếm
    gateway.reply("OK")
    assert sms_person().id not in triage_ids(api, world.ward_official)  # low: not queued

    gateway.reply("SOT KHOTHO")
    person = sms_person()
    assert triage_ids(api, world.ward_official)[0] == person.id  # urgent: first
    assert person.id in triage_ids(api, world.province)
    assert person.id not in triage_ids(api, world.province_hcm)
    case = api.as_(world.ward_official).get(f"/cases/{person.id}")
    assert case.status_code == 200


def test_it_warns_an_sms_person_about_a_zone_in_their_ward_by_sms(world: Any, gateway: Gateway, api: Any) -> None:
    gateway.reply(REGISTER)
    resp = api.as_(world.province).post("/zones", zone_body())  # level 3, Hoàn Kiếm
    assert resp.status_code == 201, resp.content
    zone = resp.json()
    run = ZoneWarningRun.objects.get(zone_version__zone_id=zone["zone_id"], zone_version__number=zone["version"])

    zone_warnings_run.call(run.pk)

    person = sms_person()
    assert [w.reason for w in ZoneWarning.objects.filter(person=person)] == ["resident"]  # sealed: read, not filtered
    note = Notification.objects.get(account=person.account, kind="zone_warning")
    assert Delivery.objects.filter(notification=note, channel="sms").exists()


def test_it_counts_an_sms_person_in_their_organisations_compliance(world: Any, gateway: Gateway, api: Any) -> None:
    twd = OrgUnit.objects.get(path="TWD")
    admin = api.as_(world.org_admin)
    resp = upload(admin, twd.pk, csv_file([["Nguyễn Văn An", "0911 000 001", "", "Đoàn viên"]]))
    assert resp.status_code == 200, resp.content
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        unit=twd, name="Khai báo 100%", starts_on=today - timedelta(days=1), deadline=today + timedelta(days=7)
    )

    reply = gateway.reply(REGISTER)
    assert "XN" in reply
    assert "TUCHOI" in reply
    member = Member.objects.get(unit=twd, removed_at__isnull=True, full_name="Nguyễn Văn An")
    assert member.person == sms_person()
    assert member.confirmed_at is None

    gateway.reply("XN")
    gateway.reply("OK")
    org_tasks.compliance_refresh.call()

    items = admin.get(f"/orgs/{twd.pk}/members?campaign={campaign.pk}").json()["items"]
    (mine,) = [m for m in items if m["id"] == member.pk]
    # Updated today by SMS. "Declared" stays false as for anyone who never filled in the full
    # declaration form: SMS carries the daily update, not the declaration (docs/sms.md).
    assert (mine["declared_since_start"], mine["updated_today"]) == (False, True)
    assert set(mine) == {
        "id", "full_name", "unit_code", "unit_name", "membership", "membership_label", "declared_since_start", "updated_today",
        "last_update_date", "last_reminded_on",
    }
    assert mine["membership"] == "confirmed"
    gateway.reply("XN")  # nothing left to confirm
    assert list(InboundSms.objects.order_by("id").values_list("outcome", flat=True)) == [
        "registered", "memberships_confirmed", "daily_update", "no_membership",
    ]


def test_it_lets_an_sms_person_say_a_roster_line_is_not_them(world: Any, gateway: Gateway, api: Any) -> None:
    twd = OrgUnit.objects.get(path="TWD")
    assert upload(api.as_(world.org_admin), twd.pk, csv_file([["Nguyễn Văn An", "0911000001", "", ""]])).status_code == 200
    gateway.reply(REGISTER)
    gateway.reply("tu choi")
    member = Member.objects.get(unit=twd, removed_at__isnull=True, full_name="Nguyễn Văn An")
    assert member.declined_at is not None
    assert member.person is None
    assert member.account is None
