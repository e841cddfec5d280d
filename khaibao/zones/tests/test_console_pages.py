"""The console's zones and place notices, each a page at a time (core/keyset.py): "Older zones"
and "Older place notices" reach every row once, newest first, where each list used to stop at
200; paging one list keeps the province and the other list's page; a damaged link says so."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from khaibao.backoffice import zones as zones_console
from khaibao.passes.tests.helpers import sign_in_staff
from khaibao.zones.models import Place, Zone

ZONE_LINK = r'href="/staff/zones/(\d+)/"'
PLACE_LINK = r'href="/staff/zones/places/(\d+)/"'


def _next(text: str, cursor: str) -> str | None:
    """The list's own "older" link: its cursor comes last (core.keyset.keyset_query)."""
    found = re.search(r'rel="next" href="([^"]*[?&;]' + cursor + r'=[^"&]*)"', text)
    return html.unescape(found.group(1)) if found else None


def _walk(client: Client, url: str, pattern: str, cursor: str) -> tuple[list[int], list[str]]:
    ids: list[int] = []
    texts = []
    for _page in range(10):
        resp = client.get(url)
        assert resp.status_code == 200, resp.content.decode()[:2000]
        text = resp.content.decode()
        texts.append(text)
        ids += [int(i) for i in re.findall(pattern, text)]
        link = _next(text, cursor)
        if link is None:
            return ids, texts
        url = "/staff/zones/" + link
    raise AssertionError("the pages never end")


def test_it_pages_zones_and_places_each_on_its_own(world: Any, client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zones_console, "ZONES_PAGE", 2)
    now = timezone.now()
    # Rows of the same moment are told apart by their id alone.
    zones = Zone.objects.bulk_create(Zone(province=world.hanoi, created_at=now - timedelta(hours=1)) for _ in range(4))
    zones += Zone.objects.bulk_create([Zone(province=world.hanoi, created_at=now)])
    Zone.objects.bulk_create([Zone(province=world.hcmc, created_at=now)])  # another province
    places = Place.objects.bulk_create(Place(province=world.hanoi, created_at=now) for _ in range(3))
    sign_in_staff(client, world.province)

    zone_ids, zone_pages = _walk(client, "/staff/zones/?province=1", ZONE_LINK, "zones_cursor")
    place_ids, _pages = _walk(client, "/staff/zones/?province=1", PLACE_LINK, "places_cursor")

    assert zone_ids == [z.pk for z in sorted(zones, key=lambda z: (z.created_at, z.pk), reverse=True)]
    assert place_ids == sorted((p.pk for p in places), reverse=True)
    # The zones' second page keeps the province and the places' first page.
    second = zone_pages[1]
    assert re.findall(PLACE_LINK, second) == [str(pk) for pk in place_ids[:2]]
    older_places = _next(second, "places_cursor")
    assert older_places is not None
    query = parse_qs(urlsplit(older_places).query)
    assert query["province"] == ["1"]
    assert set(query) == {"province", "zones_cursor", "places_cursor"}


def test_it_says_a_damaged_page_link_is_out_of_date_and_keeps_the_empty_states(world: Any, client: Client) -> None:
    sign_in_staff(client, world.province)
    empty = client.get("/staff/zones/")
    assert empty.status_code == 200
    assert empty.content.decode().count('class="empty"') == 2
    bad = client.get("/staff/zones/?zones_cursor=not-a-cursor")
    assert bad.status_code == 400
    text = bad.content.decode()
    assert text.count('role="alert"') == 1
    # The zones' list says so; the places' list still says it is empty.
    assert text.count('class="empty"') == 1
    assert '<a class="button secondary" href="?">' in text or '<a class="button secondary" href="?province=1">' in text
