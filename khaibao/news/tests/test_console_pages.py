"""The console's list of official information, a page at a time (core/keyset.py): "Older items"
reaches every item the official may edit once, newest first, where the list used to stop at 200;
a damaged page link says so; the empty state stays."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from khaibao.backoffice import news as news_console
from khaibao.news.models import Announcement
from khaibao.news.selectors import news_editable
from khaibao.news.tests.helpers import sign_in_staff


def _items(n: int, *, at: Any, province: Any, tag: str) -> list[Announcement]:
    return Announcement.objects.bulk_create(
        Announcement(title=f"Thông báo {tag} {i}", body="Đeo khẩu trang.", province=province, created_at=at)
        for i in range(n)
    )


def test_it_pages_the_items_an_official_may_edit(world: Any, client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(news_console, "NEWS_PAGE", 2)
    now = timezone.now()
    # Items written at the same moment are told apart by their id alone.
    _items(3, at=now - timedelta(days=1), province=world.hanoi, tag="same")
    _items(1, at=now, province=world.hanoi, tag="new")
    _items(2, at=now, province=world.hcmc, tag="hcm")  # another province: not the official's
    expected = list(news_editable(world.province).values_list("pk", flat=True))
    sign_in_staff(client, world.province)

    ids: list[int] = []
    url = "/staff/news/"
    for _page in range(10):
        resp = client.get(url)
        assert resp.status_code == 200
        text = resp.content.decode()
        ids += [int(i) for i in re.findall(r'href="/staff/news/(\d+)/edit/"', text)]
        found = re.search(r'rel="next" href="([^"]+)"', text)
        if found is None:
            break
        url = "/staff/news/" + found.group(1).replace("&amp;", "&")

    assert ids == expected
    assert len(expected) >= 4
    assert '<a class="button secondary" href="/staff/news/">' in text  # the last page leads back to the first
    assert "Thông báo hcm" not in text


def test_it_says_a_damaged_page_link_is_out_of_date_and_keeps_the_empty_state(world: Any, client: Client) -> None:
    sign_in_staff(client, world.province_hcm)
    Announcement.objects.filter(province=world.hcmc).delete()
    empty = client.get("/staff/news/").content.decode()
    assert 'class="empty"' in empty
    assert 'class="pager"' not in empty
    bad = client.get("/staff/news/?cursor=not-a-cursor")
    assert bad.status_code == 400
    text = bad.content.decode()
    assert 'role="alert"' in text
    assert 'class="empty"' not in text
    assert '<a class="button secondary" href="/staff/news/">' in text
