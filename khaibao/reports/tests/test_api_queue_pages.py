"""GET /reports/queue by keyset pages: following `next_cursor` reaches every report once, in
order, each page audited; a damaged cursor is refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.core.testing import cursor_pages
from khaibao.reports.models import Report, ReportStatus


def _reports(ward: Any, n: int, *, at: Any, tag: str, **fields: Any) -> list[Report]:
    return Report.objects.bulk_create(
        Report(
            category="gathering", ward=ward, address="Số 5 phố Hàng Bài", description="Tụ tập",
            happened_at=at, created_at=at, tracking_hash=f"{tag}-{i}", **fields,
        )
        for i in range(n)
    )


def _walk(client: Any, query: str) -> tuple[list[int], list[dict[str, Any]]]:
    return cursor_pages(client, f"/reports/queue?{query}", items="items")


def test_it_reaches_every_report_once_in_order_by_following_the_cursor(world: Any, api: Any) -> None:
    now = timezone.now()
    older = _reports(world.hoan_kiem, 2, at=now - timedelta(hours=60), tag="old")
    # Several reports of the same moment: only the id tells them apart, and no page may skip one.
    same = _reports(world.hoan_kiem, 4, at=now - timedelta(hours=3), tag="same")
    newest = _reports(world.hoan_kiem, 1, at=now - timedelta(minutes=5), tag="new")
    _reports(world.hoan_kiem, 1, at=now - timedelta(hours=2), tag="closed", status=ReportStatus.HANDLED)
    _reports(world.ba_dinh, 2, at=now - timedelta(hours=1), tag="other-ward")
    expected = [r.pk for r in older] + sorted(r.pk for r in same) + [r.pk for r in newest]
    since = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0

    ids, pages = _walk(api.as_(world.ward_official), "status=open&limit=3")

    assert ids == expected
    assert [len(p["items"]) for p in pages] == [3, 3, 1]
    assert {p["total"] for p in pages} == {7}
    assert pages[0]["items"][0]["overdue"] is True
    events = list(AuditEvent.objects.filter(id__gt=since, action="list.reports").order_by("id"))
    assert [e.data["reports"] for e in events] == [[i["id"] for i in p["items"]] for p in pages]
    assert [e.data.get("next_page", False) for e in events] == [False, True, True]
    assert all(e.data["filters"] == {"status": "open"} for e in events)


def test_it_answers_a_short_queue_in_one_page(world: Any, api: Any) -> None:
    _reports(world.hoan_kiem, 2, at=timezone.now() - timedelta(hours=1), tag="short")
    body = api.as_(world.ward_official).get("/reports/queue").json()
    assert len(body["items"]) == 2
    assert body["next_cursor"] is None
    assert body["total"] == 2


def test_it_refuses_a_damaged_cursor_field_by_field(world: Any, api: Any) -> None:
    _reports(world.hoan_kiem, 3, at=timezone.now() - timedelta(hours=1), tag="bad")
    client = api.as_(world.ward_official)
    cursor = client.get("/reports/queue?limit=1").json()["next_cursor"]
    since = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    for bad in ("not-a-cursor", cursor[:-3], "WzEsMl0", "x" * 2000):
        resp = client.get(f"/reports/queue?limit=1&cursor={bad}")
        assert resp.status_code == 400, bad
        assert "cursor" in resp.json()["error"]["fields"]
    assert not AuditEvent.objects.filter(id__gt=since, action="list.reports").exists()


def test_it_still_refuses_the_queue_to_citizens_whatever_the_cursor(world: Any, api: Any) -> None:
    resp = api.as_(world.mai).get("/reports/queue?cursor=not-a-cursor")
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == "forbidden"
