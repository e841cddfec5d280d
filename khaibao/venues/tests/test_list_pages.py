"""A household's check-ins and the venues a citizen runs, a page at a time (core/keyset.py):
GET /checkins and the pages reach every row once, newest first, where they used to stop at 500
and 100; a damaged cursor is refused with a message; a case's check-ins are never cut off."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.backoffice import venues as backoffice_venues
from khaibao.core.testing import cursor_pages
from khaibao.passes.tests.helpers import sign_in_staff
from khaibao.venues import selectors
from khaibao.venues.models import CheckIn, Venue
from khaibao.venues.sealing import venue_index, venue_seal
from khaibao.web import venues as venue_pages


def _venue(world: Any, tag: str = "PAGE", **fields: Any) -> Venue:
    values = {"name": f"Quán {tag}", **fields}
    return Venue.objects.create(code=tag, kind="shop", ward=world.hoan_kiem, street="12 phố Hàng Bài", **values)


def _checkins(person: Any, venue: Venue, n: int, *, at: datetime) -> list[CheckIn]:
    return CheckIn.objects.bulk_create(
        CheckIn(person=person, venue_index=venue_index(venue.pk), venue_sealed=venue_seal(venue.pk), at=at,
                day=timezone.localdate(at), via="scan")
        for _ in range(n)
    )


def _newest_first(rows: list[CheckIn]) -> list[int]:
    return [c.pk for c in sorted(rows, key=lambda c: (c.at, c.pk), reverse=True)]


def _signed_in(account: Any) -> Client:
    client = Client()
    client.force_login(account)
    return client


def _walk_pages(client: Client, url: str, pattern: str) -> tuple[list[int], list[Any]]:
    """Follow a page's "next page" link (rel="next") from `url`: the ids `pattern` finds on each
    page, in order, and the responses."""
    ids: list[int] = []
    pages = []
    for _page in range(20):
        resp = client.get(url)
        assert resp.status_code == 200, resp.content.decode()[:2000]
        pages.append(resp)
        text = resp.content.decode()
        ids += [int(i) for i in re.findall(pattern, text)]
        found = re.search(r'rel="next" href="([^"]+)"', text)
        if found is None:
            return ids, pages
        url = url.split("?")[0] + found.group(1).replace("&amp;", "&")
    raise AssertionError("the pages never end")


def test_it_pages_the_households_checkins_through_the_api_to_the_last_one(world: Any, api: Any) -> None:
    venue = _venue(world)
    now = timezone.now()
    # Check-ins of the same instant (a household checked in together) are told apart by their id.
    together = _checkins(world.lan_self, venue, 3, at=now - timedelta(hours=2)) + _checkins(
        world.lan_child, venue, 2, at=now - timedelta(hours=2))
    latest = _checkins(world.lan_parent, venue, 1, at=now - timedelta(minutes=5))
    _checkins(world.mai_self, venue, 2, at=now - timedelta(minutes=1))  # another household
    _checkins(world.lan_self, venue, 1, at=now - timedelta(days=30))  # past the keep period

    ids, pages = cursor_pages(api.as_(world.lan), "/checkins?limit=2", items="checkins")

    assert ids == _newest_first(latest + together)
    assert [len(p["checkins"]) for p in pages] == [2, 2, 2]
    assert {p["total"] for p in pages} == {6}
    assert pages[0]["checkins"][0]["venue_code"] == "PAGE"


def test_it_answers_old_clients_the_same_first_page_with_the_new_fields(world: Any, api: Any) -> None:
    venue = _venue(world)
    rows = _checkins(world.lan_self, venue, 3, at=timezone.now() - timedelta(hours=1))
    body = api.as_(world.lan).get("/checkins").json()
    assert [c["id"] for c in body["checkins"]] == _newest_first(rows)
    assert body["next_cursor"] is None
    assert body["total"] == 3
    # Officials see check-ins only through a case: an empty list, still in the paged form.
    assert api.as_(world.ward_official).get("/checkins").json() == {"checkins": [], "next_cursor": None, "total": 0}


def test_it_refuses_a_damaged_checkins_cursor_field_by_field(world: Any, api: Any) -> None:
    _checkins(world.lan_self, _venue(world), 3, at=timezone.now() - timedelta(hours=1))
    client = api.as_(world.lan)
    cursor = client.get("/checkins?limit=1").json()["next_cursor"]
    for bad in ("not-a-cursor", cursor[:-3], "WzEsMl0", "x" * 2000):
        resp = client.get(f"/checkins?limit=1&cursor={bad}")
        assert resp.status_code == 400, bad
        assert "cursor" in resp.json()["error"]["fields"]
    assert client.get("/checkins?limit=501").status_code == 400


def test_it_pages_my_checkins_page_with_an_older_link(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(venue_pages, "CHECKINS_PAGE", 2)
    venue = _venue(world)
    rows = _checkins(world.lan_self, venue, 5, at=timezone.now() - timedelta(hours=1))

    ids, pages = _walk_pages(_signed_in(world.lan), "/checkins/", r'id="checkin-(\d+)"')

    assert ids == _newest_first(rows)
    assert len(pages) == 3
    first, last = pages[0].content.decode(), pages[-1].content.decode()
    assert first.count('rel="next"') == 1
    assert '<a class="button secondary" href="/checkins/">' in last
    assert 'rel="next"' not in last
    assert 'data-testid="page-count"' in first


def test_it_confirms_a_checkin_that_is_not_on_the_first_page(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(venue_pages, "CHECKINS_PAGE", 2)
    venue = _venue(world, name="Tiệm sách Cũ")
    now = timezone.now()
    # Sent late from the offline outbox: older than the two check-ins made since.
    late = _checkins(world.lan_self, venue, 1, at=now - timedelta(hours=3))[0]
    _checkins(world.lan_self, venue, 2, at=now - timedelta(minutes=1))
    text = _signed_in(world.lan).get(f"/checkins/?done={late.pk}").content.decode()
    assert 'class="notice success"' in text
    assert "Tiệm sách Cũ" in text.split('class="notice success"')[1].split("</p>")[0]
    assert f'id="checkin-{late.pk}"' not in text
    # Someone else's check-in is not confirmed, nor is a number that is not an id.
    other = _checkins(world.mai_self, venue, 1, at=now)[0]
    for done in (str(other.pk), "²", "٣", "9" * 20, "abc"):
        resp = _signed_in(world.lan).get(f"/checkins/?done={done}")
        assert resp.status_code == 200, done
        assert 'class="notice success"' not in resp.content.decode()


def test_it_says_a_damaged_page_link_is_out_of_date_and_keeps_the_empty_state(world: Any) -> None:
    client = _signed_in(world.lan)
    resp = client.get("/checkins/?cursor=not-a-cursor")
    assert resp.status_code == 400
    text = resp.content.decode()
    assert 'role="alert"' in text
    assert '<a class="button secondary" href="/checkins/">' in text  # the first page
    assert 'class="empty"' not in text
    empty = client.get("/checkins/").content.decode()
    assert 'class="empty"' in empty
    assert 'class="pager"' not in empty


def test_it_pages_the_venues_a_citizen_runs(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(venue_pages, "VENUES_PAGE", 2)
    now = timezone.now()
    mine = [_venue(world, f"MINE{i}", registered_by=world.nam, created_at=now - timedelta(days=1)) for i in range(4)]
    newest = _venue(world, "NEWEST", registered_by=world.nam, created_at=now)
    _venue(world, "HOA1", registered_by=world.hoa, created_at=now)
    client = _signed_in(world.nam)

    ids, pages = _walk_pages(client, "/venues/", r'href="/venues/(\d+)/"')

    assert ids == [newest.pk, *sorted((v.pk for v in mine), reverse=True)]
    assert len(pages) == 3
    bad = client.get("/venues/?cursor=WzEsMl0")
    assert bad.status_code == 400
    assert 'class="empty"' not in bad.content.decode()
    assert 'class="empty"' in _signed_in(world.mai).get("/venues/").content.decode()


def test_it_never_cuts_a_cases_checkins_off(world: Any) -> None:
    venue = _venue(world)
    rows = _checkins(world.lan_child, venue, 201, at=timezone.now() - timedelta(hours=1))
    # The "My data" export and the case view read them all (they stopped at 200).
    assert [r.id for r in selectors.person_checkins(world.lan_child.pk)] == _newest_first(rows)

    seen: list[int] = []
    cursor = None
    for _page in range(5):
        page = selectors.person_checkins_page(world.lan_child.pk, cursor=cursor, limit=100)
        assert page.total == 201
        seen += [r.id for r in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == _newest_first(rows)


def test_it_pages_a_cases_checkins_in_the_console(world: Any) -> None:
    """One more check-in than a page holds: the case view shows a page, then a "Next page" link
    to the last one, every check-in once, newest first; each page opened is audited."""
    venue = _venue(world)
    rows = _checkins(world.lan_self, venue, backoffice_venues.CASE_CHECKINS_PAGE + 1,
                     at=timezone.now() - timedelta(hours=1))
    official = Client()
    sign_in_staff(official, world.ward_official)
    url = f"/staff/cases/{world.lan_self.pk}/checkins/"

    ids, pages = _walk_pages(official, url, rf"/staff/cases/{world.lan_self.pk}/checkins/(\d+)/visit/")

    assert ids == _newest_first(rows)
    assert len(pages) == 2
    first, last = pages[0].content.decode(), pages[-1].content.decode()
    assert first.count('rel="next"') == 1
    assert 'data-testid="page-count"' in first
    assert f'<a class="button secondary" href="{url}">' in last
    assert 'rel="next"' not in last
    assert AuditEvent.objects.filter(action="person.checkins_view", person_id=world.lan_self.pk).count() == 2

    bad = official.get(url + "?cursor=not-a-cursor")
    assert bad.status_code == 400
    assert 'role="alert"' in bad.content.decode()
    assert 'colspan="3" class="empty"' not in bad.content.decode()  # not "no check-in"
