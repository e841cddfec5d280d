"""GET /venues by keyset pages, for officials and for the venues someone runs: following
`next_cursor` reaches every venue once, in order; a damaged cursor is refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from khaibao.core.testing import cursor_pages
from khaibao.venues.models import Venue, VenueStatus


def _venues(ward: Any, n: int, *, at: Any, tag: str, **fields: Any) -> list[Venue]:
    return Venue.objects.bulk_create(
        Venue(code=f"{tag}{i:04d}", name=f"Quán {tag} {i}", kind="shop", ward=ward, street="12 phố Hàng Bài",
              created_at=at, **fields)
        for i in range(n)
    )


def _walk(client: Any, query: str) -> tuple[list[int], list[dict[str, Any]]]:
    return cursor_pages(client, f"/venues?{query}", items="venues")


def test_it_pages_an_officials_venues_through_every_one_once_in_order(world: Any, api: Any) -> None:
    now = timezone.now()
    # Venues registered at the same moment are told apart by their id alone.
    same = _venues(world.hoan_kiem, 3, at=now - timedelta(days=1), tag="SAME")
    newer = _venues(world.ba_dinh, 2, at=now - timedelta(hours=1), tag="NEW")
    verified = _venues(world.hoan_kiem, 2, at=now, tag="VER", status=VenueStatus.VERIFIED)
    _venues(world.sai_gon, 2, at=now, tag="HCM")
    # Order: status (pending before verified), newest first, then the highest id.
    expected = (
        sorted((v.pk for v in newer), reverse=True) + sorted((v.pk for v in same), reverse=True)
        + sorted((v.pk for v in verified), reverse=True)
    )

    ids, pages = _walk(api.as_(world.province), "limit=2")

    assert ids == expected
    assert [len(p["venues"]) for p in pages] == [2, 2, 2, 1]
    assert {p["total"] for p in pages} == {7}
    ward_ids, _pages = _walk(api.as_(world.province), f"ward_code={world.hoan_kiem.code}&limit=2")
    assert ward_ids == [pk for pk in expected if pk not in {v.pk for v in newer}]


def test_it_pages_the_venues_someone_runs(world: Any, api: Any) -> None:
    now = timezone.now()
    mine = _venues(world.hoan_kiem, 3, at=now - timedelta(days=2), tag="MINE", registered_by=world.nam)
    latest = _venues(world.hoan_kiem, 1, at=now, tag="LAST", registered_by=world.nam)
    _venues(world.hoan_kiem, 2, at=now, tag="HOA", registered_by=world.hoa)

    ids, pages = _walk(api.as_(world.nam), "limit=3")

    assert ids == [latest[0].pk, *sorted((v.pk for v in mine), reverse=True)]
    assert [p["total"] for p in pages] == [4, 4]


def test_it_answers_a_short_list_in_one_page(world: Any, api: Any) -> None:
    _venues(world.hoan_kiem, 3, at=timezone.now(), tag="ONE")
    body = api.as_(world.province).get("/venues").json()
    assert len(body["venues"]) == 3
    assert body["next_cursor"] is None
    assert body["total"] == 3


def test_it_refuses_a_damaged_cursor_field_by_field(world: Any, api: Any) -> None:
    _venues(world.hoan_kiem, 2, at=timezone.now(), tag="BAD", registered_by=world.nam)
    official_cursor = api.as_(world.province).get("/venues?limit=1").json()["next_cursor"]
    operator_cursor = api.as_(world.nam).get("/venues?limit=1").json()["next_cursor"]
    for client, bad in (
        (api.as_(world.province), "not-a-cursor"),
        (api.as_(world.province), official_cursor[:-4]),
        # A cursor of the other list (another order) is not one of this list.
        (api.as_(world.province), operator_cursor),
        (api.as_(world.nam), official_cursor),
    ):
        resp = client.get(f"/venues?limit=1&cursor={bad}")
        assert resp.status_code == 400, bad
        assert "cursor" in resp.json()["error"]["fields"]
