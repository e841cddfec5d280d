"""A case's contacts in the console come a page at a time (browser review: 122 contacts in one
table took a second): the case page shows the newest 20 and links to the contacts page, which
pages by keyset ("Trang sau" / "Trang đầu"); each page shown is audited with its own contacts."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.backoffice import tracing as tracing_console
from khaibao.news.tests.helpers import sign_in_staff
from khaibao.people.models import Person
from khaibao.tracing.models import Contact

CONTACTS = 25


@pytest.fixture
def case(world: Any) -> tuple[Any, list[int]]:
    """Lan with 25 contacts in her ward; their person ids, newest registered first."""
    now = timezone.now()
    ids = []
    for i in range(CONTACTS):
        person = Person.objects.create(
            full_name=f"Người tiếp xúc {i:02d}", birth_year=1980, sex="female", home_ward=world.hoan_kiem
        )
        Contact.objects.create(
            source=world.lan_self, person=person, kind="close", contact_date=timezone.localdate() - timedelta(days=1),
            level="F1", exposure="contact_confirmed", matched_by="new", registered_at=now - timedelta(minutes=i),
        )
        ids.append(person.pk)
    AuditEvent.objects.filter(action="list.contacts").delete()
    return world.lan_self, ids


def staff(account: Any) -> Client:
    client = Client()
    sign_in_staff(client, account)
    return client


def _shown(resp: Any) -> list[str]:
    body = resp.content.decode()
    section = body[body.index('id="contacts"'):]
    section = section[:section.index("</section>")]
    return re.findall(r"Người tiếp xúc \d\d", section)


def _link(resp: Any, rel_or_text: str) -> str | None:
    body = resp.content.decode()
    match = re.search(rf'<a class="button secondary" (?:rel="next" )?href="([^"]+)">{rel_or_text}</a>', body)
    return html.unescape(match.group(1)) if match else None


def _audited() -> list[list[int]]:
    return [e.data["people"] for e in AuditEvent.objects.filter(action="list.contacts").order_by("id")]


def test_the_case_page_shows_the_newest_contacts_and_links_to_all(world: Any, case: Any) -> None:
    person, ids = case
    resp = staff(world.ward_official).get(f"/staff/cases/{person.pk}/", HTTP_ACCEPT_LANGUAGE="vi")
    assert resp.status_code == 200
    assert _shown(resp) == [f"Người tiếp xúc {i:02d}" for i in range(20)]
    assert _link(resp, rf"Xem tất cả người tiếp xúc \({CONTACTS}\)") == f"/staff/cases/{person.pk}/contacts/"
    assert _audited() == [ids[:20]]


def test_the_case_page_has_no_link_when_every_contact_is_shown(world: Any, case: Any) -> None:
    person, ids = case
    Contact.objects.filter(person_id__in=ids[3:]).delete()
    resp = staff(world.ward_official).get(f"/staff/cases/{person.pk}/", HTTP_ACCEPT_LANGUAGE="vi")
    assert _shown(resp) == ["Người tiếp xúc 00", "Người tiếp xúc 01", "Người tiếp xúc 02"]
    assert "Xem tất cả người tiếp xúc" not in resp.content.decode()


def test_the_contacts_page_pages_by_keyset_and_audits_each_page(
    world: Any, case: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tracing_console, "CONTACTS_PAGE", 10)
    person, ids = case
    client = staff(world.ward_official)
    path = f"/staff/cases/{person.pk}/contacts/"
    url: str | None = path
    pages = []
    while url:
        resp = client.get(url, HTTP_ACCEPT_LANGUAGE="vi")
        assert resp.status_code == 200
        pages.append(_shown(resp))
        if len(pages) > 1:
            assert _link(resp, "Trang đầu") == path
        nxt = _link(resp, "Trang sau")
        url = path + nxt if nxt else None
    assert [len(p) for p in pages] == [10, 10, 5]
    assert [name for page in pages for name in page] == [f"Người tiếp xúc {i:02d}" for i in range(CONTACTS)]
    assert _audited() == [ids[:10], ids[10:20], ids[20:]]

    bad = client.get(path + "?cursor=nope", HTTP_ACCEPT_LANGUAGE="vi")
    assert bad.status_code == 400
    assert _shown(bad) == []
    assert _link(bad, "Trang đầu") == path
    assert len(_audited()) == 3
