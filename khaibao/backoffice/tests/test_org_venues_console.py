"""Organisation admins' venues (issue 20, item 1): the unit's venues with labels and today's
count (never who), registering one with the citizen's fields and field errors, the venue's page
and its printable poster; other admins, officials and citizens are refused."""

from __future__ import annotations

from typing import Any

from django.test import Client

from khaibao.accounts.models import Account, Role
from khaibao.audit.models import AuditEvent
from khaibao.news.tests.helpers import sign_in_staff
from khaibao.orgs.models import OrgUnit
from khaibao.venues.models import Venue

HOAN_KIEM = 70
FORM = {"name": "Hội trường Thành đoàn", "kind": "office", "province": 1, "ward_code": HOAN_KIEM,
        "street": "5 Đinh Lễ", "contact_phone": "0912000111", "lat": "", "lon": ""}


def staff(account: Any) -> Client:
    client = Client()
    sign_in_staff(client, account)
    return client


def register(client: Client, **overrides: Any) -> Venue:
    resp = client.post("/staff/orgs/venues/new/", {**FORM, **overrides})
    assert resp.status_code == 302, resp.content.decode()[:2000]
    return Venue.objects.latest("pk")


def test_the_list_says_what_to_do_when_empty(world: Any) -> None:
    resp = staff(world.org_admin).get("/staff/orgs/venues/")
    assert resp.status_code == 200
    assert "Đơn vị chưa đăng ký địa điểm nào" in resp.content.decode()
    assert "/staff/orgs/venues/" in staff(world.org_admin).get("/staff/").content.decode()


def test_an_org_admin_registers_a_venue_and_prints_its_poster(world: Any, settings: Any) -> None:
    settings.SMS_INBOUND_NUMBER = "8079"
    admin = staff(world.org_admin)
    venue = register(admin)
    assert (venue.org_unit_id, venue.registered_by_id, venue.kind) == (world.org_admin.org_unit_id, world.org_admin.pk, "office")
    assert AuditEvent.objects.filter(action="venue.register", actor_id=world.org_admin.pk).exists()
    detail = admin.get(f"/staff/orgs/venues/{venue.pk}/")
    assert detail.status_code == 200
    text = detail.content.decode()
    assert venue.code in text
    assert "Văn phòng" in text
    poster = admin.get(f"/staff/orgs/venues/{venue.pk}/poster/").content.decode()
    assert "<svg" in poster
    assert f"CHECKIN {venue.code}" in poster
    svg = admin.get(f"/staff/orgs/venues/{venue.pk}/poster.svg")
    assert svg["Content-Type"].startswith("image/svg+xml")
    assert svg["Content-Disposition"] == f'attachment; filename="khaibao-{venue.code}.svg"'


def test_it_shows_field_errors_and_registers_nothing(world: Any) -> None:
    admin = staff(world.org_admin)
    resp = admin.post("/staff/orgs/venues/new/", {**FORM, "name": "", "ward_code": "", "contact_phone": "12"})
    assert resp.status_code == 400
    errors = resp.context["form"].errors
    assert {"name", "ward_code"} <= set(errors)
    # What the service refuses lands beside its field too (the phone number).
    resp = admin.post("/staff/orgs/venues/new/", {**FORM, "contact_phone": "12"})
    assert resp.status_code == 400
    assert "contact_phone" in resp.context["form"].errors
    resp = admin.post("/staff/orgs/venues/new/", {**FORM, "lat": "21.02"})
    assert resp.status_code == 400
    assert "lat" in resp.context["form"].errors
    assert not Venue.objects.exists()
    assert not AuditEvent.objects.filter(action="venue.register").exists()


def test_the_list_counts_check_ins_and_never_says_who(world: Any) -> None:
    admin = staff(world.org_admin)
    venue = register(admin)
    lan = Client()
    lan.force_login(world.lan)
    assert lan.post("/checkin/", {"venue_code": venue.code, "person_ids": [world.lan_self.pk, world.lan_child.pk]}).status_code == 302
    listing = admin.get("/staff/orgs/venues/")
    assert listing.context["rows"][0]["today"] == 2
    pages = listing.content.decode() + admin.get(f"/staff/orgs/venues/{venue.pk}/").content.decode()
    assert venue.name in pages
    assert "Văn phòng" in pages
    assert "Chưa xác minh" in pages
    for name in (world.lan_self.full_name, world.lan_child.full_name, world.lan.display_name):
        assert name not in pages


def test_other_admins_officials_and_citizens_are_refused(world: Any) -> None:
    venue = register(staff(world.org_admin))
    other_unit = OrgUnit.objects.create(code="HSV", name="Hội Sinh viên Việt Nam")
    other = Account.objects.create_user("org-b", "pw-org-b-2026", role=Role.ORG_ADMIN, org_unit=other_unit)
    other_admin = staff(other)
    assert venue.name not in other_admin.get("/staff/orgs/venues/").content.decode()
    for path in ("", "poster/", "poster.svg"):
        assert other_admin.get(f"/staff/orgs/venues/{venue.pk}/{path}").status_code == 404
    assert other_admin.get("/staff/orgs/venues/987654/").status_code == 404
    for account in (world.ward_official, world.province, world.checkpoint, world.dpo):
        client = staff(account)
        assert client.get("/staff/orgs/venues/").status_code == 403
        assert client.get(f"/staff/orgs/venues/{venue.pk}/").status_code == 403
        assert client.post("/staff/orgs/venues/new/", FORM).status_code == 403
    lan = Client()
    lan.force_login(world.lan)
    assert lan.get("/staff/orgs/venues/").status_code == 403
    assert lan.post("/staff/orgs/venues/new/", FORM).status_code == 403
    assert Venue.objects.count() == 1
