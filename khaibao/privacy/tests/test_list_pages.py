"""Keyset pages of the privacy lists: `GET /privacy/erasures` (a citizen's, once cut at 20) and
`GET /privacy/requests` (the DPO's, once cut at 200 with no way on) — bare arrays with
`X-Next-Cursor`, `Link` and `X-Total-Count` (api/schemas.py `keyset_headers`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from khaibao.audit.services import audit_record
from khaibao.core.testing import api_pages
from khaibao.privacy.models import Erasure, ErasureReason


def _erasures(world: Any, n: int, *, start: Any = None) -> list[Erasure]:
    start = start or timezone.now() - timedelta(days=1)
    return [
        Erasure.objects.create(
            person_id=world.lan_child.id, reason=ErasureReason.REQUEST, requested_by=world.lan,
            requested_at=start + timedelta(minutes=i // 2),  # pairs share a moment: the id breaks the tie
        )
        for i in range(n)
    ]


def test_it_pages_a_citizens_erasures_beyond_twenty(world: Any, api: Any) -> None:
    made = _erasures(world, 25)
    client = api.as_(world.lan)
    first = client.get("/privacy/erasures")
    assert len(first.json()) == 20  # the first page as before
    assert first.headers["X-Total-Count"] == "25"
    assert "rel=\"next\"" in first.headers["Link"]
    rows, pages = api_pages(client, "/privacy/erasures", limit=7)
    assert len(pages) == 4
    expected = sorted(made, key=lambda e: (e.requested_at, e.pk), reverse=True)
    assert [r["id"] for r in rows] == [e.pk for e in expected]
    assert "X-Next-Cursor" not in pages[-1].headers
    assert client.get("/privacy/erasures?cursor=not-a-cursor").status_code == 400


def test_it_pages_the_dpo_requests_across_erasures_and_downloads(world: Any, api: Any) -> None:
    start = timezone.now() - timedelta(days=1)
    _erasures(world, 9, start=start)
    for i in range(8):
        event = audit_record(actor=world.mai, action="privacy.export", data={"person_ids": [world.mai_self.id]})
        event.at = start + timedelta(minutes=i // 2, seconds=30 * (i % 3 == 0))
        event.save(update_fields=["at"])
    client = api.as_(world.dpo)
    everything = client.get("/privacy/requests").json()
    assert len(everything) == 17
    rows, pages = api_pages(client, "/privacy/requests", limit=4)
    assert len(pages) == 5
    assert [r["ref"] for r in rows] == [r["ref"] for r in everything]  # no row lost, none twice
    assert {p.headers["X-Total-Count"] for p in pages} == {"17"}
    received = [r["received_at"] for r in rows]
    assert received == sorted(received, reverse=True)
    # The filters travel with the next page's link.
    only = client.get("/privacy/requests", data={"kind": "export", "limit": 3})
    assert "kind=export" in only.headers["Link"]
    assert client.get("/privacy/requests?cursor=x.y.z").status_code == 400


def test_it_keeps_the_first_page_of_requests_at_two_hundred(world: Any, api: Any) -> None:
    _erasures(world, 201)
    first = api.as_(world.dpo).get("/privacy/requests")
    assert len(first.json()) == 200
    assert first.headers["X-Total-Count"] == "201"
    assert first.headers["X-Next-Cursor"]
