"""GET /volunteers a page at a time (core/keyset.py): it stays a JSON array (for the apps written
against it) and says where the next page is in its headers; following them reaches every
appointment once, newest first, where the list used to stop at 500."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from khaibao.core.testing import api_pages
from khaibao.orgs.volunteers import appointments_visible_to
from khaibao.people.models import VolunteerAppointment


def _appoint(world: Any, n: int, *, at: Any, ward: Any) -> list[VolunteerAppointment]:
    return VolunteerAppointment.objects.bulk_create(
        VolunteerAppointment(account=world.hung, appointed_by=world.ward_official, ward=ward, starts_at=at,
                             expires_at=at + timedelta(days=30))
        for _ in range(n)
    )



def test_it_pages_the_appointments_a_ward_official_manages(world: Any, api: Any) -> None:
    official = world.ward_official
    now = timezone.now()
    # Appointments of the same moment are told apart by their id alone.
    _appoint(world, 4, at=now - timedelta(days=1), ward=official.scope_ward)
    _appoint(world, 1, at=now, ward=official.scope_ward)
    _appoint(world, 2, at=now, ward=world.sai_gon)  # another ward's
    expected = list(appointments_visible_to(official).order_by("-starts_at", "-pk").values_list("pk", flat=True))
    assert len(expected) >= 5

    rows, pages = api_pages(api.as_(official), "/volunteers", limit=2)
    ids = [a["id"] for a in rows]

    assert ids == expected
    assert {p.headers["X-Total-Count"] for p in pages} == {str(len(expected))}
    assert pages[0].headers["Link"].endswith('>; rel="next"')
    assert "Link" not in pages[-1].headers


def test_it_gives_old_clients_the_first_page_and_refuses_a_damaged_cursor(world: Any, api: Any) -> None:
    official = world.ward_official
    _appoint(world, 3, at=timezone.now(), ward=official.scope_ward)
    client = api.as_(official)
    whole = client.get("/volunteers")
    assert whole.status_code == 200
    assert isinstance(whole.json(), list)
    assert "X-Next-Cursor" not in whole.headers
    assert len(whole.json()) == int(whole.headers["X-Total-Count"])
    for bad in ("not-a-cursor", "WzEsMl0", "x" * 2000):
        resp = client.get(f"/volunteers?limit=1&cursor={bad}")
        assert resp.status_code == 400, bad
        assert "cursor" in resp.json()["error"]["fields"]
    assert client.get("/volunteers?limit=501").status_code == 400
    # Anyone else manages none: an empty list, not an error.
    assert api.as_(world.lan).get("/volunteers").json() == []
