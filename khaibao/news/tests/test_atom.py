from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from django.test import Client

from khaibao.news.tests.helpers import publish

ATOM = "{http://www.w3.org/2005/Atom}"


def _entries(resp: Any) -> tuple[ET.Element, list[ET.Element]]:
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(resp.content)  # noqa: S314 - our own server's response, in a test
    assert root.tag == f"{ATOM}feed"
    return root, root.findall(f"{ATOM}entry")


def test_it_serves_a_valid_atom_feed(world: Any, api: Any, client: Client) -> None:
    publish(api, world.national, title="Toàn quốc", body="Đeo **khẩu trang** <script>x()</script>")
    publish(api, world.province, title="Hà Nội", province=world.hanoi.pk)
    publish(api, world.province_hcm, title="TP.HCM", province=world.hcmc.pk)
    root, entries = _entries(client.get(f"/news/feed.atom?province={world.hanoi.pk}"))
    for required in ("id", "title", "updated", "link"):
        assert root.find(f"{ATOM}{required}") is not None, required
    assert sorted(e.findtext(f"{ATOM}title") for e in entries) == ["Hà Nội", "Toàn quốc"]
    for entry in entries:
        for required in ("id", "title", "updated", "link", "published"):
            assert entry.find(f"{ATOM}{required}") is not None, required
    country = next(e for e in entries if e.findtext(f"{ATOM}title") == "Toàn quốc")
    summary = country.find(f"{ATOM}summary")
    assert summary is not None
    assert summary.get("type") == "html"
    assert "<strong>khẩu trang</strong>" in (summary.text or "")
    assert "script" not in (summary.text or "")


def test_it_gives_the_whole_country_feed_without_a_province(world: Any, api: Any, client: Client) -> None:
    publish(api, world.national, title="Toàn quốc")
    publish(api, world.province, title="Hà Nội", province=world.hanoi.pk)
    _, entries = _entries(client.get("/news/feed.atom"))
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["Toàn quốc"]


def test_it_answers_404_for_an_unknown_province_feed(world: Any, client: Client) -> None:
    assert client.get("/news/feed.atom?province=999").status_code == 404
    assert client.get("/news/feed.atom?province=abc").status_code == 404


def test_it_links_the_feed_from_the_news_page(world: Any, client: Client) -> None:
    html = client.get(f"/news/?province={world.hanoi.pk}").content.decode()
    assert (
        '<link rel="alternate" type="application/atom+xml" title="' in html
    )
    assert (
        f'href="/news/feed.atom?province={world.hanoi.pk}"' in html
    )
