"""The case view's long histories — declarations, daily updates, assessment changes — show every
row, a page of CASE_HISTORY_MAX at a time, newest first; each section pages on its own cursor and
its links keep the other sections' pages. Every page is an audited opening of the case."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.cases import case_view as case_view_module
from khaibao.cases.tests.helpers import sign_in_staff
from khaibao.declarations.models import Declaration
from khaibao.monitoring.models import Assessment, DailyUpdate


def case_url(person: Any) -> str:
    return f"/staff/cases/{person.id}/"


@pytest.fixture
def official(world: Any) -> Client:
    client = Client()
    sign_in_staff(client, world.ward_official)
    return client


def next_link(resp: Any, section: str) -> str | None:
    match = re.search(rf'rel="next" href="([^"]+)#{section}"', resp.content.decode())
    return html.unescape(match.group(1)) if match else None


def first_link(resp: Any, section: str) -> str | None:
    match = re.search(rf'<a class="button secondary" href="([^"]+)#{section}">', resp.content.decode())
    return html.unescape(match.group(1)) if match else None


def updates_many(person: Any, count: int) -> list[Any]:
    today = timezone.localdate()
    DailyUpdate.objects.bulk_create(
        DailyUpdate(person=person, day=today - timedelta(days=i), symptoms=[], feeling="well", updated_as="self")
        for i in range(count)
    )
    return [today - timedelta(days=i) for i in range(count)]


def days(resp: Any) -> list[Any]:
    return [u.day for u in resp.context["view"].updates]


def test_it_reaches_the_201st_daily_update(world: Any, official: Client) -> None:
    expected = updates_many(world.lan_self, 201)
    url = case_url(world.lan_self)
    first = official.get(url)
    assert first.status_code == 200
    assert days(first) == expected[:200]
    older = next_link(first, "updates")
    assert older is not None
    assert older.startswith(url + "?updates_cursor=")
    assert first_link(first, "updates") is None

    second = official.get(older)
    assert second.status_code == 200
    assert days(second) == expected[200:]
    assert next_link(second, "updates") is None
    assert first_link(second, "updates") == url
    # Each page is an opening of the case, audited as before.
    assert AuditEvent.objects.filter(action="person.case_view", person_id=world.lan_self.id).count() == 2


def test_it_pages_each_section_on_its_own_cursor(world: Any, official: Client, monkeypatch: Any) -> None:
    monkeypatch.setattr(case_view_module, "CASE_HISTORY_MAX", 2)
    person = world.lan_self
    updates_many(person, 3)
    Declaration.objects.bulk_create(
        Declaration(person=person, version=v, declared_as="self", questionnaire_version="1", consent_version="1",
                    commitment=True, consent=True)
        for v in (1, 2, 3)
    )
    Assessment.objects.bulk_create(
        Assessment(person=person, level="low", engine_level="low", source="declaration", ruleset_version="2026.1",
                   reasons=[], created_at=timezone.now() - timedelta(hours=i))
        for i in range(3)
    )
    url = case_url(person)
    first = official.get(url)
    view = first.context["view"]
    assert [d["declaration"].version for d in view.declarations] == [3, 2]
    assert len(view.assessments) == 2

    # Older declarations, then older assessment changes: the declarations stay on their page.
    declarations_older = next_link(first, "declarations")
    assert declarations_older is not None
    page = official.get(declarations_older)
    assert [d["declaration"].version for d in page.context["view"].declarations] == [1]
    assert len(page.context["view"].updates) == 2
    assessments_older = next_link(page, "assessments")
    assert assessments_older is not None
    assert "declarations_cursor=" in assessments_older
    both = official.get(assessments_older)
    view = both.context["view"]
    assert [d["declaration"].version for d in view.declarations] == [1]
    assert len(view.assessments) == 1
    assert [u.day for u in view.updates] == days(first)
    # Back to the newest declarations keeps the assessments' page.
    newest = first_link(both, "declarations")
    assert newest is not None
    assert "declarations_cursor" not in newest
    assert "assessments_cursor=" in newest


def test_it_refuses_a_forged_cursor_in_its_section_only(world: Any, official: Client) -> None:
    updates_many(world.lan_self, 3)
    resp = official.get(case_url(world.lan_self), {"updates_cursor": "not-a-cursor"}, headers={"Accept-Language": "en"})
    assert resp.status_code == 400
    page = resp.content.decode()
    assert "This page link is not valid any more." in page
    assert resp.context["view"].updates == []
    assert "No daily update yet." not in page
    assert AuditEvent.objects.filter(action="person.case_view", person_id=world.lan_self.id).count() == 1


def test_it_still_hides_other_jurisdictions_on_older_pages(world: Any, official: Client) -> None:
    updates_many(world.mai_self, 201)
    assert official.get(case_url(world.mai_self) + "?updates_cursor=WyIyMDI2LTAxLTAxIiwxXQ").status_code == 404


def test_it_heads_the_lists_as_lists_not_counts(world: Any, official: Client) -> None:
    page = official.get(case_url(world.lan_self)).content.decode()
    for section in ("declarations", "updates"):
        heading = re.search(rf'<h2 id="{section}-title">([^<]*)</h2>', page)
        assert heading, page
        assert heading.group(1) not in ("Số khai báo", "Số cập nhật hằng ngày")
