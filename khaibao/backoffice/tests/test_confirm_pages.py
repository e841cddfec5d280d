"""Destructive console actions ask first (review: one click used to act): GET shows a page that
says what will happen and changes nothing; only its own POST (`confirmed=1`) acts, audited as
before; a bare POST (an old page, a script) is shown the same page and changes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.orgs.models import Campaign, Member, OrgUnit
from khaibao.passes.tests.helpers import sign_in_staff
from khaibao.people.models import VolunteerAppointment
from khaibao.zones.inputs import PlaceInput
from khaibao.zones.models import Place
from khaibao.zones.places import place_declare

EN = {"Accept-Language": "en"}


def staff(account: Any) -> Client:
    client = Client()
    sign_in_staff(client, account)
    return client


def _text(resp: Any) -> str:
    assert resp.status_code == 200, resp.status_code
    return resp.content.decode()


# --- A volunteer revoked -----------------------------------------------------------------------


def _appointment(world: Any) -> VolunteerAppointment:
    return VolunteerAppointment.objects.get(account=world.volunteer)


def test_it_says_who_loses_a_volunteer_before_revoking(world: Any) -> None:
    appointment = _appointment(world)
    url = f"/staff/volunteers/{appointment.pk}/revoke/"
    text = _text(staff(world.org_admin).get(url, headers=EN))
    assert "Revoke Trần Thu Hà as a volunteer?" in text
    # Hà assists Ông Tư (the demo world): he loses her now; records stay.
    assert "The 1 person they assist loses them as a volunteer now" in text
    assert "declarations and records stay" in text
    assert 'name="confirmed" value="1"' in text
    assert 'href="/staff/volunteers/">Cancel</a>' in text
    appointment.refresh_from_db()
    assert appointment.revoked_at is None
    assert not AuditEvent.objects.filter(action="volunteer.revoke").exists()


def test_it_revokes_only_from_the_confirmation_page(world: Any) -> None:
    appointment = _appointment(world)
    url = f"/staff/volunteers/{appointment.pk}/revoke/"
    page = staff(world.org_admin)
    bare = page.post(url, headers=EN)
    assert "Revoke Trần Thu Hà as a volunteer?" in _text(bare)
    appointment.refresh_from_db()
    assert appointment.revoked_at is None
    assert page.post(url, {"confirmed": "1"}).status_code == 302
    appointment.refresh_from_db()
    assert appointment.revoked_at is not None
    event = AuditEvent.objects.get(action="volunteer.revoke")
    assert event.actor_id == world.org_admin.pk
    # Nothing left to revoke: the page says so and offers no button.
    again = _text(page.get(url, headers=EN))
    assert "no longer in force" in again
    assert 'name="confirmed"' not in again


def test_it_says_when_another_appointment_keeps_the_volunteer(world: Any) -> None:
    appointment = _appointment(world)
    VolunteerAppointment.objects.create(
        account=world.volunteer, appointed_by=world.ward_official, ward_id=world.hoan_kiem.code,
        starts_at=timezone.now() - timedelta(days=1), expires_at=timezone.now() + timedelta(days=30),
    )
    text = _text(staff(world.org_admin).get(f"/staff/volunteers/{appointment.pk}/revoke/", headers=EN))
    assert "holds another volunteer appointment still in force" in text
    assert "loses them as a volunteer now" not in text


def test_it_links_to_the_confirmation_page_from_the_list(world: Any) -> None:
    appointment = _appointment(world)
    text = _text(staff(world.org_admin).get("/staff/volunteers/"))
    assert f'href="/staff/volunteers/{appointment.pk}/revoke/"' in text
    assert f'action="/staff/volunteers/{appointment.pk}/revoke/"' not in text


# --- A member taken off a roster, a campaign archived ------------------------------------------


def test_it_asks_before_removing_a_member(world: Any) -> None:
    member = Member.objects.filter(unit__path="TWD/HN/DCS-HK").order_by("pk").first()
    assert member is not None
    url = f"/staff/orgs/members/{member.pk}/remove/"
    page = staff(world.org_admin)
    text = _text(page.get(url, headers=EN))
    assert f"Remove {member.full_name} from the roster of Đoàn cơ sở phường Hoàn Kiếm?" in text
    assert "no more reminders" in text
    assert f'href="/staff/orgs/{member.unit_id}/"' in text  # Cancel
    assert _text(page.post(url, headers=EN))  # a bare POST: the same page again
    member.refresh_from_db()
    assert member.removed_at is None
    assert not AuditEvent.objects.filter(action="orgs.member_remove").exists()
    assert page.post(url, {"confirmed": "1"}).status_code == 302
    member.refresh_from_db()
    assert member.removed_at is not None
    assert AuditEvent.objects.filter(action="orgs.member_remove", actor=world.org_admin).count() == 1
    unit_page = _text(page.get(f"/staff/orgs/{member.unit_id}/"))
    assert 'action="/staff/orgs/members/' not in unit_page


def test_it_asks_before_archiving_a_campaign(world: Any) -> None:
    unit = OrgUnit.objects.get(path="TWD/HN")
    today = timezone.localdate()
    campaign = Campaign.objects.create(unit=unit, name="Tháng khai báo", starts_on=today, deadline=today + timedelta(days=7))
    url = f"/staff/orgs/campaigns/{campaign.pk}/archive/"
    page = staff(world.org_admin)
    unit_page = _text(page.get(f"/staff/orgs/{unit.pk}/"))
    assert f'href="{url}"' in unit_page
    assert f'action="{url}"' not in unit_page
    text = _text(page.get(url, headers=EN))
    assert "Archive the campaign Tháng khai báo?" in text
    assert "no more reminders are sent for it" in text
    assert f'href="/staff/orgs/{unit.pk}/"' in text
    _text(page.post(url, headers=EN))  # a bare POST changes nothing
    campaign.refresh_from_db()
    assert campaign.archived_at is None
    assert not AuditEvent.objects.filter(action="orgs.campaign_archive").exists()
    assert page.post(url, {"confirmed": "1"}).status_code == 302
    campaign.refresh_from_db()
    assert campaign.archived_at is not None
    assert AuditEvent.objects.filter(action="orgs.campaign_archive", actor=world.org_admin).count() == 1
    assert "This campaign is archived." in _text(page.get(url, headers=EN))


# --- A public place notice withdrawn ------------------------------------------------------------


def test_it_asks_before_withdrawing_a_place_notice(world: Any) -> None:
    now = timezone.now()
    place_declare(actor=world.province, data=PlaceInput(
        name="Chợ Đồng Xuân", ward_code=world.hoan_kiem.code, window_start=now - timedelta(hours=3),
        window_end=now - timedelta(hours=1), advice_vi="Gọi 1900 9095.",
    ))
    place = Place.objects.get()
    url = f"/staff/zones/places/{place.pk}/withdraw/"
    page = staff(world.province)
    detail = _text(page.get(f"/staff/zones/places/{place.pk}/"))
    assert f'href="{url}"' in detail
    assert f'action="{url}"' not in detail
    text = _text(page.get(url, headers=EN))
    assert "Withdraw the notice Chợ Đồng Xuân" in text
    assert "citizens no longer see it" in text
    assert "Warnings already sent are not taken back" in text
    assert f'href="/staff/zones/places/{place.pk}/"' in text
    _text(page.post(url, headers=EN))  # a bare POST changes nothing
    place.refresh_from_db()
    assert place.current is not None
    assert not place.current.withdrawn
    assert not AuditEvent.objects.filter(action="place.end").exists()
    assert page.post(url, {"confirmed": "1"}).status_code == 302
    place.refresh_from_db()
    assert place.current is not None
    assert place.current.withdrawn
    assert AuditEvent.objects.filter(action="place.end", actor=world.province).count() == 1
    assert "already withdrawn" in _text(page.get(url, headers=EN))
