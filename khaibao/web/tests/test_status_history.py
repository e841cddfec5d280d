"""The citizen's status page shows every declaration, twenty a page, newest first: "Older
declarations" leads to the rest by `before` (the version), "Newest declarations" back."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.test import Client

from khaibao.declarations.models import Declaration


def status_url(person: Any) -> str:
    return f"/people/{person.id}/"


@pytest.fixture
def lan_browser(world: Any) -> Client:
    client = Client()
    client.force_login(world.lan)
    return client


def declare_many(person: Any, count: int) -> list[int]:
    Declaration.objects.bulk_create(
        Declaration(
            person=person, version=version, declared_as="household_owner", questionnaire_version="1",
            consent_version="1", commitment=True, consent=True,
        )
        for version in range(1, count + 1)
    )
    return list(range(count, 0, -1))


def link(resp: Any, rel_next: bool) -> str | None:
    pattern = r'rel="next" href="([^"]+)"' if rel_next else r'<a class="button secondary" href="([^"]+)">Newest'
    match = re.search(pattern, resp.content.decode())
    return html.unescape(match.group(1)).split("#")[0] if match else None


def history_section(resp: Any) -> str:
    page = resp.content.decode()
    start = page.index('id="history-title"')
    return page[start:page.index("</section>", start)]


def versions(resp: Any) -> list[int]:
    return [declaration.version for declaration, _shown in resp.context["history"]]


def test_it_reaches_every_one_of_25_declarations(world: Any, lan_browser: Client) -> None:
    expected = declare_many(world.lan_child, 25)
    url = status_url(world.lan_child)
    first = lan_browser.get(url, headers={"Accept-Language": "en"})
    assert first.status_code == 200
    assert versions(first) == expected[:20]
    older = link(first, rel_next=True)
    assert older == "?before=6"
    assert link(first, rel_next=False) is None  # already the newest

    second = lan_browser.get(url + older, headers={"Accept-Language": "en"})
    assert second.status_code == 200
    assert versions(second) == expected[20:]
    assert link(second, rel_next=True) is None
    assert link(second, rel_next=False) == url
    section = history_section(second)
    assert "Older declarations" not in section
    assert "No declaration yet." not in section


def test_it_shows_exactly_twenty_without_an_older_link(world: Any, lan_browser: Client) -> None:
    declare_many(world.lan_child, 20)
    resp = lan_browser.get(status_url(world.lan_child))
    assert len(versions(resp)) == 20
    assert link(resp, rel_next=True) is None


def test_it_keeps_the_empty_state(world: Any, lan_browser: Client) -> None:
    resp = lan_browser.get(status_url(world.lan_child), headers={"Accept-Language": "en"})
    section = history_section(resp)
    assert "No declaration yet." in section
    assert "Newest declarations" not in section
    assert 'rel="next"' not in section
    # Past the oldest: nothing older, and the way back to the newest.
    declare_many(world.lan_child, 1)
    past = lan_browser.get(status_url(world.lan_child) + "?before=1", headers={"Accept-Language": "en"})
    assert "No older declarations." in history_section(past)
    assert "No declaration yet." not in history_section(past)
    assert link(past, rel_next=False) == status_url(world.lan_child)


@pytest.mark.parametrize("before", ["abc", "²", "0", "9" * 20, "-3"])
def test_it_reads_a_bad_before_as_the_newest_page(world: Any, lan_browser: Client, before: str) -> None:
    declare_many(world.lan_child, 3)
    resp = lan_browser.get(status_url(world.lan_child), {"before": before})
    assert resp.status_code == 200
    assert versions(resp) == [3, 2, 1]


def test_it_keeps_another_household_out_of_older_pages(world: Any) -> None:
    declare_many(world.lan_child, 25)
    client = Client()
    client.force_login(world.mai)
    assert client.get(status_url(world.lan_child) + "?before=6").status_code == 404


def test_it_heads_the_list_as_a_list_not_a_count(world: Any, lan_browser: Client) -> None:
    # "Số khai báo" is the statistics' count of declarations, not the heading of one's own list.
    page = lan_browser.get(status_url(world.lan_child)).content.decode()
    heading = re.search(r'<h2 id="history-title">([^<]*)</h2>', page)
    assert heading, page
    assert heading.group(1) != "Số khai báo"
