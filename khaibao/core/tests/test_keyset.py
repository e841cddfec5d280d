"""core.keyset: a page needs a total order, and a cursor only ever moves forward in it."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from khaibao.core.errors import ServiceError
from khaibao.core.keyset import keyset_page, keyset_query
from khaibao.orgs.models import Member, OrgUnit


def test_it_refuses_an_order_that_can_tie(db: Any) -> None:
    with pytest.raises(ValueError, match="primary key"):
        keyset_page(Member.objects.order_by("full_name"), cursor=None, limit=10)
    with pytest.raises(ValueError, match="field names"):
        keyset_page(Member.objects.all(), cursor=None, limit=10)
    with pytest.raises(ValueError, match="nullable"):
        keyset_page(Member.objects.order_by("removed_at", "pk"), cursor=None, limit=10)
    with pytest.raises(ValueError, match="own columns"):
        keyset_page(Member.objects.order_by("unit__name", "pk"), cursor=None, limit=10)


def test_it_walks_a_mixed_order_row_by_row(world: Any) -> None:
    unit = OrgUnit.objects.get(path="TWD/HN/DCS-HK")
    Member.objects.bulk_create(
        Member(unit=unit, full_name=name, role=role, phone="", phone_index=f"mix-{i}")
        for i, (name, role) in enumerate([("Bình", "cadre"), ("An", "cadre"), ("An", "worker"), ("An", "cadre"),
                                          ("Đức", "worker"), ("Bình", "worker")])
    )
    listed = Member.objects.filter(unit=unit).order_by("-role", "full_name", "-pk")
    seen, cursor = [], None
    while True:
        page = keyset_page(listed, cursor=cursor, limit=2, count=True)
        assert page.total == listed.count()
        seen += [m.pk for m in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == list(listed.values_list("pk", flat=True))


def test_it_writes_the_filters_into_the_page_link() -> None:
    assert keyset_query({"q": "Quán phở", "ward": None}, "abc") == "?q=Qu%C3%A1n+ph%E1%BB%9F&ward=&cursor=abc"
    assert keyset_query({}) == "?"


def test_a_cursor_holding_a_nul_is_refused_before_the_query(db: Any) -> None:
    # PostgreSQL text cannot hold NUL: it would be a 500 there (security review of the unit lists).
    cursor = base64.urlsafe_b64encode(json.dumps(["a\u0000b", 1]).encode()).decode().rstrip("=")
    with pytest.raises(ServiceError):
        keyset_page(Member.objects.order_by("full_name", "pk"), cursor=cursor, limit=10)
