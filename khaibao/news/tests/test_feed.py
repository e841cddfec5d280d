from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import time_machine

from khaibao.news.tests.helpers import publish

VN = ZoneInfo("Asia/Ho_Chi_Minh")
T0 = datetime(2025, 11, 12, 9, 0, tzinfo=VN)


def _titles(resp: Any) -> list[str]:
    assert resp.status_code == 200, resp.content
    return [entry["title"] for entry in resp.json()["items"]]


def test_it_lists_pinned_first_then_newest(world: Any, api: Any) -> None:
    for hours, title, pinned in [(0, "cũ", False), (1, "ghim cũ", True), (2, "mới", False), (3, "ghim mới", True)]:
        with time_machine.travel(T0 + timedelta(hours=hours), tick=False):
            publish(api, world.national, title=title, pinned=pinned)
    with time_machine.travel(T0 + timedelta(hours=4), tick=False):
        assert _titles(api.get("/news")) == ["ghim mới", "ghim cũ", "mới", "cũ"]


def test_it_shows_the_country_and_the_chosen_province_only(world: Any, api: Any) -> None:
    publish(api, world.national, title="toàn quốc")
    publish(api, world.province, title="Hà Nội", province=world.hanoi.pk)
    publish(api, world.province_hcm, title="TP.HCM", province=world.hcmc.pk)
    assert sorted(_titles(api.get(f"/news?province={world.hanoi.pk}"))) == ["Hà Nội", "toàn quốc"]
    assert sorted(_titles(api.get(f"/news?province={world.hcmc.pk}"))) == ["TP.HCM", "toàn quốc"]
    assert _titles(api.get("/news")) == ["toàn quốc"]


def test_it_waits_for_the_publish_time_and_hides_after_expiry(world: Any, api: Any) -> None:
    with time_machine.travel(T0, tick=False):
        created = publish(
            api, world.national, title="hẹn giờ",
            publish_at=(T0 + timedelta(hours=2)).isoformat(), expires_at=(T0 + timedelta(hours=5)).isoformat(),
        )
        assert _titles(api.get("/news")) == []
        assert api.get(f"/news/{created['id']}").status_code == 404
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        assert _titles(api.get("/news")) == ["hẹn giờ"]
        assert api.get(f"/news/{created['id']}").status_code == 200
    with time_machine.travel(T0 + timedelta(hours=5) - timedelta(seconds=1), tick=False):
        assert _titles(api.get("/news")) == ["hẹn giờ"]
    with time_machine.travel(T0 + timedelta(hours=5), tick=False):
        assert _titles(api.get("/news")) == []
        assert api.get(f"/news/{created['id']}").status_code == 404


def test_it_never_shows_a_scheduled_item_that_was_unpublished(world: Any, api: Any) -> None:
    with time_machine.travel(T0, tick=False):
        created = publish(api, world.national, publish_at=(T0 + timedelta(hours=1)).isoformat())
        resp = api.as_(world.national).post(f"/news/{created['id']}/unpublish")
        assert resp.status_code == 200
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        assert _titles(api.get("/news")) == []


def test_it_pages_by_cursor_without_gaps_or_repeats(world: Any, api: Any) -> None:
    for n in range(7):
        with time_machine.travel(T0 + timedelta(minutes=n), tick=False):
            publish(api, world.national, title=f"tin {n}", pinned=n in (1, 4))
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        seen: list[str] = []
        cursor = None
        for _ in range(5):
            url = "/news?limit=3" + (f"&cursor={cursor}" if cursor else "")
            body = api.get(url).json()
            seen += [entry["title"] for entry in body["items"]]
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert seen == ["tin 4", "tin 1", "tin 6", "tin 5", "tin 3", "tin 2", "tin 0"]


def test_it_keeps_the_order_for_items_published_at_the_same_instant(world: Any, api: Any) -> None:
    with time_machine.travel(T0, tick=False):
        ids = [publish(api, world.national, title=f"cùng lúc {n}")["id"] for n in range(4)]
        first = api.get("/news?limit=2").json()
        second = api.get(f"/news?limit=2&cursor={first['next_cursor']}").json()
    assert [e["id"] for e in first["items"] + second["items"]] == sorted(ids, reverse=True)
    assert second["next_cursor"] is None


def test_it_answers_a_list_in_a_fixed_number_of_queries(world: Any, api: Any, django_assert_num_queries: Any) -> None:
    # One query checks the province, one reads the page with its provinces joined in.
    publish(api, world.province, province=world.hanoi.pk)
    with django_assert_num_queries(2):
        assert api.get(f"/news?province={world.hanoi.pk}").status_code == 200
    for n in range(10):
        publish(api, world.province if n % 2 else world.national, province=world.hanoi.pk if n % 2 else None)
    with django_assert_num_queries(2):
        resp = api.get(f"/news?province={world.hanoi.pk}")
    assert len(resp.json()["items"]) == 11
    with django_assert_num_queries(1):
        assert len(api.get("/news").json()["items"]) == 5
