"""Deleting a check-in asks first (review: one click used to delete it for good): GET shows what
will happen and changes nothing; only the confirmation page's POST (`confirmed=1`) deletes,
audited as before; a bare POST (an old page, a script) is shown the same page."""

from __future__ import annotations

from typing import Any

from django.test import Client

from khaibao.audit.models import AuditEvent
from khaibao.venues.models import CheckIn
from khaibao.venues.services import checkin_create
from khaibao.venues.tests.test_pages import citizen, register_by_page

EN = {"Accept-Language": "en"}


def _checkin(world: Any) -> tuple[Client, CheckIn]:
    venue = register_by_page(citizen(world.nam))
    checkin_create(actor=world.lan, venue_code=venue.code, person_ids=[world.lan_child.pk])
    return citizen(world.lan), CheckIn.objects.get()


def test_it_links_each_check_in_to_its_confirmation_page(world: Any) -> None:
    lan, checkin = _checkin(world)
    listing = lan.get("/checkins/").content.decode()
    assert f'href="/checkins/{checkin.pk}/delete/"' in listing
    assert f'action="/checkins/{checkin.pk}/delete/"' not in listing


def test_it_says_what_deleting_means_and_changes_nothing(world: Any) -> None:
    lan, checkin = _checkin(world)
    resp = lan.get(f"/checkins/{checkin.pk}/delete/", headers=EN)
    assert resp.status_code == 200
    text = resp.content.decode()
    assert f"Delete the check-in of {world.lan_child.full_name} at Quán bún chả Hương" in text
    assert "for good" in text
    assert "you will not be warned about this visit" in text
    assert 'name="confirmed" value="1"' in text
    assert 'href="/checkins/"' in text  # Cancel
    assert CheckIn.objects.filter(pk=checkin.pk).exists()
    assert not AuditEvent.objects.filter(action="checkin.delete").exists()


def test_it_deletes_only_from_the_confirmation_page(world: Any) -> None:
    lan, checkin = _checkin(world)
    url = f"/checkins/{checkin.pk}/delete/"
    bare = lan.post(url, headers=EN)
    assert bare.status_code == 200
    assert "Delete the check-in of" in bare.content.decode()
    assert CheckIn.objects.filter(pk=checkin.pk).exists()
    assert lan.post(url, {"confirmed": "1"}).status_code == 302
    assert not CheckIn.objects.filter(pk=checkin.pk).exists()
    assert AuditEvent.objects.filter(action="checkin.delete", actor=world.lan, person_id=world.lan_child.pk).count() == 1


def test_it_hides_another_households_check_in_on_either_step(world: Any) -> None:
    _lan, checkin = _checkin(world)
    mai = citizen(world.mai)
    assert mai.get(f"/checkins/{checkin.pk}/delete/").status_code == 404
    assert mai.post(f"/checkins/{checkin.pk}/delete/", {"confirmed": "1"}).status_code == 404
    assert CheckIn.objects.filter(pk=checkin.pk).exists()
