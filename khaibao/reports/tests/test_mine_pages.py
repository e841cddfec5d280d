"""A citizen's own reports, a page at a time (core/keyset.py): GET /reports stays a JSON array
(for the apps written against it) and says where the next page is in its headers; the "My
reports" page has an "Older reports" link. Both reach every report once, newest first, where
they used to stop at 100 and 50; a damaged cursor is refused with a message."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from khaibao.core.testing import api_pages
from khaibao.reports.models import Report, ReportReply
from khaibao.web import reports as report_pages


def _reports(world: Any, account: Any, n: int, *, at: Any, tag: str) -> list[Report]:
    return Report.objects.bulk_create(
        Report(
            category="gathering", ward=world.hoan_kiem, address="Số 5 phố Hàng Bài", description=f"Tụ tập {tag} {i}",
            happened_at=at, created_at=at, tracking_hash=f"{tag}-{i}", reporter=account,
        )
        for i in range(n)
    )


def _newest_first(rows: list[Report]) -> list[int]:
    return [r.pk for r in sorted(rows, key=lambda r: (r.created_at, r.pk), reverse=True)]



def test_it_pages_my_reports_through_the_api_headers_to_the_last_one(world: Any, api: Any) -> None:
    now = timezone.now()
    same = _reports(world, world.lan, 3, at=now - timedelta(hours=3), tag="same")
    newest = _reports(world, world.lan, 1, at=now - timedelta(minutes=5), tag="new")
    _reports(world, world.mai, 2, at=now, tag="mai")
    ReportReply.objects.create(report=same[0], author=world.ward_official, text="Đã cử cán bộ đến kiểm tra.")
    client = api.as_(world.lan)

    rows, pages = api_pages(client, "/reports", limit=3)
    ids = [r["id"] for r in rows]
    assert "Link" not in pages[-1].headers

    assert ids == _newest_first(same + newest)
    assert [len(p.json()) for p in pages] == [3, 1]
    assert {p.headers["X-Total-Count"] for p in pages} == {"4"}
    # The Link header is the same next page, for clients that follow it.
    link = re.fullmatch(r'<([^>]+)>; rel="next"', pages[0].headers["Link"])
    assert link is not None
    query = parse_qs(urlsplit(link.group(1)).query)
    assert urlsplit(link.group(1)).path == "/api/v1/reports"
    assert query == {"limit": ["3"], "cursor": [pages[0].headers["X-Next-Cursor"]]}
    replied = next(r for p in pages for r in p.json() if r["id"] == same[0].pk)
    assert [r["text"] for r in replied["replies"]] == ["Đã cử cán bộ đến kiểm tra."]


def test_it_gives_old_clients_the_same_first_hundred(world: Any, api: Any) -> None:
    rows = _reports(world, world.lan, 101, at=timezone.now() - timedelta(hours=1), tag="many")
    resp = api.as_(world.lan).get("/reports")
    assert [r["id"] for r in resp.json()] == _newest_first(rows)[:100]
    assert resp.headers["X-Total-Count"] == "101"
    # The 101st report, out of reach before, is on the next page.
    rest = api.as_(world.lan).get(f"/reports?cursor={resp.headers['X-Next-Cursor']}")
    assert [r["id"] for r in rest.json()] == _newest_first(rows)[100:]
    assert "X-Next-Cursor" not in rest.headers


def test_it_refuses_a_damaged_cursor_of_my_reports_field_by_field(world: Any, api: Any) -> None:
    _reports(world, world.lan, 2, at=timezone.now() - timedelta(hours=1), tag="bad")
    client = api.as_(world.lan)
    cursor = client.get("/reports?limit=1").headers["X-Next-Cursor"]
    for bad in ("not-a-cursor", cursor[:-3], "WzEsMl0", "x" * 2000):
        resp = client.get(f"/reports?limit=1&cursor={bad}")
        assert resp.status_code == 400, bad
        assert "cursor" in resp.json()["error"]["fields"]
    assert client.get("/reports?limit=0").status_code == 400
    # Staff have no reports of their own: an empty list, whatever the cursor's page.
    official = api.as_(world.ward_official).get("/reports")
    assert official.json() == []
    assert official.headers["X-Total-Count"] == "0"


def test_it_pages_the_my_reports_page(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_pages, "REPORTS_PAGE", 2)
    rows = _reports(world, world.lan, 5, at=timezone.now() - timedelta(hours=1), tag="page")
    client = Client()
    client.force_login(world.lan)
    ids: list[int] = []
    url = "/reports/"
    for _page in range(3):
        resp = client.get(url)
        assert resp.status_code == 200
        text = resp.content.decode()
        ids += [int(i) for i in re.findall(r'id="report-(\d+)"', text)]
        found = re.search(r'rel="next" href="([^"]+)"', text)
        if found is None:
            break
        url = "/reports/" + found.group(1).replace("&amp;", "&")
    assert ids == _newest_first(rows)
    assert '<a class="button secondary" href="/reports/">' in text  # the last page leads back to the first

    bad = client.get("/reports/?cursor=not-a-cursor")
    assert bad.status_code == 400
    assert 'role="alert"' in bad.content.decode()
    assert 'class="empty"' not in bad.content.decode()
    mai = Client()
    mai.force_login(world.mai)
    assert 'class="empty"' in mai.get("/reports/").content.decode()
