"""Ending a zone and archiving a unit ask first, as the other destructive console actions do
(review: one click used to act): GET says what happens and what stays and changes nothing; a
bare POST (an old page, a script) is shown the same page; only the page's own POST
(`confirmed=1`) acts, audited as before."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.orgs import services as org_services
from khaibao.orgs.models import Member, OrgUnit
from khaibao.passes.tests.helpers import sign_in_staff
from khaibao.zones.models import Zone, ZoneVersion
from khaibao.zones.tests.helpers import zone_body

EN = {"Accept-Language": "en"}


def staff(account: Any) -> Client:
    client = Client()
    sign_in_staff(client, account)
    return client


def _text(resp: Any, status: int = 200) -> str:
    assert resp.status_code == status, resp.status_code
    return resp.content.decode()


# --- A zone ended ---------------------------------------------------------------------------------


def _zone(world: Any, api: Any) -> Zone:
    resp = api.as_(world.province).post("/zones", zone_body(name="Phố cổ Hoàn Kiếm"))
    assert resp.status_code == 201, resp.content
    return Zone.objects.get(pk=resp.json()["zone_id"])


def _versions(zone: Zone) -> list[str]:
    return list(ZoneVersion.objects.filter(zone=zone).order_by("number").values_list("change", flat=True))


def test_it_says_what_ending_a_zone_does_and_changes_nothing(world: Any, api: Any) -> None:
    zone = _zone(world, api)
    url = f"/staff/zones/{zone.pk}/end/"
    page = staff(world.province)
    detail = _text(page.get(f"/staff/zones/{zone.pk}/"))
    assert f'href="{url}"' in detail
    assert f'action="{url}"' not in detail
    text = _text(page.get(url, headers=EN))
    assert "End the zone Phố cổ Hoàn Kiếm now?" in text
    assert "It stops counting as an epidemic area now" in text
    assert "sends no new warnings and no longer counts in risk assessments" in text
    assert "Warnings already sent are not taken back." in text
    assert "The zone and all its versions stay in its history." in text
    assert 'name="confirmed" value="1"' in text
    assert f'href="/staff/zones/{zone.pk}/">Cancel</a>' in text
    assert _versions(zone) == ["create"]
    assert not AuditEvent.objects.filter(action="zone.end").exists()


def test_it_ends_a_zone_only_from_the_confirmation_page(world: Any, api: Any) -> None:
    zone = _zone(world, api)
    url = f"/staff/zones/{zone.pk}/end/"
    page = staff(world.province)
    assert "End the zone Phố cổ Hoàn Kiếm now?" in _text(page.post(url, headers=EN))  # a bare POST
    assert _versions(zone) == ["create"]
    assert not AuditEvent.objects.filter(action="zone.end").exists()
    resp = page.post(url, {"confirmed": "1"})
    assert (resp.status_code, resp["Location"]) == (302, f"/staff/zones/{zone.pk}/")
    assert _versions(zone) == ["create", "end"]
    assert AuditEvent.objects.filter(action="zone.end", object_id=str(zone.pk), actor=world.province).count() == 1
    # Nothing left to end: the page says so and offers no button.
    again = _text(page.get(url, headers=EN))
    assert "This zone has already ended." in again
    assert 'name="confirmed"' not in again


def test_it_offers_nothing_to_end_once_a_zones_validity_ran_out(world: Any, api: Any) -> None:
    zone = _zone(world, api)
    ZoneVersion.objects.filter(zone=zone).update(
        valid_from=timezone.now() - timedelta(days=3), valid_until=timezone.now() - timedelta(days=1)
    )
    text = _text(staff(world.province).get(f"/staff/zones/{zone.pk}/end/", headers=EN))
    assert "This zone has already ended." in text
    assert 'name="confirmed"' not in text


def test_it_keeps_the_end_page_to_the_zones_managers(world: Any, api: Any) -> None:
    zone = _zone(world, api)
    url = f"/staff/zones/{zone.pk}/end/"
    assert staff(world.province_hcm).get(url).status_code == 404
    assert staff(world.ward_official).get(url).status_code == 403
    assert staff(world.province_hcm).post(url, {"confirmed": "1"}).status_code == 404
    assert _versions(zone) == ["create"]


# --- A unit archived ------------------------------------------------------------------------------


def _empty_unit(world: Any) -> OrgUnit:
    return org_services.unit_create(
        actor=world.org_admin, parent=OrgUnit.objects.get(path="TWD/HN"), code="CD9", name="Chi đoàn 9"
    )


def test_it_says_what_archiving_a_unit_means_and_changes_nothing(world: Any) -> None:
    unit = _empty_unit(world)
    url = f"/staff/orgs/{unit.pk}/do/archive/"
    page = staff(world.org_admin)
    unit_page = _text(page.get(f"/staff/orgs/{unit.pk}/"))
    assert f'href="{url}"' in unit_page
    assert f'action="{url}"' not in unit_page
    text = _text(page.get(url, headers=EN))
    assert "Archive the unit Chi đoàn 9?" in text
    assert "Only a unit without active members or units under it can be archived." in text
    assert "it cannot be restored from the console" in text
    assert "The unit stays on record, marked archived, with its history." in text
    assert 'name="confirmed" value="1"' in text
    assert f'href="/staff/orgs/{unit.pk}/">Cancel</a>' in text
    unit.refresh_from_db()
    assert unit.archived_at is None
    assert not AuditEvent.objects.filter(action="orgs.unit_archive").exists()


def test_it_archives_a_unit_only_from_the_confirmation_page(world: Any) -> None:
    unit = _empty_unit(world)
    url = f"/staff/orgs/{unit.pk}/do/archive/"
    page = staff(world.org_admin)
    assert "Archive the unit Chi đoàn 9?" in _text(page.post(url, headers=EN))  # a bare POST
    unit.refresh_from_db()
    assert unit.archived_at is None
    assert not AuditEvent.objects.filter(action="orgs.unit_archive").exists()
    resp = page.post(url, {"confirmed": "1"})
    assert (resp.status_code, resp["Location"]) == (302, "/staff/orgs/")
    unit.refresh_from_db()
    assert unit.archived_at is not None
    assert AuditEvent.objects.filter(action="orgs.unit_archive", object_id=str(unit.pk), actor=world.org_admin).count() == 1
    again = _text(page.get(url, headers=EN))
    assert "This unit is archived." in again
    assert 'name="confirmed"' not in again


def test_it_says_why_a_unit_that_is_not_empty_cannot_be_archived(world: Any) -> None:
    page = staff(world.org_admin)
    with_members = OrgUnit.objects.get(path="TWD/HN/DCS-HK")
    with_units = OrgUnit.objects.get(path="TWD/HN")
    cases = [
        (with_members, "Move or remove this unit&#x27;s members first."),  # escaped by the template
        (with_units, "Move or archive the units under this one first."),
        (world.org_admin.org_unit, "You cannot archive the unit you administer."),
    ]
    for unit, refusal in cases:
        url = f"/staff/orgs/{unit.pk}/do/archive/"
        text = _text(page.get(url, headers=EN))
        assert refusal in text, unit.path
        assert 'name="confirmed"' not in text, unit.path
        # The service stays the judge: a confirmed POST anyway is refused with the same words.
        text = _text(page.post(url, {"confirmed": "1"}, headers=EN), status=400)
        assert refusal in text, unit.path
        assert 'name="confirmed"' not in text, unit.path
    assert not OrgUnit.objects.filter(archived_at__isnull=False).exists()
    assert not AuditEvent.objects.filter(action="orgs.unit_archive").exists()
    assert Member.objects.filter(unit=with_members, removed_at__isnull=True).count() == 3


def test_it_answers_get_only_for_the_archive_action(world: Any) -> None:
    unit = _empty_unit(world)
    page = staff(world.org_admin)
    assert page.get(f"/staff/orgs/{unit.pk}/do/rename/").status_code == 405
    assert staff(world.province).get(f"/staff/orgs/{unit.pk}/do/archive/").status_code == 403
